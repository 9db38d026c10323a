"""What a device step reported, as a scenario reads it: one operation, a session, a transfer.

    s = run.session([ops.cwd("nowhere")])     # Session: one OpResult per operation
    assert s.op("cwd").code == 550
    t = run.upload(data)                      # Transfer: a result and its Checksums
    t.assert_intact()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.digest import Digest
from harness.scenario.checksums import Checksums
from harness.wire.results import ResultFields, StepResult


@dataclass
class OpResult(ResultFields):
    """One operation of a session step: its reply code and what it found."""

    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.data.get("label") or self.data.get("op"))

    @property
    def ok(self) -> bool:
        return bool(self.data.get("ok"))

    # the same surface as StepResult, so a transfer made of one operation reports alike
    @property
    def step(self) -> str:
        return self.name

    @property
    def held(self) -> Digest | None:
        """What the module's file holds after the operation (file_sha256), if any."""
        return digest_or_none(self.get("file_sha256"), self.get("file_bytes"))

    @property
    def moved(self) -> Digest | None:
        """The bytes that crossed the data connection (sha256 and bytes), if counted."""
        return digest_or_none(self.get("sha256"), self.get("bytes"))

    def summary(self) -> str:
        text = "%s %s %s" % (self.name, "ok" if self.ok else "FAILED", self.code)
        if self.reply:
            text += " %r" % self.reply
        if self.get("error"):
            text += " (%s)" % self.get("error")
        return text


@dataclass
class Session:
    """The result of one `session` step: one OpResult per operation that ran."""

    result: StepResult
    ops: list[OpResult]

    def op(self, name: str) -> OpResult:
        """The first operation with this label (or, without labels, this op name)."""
        for op in self.ops:
            if op.name == name:
                return op
        raise AssertionError("no operation %r ran in the session: %s" % (name, self.summary()))

    @property
    def code(self) -> int | None:
        """The reply code of the connect or login, when the session never started."""
        return self.result.code

    def summary(self) -> str:
        ran = "; ".join(op.summary() for op in self.ops) or "nothing ran"
        head = self.result.summary()
        return "%s [%d/%s ops] %s" % (head, len(self.ops), self.result.get("planned"), ran)


@dataclass
class Transfer:
    """The outcome of one transfer: the device's result line and the checksums."""

    result: StepResult | OpResult
    checksums: Checksums | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    damage_expected: bool = False  # set by assert_damaged: the report does not flag it
    payload_source: str | None = None  # where the payload came from (PUSHED, ON_SERVER, ...)

    def problems(self) -> list[str]:
        found = []
        if not self.result.ok:
            found.append("%s failed on the module: %s" % (self.result.step, self.result.summary()))
        if self.checksums is not None and not self.checksums.match:
            found.extend(self.checksums.problems())
        return found

    def assert_intact(self) -> None:
        """Fail with what differs and every place's sha256 and size, if anything does."""
        problems = self.problems()
        if problems:
            raise AssertionError(self._damage_text(problems))

    def assert_damaged(self) -> str:
        """For a scenario that expects a completed but damaged file: fail otherwise, else
        say what differs (assert_intact's message). The report counts it as expected."""
        if not self.result.ok:
            raise AssertionError("expected a damaged file, but %s failed on the module: %s"
                                 % (self.result.step, self.result.summary()))
        if self.checksums is None or self.checksums.match:
            raise AssertionError("\n".join(["expected damage, but the file is intact",
                                            *self.checksum_lines()]))
        self.damage_expected = True
        return self._damage_text(self.problems())

    def _damage_text(self, problems: list[str]) -> str:
        return "\n".join(["; ".join(problems), *self.checksum_lines()])

    def checksum_lines(self) -> list[str]:
        """host / module / server sha256 prefixes and sizes, one line each."""
        checks = self.checksums
        if checks is None:
            return []
        notes = dict(checks.notes)
        if self.extra.get("module_note"):
            notes["module"] = self.extra["module_note"]
        lines = []
        for place, digest in (("host", checks.host), ("module", checks.device),
                              ("server", checks.server)):
            shown = digest.short() if digest else "no file"
            note = notes.get(place, "")
            lines.append("  %-6s %s%s" % (place, shown, "  [%s]" % note if note else ""))
        return lines

    @property
    def throughput_kib_s(self) -> float | None:
        ms, size = self.result.get("ms"), self.result.get("bytes")
        if not ms or size is None:
            return None
        return size / 1024 / (ms / 1000)


def digest_or_none(sha: str | None, size: int | None) -> Digest | None:
    """A Digest from a result's sha256 and byte count; None where no sha256 was reported."""
    return Digest(sha, int(size or 0)) if sha else None


def nlst_names(lines: list[str]) -> list[str]:
    """NLST's names, sorted, without the folder in front (most servers answer "folder/x")
    and without "." and ".." (Pure-FTPd lists them): what an application must do too."""
    names = (line.rsplit("/", 1)[-1] for line in lines)
    return sorted(name for name in names if name not in (".", ".."))
