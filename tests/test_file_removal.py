"""Windows: a file still held open (WinError 32) is removed once it is let go, not raised.

The sharing violation itself is Windows-only, so it is simulated where the real
removal happens (Path.unlink, os.remove, shutil.rmtree's os.unlink): the first tries
raise the PermissionError Windows raises, with winerror 32; then the real call runs.
Everything else is real: files on disk, our server, CPython's ftplib.
"""

from __future__ import annotations

import ftplib
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.servers.local import removal
from harness.servers.local.removal import FileStillHeld, remove_when_released
from harness.servers.local.server import FtpServer

pytestmark = pytest.mark.timeout(60)


def sharing_violation(path: object) -> PermissionError:
    err = PermissionError(13, "The process cannot access the file because it is being used "
                              "by another process", str(path))
    err.winerror = ERROR = removal.ERROR_SHARING_VIOLATION  # type: ignore[attr-defined]
    assert ERROR == 32
    return err


class HeldFor:
    """Wraps a real removal function: its first `times` calls on `name` find the file held."""

    def __init__(self, real: Callable[..., Any], name: str, times: int) -> None:
        self.real, self.name, self.left, self.calls = real, name, times, 0

    def __call__(self, path: Any, *args: Any, **kwargs: Any) -> Any:
        if os.path.basename(str(path)) == self.name:
            self.calls += 1
            if self.left:
                self.left -= 1
                raise sharing_violation(path)
        return self.real(path, *args, **kwargs)


def test_the_host_removes_a_file_once_it_is_let_go(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    server = FtpServer(tmp_path / "home")
    server.put("stalled.bin", b"x" * 1000)
    held = HeldFor(Path.unlink, "stalled.bin", times=3)
    monkeypatch.setattr(Path, "unlink", lambda self, *a, **k: held(self, *a, **k))
    server.remove("stalled.bin")
    assert held.calls == 4 and not server.path("stalled.bin").exists()


def test_a_folder_with_a_held_file_is_removed_once_it_is_let_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = FtpServer(tmp_path / "home")
    server.put("run/a/stalled.bin", b"x")
    server.put("run/other.bin", b"y")
    held = HeldFor(os.unlink, "stalled.bin", times=2)
    monkeypatch.setattr(os, "unlink", held)
    server.remove_dir("run")
    assert held.calls == 3 and not server.path("run").exists()


def test_a_file_held_past_the_deadline_is_one_line() -> None:
    now = [0.0]

    def never_let_go() -> None:
        raise sharing_violation("C:/ftp/home/stalled.bin")

    with pytest.raises(FileStillHeld) as caught:
        remove_when_released(never_let_go, "C:/ftp/home/stalled.bin", deadline=2.0,
                             clock=lambda: now[0],
                             pause=lambda s: now.__setitem__(0, now[0] + s))
    message = str(caught.value)
    assert message.startswith("C:/ftp/home/stalled.bin is still open in another handle "
                              "after 2 s (WinError 32)") and "\n" not in message
    assert now[0] >= 2.0


def test_other_permission_errors_are_raised_at_once() -> None:
    tries = []

    def denied() -> None:
        tries.append(1)
        raise PermissionError(13, "Access is denied", "C:/x")

    with pytest.raises(PermissionError):
        remove_when_released(denied, "C:/x", pause=lambda s: None)
    assert len(tries) == 1


def test_the_server_discards_a_held_partial_upload_without_blocking_its_loop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    held = HeldFor(os.remove, "big.bin", times=5)
    monkeypatch.setattr(os, "remove", held)
    with FtpServer(tmp_path / "home", auth_failed_delay=0) as server:
        server.set_quota(10_000)
        with ftplib.FTP() as ftp:
            ftp.connect("127.0.0.1", server.port, timeout=10)
            ftp.login(server.user, server.password)
            with pytest.raises(ftplib.error_perm, match="552"):
                try:
                    ftp.storbinary("STOR big.bin", io.BytesIO(b"x" * 50_000))
                except (ConnectionResetError, BrokenPipeError):
                    # the server dropped the data connection while we still sent (a race
                    # the load decides): its 552 is still to be read on the control one
                    ftp.getresp()
            deadline = time.monotonic() + 5  # five retries 50 ms apart fit well inside
            while server.path("big.bin").exists() and time.monotonic() < deadline:
                # the loop retries on its own, and answers this client meanwhile
                assert ftp.voidcmd("NOOP").startswith("200")
        # five refusals, then at least the removal that worked
        assert held.calls >= 6 and not server.path("big.bin").exists()
