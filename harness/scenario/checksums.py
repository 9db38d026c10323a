"""End-to-end checksum comparison: what the host sent, the module holds, the server stored."""

from __future__ import annotations

from dataclasses import dataclass

from harness.digest import Digest


@dataclass
class Checksums:
    """The same payload, seen from three places; None where it is missing."""

    host: Digest
    device: Digest | None
    server: Digest | None
    direction: str  # "upload" or "download"

    def problems(self) -> list[str]:
        found = []
        for place, digest in (("module", self.device), ("server", self.server)):
            if digest is None:
                found.append("%s holds no file (host sent %s)" % (place, self.host.short()))
            elif digest != self.host:
                found.append("%s sha256 differs from host: %s... != %s... (%d vs %d bytes)"
                             % (place, digest.sha256[:12], self.host.sha256[:12],
                                digest.size, self.host.size))
        return found

    @property
    def match(self) -> bool:
        return not self.problems()

    def as_dict(self) -> dict[str, object]:
        def one(d: Digest | None) -> dict[str, object] | None:
            return {"sha256": d.sha256, "bytes": d.size} if d else None

        return {"direction": self.direction, "host": one(self.host),
                "device": one(self.device), "server": one(self.server), "match": self.match}
