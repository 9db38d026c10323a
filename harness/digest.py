"""A file's sha256 and size: what every wing compares (the module, the servers, the report)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Digest:
    sha256: str
    size: int

    def short(self) -> str:
        return "%s... (%d bytes)" % (self.sha256[:12], self.size)
