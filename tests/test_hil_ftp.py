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
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.errors import DeviceDisconnected, DeviceRebooted, HarnessError, NotApplicable
from harness.scenario import FtpRun, digest_of
from harness.scenario.checksums import explain_text_damage, server_text_digest
from harness.servers.idle import open_sessions
from harness.servers.local.server import FtpServer
from harness.wire.results import StepResult
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

    def step_time(self, timeout: float) -> float:
        return timeout


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
    run.step = lambda name, **a: StepResult(True, name)  # type: ignore[method-assign]
    with pytest.raises(RuntimeError), run.disk_filled(1000):
        raise RuntimeError("the test failed inside")
    assert device.removed == [run.created.device_files[0]]


def test_a_usr_too_big_to_fill_in_a_step_is_not_applicable() -> None:
    # the fill step said so (it measured its speed); the scenario is skipped with its
    # figures, the filler removed, and the step was given a share of the step's time
    device = FakeDevice([])
    run = make_run(device)
    asked: dict[str, Any] = {}
    said = "/usr has 40000000000 bytes free: ... about 2000 s, more than the 90 s"

    def fill_step(name: str, **a: Any) -> StepResult:
        asked.update(a)
        return StepResult(False, name, {"too_slow": True, "error": said})

    run.step = fill_step  # type: ignore[method-assign]
    with pytest.raises(NotApplicable, match="about 2000 s.*--device-timeout 120 s"):
        with run.disk_filled(1000):
            raise AssertionError("never reached: the block does not run")
    assert asked["budget_s"] == 90 and asked["leave_free"] == 1000
    assert device.removed == [run.created.device_files[0]]


# -- the fill step on CPython: the speed it measures, the budget it keeps ------------


@pytest.fixture
def hil_alone() -> types.ModuleType:
    return load_module("hil_ftp_fill", ROOT / "device_scripts" / "hil_ftp.py")


def test_fill_within_its_budget_fills(hil_alone: types.ModuleType, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    disk = FakePartition(free=64 * 4096)
    monkeypatch.setattr(hil_alone, "free_space", disk.free_space)
    monkeypatch.setattr(hil_alone, "open", disk.open, raising=False)
    result = hil_alone.fill({"path": str(tmp_path / "f"), "leave_free": 4096, "budget_s": 60})
    assert result["ok"] and result["free"] == 4096 and result["bytes"] == 63 * 4096


def test_fill_that_would_overrun_its_budget_stops_and_removes_the_filler(
        hil_alone: types.ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 1 GB free, written at 4 KiB per simulated 10 ms: about 2.4e5 s, far over 5 s
    disk = FakePartition(free=10 ** 9)
    clock = [0]
    monkeypatch.setattr(hil_alone, "free_space", disk.free_space)
    monkeypatch.setattr(hil_alone, "open", disk.open, raising=False)
    monkeypatch.setattr(hil_alone, "ticks_ms", lambda: clock[0])
    monkeypatch.setattr(hil_alone, "elapsed_ms", lambda start: clock[0] - start)
    disk.on_write = lambda: clock.__setitem__(0, clock[0] + 10)
    path = tmp_path / "f"
    result = hil_alone.fill({"path": str(path), "leave_free": 4096, "budget_s": 5})
    assert not result["ok"] and result["too_slow"]
    assert result["rate"] == 409600 and result["budget_s"] == 5
    assert result["estimate_s"] == (10 ** 9 - 4096) // 409600
    assert "would take about %d s, more than the 5 s" % result["estimate_s"] in result["error"]
    assert disk.written <= 4096 * 26  # stopped once the probe had measured: 250 ms
    assert not path.exists()


class FakePartition:
    """A partition of `free` bytes for the fill step: statvfs and open on the host."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.written = 0
        self.on_write: Any = lambda: None

    def free_space(self, path: str) -> tuple[int, int]:
        return 4096, self.free - self.written

    def open(self, path: str, mode: str = "r") -> Any:
        part = self

        class Filler:
            def write(self, data: bytes) -> int:
                part.written += len(data)
                part.on_write()
                return len(data)

            def close(self) -> None:
                Path(path).write_bytes(b"")  # the filler exists until the step removes it

        return Filler()


# -- the module's network, lost and back -------------------------------------------


class FakeCellular:
    """net and checkNet as the firmware offers them, scripted: checkNet's answers in turn."""

    def __init__(self, answers: list[tuple[int, int]]) -> None:
        self.answers = answers
        self.levels: list[int] = []
        self.waits: list[int] = []

    def setModemFun(self, level: int) -> int:  # noqa: N802 (the firmware's name)
        self.levels.append(level)
        return 0

    def getModemFun(self) -> int:  # noqa: N802
        return self.levels[-1] if self.levels else 1

    def waitNetworkReady(self, timeout: int) -> tuple[int, int]:  # noqa: N802
        self.waits.append(timeout)
        return self.answers.pop(0)


def test_network_back_asks_checknet_again_while_the_sim_wakes(
        hil_alone: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    # checkNet answers at once while the SIM is not ready (its stage 1): asked again
    cellular = FakeCellular([(1, 18), (1, 18), (3, 1)])
    monkeypatch.setitem(sys.modules, "net", cellular)
    monkeypatch.setitem(sys.modules, "checkNet", cellular)
    monkeypatch.setattr(hil_alone, "sleep_ms", lambda ms: None)
    back = hil_alone.network_back(20)
    assert back["ok"] and back["checknet"] == [3, 1] and back["modem_fun"] == 0
    assert cellular.levels == [1] and len(cellular.waits) == 3
    assert all(1 <= t <= 20 for t in cellular.waits)


def test_network_back_that_never_comes_says_what_checknet_said(
        hil_alone: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    cellular = FakeCellular([(2, 2)])
    clock = [0]
    monkeypatch.setitem(sys.modules, "net", cellular)
    monkeypatch.setitem(sys.modules, "checkNet", cellular)
    monkeypatch.setattr(hil_alone, "ticks_ms", lambda: clock[0])
    monkeypatch.setattr(hil_alone, "elapsed_ms", lambda start: clock[0] - start)

    def wait(timeout: int) -> tuple[int, int]:
        clock[0] += timeout * 1000  # checkNet waits out its whole timeout
        return (2, 2)

    cellular.waitNetworkReady = wait  # type: ignore[method-assign]
    back = hil_alone.network_back(5)
    assert not back["ok"] and back["checknet"] == [2, 2]
    assert "did not come back within 5 s: checkNet says [2, 2]" in back["error"]


def test_the_net_step_restores_a_module_left_off_the_network(
        hil_alone: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    cellular = FakeCellular([(3, 1), (3, 1)])
    cellular.levels.append(0)  # a step left it at minimum functionality
    monkeypatch.setitem(sys.modules, "net", cellular)
    monkeypatch.setitem(sys.modules, "checkNet", cellular)
    result = hil_alone.net({"restore": True, "timeout": 10})
    assert result["ok"] and result["modem_fun"] == 0 and result["network_back"]["ok"]
    assert cellular.levels == [0, 1]


class StepDevice(FakeDevice):
    """A FakeDevice whose steps answer from a script (the `net` step of the clean-up)."""

    def __init__(self, net_ok: bool) -> None:
        super().__init__([])
        self.net_ok = net_ok
        self.steps: list[tuple[str, dict[str, Any]]] = []

    def run_step(self, module: str, step: str, args: dict[str, Any],
                 timeout: float = 60.0) -> StepResult:
        self.steps.append((step, args))
        data = {} if self.net_ok else {"error": "checkNet says [2, 2]"}
        return StepResult(self.net_ok, step, data)


@pytest.mark.parametrize("net_ok", [True, False])
def test_cleanup_brings_the_network_back_after_a_cut(net_ok: bool) -> None:
    device = StepDevice(net_ok)
    run = make_run(device)
    fields = run.lose_network_after(4096)
    assert fields == {"drop_network_after": 4096, "reattach_timeout": 60}
    path = run.device_path("x.bin")
    if net_ok:
        run.cleanup()
    else:
        with pytest.raises(HarnessError, match="off the network .*checkNet says"):
            run.cleanup()
    assert device.steps == [("net", {"restore": True, "timeout": 60})]
    assert device.removed == [path]  # removed either way


def test_cleanup_leaves_the_network_alone_when_no_step_cut_it() -> None:
    device = StepDevice(True)
    make_run(device).cleanup()
    assert device.steps == []
