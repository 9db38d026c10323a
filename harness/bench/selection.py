"""What the run and each test ask of a module: labels, model, firmware, room on /usr.

--device-label and --device-firmware choose which modules of the pool may serve
the run (Selection); a test's @pytest.mark.requires(...) says what it needs of
the module it runs on (unmet_requirements). Both match models by prefix: the
module reports EC600UCNLB where the user writes EC600U.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.bench.spec import ModuleSpec, PoolConfigError, split_values
from harness.wire.device import ModuleInfo

REQUIREMENT_KEYS = ("model", "label", "firmware", "usr_free", "usr_total")


def model_matches(model: str, wanted: str) -> bool:
    """EC600U matches the module models EC600U and EC600UCNLB (variants add suffixes)."""
    return bool(model) and model.upper().startswith(wanted.upper())


@dataclass(frozen=True)
class Selection:
    """--device-label groups (all must match; within a group, any) and --device-firmware."""

    label_groups: tuple[tuple[str, ...], ...] = ()
    firmware: re.Pattern[str] | None = None

    @classmethod
    def from_options(cls, labels: Iterable[str] | None, firmware: str | None) -> Selection:
        groups = tuple(tuple(split_values([value])) for value in labels or ())
        try:
            pattern = re.compile(firmware) if firmware else None
        except re.error as exc:
            raise PoolConfigError("--device-firmware=%s is not a regular expression: %s"
                                  % (firmware, exc)) from None
        return cls(tuple(g for g in groups if g), pattern)

    def reject_reason(self, spec: ModuleSpec, model: str | None,
                      firmware: str | None) -> str | None:
        """Why this module may not serve, or None. None for model/firmware: not known yet."""
        if spec.model and model and not (model_matches(model, spec.model)
                                          or model_matches(spec.model, model)):
            return "the devices file says %s but the module reports %s; check the cabling" \
                % (spec.model, model)
        for group in self.label_groups:
            if not any(_has_label(spec, model, label) for label in group):
                if model is None and not spec.model:
                    continue  # the module's model may still match; asked again once known
                return "not selected: --device-label=%s matches neither its model (%s) " \
                    "nor its labels (%s)" % (",".join(group), model or spec.model,
                                             ", ".join(spec.labels) or "none")
        if self.firmware is not None and firmware is not None \
                and not self.firmware.search(firmware):
            return "firmware %s does not match --device-firmware=%s" \
                % (firmware or "(none reported)", self.firmware.pattern)
        return None


def label_mismatch(selection: Selection, specs: Sequence[ModuleSpec]) -> str | None:
    """One line when a --device-label group matches no module at all, naming what there
    is; None when each group matches one, or may (a module whose model is not known yet
    may still match by model: the start-up check asks it)."""
    if any(not spec.model for spec in specs):
        return None
    for group in selection.label_groups:
        if not any(_has_label(spec, spec.model, label) for spec in specs for label in group):
            return "--device-label=%s: no module has that model, name or label; there %s: %s" \
                % (",".join(group), "is" if len(specs) == 1 else "are",
                   "; ".join(_what_it_is(spec) for spec in specs))
    return None


def _what_it_is(spec: ModuleSpec) -> str:
    return "%s (model %s, labels: %s)" % (spec.name, spec.model, ", ".join(spec.labels) or "none")


def _has_label(spec: ModuleSpec, model: str | None, label: str) -> bool:
    names = {spec.name.lower(), *(lab.lower() for lab in spec.labels)}
    return label.lower() in names or any(model_matches(m, label)
                                         for m in (model or "", spec.model) if m)


def unmet_requirements(needs: dict[str, Any], spec: ModuleSpec, info: ModuleInfo) -> list[str]:
    """What a test's requires(...) asks that this module lacks; [] if it has it all."""
    unknown = sorted(set(needs) - set(REQUIREMENT_KEYS))
    if unknown:
        raise PoolConfigError("unknown requirement %s; known: %s"
                              % (", ".join(unknown), ", ".join(REQUIREMENT_KEYS)))
    unmet = []
    models = _as_tuple(needs.get("model"))
    if models and not any(model_matches(info.model, m) for m in models):
        unmet.append("model %s (this is %s)" % (" or ".join(models), info.model))
    for label in _as_tuple(needs.get("label")):
        if not _has_label(spec, info.model, label):
            unmet.append("label %s (it has %s)" % (label, ", ".join(spec.labels) or "none"))
    if needs.get("firmware") and not re.search(needs["firmware"], info.firmware):
        unmet.append("firmware matching %s (it runs %s)" % (needs["firmware"], info.firmware))
    for key in ("usr_free", "usr_total"):
        if needs.get(key) and getattr(info, key) < int(needs[key]):
            unmet.append("%s >= %d bytes (it has %d)" % (key, needs[key], getattr(info, key)))
    return unmet


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)
