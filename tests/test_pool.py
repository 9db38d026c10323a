"""The module pool (harness/bench/): options, devices files, locks, health, claims."""

from __future__ import annotations

import codecs
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.bench.claim import claim_module
from harness.bench.devices_file import load_devices_file
from harness.bench.health import Health, check_module, fit_specs
from harness.bench.held import NoModule, take_module
from harness.bench.locks import ModuleBusy, ModuleLock, lock_name
from harness.bench.pool import auto_worker_count, pool_from_options
from harness.bench.selection import Selection, unmet_requirements
from harness.bench.spec import ModuleSpec, PoolConfigError, split_values
from harness.emulator import ModuleConfig
from harness.ports.key import port_key
from harness.wire.device import Device, ModuleInfo

ROOT = Path(__file__).resolve().parents[1]


def fast_open(port: str) -> Device:
    return Device.open(port, prompt_timeout=1.0)


def info(model: str = "EC600U", firmware: str = "EC600UCNLBR03A01M08_OCPU_QPY",
         free: int = 100_000, total: int = 200_000) -> ModuleInfo:
    return ModuleInfo(port="COM5", model=model, firmware=firmware, imei="866123045678901",
                      micropython="1.13.0", usr_free=free, usr_total=total)


# -- options and devices files ---------------------------------------------


def test_device_values_are_comma_separated_or_repeated() -> None:
    assert split_values(["COM5,COM6", " /dev/ttyUSB0 ", "", ","]) == \
        ["COM5", "COM6", "/dev/ttyUSB0"]
    specs = pool_from_options(["COM5,COM6", "rfc2217://10.0.0.7:4001"], None)
    assert [(s.name, s.port) for s in specs] == [
        ("COM5", "COM5"), ("COM6", "COM6"), ("rfc2217://10.0.0.7:4001", "rfc2217://10.0.0.7:4001")]
    assert not any(s.emulated for s in specs)


def test_no_device_means_the_virtual_module() -> None:
    for values in (None, [], ["emulated"]):
        (spec,) = pool_from_options(values, None)
        assert spec.emulated


def test_virtual_and_real_modules_do_not_mix() -> None:
    with pytest.raises(PoolConfigError, match="cannot be mixed.*COM5"):
        pool_from_options(["emulated,COM5"], None)


def test_one_port_listed_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PoolConfigError, match="same port"):
        pool_from_options(["COM5", "com5"], None)
    with pytest.raises(PoolConfigError, match="same port"):
        pool_from_options(["COM5", "\\\\.\\COM5"], None)
    with pytest.raises(PoolConfigError, match="same port"):
        pool_from_options(["rfc2217://Lab-B:4001?ign_set_control", "rfc2217://lab-b:4001/"],
                          None)


DEVICES_INI = """\
# two benches
[lab-a-ec600u]
port = COM5            ; the REPL port
model = EC600U
labels = lab-a, usb-hub-1

[lab-b-eg912u]
port = rfc2217://10.1.2.3:4001?ign_set_control
labels = lab-b
"""


def test_devices_file(tmp_path: Path) -> None:
    path = tmp_path / "benches.ini"
    path.write_text(DEVICES_INI)
    a, b = pool_from_options(["COM9"], [path])[1:]
    assert a == ModuleSpec("lab-a-ec600u", "COM5", "EC600U", ("lab-a", "usb-hub-1"))
    assert b == ModuleSpec("lab-b-eg912u", "rfc2217://10.1.2.3:4001?ign_set_control", "",
                           ("lab-b",))
    assert a.describe() == "lab-a-ec600u (COM5, EC600U)"
    assert ModuleSpec.from_dict(b.as_dict()) == b


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom",
                                      "utf-16-be-bom"])
def test_devices_file_as_windows_tools_save_it(tmp_path: Path, encoding: str) -> None:
    """Notepad (UTF-8, with a BOM in old versions), PowerShell 5.1 `>` / Out-File (UTF-16 LE
    with a BOM), other tools UTF-16 BE with a BOM; CRLF line ends as Windows writes them."""
    text = DEVICES_INI.replace("\n", "\r\n").replace("lab-b\r\n", "lab-b \u00e9t\u00e9\r\n")
    boms = {"utf-16-le-bom": (codecs.BOM_UTF16_LE, "utf-16-le"),
            "utf-16-be-bom": (codecs.BOM_UTF16_BE, "utf-16-be")}
    bom, codec = boms.get(encoding, (b"", encoding))
    path = tmp_path / "benches.ini"
    path.write_bytes(bom + text.encode(codec))
    a, b = load_devices_file(path)
    assert a == ModuleSpec("lab-a-ec600u", "COM5", "EC600U", ("lab-a", "usb-hub-1"))
    assert b.labels == ("lab-b \u00e9t\u00e9",)


@pytest.mark.parametrize("text, message", [
    ("[a]\nmodel = EC600U\n", r"benches.ini, line 1, \[a\]: no port \(add e.g. port = COM5\)"),
    ("[a]\nport = COM5\nprot = COM5\n", r"benches.ini, line 3, \[a\]: unknown key prot; the keys"),
    ("# nothing yet\n", "lists no module"),
    ("\nport = COM5\n", r"benches.ini, line 2: 'port = COM5' comes before any \[module-name\]"),
    ("[a]\nport = COM5\njust words\n", r"benches.ini, line 3: just words is not `key = value`"),
    ("[a]\nport = COM5\n[a]\nport = COM6\n", r"benches.ini, line 3: .*'a'.*; list it once"),
    ("[a]\nport = COM5\nport = COM6\n", r"benches.ini, line 3: .*'port'.*; list it once"),
])
def test_devices_file_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "benches.ini"
    path.write_text(text)
    with pytest.raises(PoolConfigError, match=message) as caught:
        load_devices_file(path)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("raw, line", [
    (b"[a]\nport = COM5\nlabels = caf\xe9\n", 3),  # Latin-1 (Notepad's "ANSI")
    (codecs.BOM_UTF16_LE + "[a]\nport = COM5\n".encode("utf-16-le") + b"\x00", 3),  # cut short
])
def test_a_devices_file_that_is_not_text_says_where(tmp_path: Path, raw: bytes,
                                                     line: int) -> None:
    path = tmp_path / "benches.ini"
    path.write_bytes(raw)
    with pytest.raises(PoolConfigError) as caught:
        load_devices_file(path)
    message = str(caught.value)
    assert "benches.ini, line %d: byte 0x" % line in message and "save it as UTF-8" in message


def test_missing_devices_file(tmp_path: Path) -> None:
    with pytest.raises(PoolConfigError, match="cannot read devices file .*nope.ini"):
        load_devices_file(tmp_path / "nope.ini")


# -- selection and requirements --------------------------------------------


def test_labels_comma_means_any_repeat_means_all() -> None:
    lab_a = ModuleSpec("bench-a", "COM5", "EC600U", ("lab-a",))
    lab_b = ModuleSpec("bench-b", "COM6", "EG912U", ("lab-b",))
    either = Selection.from_options(["lab-a,lab-b"], None)
    both = Selection.from_options(["lab-a", "EG912U"], None)
    assert either.reject_reason(lab_a, None, None) is None
    assert either.reject_reason(lab_b, None, None) is None
    assert "not selected" in both.reject_reason(lab_a, None, None)
    assert "not selected" in both.reject_reason(lab_b, None, None)
    by_name = Selection.from_options(["bench-b"], None)
    assert by_name.reject_reason(lab_b, None, None) is None


def test_a_model_label_waits_for_a_module_of_unknown_model() -> None:
    bare = ModuleSpec("COM5", "COM5")
    wanted = Selection.from_options(["EC600U"], None)
    assert wanted.reject_reason(bare, None, None) is None  # cannot tell before asking it
    assert wanted.reject_reason(bare, "EC600UCNLB", "fw") is None  # variants share a prefix
    assert "not selected" in wanted.reject_reason(bare, "EG912U", "fw")


def test_firmware_filter_and_the_devices_file_model_are_checked() -> None:
    spec = ModuleSpec("bench-a", "COM5", "EC600U")
    selection = Selection.from_options(None, r"^EC600U.*A01M08")
    assert selection.reject_reason(spec, "EC600U", "EC600UCNLBR03A01M08_OCPU_QPY") is None
    assert "does not match --device-firmware" in selection.reject_reason(
        spec, "EC600U", "EC600UCNLBR03A02M08_OCPU_QPY")
    assert "devices file says EC600U but the module reports EG912U" in \
        selection.reject_reason(spec, "EG912U", "x")
    with pytest.raises(PoolConfigError, match="not a regular expression"):
        Selection.from_options(None, "(")


def test_requirements_name_what_is_missing() -> None:
    spec = ModuleSpec("bench-a", "COM5", "EC600U", ("lab-a",))
    assert unmet_requirements({"model": "EC600U", "usr_free": 4096, "label": "lab-a"},
                              spec, info()) == []
    assert unmet_requirements({"model": ["BG95", "EG912U"]}, spec, info()) == \
        ["model BG95 or EG912U (this is EC600U)"]
    assert unmet_requirements({"usr_free": 1024 * 1024, "usr_total": 1}, spec, info()) == \
        ["usr_free >= 1048576 bytes (it has 100000)"]
    assert unmet_requirements({"firmware": "A02M08", "label": "lab-b"}, spec, info()) == [
        "label lab-b (it has lab-a)",
        "firmware matching A02M08 (it runs EC600UCNLBR03A01M08_OCPU_QPY)"]
    with pytest.raises(PoolConfigError, match="unknown requirement usr_fre"):
        unmet_requirements({"usr_fre": 1}, spec, info())


def test_auto_worker_count() -> None:
    emulated = pool_from_options(None, None)
    assert auto_worker_count(emulated, 2) == 4
    assert auto_worker_count(emulated, 8) == 8
    assert auto_worker_count(emulated, 1) == 2
    assert auto_worker_count(emulated, None) == 2
    assert auto_worker_count(pool_from_options(["COM5,COM6,COM7"], None), 2) == 3


# -- locks -------------------------------------------------------------------


@pytest.fixture
def by_id_link() -> Iterator[tuple[str, str]]:
    """A link under /dev to a real pseudo-terminal, as udev's /dev/serial/by-id/ links are."""
    if os.name != "posix" or not os.access("/dev", os.W_OK):
        pytest.skip("needs a writable /dev (root on Linux) for a by-id-like link")
    master, slave = os.openpty()
    folder = tempfile.mkdtemp(prefix="qpy-hil-by-id-", dir="/dev")
    link = os.path.join(folder, "usb-Quectel_EC600U-if04-port0")
    os.symlink(os.ttyname(slave), link)
    try:
        yield link, os.ttyname(slave)
    finally:
        os.unlink(link)
        os.rmdir(folder)
        os.close(master)
        os.close(slave)


def test_a_by_id_link_and_its_tty_are_one_port(by_id_link: tuple[str, str]) -> None:
    link, tty = by_id_link
    assert port_key(link) == tty
    with pytest.raises(PoolConfigError, match="same port"):
        pool_from_options([tty, link], None)


def test_the_key_does_not_depend_on_the_current_folder(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "COM5").write_text("not a port")
    (tmp_path / "link").symlink_to(tmp_path / "COM5")
    assert port_key("COM5") == port_key("com5") == "COM5"
    assert lock_name("COM5") == "com5.lock"
    assert port_key("link") == "link"  # only links under /dev are resolved
    target = tmp_path / "ttyUSB6"
    target.touch()
    (tmp_path / "by-id").symlink_to(target)
    assert len(pool_from_options([str(target), str(tmp_path / "by-id")], None)) == 2


@pytest.mark.parametrize("given, key", [
    ("COM5", "COM5"), ("com12", "COM12"), ("\\\\.\\com10", "COM10"), ("\\\\?\\COM3", "COM3"),
    ("rfc2217://Lab-B.Example.NET:4001/?ign_set_control", "rfc2217://lab-b.example.net:4001"),
    ("RFC2217://lab-b:23", "rfc2217://lab-b"),
    ("socket://127.0.0.1:7000", "socket://127.0.0.1:7000"),
    ("rfc2217://[FE80::1]:4001", "rfc2217://[fe80::1]:4001"),
    ("/dev/ttyUSB99-not-there", "/dev/ttyUSB99-not-there"),
    ("emulated", "emulated"),
])
def test_port_keys(given: str, key: str) -> None:
    assert port_key(given) == key


def test_lock_names_fold_what_is_one_port() -> None:
    assert lock_name("COM5") == lock_name("com5") == lock_name("\\\\.\\COM5")
    assert lock_name("rfc2217://lab-b:4001?ign_set_control") == lock_name("rfc2217://lab-b:4001")
    assert lock_name("rfc2217://lab-b:4001") != lock_name("rfc2217://lab-b:4002")
    assert lock_name("/dev/ttyUSB6") != lock_name("/dev/ttyUSB7")


def test_a_lock_has_one_holder_at_a_time(tmp_path: Path) -> None:
    first, second = ModuleLock("COM5", tmp_path), ModuleLock("COM5", tmp_path)
    first.acquire()
    with pytest.raises(ModuleBusy, match="COM5 is in use by another pytest worker or run"):
        second.acquire()
    assert not second.held
    first.release()
    second.acquire()
    assert second.held
    second.release()


HOLD_LOCK = """
import sys
from pathlib import Path
from harness.bench.locks import ModuleLock
lock = ModuleLock(sys.argv[1], Path(sys.argv[2]))  # kept: a collected lock lets go
lock.acquire()
print("held", flush=True)
sys.stdin.read()  # hold it until killed
"""


def test_a_lock_held_by_another_process_and_freed_when_it_dies(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, "COM5", str(tmp_path)],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert _read_line(holder, timeout=20) == "held"
        with pytest.raises(ModuleBusy):
            ModuleLock("COM5", tmp_path).acquire()
    finally:
        holder.kill()  # a crash: no release, the OS drops the lock
        holder.wait(timeout=10)
        holder.stdin.close()
        holder.stdout.close()
    lock = ModuleLock("COM5", tmp_path)
    lock.acquire()
    lock.release()


@pytest.mark.parametrize("held, wanted", [("\\\\.\\COM5", "com5"), ("COM7", "\\\\.\\com7")])
def test_another_process_holding_the_same_port_by_another_name_is_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: str, wanted: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / wanted).write_text("a file named like the port: not the port")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, held, str(tmp_path / "locks")],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert _read_line(holder, timeout=20) == "held"
        with pytest.raises(ModuleBusy) as caught:
            ModuleLock(wanted, tmp_path / "locks").acquire()
    finally:
        holder.kill()
        holder.wait(timeout=10)
        holder.stdin.close()
        holder.stdout.close()
    message = str(caught.value)
    key = port_key(wanted)
    assert "%s (%s) is in use" % (wanted, key) in message
    assert "pid %d (python" % holder.pid in message and "on host %s" % socket.gethostname() \
        in message and ", since 20" in message and "holding %s" % key in message, message
    assert "\n" not in message


def test_a_by_id_link_held_by_another_process_is_its_tty(
        tmp_path: Path, by_id_link: tuple[str, str]) -> None:
    link, tty = by_id_link
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, link, str(tmp_path)],
                              cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert _read_line(holder, timeout=20) == "held"
        with pytest.raises(ModuleBusy, match="holding %s" % tty):
            ModuleLock(tty, tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait(timeout=10)
        holder.stdin.close()
        holder.stdout.close()


def test_a_released_lock_leaves_no_owner_note(tmp_path: Path) -> None:
    lock = ModuleLock("COM5", tmp_path)
    lock.acquire()
    assert (tmp_path / "com5.lock.owner").read_text().startswith("pid %d" % os.getpid())
    lock.release()
    assert not (tmp_path / "com5.lock.owner").exists()


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return line[0].strip() if line else "(nothing within %.0f s)" % timeout


@pytest.mark.skipif(os.name != "posix", reason="pyserial's exclusive lock is POSIX only")
def test_local_port_is_held_exclusively_against_other_tools(tmp_path: Path) -> None:
    master, slave = os.openpty()
    port = os.ttyname(slave)
    ours = ModuleLock(port, tmp_path / "ours")
    # another harness with its own lock folder: only the port's flock stops it
    theirs = ModuleLock(port, tmp_path / "theirs")
    try:
        ours.acquire()
        with pytest.raises(ModuleBusy, match="held exclusively by another program"):
            theirs.acquire()
        assert not theirs.held  # its lock file was given back too
        ours.release()
        theirs.acquire()
        theirs.release()
    finally:
        ours.release()
        os.close(master)
        os.close(slave)


# -- health and claims, against virtual modules ----------------------------


def test_health_check(start_module, tmp_path: Path) -> None:
    good = start_module(model="EG912U", firmware="EG912UGLAAR01A03M08")
    refusing = start_module(repl_refuse=True)
    anything = Selection()
    health = check_module(ModuleSpec("b", good.port), fast_open, anything, tmp_path)
    assert health.ok and health.info.model == "EG912U"
    bad = check_module(ModuleSpec("bad", refusing.port), fast_open, anything, tmp_path)
    assert not bad.ok and "REPL refuse" in bad.problem
    assert bad.event().startswith("bad (%s, model unknown) left the pool: " % refusing.port)
    old_fw = check_module(ModuleSpec("b", good.port), fast_open,
                          Selection.from_options(None, "A04M08$"), tmp_path)
    assert "firmware EG912UGLAAR01A03M08 does not match --device-firmware=A04M08$" \
        in old_fw.problem
    lock = ModuleLock(good.port, tmp_path)
    lock.acquire()
    try:
        busy = check_module(ModuleSpec("b", good.port), fast_open, anything, tmp_path)
    finally:
        lock.release()
    assert busy.busy and "in use" in busy.problem


def test_claim_skips_busy_and_unfit_modules(start_module, tmp_path: Path) -> None:
    refusing, taken, free = (start_module(repl_refuse=True), start_module(), start_module())
    specs = [ModuleSpec("refusing", refusing.port), ModuleSpec("taken", taken.port),
             ModuleSpec("free", free.port)]
    other = ModuleLock(taken.port, tmp_path)
    other.acquire()
    try:
        claim, problems = claim_module(specs, fast_open, Selection(), lock_dir=tmp_path)
        assert claim is not None and claim.spec.name == "free"
        assert claim.device.eval_json("1 + 1") == 2
        assert [h.spec.name for h in problems] == ["refusing"]
        again, problems = claim_module(specs, fast_open, Selection(), lock_dir=tmp_path)
        assert again is None
        assert sorted((h.spec.name, h.busy) for h in problems) == [
            ("free", True), ("refusing", False), ("taken", True)]
        claim.release()
    finally:
        other.release()


def test_claim_starts_where_the_worker_index_says(start_module, tmp_path: Path) -> None:
    specs = [ModuleSpec(str(i), start_module().port) for i in range(2)]
    claims = [claim_module(specs, fast_open, Selection(), start=i, lock_dir=tmp_path)[0]
              for i in (1, 2)]
    assert [c.spec.name for c in claims] == ["1", "0"]
    for claim in claims:
        claim.release()


def test_claim_waits_for_a_module_another_run_releases(start_module, tmp_path: Path) -> None:
    spec = ModuleSpec("a", start_module().port)
    other = ModuleLock(spec.port, tmp_path)
    other.acquire()
    releaser = threading.Timer(0.5, other.release)
    releaser.start()
    started = time.monotonic()
    claim, _problems = claim_module([spec], fast_open, Selection(), wait=10, lock_dir=tmp_path)
    releaser.join()
    assert claim is not None, "the module was released after 0.5 s but not claimed"
    assert time.monotonic() - started < 10
    claim.release()


def test_claim_gives_up_when_its_wait_is_over(start_module, tmp_path: Path) -> None:
    spec = ModuleSpec("a", start_module().port)
    other = ModuleLock(spec.port, tmp_path)
    other.acquire()
    try:
        started = time.monotonic()
        claim, problems = claim_module([spec], fast_open, Selection(), wait=0.6,
                                       lock_dir=tmp_path)
        took = time.monotonic() - started
    finally:
        other.release()
    assert claim is None and problems[0].busy
    assert 0.6 <= took < 3


def test_fit_specs_keep_the_model_each_module_reported() -> None:
    named, unnamed, gone = (ModuleSpec("a", "COM5", "EC600U"), ModuleSpec("b", "COM6"),
                            ModuleSpec("c", "COM7"))
    healths = [Health(named, info(model="EC600UCNLB")), Health(unnamed, info(model="EG912U")),
               Health(gone, problem="REPL refuse")]
    assert fit_specs(healths) == [named, ModuleSpec("b", "COM6", "EG912U")]


def test_a_worker_takes_a_virtual_module_of_its_own(tmp_path: Path) -> None:
    held, problems = take_module([], fast_open, Selection(), scripts=ROOT / "device_scripts",
                                 worker="gw1", lock_dir=tmp_path, emulator=ModuleConfig())
    try:
        assert problems == [] and held.emulated
        assert held.claim.spec.name == "emulated-gw1" and held.claim.spec.port == held.virtual.port
        assert held.claim.device.exists("/usr/hil/hil_ftp.py")  # the scripts were synced
        assert held.claim.lacks({"model": "BG95"}) == ["model BG95 (this is EC600U)"]
    finally:
        held.release()
    assert not held.virtual.running


def test_no_module_says_which_worker_found_none(start_module, tmp_path: Path) -> None:
    refusing = start_module(repl_refuse=True)
    with pytest.raises(NoModule, match=r"^gw0 found no free module that fits:\n  bad \("):
        take_module([ModuleSpec("bad", refusing.port)], fast_open, Selection(),
                    scripts=ROOT / "device_scripts", worker="gw0", lock_dir=tmp_path)
