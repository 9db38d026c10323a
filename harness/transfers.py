"""One FTP transfer scenario, run on the module and checked end to end.

Host side of the contract with device_scripts/hil_ftp.py: put the payload
where the transfer starts (on the module, or on the server), run the device
step, then read the checksums from all three places.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .device import DEVICE_DIR, Device
from .results import StepResult
from .server_control import ServerControl
from .verify import Checksums, Digest

STEP_MODULE = "hil_ftp"
RUN_DIR = DEVICE_DIR + "/run"  # the only folder on the module the scenarios write to


def digest_of(data: bytes) -> Digest:
    return Digest(hashlib.sha256(data).hexdigest(), len(data))


@dataclass
class Transfer:
    """The outcome of one transfer: the device's result line and the checksums."""

    result: StepResult
    checksums: Checksums | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def assert_intact(self) -> None:
        """Fail with one line that says what differs, if anything does."""
        if not self.result.ok:
            raise AssertionError("%s failed on the module: %s"
                                 % (self.result.step, self.result.summary()))
        if self.checksums is not None and not self.checksums.match:
            raise AssertionError("; ".join(self.checksums.problems()))

    @property
    def throughput_kib_s(self) -> float | None:
        ms, size = self.result.ms, self.result.size
        if not ms or size is None:
            return None
        return size / 1024 / (ms / 1000)


class FtpRun:
    """Runs transfer steps for one test and cleans up what it created."""

    def __init__(self, device: Device, server: ServerControl, test_id: str,
                 ftplib_kind: str = "firmware", step_timeout: float = 120.0) -> None:
        self.device = device
        self.server = server
        self.tag = re.sub(r"[^A-Za-z0-9]+", "-", test_id).strip("-")[-40:] or "t"
        self.ftplib_kind = ftplib_kind
        self.step_timeout = step_timeout
        self.device_files: list[str] = []
        self.server_files: list[str] = []
        self.transfers: list[Transfer] = []

    # -- naming ----------------------------------------------------------

    def device_path(self, name: str) -> str:
        path = "%s/%s-%s" % (RUN_DIR, self.tag, name)
        self.device_files.append(path)
        return path

    def server_name(self, name: str) -> str:
        remote = "%s-%s" % (self.tag, name)
        self.server_files.append(remote)
        return remote

    def ftp_args(self, **more: Any) -> dict[str, Any]:
        args = {"host": self.server.host, "port": self.server.port, "user": self.server.user,
                "password": self.server.password, "ftplib": self.ftplib_kind,
                "secrets": [self.server.password]}
        args.update(more)
        return args

    def step(self, name: str, **args: Any) -> StepResult:
        return self.device.run_step(STEP_MODULE, name, args, timeout=self.step_timeout)

    # -- scenarios -------------------------------------------------------

    def upload(self, data: bytes, name: str = "up.bin") -> Transfer:
        local = self.device_path(name)
        self.device.makedirs(RUN_DIR)
        self.device.push(data, local)
        remote = self.server_name(name)
        result = self.step("upload", **self.ftp_args(local=local, remote=remote))
        device = _digest(result.get("file_sha256"), result.get("file_bytes"))
        checks = Checksums(digest_of(data), device, self.server.digest(remote), "upload")
        return self._keep(Transfer(result, checks))

    def download(self, data: bytes, name: str = "down.bin", **args: Any) -> Transfer:
        remote = self.server_name(name)
        self.server.put(remote, data)
        return self.download_existing(remote, expected=data, name=name, **args)

    def download_existing(self, remote: str, expected: bytes | None = None,
                          name: str | None = None, **args: Any) -> Transfer:
        local = self.device_path(name or Path(remote).name)
        self.device.makedirs(RUN_DIR)
        result = self.step("download", **self.ftp_args(local=local, remote=remote, **args))
        checks = None
        if expected is not None:
            device = _digest(result.get("file_sha256"), result.get("file_bytes"))
            checks = Checksums(digest_of(expected), device, self.server.digest(remote),
                               "download")
        return self._keep(Transfer(result, checks))

    @contextmanager
    def disk_filled(self, leave_free: int) -> Iterator[StepResult]:
        """Fill /usr down to `leave_free` bytes with a filler file; always removed."""
        self.device.makedirs(RUN_DIR)
        filler = self.device_path("filler.bin")
        try:
            yield self.step("fill", path=filler, leave_free=leave_free)
        finally:
            self.device.remove(filler)

    def _keep(self, transfer: Transfer) -> Transfer:
        self.transfers.append(transfer)
        return transfer

    # -- clean-up --------------------------------------------------------

    def cleanup(self) -> None:
        """Remove only what this run created, on the module and on the server."""
        for path in self.device_files:
            self.device.remove(path)
        for name in self.server_files:
            self.server.remove(name)


def _digest(sha: str | None, size: int | None) -> Digest | None:
    return Digest(sha, int(size or 0)) if sha else None
