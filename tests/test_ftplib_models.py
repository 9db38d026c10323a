"""Device steps read replies the same way whichever ftplib the module has:
CPython's ("firmware" on the virtual module), ours ("bundled"), and a
Quectel-like one with a single Error class ("user", pushed like a user's copy)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.deploy.scripts import deploy_scripts, firmware_has_ftplib, resolve_ftplib
from harness.emulator import ModuleConfig, VirtualModule
from harness.scenario import ops
from harness.servers.local.server import FtpServer
from harness.wire.device import Device
from harness.wire.layout import STEPS_MODULE

ROOT = Path(__file__).resolve().parents[1]
QUECTEL_LIKE = Path(__file__).with_name("quectel_ftplib_like.py")


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Device, FtpServer]]:
    with VirtualModule(ModuleConfig()) as module, \
            FtpServer(tmp_path_factory.mktemp("ftp")) as server:
        device = Device.open(module.port)
        deploy_scripts(device, ROOT / "device_scripts")
        device.makedirs("/usr/hil/run")
        yield device, server
        device.close()


def download(device: Device, server: FtpServer, kind: str, local: str, remote: str,
             **connection) -> dict:
    base = {"host": server.host, "port": server.port, "user": server.user,
            "password": server.password, "ftplib": kind, "op": ops.retr(remote, local)}
    base.update(connection)
    result = device.run_step(STEPS_MODULE, "download", base, timeout=30)
    return result.data


@pytest.mark.parametrize("choice", ["bundled", "firmware", str(QUECTEL_LIKE)])
def test_reply_codes_read_the_same_for_every_ftplib(bench, choice: str) -> None:
    device, server = bench
    kind = resolve_ftplib(device, choice)
    missing = download(device, server, kind, "/usr/hil/run/m.bin", "missing.bin")
    assert missing["ok"] is False and missing["code"] == 550, missing
    wrong = download(device, server, kind, "/usr/hil/run/w.bin", "missing.bin",
                     password="wrong-password")
    assert wrong["ok"] is False and wrong["code"] == 530, wrong
    assert wrong.get("ftplib") == kind


@pytest.mark.parametrize("choice", ["bundled", "firmware", str(QUECTEL_LIKE)])
def test_download_with_every_ftplib(bench, choice: str) -> None:
    device, server = bench
    kind = resolve_ftplib(device, choice)
    data = bytes(range(256)) * 64
    server.put("models.bin", data)
    device.makedirs("/usr/hil/run")
    got = download(device, server, kind, "/usr/hil/run/d.bin", "models.bin")
    assert got["ok"] is True, got
    assert got["file_sha256"] == hashlib.sha256(data).hexdigest()
    assert device.remove("/usr/hil/run/d.bin")


def test_auto_picks_the_firmware_ftplib_when_there_is_one(bench) -> None:
    device, _ = bench
    assert firmware_has_ftplib(device) is True
    assert resolve_ftplib(device, "auto") == "firmware"


def test_auto_picks_ours_on_firmware_without_ftplib() -> None:
    with VirtualModule(ModuleConfig(firmware_ftplib=False)) as module:
        device = Device.open(module.port)
        deploy_scripts(device, ROOT / "device_scripts")
        assert firmware_has_ftplib(device) is False
        assert resolve_ftplib(device, "auto") == "bundled"
        device.close()


def test_a_missing_user_ftplib_is_a_clear_error(bench) -> None:
    device, _ = bench
    with pytest.raises(FileNotFoundError, match="no such file; give auto, bundled"):
        resolve_ftplib(device, "/nowhere/ftplib.py")
