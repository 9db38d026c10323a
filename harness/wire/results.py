"""The contract between the host and device steps: one result line per step.

A device step prints exactly one line

    HIL-RESULT {"ok": false, "step": "download", "code": 550, ...}

Everything else the module prints (banners, URCs, debug prints) is kept in the
serial log and never parsed as a result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.errors import ResultError
from harness.wire.layout import RESULT_PREFIX


class ResultFields:
    """Named access to the fields every device result line may carry."""

    data: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def code(self) -> int | None:
        """The FTP reply code of the server's last reply, if any."""
        return self.data.get("code")

    @property
    def reply(self) -> str:
        return self.data.get("reply") or ""

    @property
    def sha256(self) -> str | None:
        return self.data.get("sha256")

    @property
    def size(self) -> int | None:
        return self.data.get("bytes")

    @property
    def errno(self) -> int | None:
        return self.data.get("errno")

    @property
    def ms(self) -> int | None:
        return self.data.get("ms")


@dataclass
class StepResult(ResultFields):
    ok: bool
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    output: str = ""  # everything else the step printed

    def summary(self) -> str:
        parts = ["ok" if self.ok else "FAILED", self.step]
        if self.reply:
            parts.append(repr(self.reply))
        if self.errno is not None:
            parts.append("errno %s" % self.errno)
        if self.get("error"):
            parts.append(str(self.get("error")))
        return " ".join(parts)


def parse_step_output(output: str) -> StepResult:
    """Find the single result line in what a step printed."""
    lines = output.replace("\r\n", "\n").split("\n")
    found = [line[len(RESULT_PREFIX):] for line in lines if line.startswith(RESULT_PREFIX)]
    others = "\n".join(line for line in lines if not line.startswith(RESULT_PREFIX)).strip()
    if not found:
        raise ResultError("the device step printed no %r line; its output was:\n%s"
                          % (RESULT_PREFIX.strip(), _tail(output)))
    if len(found) > 1:
        raise ResultError("the device step printed %d result lines, expected one:\n%s"
                          % (len(found), "\n".join(found)))
    try:
        data = json.loads(found[0])
    except json.JSONDecodeError as exc:
        raise ResultError("result line is not JSON (%s): %r" % (exc, found[0][:200])) from None
    if not isinstance(data, dict) or "ok" not in data or "step" not in data:
        raise ResultError("result line lacks 'ok' or 'step': %r" % found[0][:200])
    return StepResult(ok=bool(data["ok"]), step=str(data["step"]), data=data, output=others)


def _tail(text: str, lines: int = 15) -> str:
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(kept) if kept else "(nothing)"
