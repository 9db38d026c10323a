"""FtpRun: what a scenario file calls to run FTP on the module and check it end to end.

Host side of the contract with device_scripts/hil_ftp.py: put the payload where the
transfer starts (on the module, or on the server), run the device step, then read
the checksums from all three places. The recipe for a new scenario, with every
public call, is docs/writing-scenarios.md.

    run = FtpRun(device, server, "test_x")                # the ftp_run fixture makes it
    run.upload(data).assert_intact()                      # STOR, three sha256s
    s = run.session([ops.cwd("nowhere")])                 # any operations, one round trip
    assert s.op("cwd").code == 550
    run.keep(Transfer(op, run.checksums(...)))            # a scenario's own transfer, reported
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.digest import Digest
from harness.errors import HarnessError, NotApplicable
from harness.link_budget import LinkBudget
from harness.scenario import ops
from harness.scenario.checksums import Checksums, Expected, digest_of, text_checksums
from harness.scenario.cleanup import Created, remove_created, remove_on_device
from harness.scenario.network_loss import cut_fields, restore_network
from harness.scenario.outcomes import OpResult, Session, Transfer, digest_or_none
from harness.scenario.payload_cache import PayloadCache
from harness.scenario.payload_gen import GeneratedPayload
from harness.scenario.phases import PhaseClock
from harness.scenario.staging import ON_SERVER, PUSH_REUSED, PUSHED, copy_on_module, generate
from harness.servers import idle
from harness.servers.contract import HasTranscript, Server, SpeaksDialect
from harness.servers.dialects import OURS, Dialect
from harness.wire.device import Device
from harness.wire.layout import RUN_DIR, STEPS_MODULE
from harness.wire.results import StepResult

# the share of a step's time the fill step may spend filling /usr: the rest is for its
# speed probe, removing the filler and the round trip
FILL_SHARE = 0.75
MODULE_FTP_TIMEOUT = 30  # s: hil_ftp.py's connect() default, on the host's loopback


class FtpRun:
    """Runs transfer steps for one test and cleans up what it created."""

    def __init__(self, device: Device, server: Server, test_id: str,
                 ftplib_kind: str = "firmware", step_timeout: float = 120.0,
                 reconnect_timeout: float = 30.0, port_host: str | None = None,
                 cache: PayloadCache | None = None, reattach_timeout: float = 60.0,
                 link: LinkBudget | None = None) -> None:
        self.device = device
        self.server = server
        # the module's address as the server sees it, for PORT (None: the module's
        # ftplib finds its own, e.g. from dataCall.getInfo)
        self.port_host = port_host
        self.cache = cache or PayloadCache(device)
        self.ftplib_kind = ftplib_kind
        self.step_timeout = step_timeout  # on the host's loopback; the link adds its share
        self.reconnect_timeout = reconnect_timeout
        self.reattach_timeout = reattach_timeout  # s the module waits for its network
        self.network_cut = False  # a step took the module off the network (cleanup checks)
        # the network between module and server: every wait it stretches grows by its share
        self.link = link or LinkBudget()
        self.sizes: dict[str, int] = {}  # bytes of each file staged, on the module or server
        # never a leading "-": vsftpd and Pure-FTPd take "LIST -x" / "NLST -x" as options
        self.tag = re.sub(r"[^A-Za-z0-9]+", "-", test_id)[-40:].strip("-") or "t"
        self.created = Created()  # removed by cleanup(), and nothing else
        self.clock = PhaseClock()
        self.sources: dict[str, str] = {}  # path of a payload on the module -> its origin
        self.transfers: list[Transfer] = []  # what the report shows, in order

    # -- names: every path a run makes is its own, and removed after ------------

    def device_path(self, name: str) -> str:
        """A path in the run's folder on the module (removed after the test)."""
        path = "%s/%s-%s" % (RUN_DIR, self.tag, name)
        self.created.device_files.append(path)
        return path

    def server_name(self, name: str) -> str:
        """A file name on the server for this test (removed after)."""
        remote = "%s-%s" % (self.tag, name)
        self.created.server_files.append(remote)
        return remote

    def server_dir(self, name: str) -> str:
        """A folder name on the server for this test; removed with what it holds."""
        remote = "%s-%s" % (self.tag, name)
        self.created.server_dirs.append(remote)
        return remote

    def owns(self, remote: str, folder: bool = False) -> str:
        """Mark a server path the module creates under a name of the scenario's choosing
        (inside a server_dir, or one the scenario must name exactly) as this run's."""
        (self.created.server_dirs if folder else self.created.server_files).append(remote)
        return remote

    @property
    def phases(self) -> dict[str, float]:
        """Seconds per phase (staging, transfer, checks) of this test so far."""
        return self.clock.seconds

    def phase(self, name: str) -> Any:
        return self.clock.phase(name)

    # -- putting payloads in place ---------------------------------------------

    def on_module(self, name: str, data: bytes) -> str:
        """Put a file into the run's folder on the module; its path (removed after).

        A GeneratedPayload is made there from its seed; other bytes are pushed
        over the link once per content (the module's cache) and copied from it.
        """
        local = self.device_path(name)
        with self.phase("staging"):
            self.device.makedirs(RUN_DIR)
            if isinstance(data, GeneratedPayload):
                generate(self.device, data, local, self.step_timeout)
                self.sources[local] = data.describe()
            else:
                cached = self._cached(data, name)
                copy_on_module(self.device, cached, local)
                self.sources[local] = self.sources.pop(cached)
        self.sizes[local] = len(data)
        return local

    def source_of(self, name: str, data: bytes) -> str:
        """A file on the module holding `data`, only to be read (a STOR's source):
        a generated payload in the run's folder, pushed bytes straight from the cache."""
        if isinstance(data, GeneratedPayload):
            return self.on_module(name, data)
        with self.phase("staging"):
            return self._cached(data, name)

    def _cached(self, data: bytes, label: str) -> str:
        path, pushed = self.cache.put(data, label)
        self.sources[path] = PUSHED if pushed else PUSH_REUSED
        self.sizes[path] = len(data)
        return path

    def place(self, remote: str, data: bytes) -> str:
        """Put a file on the server under an exact name (e.g. in a server_dir); removed after."""
        self.created.server_files.append(remote)
        self._put(remote, data)
        return remote

    def _put(self, remote: str, data: bytes) -> None:
        with self.phase("staging"):
            self.server.put(remote, data)
        self.sizes[remote] = len(data)  # what a step that fetches it moves

    # -- running steps ---------------------------------------------------------

    @property
    def dialect(self) -> Dialect | None:
        """In whose words our server answers (its codes and behaviours); None for a
        server we only attach to, whose words we do not know beforehand."""
        if not isinstance(self.server, SpeaksDialect):
            return None
        return self.server.dialect or OURS

    @property
    def home(self) -> str:
        """The server folder a session starts in: the account's home, or the session
        folder of a server we are only attached to."""
        return self.server.folder or "/"

    def ftp_args(self, **more: Any) -> dict[str, Any]:
        """The connection's arguments (server, account, ftplib, folder) and `more`."""
        args = {"host": self.server.host, "port": self.server.port, "user": self.server.user,
                "password": self.server.password, "ftplib": self.ftplib_kind}
        if self.server.folder:  # names are relative to it, for the module as for the server
            args["cwd"] = self.server.folder
        if self.port_host:
            args["port_host"] = self.port_host
        if not self.link.is_none:  # the module's FTP timeout, stretched by the link
            args["timeout"] = self.link.stretch(MODULE_FTP_TIMEOUT, round_trips=2)
        args.update((key, value) for key, value in more.items() if value is not None)
        return args

    def _step_budget(self, args: dict[str, Any]) -> float:
        """Seconds a step with these arguments may take: the step timeout plus the link's
        share for its operations and the bytes they move (files this run staged)."""
        operations = list(args.get("ops") or ([args["op"]] if args.get("op") else []))
        up = sum(self.sizes.get(str(op.get("local")), 0) for op in operations)
        down = sum(self.sizes.get(str(op.get("remote")), 0) for op in operations)
        return self.link.session(self.step_timeout, len(operations), up, down)

    def step(self, name: str, **args: Any) -> StepResult:
        """Run one hil_ftp step with these arguments; its one result line."""
        # the passwords in the arguments travel to the module; the serial log masks them
        secrets = [self.server.password]
        secrets += [op["password"] for op in args.get("ops", ()) if op.get("password")]
        with self.phase("transfer"):
            return self.device.run_step(STEPS_MODULE, name, args,
                                        timeout=self._step_budget(args), secrets=secrets)

    def session(self, operations: list[ops.Op], keep: bool = True,
                **connection: Any) -> Session:
        """Run operations (built with harness.scenario.ops) on one control connection in
        one device round trip. keep=False leaves it out of the report (the caller keeps
        a Transfer of one of its ops). `connection` overrides the connection's
        arguments: login=False (connect only), passive, timeout, host, port."""
        if any("local" in op for op in operations):
            self.device.makedirs(RUN_DIR)
        result = self.step("session", **self.ftp_args(ops=operations, **connection))
        session = Session(result, [OpResult(op) for op in result.get("ops", [])])
        if keep or not session.ops:  # a session that never started is its own evidence
            self.keep(Transfer(result))
        return session

    def keep(self, transfer: Transfer) -> Transfer:
        """Put a transfer into the report (its checksums, reply and throughput)."""
        self.transfers.append(transfer)
        return transfer

    def checksums(self, sent: bytes, module: Digest | None, remote: str | None,
                  direction: str, *, device_must: Expected | None = None,
                  server_must: Expected | None = None) -> Checksums:
        """The three places for a transfer of `sent`: the host's digest, what the module
        holds, what the server holds at `remote` (read now; None: no file there)."""
        with self.phase("checks"):
            server = self.server.digest(remote) if remote is not None else None
        return Checksums(host_digest(sent), module, server, direction,
                         device_must=device_must, server_must=server_must)

    # -- the usual scenarios -------------------------------------------------------

    def upload(self, data: bytes, name: str = "up.bin", *, passive: bool | None = None,
               timeout: float | None = None, **fields: Any) -> Transfer:
        """STOR `data` from the module; checked in all three places. `fields` go to the
        module's stor operation (verify_hash, block)."""
        local = self.source_of(name, data)
        remote = self.server_name(name)
        result = self.step("upload", **self.ftp_args(op=ops.stor(local, remote, **fields),
                                                     passive=passive, timeout=timeout))
        module = digest_or_none(result.get("file_sha256"), result.get("file_bytes"))
        checks = self.checksums(data, module, remote, "upload")
        return self.keep(Transfer(result, checks, payload_source=self.sources.get(local)))

    def download(self, data: bytes, name: str = "down.bin", **args: Any) -> Transfer:
        """Place `data` on the server, RETR it to the module; checked in all three places."""
        remote = self.server_name(name)
        self._put(remote, data)
        transfer = self.download_existing(remote, expected=data, name=name, **args)
        transfer.payload_source = ON_SERVER
        return transfer

    def download_existing(self, remote: str, expected: bytes | None = None,
                          name: str | None = None, *, passive: bool | None = None,
                          timeout: float | None = None, **fields: Any) -> Transfer:
        """RETR a file already on the server (or missing: a 550 scenario). With
        `expected`, checked in all three places. `fields` go to the retr operation."""
        local = self.device_path(name or Path(remote).name)
        self.device.makedirs(RUN_DIR)
        result = self.step("download", **self.ftp_args(op=ops.retr(remote, local, **fields),
                                                       passive=passive, timeout=timeout))
        transfer = Transfer(result)
        if expected is not None:
            module = self._downloaded_digest(result, transfer)
            transfer.checksums = self.checksums(expected, module, remote, "download")
        return self.keep(transfer)

    def upload_text(self, text: bytes, name: str = "up.txt") -> tuple[Session, Transfer]:
        """storlines a text file; checked after CRLF -> LF."""
        local = self.source_of(name, text)
        remote = self.server_name(name)
        session = self.session([ops.storlines(local, remote)], keep=False)
        op = session.op("storlines")
        with self.phase("checks"):
            stored = self.server.digest(remote)
        checks = text_checksums(text, digest_or_none(op.get("text_sha256"), op.get("text_bytes")),
                                stored, "upload")
        return session, self.keep(Transfer(op, checks, payload_source=self.sources.get(local)))

    def download_text(self, text: bytes, name: str = "down.txt",
                      callback: str = "lf") -> tuple[Session, Transfer]:
        """retrlines a text file the host placed on the server; checked after CRLF -> LF.

        callback "lf" writes each line back with "\\n"; "write" is the application
        note's sample, retrlines(cmd, fp.write), which drops every line end.
        """
        remote = self.server_name(name)
        self._put(remote, text)
        session, transfer = self.download_text_existing(remote, text, name, callback)
        transfer.payload_source = ON_SERVER
        return session, transfer

    def download_text_existing(self, remote: str, text: bytes, name: str,
                               callback: str = "lf") -> tuple[Session, Transfer]:
        local = self.device_path(name)
        session = self.session([ops.retrlines(remote, local, callback)], keep=False)
        op = session.op("retrlines")
        with self.phase("checks"):
            stored = self.server.digest(remote)
        checks = text_checksums(text, digest_or_none(op.get("text_sha256"), op.get("text_bytes")),
                                stored, "download")
        return session, self.keep(Transfer(op, checks))

    def lose_network_after(self, after_bytes: int) -> dict[str, Any]:
        """Fields for ops.stor / ops.retr (or upload / download): the module leaves the
        network once `after_bytes` crossed and comes back after the transfer, within
        --network-reattach-timeout; the clean-up makes sure it is back."""
        self.network_cut = True
        return cut_fields(after_bytes, self.reattach_timeout)

    def network(self, timeout: float = 30.0) -> StepResult:
        """Is the module on the network (checkNet)? Kept for the report."""
        result = self.step("net", timeout=timeout)
        self.keep(Transfer(result))
        return result

    @contextmanager
    def disk_filled(self, leave_free: int) -> Iterator[StepResult]:
        """Fill /usr down to `leave_free` bytes with a filler file; always removed.

        Removed on the way out whatever happened in the block (a failed assert,
        a reboot of the module); if even that fails, cleanup() tries again. A /usr the
        step cannot fill in its time at the write speed it measures raises NotApplicable
        with the figures (the scenario is skipped, not timed out).
        """
        self.device.makedirs(RUN_DIR)
        filler = self.device_path("filler.bin")
        budget = int(FILL_SHARE * self.device.step_time(self.step_timeout))
        try:
            filled = self.step("fill", path=filler, leave_free=leave_free, budget_s=budget)
            if filled.get("too_slow"):
                raise NotApplicable("%s (--device-timeout %.0f s)"
                                    % (filled.get("error"), self.step_timeout))
            yield filled
        finally:
            # a failure here is retried by cleanup()
            remove_on_device(self.device, [filler], self.reconnect_timeout)

    # -- the server --------------------------------------------------------------

    def transcript_mark(self) -> int | None:
        """A mark in the server's transcript; None where the server keeps none."""
        return self.server.transcript_mark() if isinstance(self.server, HasTranscript) else None

    def transcript_since(self, mark: int | None) -> str | None:
        """What the server saw and said since the mark (passwords masked), or None."""
        if mark is None or not isinstance(self.server, HasTranscript):
            return None
        return self.server.transcript_text(since=mark)

    def wait_server_idle(self, timeout: float = 5.0) -> None:
        """Wait until the server holds no control connection (a limit test needs that);
        a server that keeps no transcript is not waited for. The module's close crosses
        the link first: `timeout` is stretched by it."""
        if isinstance(self.server, HasTranscript):
            idle.wait_idle(self.server, self.link.stretch(timeout, round_trips=1))

    def server_dir_exists(self, name: str) -> bool:
        return self.server.dir_exists(name)

    # -- clean-up ----------------------------------------------------------------

    def cleanup(self) -> None:
        """Remove only what this run created, on the module and on the server.

        Survives a module that rebooted or re-enumerated (reconnects once); what
        cannot be removed is named in one error at the end. A module a network_loss
        step left off the network is brought back first.
        """
        offline = restore_network(self.device, self.reattach_timeout) \
            if self.network_cut else None
        try:
            remove_created(self.created, self.device, self.server, self.reconnect_timeout)
        except HarnessError as exc:
            raise HarnessError("; ".join(filter(None, [offline, str(exc)]))) from None
        if offline is not None:
            raise HarnessError(offline)

    def _downloaded_digest(self, result: StepResult, transfer: Transfer) -> Digest | None:
        """What the module holds; for a failed download, what it received before
        it removed the partial file (so the report still shows its sha256)."""
        held = digest_or_none(result.get("file_sha256"), result.get("file_bytes"))
        if held is not None or result.ok or not result.get("sha256"):
            return held
        transfer.extra["module_note"] = "received; the module removed the partial file"
        return Digest(result.get("sha256"), int(result.get("bytes") or 0))


def host_digest(data: bytes) -> Digest:
    """The expected digest: a generated payload knows its own."""
    return data.digest if isinstance(data, GeneratedPayload) else digest_of(data)


__all__ = ["PUSHED", "PUSH_REUSED", "ON_SERVER", "FtpRun", "host_digest"]
