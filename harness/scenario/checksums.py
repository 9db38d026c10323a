"""End-to-end checksums: what the host sent, what the module holds, what the server stored.

Each place is compared with what it must hold, an `Expected`: usually the host's
bytes whole, but a resumed download holds bytes from an offset, an appended file
holds what was there before and then the host's bytes, and a text transfer is
compared after CRLF -> LF. A scenario says which; no special class per case:

    Checksums(digest_of(data), module, server, "upload")                 # whole, both places
    Checksums(digest_of(data), module, server, "upload",
              server_must=Expected.appended(before, data))               # APPE
    Checksums(digest_of(data), module, server, "download",
              device_must=Expected.from_offset(data, 2000))              # RETR after REST 2000
                                                                         # into an empty file

An Expected also says what crossed the data connection (OpResult.moved): a resumed
download that appends to the part the module held moves Expected.from_offset(data, n),
while the module ends up holding the whole file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from harness.digest import Digest

TEXT_RULE = "text mode: compared after converting CRLF to LF"
PLACES = ("module", "server")


def digest_of(data: bytes) -> Digest:
    return Digest(hashlib.sha256(data).hexdigest(), len(data))


def to_lf(text: bytes) -> bytes:
    """The form text transfers are compared in."""
    return text.replace(b"\r\n", b"\n")


@dataclass(frozen=True)
class Expected:
    """What one place must hold: a digest, and how it follows from the host's bytes."""

    digest: Digest
    rule: str = ""  # empty: the host's bytes, whole

    @classmethod
    def whole(cls, data: bytes) -> Expected:
        return cls(digest_of(data))

    @classmethod
    def from_offset(cls, data: bytes, offset: int) -> Expected:
        """The host's bytes from `offset` on: what a transfer resumed with REST moves."""
        return cls(digest_of(data[offset:]), "the host's %d bytes from offset %d (REST)"
                   % (len(data), offset))

    @classmethod
    def appended(cls, before: bytes, data: bytes) -> Expected:
        """What a file held, then the host's bytes: an APPE to an existing file."""
        return cls(digest_of(before + data), "the %d bytes it held, then the host's %d (append)"
                   % (len(before), len(data)))

    @classmethod
    def text(cls, data: bytes) -> Expected:
        return cls(digest_of(to_lf(data)), TEXT_RULE)


@dataclass
class Checksums:
    """One transfer seen from three places; a digest is None where the place holds no file."""

    host: Digest  # what the host sent (upload) or placed on the server (download)
    device: Digest | None
    server: Digest | None
    direction: str  # "upload" or "download"
    device_must: Expected | None = None  # None: the host's bytes, whole
    server_must: Expected | None = None
    notes: dict[str, str] = field(default_factory=dict)  # place -> shown beside its digest
    explanation: str | None = None  # a known cause, when the bytes differ

    def expected(self, place: str) -> Expected:
        must = self.device_must if place == "module" else self.server_must
        return must or Expected(self.host)

    def held(self, place: str) -> Digest | None:
        return self.device if place == "module" else self.server

    def problems(self) -> list[str]:
        found = []
        for place in PLACES:
            digest, must = self.held(place), self.expected(place)
            if digest is None:
                found.append("%s holds no file (host sent %s)" % (place, self.host.short()))
            elif digest != must.digest:
                against = "host" if not must.rule else "what it must hold (%s)" % must.rule
                found.append("%s sha256 differs from %s: %s... != %s... (%d vs %d bytes)"
                             % (place, against, digest.sha256[:12], must.digest.sha256[:12],
                                digest.size, must.digest.size))
        if found and self.explanation:
            found.append(self.explanation)
        return found

    @property
    def match(self) -> bool:
        return not self.problems()

    def as_dict(self) -> dict[str, object]:
        def one(d: Digest | None) -> dict[str, object] | None:
            return {"sha256": d.sha256, "bytes": d.size} if d else None

        data: dict[str, object] = {
            "direction": self.direction, "host": one(self.host), "device": one(self.device),
            "server": one(self.server), "match": self.match}
        # only where a place must hold something else than the host's bytes whole
        for key, must in (("device_must", self.device_must), ("server_must", self.server_must)):
            if must is not None:
                data[key] = {**(one(must.digest) or {}), "rule": must.rule}
        if self.notes:
            data["notes"] = dict(self.notes)
        if self.explanation:
            data["explanation"] = self.explanation
        return data


# -- text mode ------------------------------------------------------------------


def text_checksums(text: bytes, device: Digest | None, stored: Digest | None,
                   direction: str) -> Checksums:
    """Checksums of a text (TYPE A) transfer, each place taken after CRLF -> LF.

    The module reports its file after CRLF -> LF itself. The server only reports
    the sha256 of what it stored, in its own line-end form: where that is the LF or
    the CRLF form of the host's text, the server holds the text (a note says which).
    """
    must = Expected.text(text)
    server, form = server_text_digest(to_lf(text), stored)
    notes = {"server": "stored with %s line ends" % form} if form else {}
    explanation = explain_text_damage(to_lf(text), device) if direction == "download" else None
    return Checksums(digest_of(text), device, server, direction, device_must=must,
                     server_must=must, notes=notes, explanation=explanation)


def server_text_digest(text_lf: bytes, stored: Digest | None
                        ) -> tuple[Digest | None, str | None]:
    """(digest to compare, which line ends the server used) for a stored text file."""
    if stored is None:
        return None, None
    for form, data in (("LF", text_lf), ("CRLF", text_lf.replace(b"\n", b"\r\n"))):
        if stored == digest_of(data):
            return digest_of(text_lf), form
    return stored, None


def explain_text_damage(text_lf: bytes, device: Digest | None) -> str | None:
    """Why a downloaded text differs, where a known cause matches exactly."""
    if device is None:
        return None
    joined = text_lf.replace(b"\n", b"")
    if joined != text_lf and device == digest_of(joined):
        return ("retrlines callback fp.write drops newlines: %d lines, %d -> %d bytes"
                % (text_lf.count(b"\n"), len(text_lf), len(joined)))
    # Pure-FTPd sends CR CR LF in TYPE A for a file whose lines already end in CRLF
    cr_cr_lf = "the server sent CR CR LF in TYPE A (Pure-FTPd does for CRLF line ends)"
    if b"\n" in text_lf and device == digest_of(text_lf.replace(b"\n", b"\r\n")):
        return "every line kept a CR: %s and the ftplib's retrlines strips one CR LF only" % (
            cr_cr_lf)
    if b"\n" in text_lf and device == digest_of(text_lf.replace(b"\n", b"\n\n")):
        return ("an empty line after every line: %s and the ftplib reads CR and LF as two "
                "line ends (universal newlines)" % cr_cr_lf)
    return None
