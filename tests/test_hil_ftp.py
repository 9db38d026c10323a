"""device_scripts/hil_ftp.py on CPython, against our FTP server, with each of the
three ftplibs a module may have: CPython's, ours (device_scripts/ftplib.py) and
a Quectel-style one (tests/quectel_ftplib_like.py: one Error class, and a
stalled download returned short with a made-up 226). Plus the host side's
clean-up (harness/scenario/run.py) with a module that reboots or goes away.
"""

from __future__ import annotations

import ftplib as cpython_ftplib
import hashlib
import json
import random
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.errors import DeviceDisconnected, DeviceRebooted, HarnessError
from harness.scenario import FtpRun, digest_of
from harness.scenario.checksums import explain_text_damage, server_text_digest
from harness.servers.idle import open_sessions
from harness.servers.local.server import FtpServer
from tests.support import load_module

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 5.0
SHORT = 0.5  # the FTP timeout where a transfer is stalled on purpose


LIBS = {
    "cpython": cpython_ftplib,
    "bundled": load_module("hil_test_bundled_ftplib", ROOT / "device_scripts" / "ftplib.py"),
    "quectel": load_module("hil_test_quectel_ftplib", ROOT / "tests" / "quectel_ftplib_like.py"),
}


@pytest.fixture(params=sorted(LIBS))
def lib(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def hil(lib: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """hil_ftp, importing the chosen ftplib (never touching this process's sys.path)."""
    module = load_module("hil_ftp_under_test_%s" % lib, ROOT / "device_scripts" / "hil_ftp.py")
    monkeypatch.setattr(module, "load_ftplib", lambda kind: LIBS[lib])
    return module


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FtpServer]:
    with FtpServer(tmp_path / "home", auth_failed_delay=0.05) as srv:
        yield srv


def args(server: FtpServer, **more: Any) -> dict[str, Any]:
    found = {"host": server.host, "port": server.port, "user": server.user,
             "password": server.password, "timeout": TIMEOUT}
    found.update(more)
    return found


def payload(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def codes(result: dict[str, Any]) -> list[Any]:
    return [op.get("code") for op in result["ops"]]


# -- every command, with every ftplib ------------------------------------------


def test_session_runs_every_command(hil: types.ModuleType, server: FtpServer,
                                    tmp_path: Path) -> None:
    data = payload(3000)
    local = tmp_path / "f.bin"
    local.write_bytes(data)
    back = tmp_path / "back.bin"
    ops = [{"op": "pwd"}, {"op": "mkd", "arg": "d"}, {"op": "cwd", "arg": "d"},
           {"op": "stor", "local": str(local), "remote": "f.bin", "verify_hash": True},
           {"op": "type", "arg": "I"}, {"op": "size", "arg": "f.bin"},
           {"op": "hash", "arg": "f.bin"},
           {"op": "retr", "remote": "f.bin", "local": str(back)},
           {"op": "nlst"}, {"op": "list"}, {"op": "rename", "from": "f.bin", "to": "g.bin"},
           {"op": "dele", "arg": "g.bin"}, {"op": "cwd", "arg": ".."}, {"op": "rmd", "arg": "d"},
           {"op": "syst"}, {"op": "noop"}, {"op": "quit"}]
    result = hil.session(args(server, ops=ops))
    assert result["ok"], json.dumps(result, indent=1)
    assert codes(result) == [257, 257, 250, 226, 200, 213, 213, 226, 226, 226, 250, 250, 250,
                             250, 215, 200, 221]
    by_op = {op["op"]: op for op in result["ops"]}
    sha = digest_of(data).sha256
    assert by_op["stor"]["hash_match"] is True and by_op["hash"]["sha256"] == sha
    assert by_op["size"]["size"] == 3000 and by_op["retr"]["file_sha256"] == sha
    assert by_op["nlst"]["lines"] == ["f.bin"] and by_op["rename"]["rnfr_code"] == 350
    assert by_op["mkd"]["path"] == "/d"
    assert not (server.root / "d").exists(), "RMD answered 250 but the folder stays"


def test_steps_upload_and_download_intact(hil: types.ModuleType, server: FtpServer,
                                          tmp_path: Path) -> None:
    data = payload(70_000)
    local = tmp_path / "up.bin"
    local.write_bytes(data)
    up = hil.upload(args(server, op=dict(local=str(local), remote="up.bin")))
    assert up["ok"] and up["code"] == 226 and up["sha256"] == digest_of(data).sha256, up
    assert server.digest("up.bin") == digest_of(data)
    down = hil.download(args(server, op=dict(local=str(tmp_path / "down.bin"),
                                             remote="up.bin")))
    assert down["ok"] and down["file_sha256"] == digest_of(data).sha256, down
    assert down["size_checked"] and down["expected_bytes"] == len(data)


def test_530_then_a_good_login(hil: types.ModuleType, server: FtpServer) -> None:
    result = hil.session(args(server, login=False, ops=[
        {"op": "login", "password": "wrong"}, {"op": "login"}, {"op": "noop"}]))
    assert codes(result) == [530, 230, 200], result


def test_missing_paths_are_550(hil: types.ModuleType, server: FtpServer,
                               tmp_path: Path) -> None:
    local = tmp_path / "never.bin"
    result = hil.session(args(server, ops=[
        {"op": "retr", "remote": "nope.bin", "local": str(local)}, {"op": "dele", "arg": "nope"},
        {"op": "type", "arg": "I"}, {"op": "size", "arg": "nope"}, {"op": "cwd", "arg": "nope"},
        {"op": "rmd", "arg": "nope"}, {"op": "noop"}]))
    assert codes(result) == [550, 550, 200, 550, 550, 550, 200], result
    assert not local.exists(), "a failed RETR left a file behind"


def test_421_at_connect(hil: types.ModuleType, server: FtpServer) -> None:
    server.inject_fault("reply_421")
    result = hil.session(args(server, ops=[{"op": "noop"}]))
    assert not result["ok"] and result["code"] == 421 and result["ran"] == 0, result


def test_one_connection_too_many(hil: types.ModuleType, server: FtpServer) -> None:
    server.inject_fault("max_connections", limit=1)
    result = hil.session(args(server, ops=[{"op": "connect"}, {"op": "noop"}]))
    assert codes(result) == [421, 200], result


# -- no success with a short or damaged file, whatever the ftplib says --------------


def test_stalled_download_is_never_a_success(hil: types.ModuleType, lib: str,
                                             server: FtpServer, tmp_path: Path) -> None:
    server.put("big.bin", payload(50_000))
    server.inject_fault("stall", after_bytes=10_000, on="retr")
    local = tmp_path / "big.bin"
    result = hil.download(args(server, op=dict(local=str(local), remote="big.bin"),
                               timeout=SHORT))
    assert not result["ok"], result
    if lib == "quectel":  # it returned the first 10 000 bytes with a made-up 226
        assert result["code"] == 226 and "short download: got 10000 of 50000" in result["error"]
    else:
        assert "timed out" in result["error"] or result.get("errno") == 110, result
    assert not local.exists() and result["local_exists"] is False


def test_dropped_download_is_never_a_success(hil: types.ModuleType, server: FtpServer,
                                             tmp_path: Path) -> None:
    server.put("big.bin", payload(50_000))
    server.inject_fault("drop_data", after_bytes=20_000, on="retr")
    result = hil.download(args(server, op=dict(local=str(tmp_path / "b.bin"),
                                               remote="big.bin")))
    assert not result["ok"], result
    assert result.get("code") == 426 or "short download" in result["error"], result


def test_download_cut_by_the_server_is_short_even_with_226(hil: types.ModuleType,
                                                           server: FtpServer,
                                                           tmp_path: Path) -> None:
    server.put("cut.bin", payload(5000))
    server.inject_fault("corrupt", mode="truncate", on="served")
    result = hil.download(args(server, op=dict(local=str(tmp_path / "cut.bin"),
                                               remote="cut.bin")))
    assert result["code"] == 226 and not result["ok"], result
    assert "short download: got 4999 of 5000 bytes" in result["error"]


def test_upload_to_a_full_disk_reports_452(hil: types.ModuleType, server: FtpServer,
                                           tmp_path: Path) -> None:
    local = tmp_path / "up.bin"
    local.write_bytes(payload(200_000))
    server.set_disk_free(50_000)
    result = hil.upload(args(server, op=dict(local=str(local), remote="full.bin")))
    assert not result["ok"] and result["code"] == 452, result
    assert server.digest("full.bin") is None


def test_text_round_trip_and_the_app_note_sample(hil: types.ModuleType, lib: str,
                                                 server: FtpServer, tmp_path: Path) -> None:
    text = b"".join(b"line %d\r\n" % n for n in range(10))
    local = tmp_path / "t.txt"
    local.write_bytes(text)
    lf = text.replace(b"\r\n", b"\n")
    ops = [{"op": "retrlines", "remote": "t.txt", "local": str(tmp_path / "lf.txt")},
           {"op": "retrlines", "remote": "t.txt", "local": str(tmp_path / "w.txt"),
            "callback": "write", "label": "sample"}]
    if lib != "quectel":
        ops.insert(0, {"op": "storlines", "local": str(local), "remote": "t.txt"})
    else:
        server.put("t.txt", text)
    result = hil.session(args(server, ops=ops))
    assert result["ok"], result
    assert (tmp_path / "lf.txt").read_bytes() == lf
    assert (tmp_path / "w.txt").read_bytes() == lf.replace(b"\n", b"")  # what the sample does
    if lib != "quectel":
        assert server.digest("t.txt") in (digest_of(lf), digest_of(text))


def test_an_ftplib_without_storlines_is_a_clear_error(server: FtpServer, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    hil = load_module("hil_ftp_no_storlines", ROOT / "device_scripts" / "hil_ftp.py")
    monkeypatch.setattr(hil, "load_ftplib", lambda kind: LIBS["quectel"])
    local = tmp_path / "t.txt"
    local.write_bytes(b"a\n")
    result = hil.session(args(server, ops=[
        {"op": "storlines", "local": str(local), "remote": "t.txt"}, {"op": "noop"}]))
    assert not result["ok"] and result["ran"] == 1, result  # stopped: nothing to go on with
    assert "no storlines()" in result["ops"][0]["error"]


# -- the result line and the small helpers -------------------------------------------


def test_run_prints_exactly_one_result_line(capsys: pytest.CaptureFixture[str]) -> None:
    hil = load_module("hil_ftp_run_line", ROOT / "device_scripts" / "hil_ftp.py")
    hil.run("no-such-step", {})
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("HIL-RESULT ")
    result = json.loads(lines[0][len("HIL-RESULT "):])
    assert result["ok"] is False and result["step"] == "no-such-step" and result["error"]


def test_an_unknown_operation_names_the_known_ones(server: FtpServer) -> None:
    hil = load_module("hil_ftp_unknown_op", ROOT / "device_scripts" / "hil_ftp.py")
    result = hil.session(args(server, ftplib="firmware", ops=[{"op": "frobnicate"}]))
    assert not result["ok"] and "known:" in result["ops"][0]["error"]


def test_a_bare_errno_is_never_taken_for_a_reply_code() -> None:
    hil = load_module("hil_ftp_errno", ROOT / "device_scripts" / "hil_ftp.py")
    result = hil.failure({}, OSError(104))  # MicroPython: str(OSError(104)) may be "104"
    assert result["errno"] == 104 and "code" not in result


def test_a_reply_the_ftplib_already_read_is_found_in_lastresp() -> None:
    hil = load_module("hil_ftp_lastresp", ROOT / "device_scripts" / "hil_ftp.py")
    ftp = types.SimpleNamespace(lastresp="452")
    result = hil.failure({}, OSError(104), ftp, read_reply=True)
    assert result["code"] == 452


@pytest.mark.parametrize("split", [1023, 1024, 1025])
def test_text_sha256_is_the_lf_form_across_block_edges(tmp_path: Path, split: int) -> None:
    hil = load_module("hil_ftp_text_sha", ROOT / "device_scripts" / "hil_ftp.py")
    text = b"a" * (split - 1) + b"\r\n" + b"b\r\nlone\rcr\r\n"
    path = tmp_path / "t.txt"
    path.write_bytes(text)
    lf = text.replace(b"\r\n", b"\n")
    assert hil.text_sha256(str(path)) == (hashlib.sha256(lf).hexdigest(), len(lf))


def test_server_text_digest_and_the_sample_diagnosis() -> None:
    lf = b"one\ntwo\n"
    assert server_text_digest(lf, digest_of(b"one\r\ntwo\r\n")) == (digest_of(lf), "CRLF")
    assert server_text_digest(lf, digest_of(lf)) == (digest_of(lf), "LF")
    assert server_text_digest(lf, digest_of(b"x")) == (digest_of(b"x"), None)
    assert explain_text_damage(lf, digest_of(b"onetwo")) == \
        "retrlines callback fp.write drops newlines: 2 lines, 8 -> 6 bytes"
    assert explain_text_damage(lf, digest_of(lf)) is None


def test_open_sessions_from_a_transcript() -> None:
    text = ("12:00:00.000 #1 -- connected from 127.0.0.1:5\n"
            "12:00:00.001 #2 -- connected from 127.0.0.1:6\n"
            "12:00:00.002 #1 -- disconnected\n")
    assert open_sessions(text) == {2}


# -- host-side clean-up with a module that reboots or goes away ----------------------


class FakeDevice:
    """Just enough of harness.wire.device.Device for FtpRun's clean-up."""

    def __init__(self, failures: list[type[HarnessError]], comes_back: bool = True) -> None:
        self.failures = failures  # raised by remove_all(), one per call, before it works
        self.comes_back = comes_back
        self.lost: str | None = None
        self.removed: list[str] = []
        self.reconnects = 0

    def remove_all(self, paths: list[str]) -> list[bool]:
        if self.lost:
            raise DeviceDisconnected(self.lost)
        if self.failures:
            error = self.failures.pop(0)
            if error is DeviceDisconnected:
                self.lost = "the port went away"
            raise error("failed on purpose")
        self.removed += paths
        return [True] * len(paths)

    def reconnect(self, timeout: float) -> None:
        self.reconnects += 1
        if not self.comes_back:
            raise DeviceDisconnected("did not come back within %.0f s" % timeout)
        self.lost = None

    def makedirs(self, path: str) -> None:
        pass


class FakeServer:
    mode, host, port, user, password = "ftp", "h", 21, "u", "p"

    def __init__(self) -> None:
        self.removed: list[str] = []

    def remove(self, name: str) -> None:
        self.removed.append(name)


def make_run(device: FakeDevice) -> FtpRun:
    return FtpRun(device, FakeServer(), "test_x", reconnect_timeout=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("error", [DeviceDisconnected, DeviceRebooted])
def test_cleanup_survives_a_reboot_or_a_replug(error: type[HarnessError]) -> None:
    device = FakeDevice([error])
    run = make_run(device)
    path = run.device_path("filler.bin")
    run.cleanup()
    assert device.removed == [path]
    assert device.reconnects == (1 if error is DeviceDisconnected else 0)


def test_cleanup_names_what_it_could_not_remove() -> None:
    device = FakeDevice([DeviceDisconnected], comes_back=False)
    run = make_run(device)
    path = run.device_path("filler.bin")
    with pytest.raises(HarnessError, match="could not remove %s" % path):
        run.cleanup()


def test_disk_filled_removes_the_filler_when_the_block_fails() -> None:
    device = FakeDevice([])
    run = make_run(device)
    run.step = lambda name, **a: None  # type: ignore[method-assign]
    with pytest.raises(RuntimeError), run.disk_filled(1000):
        raise RuntimeError("the test failed inside")
    assert device.removed == [run.created.device_files[0]]
