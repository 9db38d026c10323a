"""--reset-command: power-cycle a module that neither Ctrl-C nor a soft reboot brings back.

The command is the bench's own: a relay, a USB hub's port power switch
(`uhubctl -l 1-1 -p 2 -a cycle`), an AT command on the module's AT port.
`{port}` in it becomes the module's port. It runs without a shell (POSIX:
split with shlex; Windows: the string as CreateProcess takes it), with a
timeout, and a failure is one line that names the command and what it said.
"""

from __future__ import annotations

import os
import shlex
import subprocess

from harness.errors import HarnessError

RESET_TIMEOUT = 30.0  # seconds the reset command may take


class ResetCommandError(HarnessError):
    """The reset command could not run, failed, or took too long."""


class ResetCommand:
    def __init__(self, template: str, timeout: float = RESET_TIMEOUT) -> None:
        if not template.strip():
            raise ResetCommandError("--reset-command is empty: give the command that "
                                    "power-cycles the module, e.g. 'uhubctl -l 1-1 -p 2 -a cycle'")
        self.template = template
        self.timeout = timeout

    def command(self, port: str) -> str | list[str]:
        text = self.template.replace("{port}", port)
        return text if os.name == "nt" else shlex.split(text)

    def run(self, port: str) -> str:
        """Power-cycle the module on `port`; what the command printed (one line)."""
        cmd = self.command(port)
        shown = cmd if isinstance(cmd, str) else shlex.join(cmd)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout,
                                  shell=False)
        except FileNotFoundError:
            raise ResetCommandError("--reset-command %r: program not found; give its full path"
                                    % shown) from None
        except subprocess.TimeoutExpired:
            raise ResetCommandError("--reset-command %r did not finish within %.0f s"
                                    % (shown, self.timeout)) from None
        except OSError as exc:
            raise ResetCommandError("--reset-command %r could not run: %s" % (shown, exc)) from None
        said = " ".join((proc.stdout + " " + proc.stderr).split())[:200]
        if proc.returncode != 0:
            raise ResetCommandError("--reset-command %r failed (exit %d): %s"
                                    % (shown, proc.returncode, said or "no output"))
        return said
