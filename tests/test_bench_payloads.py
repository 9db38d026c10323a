"""A bench run at serial speed (issue 13): payloads made on the module, pushed bytes
cached by content, scripts in the form the module loads, time by phase."""

from __future__ import annotations

import errno
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.deploy.scripts import candidates, deploy, without_comments
from harness.deploy.zpush import frames_of, push_compressed, push_compressed_files
from harness.emulator import ModuleConfig, VirtualModule
from harness.micropython.mpy_cross import MpyCrossError, MpyTarget, compile_for, mpy_cross_emits
from harness.report import phase_totals, scenario_record
from harness.scenario.payload_cache import PayloadCache
from harness.scenario.payload_gen import (
    BLOCK,
    MAX_WORDS,
    WORDS,
    GeneratedPayload,
    GeneratedText,
    generate,
    seed_for,
)
from harness.scenario.run import ON_SERVER, PUSH_REUSED, PUSHED, FtpRun
from harness.servers.local.server import FtpServer
from harness.wire import snippets
from harness.wire.device import Device
from harness.wire.layout import CACHE_DIR, RUN_DIR
from harness.wire.progress import PushProgress, progress_line
from tests.support import micropython_missing

ROOT = Path(__file__).resolve().parents[1]
USR_KIB = 512


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Device, FtpServer]]:
    with VirtualModule(ModuleConfig(usr_bytes=USR_KIB * 1024)) as module, \
            FtpServer(tmp_path_factory.mktemp("ftp")) as server:
        device = Device.open(module.port)
        deploy(device, ROOT / "device_scripts")
        device.makedirs(RUN_DIR)  # the tests push there directly, in any order (xdist)
        yield device, server
        device.close()


def new_run(bench: tuple[Device, FtpServer], name: str) -> FtpRun:
    device, server = bench
    return FtpRun(device, server, name, ftplib_kind="bundled")


# -- the generator --------------------------------------------------------------


def test_the_generator_is_sha256_in_counter_mode() -> None:
    data = generate("s", 70)
    assert data[:BLOCK] == hashlib.sha256(b"s\x00\x00\x00\x00").digest()
    assert data[BLOCK:2 * BLOCK] == hashlib.sha256(b"s\x00\x00\x00\x01").digest()
    assert len(data) == 70 and generate("s", 70) == data and generate("t", 70) != data


def test_a_generated_payload_is_bytes_with_its_seed() -> None:
    payload = GeneratedPayload(seed_for("test_x", 1000), 1000)
    assert payload == generate(payload.seed, 1000) and len(payload) == 1000
    assert payload.digest.sha256 == hashlib.sha256(payload).hexdigest()
    assert payload.seed in payload.describe()


@pytest.mark.parametrize("size", [0, 1, 31, 32, 1025, 65536])
def test_the_module_makes_the_bytes_the_host_expects(bench, size: int) -> None:
    run = new_run(bench, "gen-%d" % size)
    try:
        transfer = run.upload(GeneratedPayload(seed_for("gen", size), size), name="g.bin")
        transfer.assert_intact()  # host, module and server agree
        assert transfer.payload_source == "generated on the module from seed %s" \
            % seed_for("gen", size)
        assert run.phases["staging"] > 0 and run.phases["transfer"] > 0
    finally:
        run.cleanup()


def test_a_payload_too_big_for_usr_fails_at_once_and_leaves_nothing(bench) -> None:
    device, _server = bench
    free, _total = device.statvfs()
    run = new_run(bench, "too-big")
    try:
        with pytest.raises(OSError) as caught:
            run.upload(GeneratedPayload("big", free + 1), name="big.bin")
        assert caught.value.errno == errno.ENOSPC
        assert "%d bytes free" % free in str(caught.value)
        assert device.listdir(RUN_DIR) == []  # nothing left behind
        assert device.statvfs()[0] == free
    finally:
        run.cleanup()


# -- pushed payloads: once per content --------------------------------------------


def test_bytes_are_pushed_once_then_reused_from_the_module(bench) -> None:
    device, server = bench
    data = b"a user's own image \x00\xff" * 300
    first = new_run(bench, "push-1")
    try:
        assert first.upload(data, name="img.bin").payload_source == PUSHED
        again = first.upload(data, name="img2.bin")
        again.assert_intact()
        assert again.payload_source == PUSH_REUSED
    finally:
        first.cleanup()
    # a later run (a new cache object, as in the next session) finds it on the module
    later = FtpRun(device, server, "push-2", ftplib_kind="bundled", cache=PayloadCache(device))
    try:
        assert later.upload(data, name="img.bin").payload_source == PUSH_REUSED
        assert later.download(data).payload_source == ON_SERVER
    finally:
        later.cleanup()
    assert device.exists(PayloadCache(device).path_of(data))  # the cache outlives the run


def test_a_scenario_copy_of_a_cached_payload_is_its_own_file(bench) -> None:
    device, _server = bench
    data = b"line\n" * 100
    run = new_run(bench, "copy")
    try:
        local = run.on_module("c.txt", data)
        assert local.startswith(RUN_DIR + "/")
        assert device.file_hash(local) == (hashlib.sha256(data).hexdigest(), len(data))
    finally:
        run.cleanup()
    assert device.exists(PayloadCache(device).path_of(data))
    assert PayloadCache(device).path_of(data).startswith(CACHE_DIR + "/")


def test_a_long_push_says_how_far_it_got(bench) -> None:
    device, _server = bench
    lines: list[str] = []
    data = bytes(range(256)) * 64
    cache = PayloadCache(device, write=lines.append)
    clock = iter(range(0, 10_000, 3)).__next__  # 3 "seconds" between two looks
    device.push_progress = PushProgress(lines.append, "x.bin", clock=lambda: float(clock()))
    try:
        device.push(data, "/usr/hil/run/progress.bin")
    finally:
        device.push_progress = None
        device.remove("/usr/hil/run/progress.bin")
    assert lines and lines[-1].startswith("pushing x.bin: 16 / 16 KiB")
    assert cache.write is not None


def test_progress_stays_quiet_for_a_short_push() -> None:
    lines: list[str] = []
    now = [0.0]
    progress = PushProgress(lines.append, "p", clock=lambda: now[0])
    progress(512, 1024)
    assert lines == []
    now[0] = 4.0
    progress(512, 1024)
    assert lines == ["pushing p: 0 / 1 KiB, 0.1 KiB/s, 4 s left"]
    assert progress_line("p", 0, 10, 0.0).endswith("? s left")


# -- scripts -----------------------------------------------------------------------


def test_scripts_go_as_py_to_a_module_without_a_mpy_loader(bench) -> None:
    device, _server = bench
    done = deploy(device, ROOT / "device_scripts")
    assert done.form == "py" and "no .mpy loader" in done.note
    assert done.pushed == []  # verified and skipped: unchanged since the fixture's deploy


def test_a_py_without_comments_keeps_every_line_where_it_was() -> None:
    source = (ROOT / "device_scripts" / "hil_ftp.py").read_text(encoding="utf-8")
    cut = without_comments(source)
    assert len(cut) < len(source) and "#" not in cut.split("RESULT_PREFIX")[0]
    assert len(cut.splitlines()) == len(source.splitlines())
    assert cut.splitlines()[-1] == source.splitlines()[-1]
    assert without_comments("x = '#not a comment'  # one\n") == "x = '#not a comment'\n"


def test_a_compressed_push_writes_the_same_file(bench) -> None:
    device, _server = bench
    text = (ROOT / "device_scripts" / "ftplib.py").read_bytes()
    push_compressed(device, text, "/usr/hil/run/z.py")
    try:
        assert device.file_hash("/usr/hil/run/z.py") == (hashlib.sha256(text).hexdigest(),
                                                         len(text))
    finally:
        device.remove("/usr/hil/run/z.py")


def test_one_receiver_takes_every_file_that_compresses(bench) -> None:
    device, _server = bench
    script = (ROOT / "device_scripts" / "hil_gen.py").read_bytes()
    noise = _noise(3 * 4096)  # does not compress: goes as a plain push
    files = {"/usr/hil/run/a.py": script, "/usr/hil/run/b.py": script[::-1],
             "/usr/hil/run/c.bin": noise}
    receivers = []
    start_exec = device.repl.start_exec
    device.repl.start_exec = lambda code: (receivers.append(code), start_exec(code))[1]
    try:
        said = push_compressed_files(device, files)
        for path, data in files.items():
            expected = (hashlib.sha256(data).hexdigest(), len(data))
            assert said[path] == expected[0] and device.file_hash(path) == expected
    finally:
        device.repl.start_exec = start_exec
        for path in files:
            device.remove(path)
    assert sum("_hil_zrecv(" in code for code in receivers) == 1


def test_bytecode_goes_compressed_and_random_bytes_do_not(tmp_path: Path) -> None:
    # .mpy packs to about 0.7 of its size: on a 115200-baud module that is
    # about half a second less for the scripts at every session start
    out = tmp_path / "ftplib.mpy"
    try:
        compile_for(MpyTarget(5), ROOT / "device_scripts" / "ftplib.py", out)
    except MpyCrossError as exc:
        pytest.skip("no mpy-cross for v5 here: %s" % exc)
    assert frames_of(out.read_bytes()) is not None
    assert frames_of(_noise(8192)) is None


def _noise(size: int) -> bytes:
    return b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(size // 32))


# -- time by phase -------------------------------------------------------------


def test_phases_reach_the_scenario_record_and_the_totals() -> None:
    records = [scenario_record(name="a", nodeid="t::a", params={}, transfers=[], worker="main",
                               phases={"staging": 1.0, "transfer": 0.5, "checks": 0.25}),
               scenario_record(name="b", nodeid="t::b", params={}, transfers=[], worker="main",
                               phases={"staging": 0.5, "transfer": 0.5, "checks": 0.0})]
    assert records[0]["phases_s"] == {"staging": 1.0, "transfer": 0.5, "checks": 0.25}
    assert phase_totals(records) == {"staging": 1.5, "transfer": 1.0, "checks": 0.25}


def test_the_cache_keeps_to_its_share_of_usr(bench) -> None:
    device, _server = bench
    cache = PayloadCache(device)
    images = [generate("image-%d" % i, 60 * 1024) for i in range(3)]  # incompressible
    paths = [cache.put(image)[0] for image in images]
    held = {name for name in device.listdir(CACHE_DIR)}
    assert paths[0].rsplit("/", 1)[1] not in held  # the least recently used went first
    assert {p.rsplit("/", 1)[1] for p in paths[1:]} <= held
    sizes = device.eval_json(snippets.CACHE_SIZES.fill(CACHE_DIR, CACHE_DIR),
                             setup=snippets.IMPORT_UOS.source)
    assert sum(size for _name, size in sizes) <= USR_KIB * 1024 // 4


def _engine_device(start_module) -> Device:
    missing = micropython_missing()
    if missing:
        pytest.skip(missing)
    module = start_module(engine="micropython")
    return Device.open(module.port)


def test_a_module_that_loads_mpy_v6_gets_v6_after_refusing_v5(start_module) -> None:
    # the real-MicroPython engine reports 1.13's usys.implementation (mpy v5) but its
    # loader is MicroPython 1.29's: it refuses the v5 probe, then imports the v6 one
    if mpy_cross_emits() != 6:
        pytest.skip("the mpy-cross package (v6) is not installed here")
    device = _engine_device(start_module)
    try:
        done = deploy(device, ROOT / "device_scripts")
        assert done.form == "mpy" and done.target == MpyTarget(6)
        assert done.note == "precompiled .mpy v6 (mpy-cross)"
        assert sorted(done.pushed) == ["hil_common.mpy", "hil_ftp.mpy", "hil_gen.mpy",
                                       "lib/ftplib.mpy"]
        assert deploy(device, ROOT / "device_scripts").pushed == []  # verified, unchanged
        names = device.listdir("/usr/hil")
        assert "hil_ftp.mpy" in names and "hil_ftp.py" not in names  # no stale .py to win
    finally:
        device.close()


def test_a_module_that_refuses_every_mpy_gets_py_once_with_the_reason(start_module) -> None:
    # offered only v5, the engine (a newer MicroPython, mpy v6) refuses it with
    # "ValueError: incompatible .mpy file", as a module of another version would
    device = _engine_device(start_module)
    try:
        done = deploy(device, ROOT / "device_scripts", versions=(5,))
        assert done.form == "py" and done.target is None
        assert "refused .mpy v5 (no unicode) (incompatible .mpy file)" in done.note
        assert "\n" not in done.note
        assert sorted(done.pushed) == ["hil_common.py", "hil_ftp.py", "hil_gen.py",
                                       "lib/ftplib.py"]
    finally:
        device.close()


def test_the_module_s_word_on_mpy_goes_first() -> None:
    # QuecPython 1.13: usys.implementation.mpy = 5 | feature byte << 8 (py/modsys.c:71-88,
    # py/persistentcode.h:90); 1.19+: _mpy = 6 | sub-version << 8 | arch << 10
    assert MpyTarget.from_header(5 | 0x02 << 8) == MpyTarget(5, unicode=True)
    assert MpyTarget.from_header(5) == MpyTarget(5)
    assert MpyTarget.from_header(2822) == MpyTarget(6)  # MicroPython 1.29 unix, x64
    assert candidates(MpyTarget(6), (5, 6)) == [MpyTarget(6), MpyTarget(5)]
    assert candidates(None, (5, 6)) == [MpyTarget(5), MpyTarget(6)]
    assert candidates(MpyTarget(5, unicode=True), (6,)) == [MpyTarget(6)]


def test_generated_text_is_whole_lines_of_the_words_the_module_knows() -> None:
    from tests.test_layout import module_constants

    constants = module_constants(ROOT / "device_scripts" / "hil_gen.py")
    assert constants["GEN_WORDS"] == WORDS and constants["GEN_MAX_WORDS"] == MAX_WORDS
    text = GeneratedText("t", 500, b"\r\n")
    assert len(text) >= 500 and text.endswith(b"\r\n") and b"\r" not in text.replace(b"\r\n", b"")
    assert GeneratedText("t", 0, b"\n") == b""


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
@pytest.mark.parametrize("size", [1, 1024, 20000])
def test_the_module_makes_the_text_the_host_expects(bench, size: int, eol: bytes) -> None:
    run = new_run(bench, "text-%d" % size)
    try:
        _session, transfer = run.upload_text(GeneratedText("t%d" % size, size, eol))
        transfer.assert_intact()
        assert transfer.payload_source == "text generated on the module from seed t%d" % size
    finally:
        run.cleanup()


def test_a_phase_inside_another_is_counted_once(bench) -> None:
    run = new_run(bench, "phases")
    with run.phase("staging"):
        with run.phase("transfer"):
            pass
    assert run.phases["transfer"] == 0 and run.phases["staging"] > 0
