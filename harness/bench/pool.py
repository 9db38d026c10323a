"""The modules a run may use: --device values and devices files, and how many workers.

Knows nothing of pytest. fixtures/pool.py reads the options once and hands the
list on; which of these modules may serve is health.py's question, which one a
process holds is held.py's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from harness.bench.devices_file import load_devices_file
from harness.bench.resolve import key_of
from harness.bench.spec import EMULATED, ModuleSpec, PoolConfigError, split_values


def pool_from_options(devices: Iterable[str] | None,
                      devices_files: Iterable[str | Path] | None) -> list[ModuleSpec]:
    """The modules a run may use; [the virtual module] when none is named."""
    ports = split_values(devices)
    specs = [ModuleSpec(port, port) for port in ports if port != EMULATED]
    for path in devices_files or ():
        specs += load_devices_file(Path(path))
    if EMULATED in ports and specs:
        raise PoolConfigError("--device=emulated cannot be mixed with real modules (%s)"
                              % ", ".join(s.port for s in specs))
    if not specs:
        return [ModuleSpec(EMULATED, EMULATED, labels=(EMULATED,))]
    _refuse_duplicates(specs)
    return specs


def _refuse_duplicates(specs: Sequence[ModuleSpec]) -> None:
    seen: dict[str, ModuleSpec] = {}
    for spec in specs:
        key = key_of(spec.port)  # usb:/hwgrep:// as their port
        if key in seen:
            raise PoolConfigError("%s and %s are the same port; list each module once"
                                  % (seen[key].describe(), spec.describe()))
        seen[key] = spec


def auto_worker_count(specs: Sequence[ModuleSpec], cpus: int | None) -> int:
    """xdist workers for -n auto: one per module; two per CPU (at most 8) when emulated.

    A virtual module mostly waits (server and stall timers, the link, the other
    end), so two per CPU overlap the waits: the quick catalogue on two cores took
    31 s with two workers, 22 s with four."""
    if any(spec.emulated for spec in specs):
        return max(1, min(8, 2 * (cpus or 1)))
    return max(1, len(specs))
