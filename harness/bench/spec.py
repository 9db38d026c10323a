"""One module as the run knows it before talking to it: ModuleSpec.

Also what every other part of the bench shares about it: the names of the
virtual module and of a run in one process, the error for a malformed pool or
requirement, and how repeated, comma-separated option values are read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError
from harness.ports.key import port_key

EMULATED = "emulated"
ONLY_PROCESS = "main"  # the worker name of a run that is not split across processes


class PoolConfigError(HarnessError):
    """--device, --devices-file, --device-label or a requirement is malformed."""


@dataclass(frozen=True)
class ModuleSpec:
    """One module as the run knows it before talking to it."""

    name: str
    port: str
    model: str = ""  # "" until the module tells
    labels: tuple[str, ...] = ()

    @property
    def emulated(self) -> bool:
        return self.port == EMULATED

    @property
    def key(self) -> str:
        """The port's canonical key (harness/ports/key.py): COM5 for com5 or \\\\.\\COM5."""
        return port_key(self.port)

    def describe(self, model: str = "") -> str:
        """bench-a (COM5, EC600U); COM5 (EC600U) when the name is the port.

        COM names and URLs are shown in their canonical form; a device path as given
        (its by-id name says more than the tty it resolves to)."""
        shown = model or self.model or "model unknown"
        port = self.port if self.port.startswith("/") else self.key
        if self.name == self.port:
            return "%s (%s)" % (port, shown)
        return "%s (%s, %s)" % (self.name, port, shown)

    def as_dict(self) -> dict[str, Any]:
        # plain types only: this crosses to xdist workers
        return {"name": self.name, "port": self.port, "model": self.model,
                "labels": list(self.labels)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModuleSpec:
        return cls(str(data["name"]), str(data["port"]), str(data.get("model", "")),
                   tuple(data.get("labels", ())))


def split_values(values: Iterable[str] | None) -> list[str]:
    """Repeated options with comma-separated values, flattened; blanks dropped."""
    return [part.strip() for value in values or () for part in value.split(",")
            if part.strip()]
