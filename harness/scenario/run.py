"""One FTP scenario, run on the module and checked end to end.

Host side of the contract with device_scripts/hil_ftp.py: put the payload
where the transfer starts (on the module, or on the server), run the device
step, then read the checksums from all three places.

    run = FtpRun(device, server, "test_x")
    run.upload(data).assert_intact()                      # STOR, three sha256s
    s = run.session([{"op": "cwd", "arg": "nowhere"}])    # any FTP commands, one round trip
    assert s.op("cwd").code == 550

Text transfers (TYPE A) are compared after converting CRLF to LF: the
server may store either line ending, and retrlines hands lines over without
one. See `TextChecksums`.
"""

from __future__ import annotations

import errno
import hashlib
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.deadline import bounded
from harness.digest import Digest
from harness.errors import DeviceDisconnected, HarnessError
from harness.scenario.checksums import Checksums
from harness.scenario.payload_cache import PayloadCache
from harness.scenario.payload_gen import GeneratedPayload
from harness.servers.contract import HasTranscript, Server, SpeaksDialect
from harness.servers.dialects import OURS, Dialect
from harness.wire import snippets
from harness.wire.device import Device
from harness.wire.layout import RUN_DIR
from harness.wire.results import ResultFields, StepResult

STEP_MODULE = "hil_ftp"
GEN_MODULE = "hil_gen"  # the module's payload generator (device_scripts/hil_gen.py)
TEXT_RULE = "text mode: compared after converting CRLF to LF"
# where a scenario's time goes (FtpRun.phases): putting payloads in place (on the
# module over the link, or on the server), the device steps, the checksums
PHASES = ("staging", "transfer", "checks")
PUSHED = "pushed over the link"
PUSH_REUSED = "pushed over the link before: reused from the module's cache"
ON_SERVER = "placed on the server"


def digest_of(data: bytes) -> Digest:
    return Digest(hashlib.sha256(data).hexdigest(), len(data))


def to_lf(text: bytes) -> bytes:
    """The form text transfers are compared in."""
    return text.replace(b"\r\n", b"\n")


# -- what one step or operation reported --------------------------------------


@dataclass
class OpResult(ResultFields):
    """One operation of a session step: its reply code and what it found."""

    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.data.get("label") or self.data.get("op"))

    @property
    def ok(self) -> bool:
        return bool(self.data.get("ok"))

    # the same surface as StepResult, so a transfer made of one operation reports alike
    @property
    def step(self) -> str:
        return self.name

    def summary(self) -> str:
        text = "%s %s %s" % (self.name, "ok" if self.ok else "FAILED", self.code)
        if self.reply:
            text += " %r" % self.reply
        if self.get("error"):
            text += " (%s)" % self.get("error")
        return text


@dataclass
class Session:
    """The result of one `session` step: one OpResult per operation that ran."""

    result: StepResult
    ops: list[OpResult]

    def op(self, name: str) -> OpResult:
        """The first operation with this label (or, without labels, this op name)."""
        for op in self.ops:
            if op.name == name:
                return op
        raise AssertionError("no operation %r ran in the session: %s" % (name, self.summary()))

    @property
    def code(self) -> int | None:
        """The reply code of the connect or login, when the session never started."""
        return self.result.code

    def summary(self) -> str:
        ran = "; ".join(op.summary() for op in self.ops) or "nothing ran"
        head = self.result.summary()
        return "%s [%d/%s ops] %s" % (head, len(self.ops), self.result.get("planned"), ran)


@dataclass
class Transfer:
    """The outcome of one transfer: the device's result line and the checksums."""

    result: StepResult | OpResult
    checksums: Checksums | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    damage_expected: bool = False  # set by assert_damaged: the report does not flag it
    payload_source: str | None = None  # where the payload came from (PUSHED, ON_SERVER, ...)

    def problems(self) -> list[str]:
        found = []
        if not self.result.ok:
            found.append("%s failed on the module: %s" % (self.result.step, self.result.summary()))
        if self.checksums is not None and not self.checksums.match:
            found.extend(self.checksums.problems())
        return found

    def assert_intact(self) -> None:
        """Fail with what differs and every place's sha256 and size, if anything does."""
        problems = self.problems()
        if problems:
            raise AssertionError(self._damage_text(problems))

    def assert_damaged(self) -> str:
        """For a scenario that expects a completed but damaged file: fail otherwise, else
        say what differs (assert_intact's message). The report counts it as expected."""
        if not self.result.ok:
            raise AssertionError("expected a damaged file, but %s failed on the module: %s"
                                 % (self.result.step, self.result.summary()))
        if self.checksums is None or self.checksums.match:
            raise AssertionError("\n".join(["expected damage, but the file is intact",
                                            *self.checksum_lines()]))
        self.damage_expected = True
        return self._damage_text(self.problems())

    def _damage_text(self, problems: list[str]) -> str:
        return "\n".join(["; ".join(problems), *self.checksum_lines()])

    def checksum_lines(self) -> list[str]:
        """host / module / server sha256 prefixes and sizes, one line each."""
        checks = self.checksums
        if checks is None:
            return []
        notes = {"module": self.extra.get("module_note", "")}
        lines = []
        if isinstance(checks, TextChecksums):
            notes["server"] = "stored with %s line ends" % checks.server_form \
                if checks.server_form else ""
        for place, digest in (("host", checks.host), ("module", checks.device),
                              ("server", checks.server)):
            shown = digest.short() if digest else "no file"
            note = notes.get(place, "")
            lines.append("  %-6s %s%s" % (place, shown, "  [%s]" % note if note else ""))
        return lines

    @property
    def throughput_kib_s(self) -> float | None:
        ms, size = self.result.get("ms"), self.result.get("bytes")
        if not ms or size is None:
            return None
        return size / 1024 / (ms / 1000)


# -- text mode ------------------------------------------------------------------


@dataclass
class TextChecksums(Checksums):
    """Checksums of a text (TYPE A) transfer, each taken after CRLF -> LF.

    The host and the module compute that form themselves. The server only
    reports the sha256 of what it stored, which is in its own line-end form:
    if that is the LF or the CRLF form of the host's text, the server holds the
    text (server_form says which); otherwise its raw digest is shown as is.
    """

    compared: str = TEXT_RULE
    server_form: str | None = None
    explanation: str | None = None

    def problems(self) -> list[str]:
        found = super().problems()
        if found:
            found.insert(0, self.compared)
        if found and self.explanation:
            found.append(self.explanation)
        return found

    def as_dict(self) -> dict[str, object]:
        data = super().as_dict()
        data.update(compared=self.compared, server_form=self.server_form,
                    explanation=self.explanation)
        return data


def server_text_digest(text_lf: bytes, stored: Digest | None) -> tuple[Digest | None, str | None]:
    """(digest to compare, which line ends the server used) for a stored text file."""
    if stored is None:
        return None, None
    for form, data in (("LF", text_lf), ("CRLF", text_lf.replace(b"\n", b"\r\n"))):
        if stored == digest_of(data):
            return digest_of(text_lf), form
    return stored, None


def explain_text_damage(text_lf: bytes, device: Digest | None) -> str | None:
    """Why a downloaded text differs, where a known cause matches exactly."""
    if device is None:
        return None
    joined = text_lf.replace(b"\n", b"")
    if joined != text_lf and device == digest_of(joined):
        return ("retrlines callback fp.write drops newlines: %d lines, %d -> %d bytes"
                % (text_lf.count(b"\n"), len(text_lf), len(joined)))
    # Pure-FTPd sends CR CR LF in TYPE A for a file whose lines already end in CRLF
    cr_cr_lf = "the server sent CR CR LF in TYPE A (Pure-FTPd does for CRLF line ends)"
    if b"\n" in text_lf and device == digest_of(text_lf.replace(b"\n", b"\r\n")):
        return "every line kept a CR: %s and the ftplib's retrlines strips one CR LF only" % (
            cr_cr_lf)
    if b"\n" in text_lf and device == digest_of(text_lf.replace(b"\n", b"\n\n")):
        return ("an empty line after every line: %s and the ftplib reads CR and LF as two "
                "line ends (universal newlines)" % cr_cr_lf)
    return None


# -- the run ----------------------------------------------------------------------


class FtpRun:
    """Runs transfer steps for one test and cleans up what it created."""

    def __init__(self, device: Device, server: Server, test_id: str,
                 ftplib_kind: str = "firmware", step_timeout: float = 120.0,
                 reconnect_timeout: float = 30.0, port_host: str | None = None,
                 cache: PayloadCache | None = None) -> None:
        self.device = device
        # the module's address as the server sees it, for PORT (None: the module's
        # ftplib finds its own, e.g. from dataCall.getInfo)
        self.port_host = port_host
        self.cache = cache or PayloadCache(device)
        self.phases = dict.fromkeys(PHASES, 0.0)  # seconds per phase, this test
        self._in_phase = False
        self.sources: dict[str, str] = {}  # path of a payload on the module -> its origin
        self.server = server
        # never a leading "-": vsftpd and Pure-FTPd take "LIST -x" / "NLST -x" as options
        self.tag = re.sub(r"[^A-Za-z0-9]+", "-", test_id)[-40:].strip("-") or "t"
        self.ftplib_kind = ftplib_kind
        self.step_timeout = step_timeout
        self.reconnect_timeout = reconnect_timeout
        self.device_files: list[str] = []
        self.server_files: list[str] = []
        self.server_dirs: list[str] = []
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

    def server_dir(self, name: str) -> str:
        """A folder name on the server for this test; removed with what it holds."""
        remote = "%s-%s" % (self.tag, name)
        self.server_dirs.append(remote)
        return remote

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Count the time of the block towards one of PHASES; a phase inside another
        (the `gen` step while staging) is the outer one's time, counted once."""
        if self._in_phase:
            yield
            return
        self._in_phase = True
        started = time.perf_counter()
        try:
            yield
        finally:
            self._in_phase = False
            self.phases[name] += time.perf_counter() - started

    def on_module(self, name: str, data: bytes) -> str:
        """Put a file into the run's folder on the module; its path (removed after).

        A GeneratedPayload is made there from its seed; other bytes are pushed
        over the link once per content (the module's cache) and copied from it.
        """
        local = self.device_path(name)
        with self.phase("staging"):
            self.device.makedirs(RUN_DIR)
            if isinstance(data, GeneratedPayload):
                self._generate(data, local)
            else:
                cached = self._cached(data, name)
                self.device.exec(snippets.COPY_FILE.fill(cached, local), timeout=120.0)
                self.sources[local] = self.sources.pop(cached)
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
        return path

    def _generate(self, payload: GeneratedPayload, local: str) -> None:
        """Make a payload on the module from its seed; nothing but the seed crosses the link."""
        with self.phase("staging"):
            result = self.device.run_step(GEN_MODULE, "gen", dict(path=local,
                                                                  **payload.gen_args()),
                                          timeout=self.step_timeout)
            self.device.exec(snippets.STEP_FORGET.fill(GEN_MODULE, GEN_MODULE))
        if result.get("errno") == errno.ENOSPC:
            raise OSError(errno.ENOSPC, "no room on the module for a %d-byte payload: %s bytes "
                          "free on its /usr; use a smaller --payload-sizes or free /usr"
                          % (len(payload), result.get("free")))
        if not result.ok:
            raise HarnessError("the module could not generate a payload at %s: %s"
                               % (local, result.summary()))
        if (result.get("sha256"), result.get("bytes")) != (payload.digest.sha256, len(payload)):
            raise HarnessError(
                "the module generated %s (%s bytes) from seed %s, the host %s (%d bytes): "
                "hil_ftp.gen and harness/scenario/payload_gen.py disagree"
                % (result.get("sha256"), result.get("bytes"), payload.seed,
                   payload.digest.sha256, len(payload)))
        self.sources[local] = payload.describe()

    def place(self, remote: str, data: bytes) -> str:
        """Put a file on the server under an exact name (e.g. in a server_dir); removed after."""
        self.server_files.append(remote)
        with self.phase("staging"):
            self.server.put(remote, data)
        return remote

    def transcript_mark(self) -> int | None:
        """A mark in the server's transcript; None where the server keeps none."""
        return self.server.transcript_mark() if isinstance(self.server, HasTranscript) else None

    def transcript_since(self, mark: int | None) -> str | None:
        """What the server saw and said since the mark (passwords masked), or None."""
        if mark is None or not isinstance(self.server, HasTranscript):
            return None
        return self.server.transcript_text(since=mark)

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
        args = {"host": self.server.host, "port": self.server.port, "user": self.server.user,
                "password": self.server.password, "ftplib": self.ftplib_kind}
        if self.server.folder:  # names are relative to it, for the module as for the server
            args["cwd"] = self.server.folder
        if self.port_host:
            args["port_host"] = self.port_host
        args.update(more)
        return args

    def step(self, name: str, **args: Any) -> StepResult:
        # the passwords in the arguments travel to the module; the serial log masks them
        secrets = [self.server.password]
        secrets += [op["password"] for op in args.get("ops", ()) if op.get("password")]
        with self.phase("transfer"):
            return self.device.run_step(STEP_MODULE, name, args, timeout=self.step_timeout,
                                        secrets=secrets)

    # -- scenarios -------------------------------------------------------

    def upload(self, data: bytes, name: str = "up.bin", **args: Any) -> Transfer:
        local = self.source_of(name, data)
        remote = self.server_name(name)
        result = self.step("upload", **self.ftp_args(local=local, remote=remote, **args))
        device = _digest(result.get("file_sha256"), result.get("file_bytes"))
        with self.phase("checks"):
            checks = Checksums(_host_digest(data), device, self.server.digest(remote), "upload")
        return self._keep(Transfer(result, checks, payload_source=self.sources.get(local)))

    def download(self, data: bytes, name: str = "down.bin", **args: Any) -> Transfer:
        remote = self.server_name(name)
        with self.phase("staging"):
            self.server.put(remote, data)
        transfer = self.download_existing(remote, expected=data, name=name, **args)
        transfer.payload_source = ON_SERVER
        return transfer

    def download_existing(self, remote: str, expected: bytes | None = None,
                          name: str | None = None, **args: Any) -> Transfer:
        local = self.device_path(name or Path(remote).name)
        self.device.makedirs(RUN_DIR)
        result = self.step("download", **self.ftp_args(local=local, remote=remote, **args))
        transfer = Transfer(result)
        if expected is not None:
            with self.phase("checks"):
                device = self._downloaded_digest(result, transfer)
                transfer.checksums = Checksums(_host_digest(expected), device,
                                               self.server.digest(remote), "download")
        return self._keep(transfer)

    def session(self, ops: list[dict[str, Any]], keep: bool = True, **args: Any) -> Session:
        """Run FTP operations on one control connection in one device round trip.

        `ops` are dicts such as {"op": "cwd", "arg": "dir"}, {"op": "retr",
        "remote": r, "local": l}, {"op": "rename", "from": a, "to": b} (see
        device_scripts/hil_ftp.py). `login=False` connects without logging in.
        keep=False leaves it out of the report (the caller reports one of its ops).
        """
        if any("local" in op for op in ops):
            self.device.makedirs(RUN_DIR)
        result = self.step("session", **self.ftp_args(ops=ops, **args))
        session = Session(result, [OpResult(op) for op in result.get("ops", [])])
        if keep or not session.ops:  # a session that never started is its own evidence
            self._keep(Transfer(result))
        return session

    def upload_text(self, text: bytes, name: str = "up.txt") -> tuple[Session, Transfer]:
        """storlines a text file; checked after CRLF -> LF."""
        local = self.source_of(name, text)
        remote = self.server_name(name)
        session = self.session([{"op": "storlines", "local": local, "remote": remote}],
                               keep=False)
        op = session.op("storlines")
        text_lf = to_lf(text)
        with self.phase("checks"):
            server, form = server_text_digest(text_lf, self.server.digest(remote))
        checks = TextChecksums(digest_of(text_lf), _digest(op.get("text_sha256"),
                                                           op.get("text_bytes")),
                               server, "upload", server_form=form)
        return session, self._keep(Transfer(op, checks, payload_source=self.sources.get(local)))

    def download_text(self, text: bytes, name: str = "down.txt",
                      callback: str = "lf") -> tuple[Session, Transfer]:
        """retrlines a text file the host placed on the server; checked after CRLF -> LF.

        callback "lf" writes each line back with "\\n"; "write" is the application
        note's sample, retrlines(cmd, fp.write), which drops every line end.
        """
        remote = self.server_name(name)
        with self.phase("staging"):
            self.server.put(remote, text)
        session, transfer = self.download_text_existing(remote, text, name, callback)
        transfer.payload_source = ON_SERVER
        return session, transfer

    def download_text_existing(self, remote: str, text: bytes, name: str,
                               callback: str = "lf") -> tuple[Session, Transfer]:
        local = self.device_path(name)
        session = self.session([{"op": "retrlines", "remote": remote, "local": local,
                                 "callback": callback}], keep=False)
        op = session.op("retrlines")
        text_lf = to_lf(text)
        device = _digest(op.get("text_sha256"), op.get("text_bytes"))
        with self.phase("checks"):
            server, form = server_text_digest(text_lf, self.server.digest(remote))
        checks = TextChecksums(digest_of(text_lf), device, server, "download",
                               server_form=form,
                               explanation=explain_text_damage(text_lf, device))
        return session, self._keep(Transfer(op, checks))

    def network(self, timeout: float = 30.0) -> StepResult:
        """Is the module on the network (checkNet)? Kept for the report."""
        result = self.step("net", timeout=timeout)
        self._keep(Transfer(result))
        return result

    @contextmanager
    def disk_filled(self, leave_free: int) -> Iterator[StepResult]:
        """Fill /usr down to `leave_free` bytes with a filler file; always removed.

        Removed on the way out whatever happened in the block (a failed assert,
        a reboot of the module); if even that fails, cleanup() tries again.
        """
        self.device.makedirs(RUN_DIR)
        filler = self.device_path("filler.bin")
        try:
            yield self.step("fill", path=filler, leave_free=leave_free)
        finally:
            self._remove_on_device([filler])  # a failure here is retried by cleanup()

    def wait_server_idle(self, timeout: float = 5.0) -> None:
        """Wait until the server holds no control connection (a limit test needs that)."""
        timeout = bounded(timeout)
        deadline = time.monotonic() + timeout
        server = self.server
        if not isinstance(server, HasTranscript):
            return
        while open_sessions(server.transcript_text()):
            if time.monotonic() > deadline:
                held = sorted(open_sessions(server.transcript_text()))
                raise HarnessError("the FTP server still holds control connections %s after "
                                   "%.0f s" % (held, timeout))
            time.sleep(0.02)  # polling the server's transcript, bounded by the deadline

    def server_dir_exists(self, name: str) -> bool:
        return self.server.dir_exists(name)

    def _keep(self, transfer: Transfer) -> Transfer:
        self.transfers.append(transfer)
        return transfer

    def _downloaded_digest(self, result: StepResult, transfer: Transfer) -> Digest | None:
        """What the module holds; for a failed download, what it received before
        it removed the partial file (so the report still shows its sha256)."""
        held = _digest(result.get("file_sha256"), result.get("file_bytes"))
        if held is not None or result.ok or not result.get("sha256"):
            return held
        transfer.extra["module_note"] = "received; the module removed the partial file"
        return Digest(result.get("sha256"), int(result.get("bytes") or 0))

    # -- clean-up --------------------------------------------------------

    def cleanup(self) -> None:
        """Remove only what this run created, on the module and on the server.

        Survives a module that rebooted or re-enumerated (reconnects once); what
        cannot be removed is named in one error at the end.
        """
        left = self._remove_on_device(list(reversed(self.device_files)))
        for name in self.server_files:
            try:
                self.server.remove(name)
            except Exception as exc:  # keep cleaning; reported at the end
                left.append("server:%s (%s)" % (name, exc))
        left += ["server:%s/" % d for d in reversed(self.server_dirs)
                 if not self._remove_server_dir(d)]
        if left:
            raise HarnessError("clean-up could not remove %s; remove them by hand before the "
                               "next run" % ", ".join(left))

    def _remove_on_device(self, paths: list[str]) -> list[str]:
        """Remove files on the module in one exec (a round trip on a slow link each is
        worth saving); reconnect once if the port went away. The paths left behind."""
        if not paths:
            return []
        for attempt in range(2):
            try:
                self.device.remove_all(paths)
                return []
            except HarnessError:
                if attempt == 0 and not self._reconnect_if_lost():
                    break
        return paths

    def _reconnect_if_lost(self) -> bool:
        if not self.device.lost:
            return True  # a timeout or a reboot: the REPL is back, try again
        try:
            self.device.reconnect(self.reconnect_timeout)
            return True
        except DeviceDisconnected:
            return False

    def _remove_server_dir(self, name: str) -> bool:
        """Remove a folder this run made on the server, with what is left in it."""
        try:
            self.server.remove_dir(name)
            return True
        except Exception:  # reported by the caller, with the folder's name
            return False


def nlst_names(lines: list[str]) -> list[str]:
    """NLST's names, sorted, without the folder in front (most servers answer "folder/x")
    and without "." and ".." (Pure-FTPd lists them): what an application must do too."""
    names = (line.rsplit("/", 1)[-1] for line in lines)
    return sorted(name for name in names if name not in (".", ".."))


def open_sessions(transcript: str) -> set[int]:
    """Control connections that connected and have not disconnected yet."""
    opened = set(map(int, re.findall(r"#(\d+) -- connected from", transcript)))
    closed = set(map(int, re.findall(r"#(\d+) -- disconnected", transcript)))
    return opened - closed


def sweep_run_dir(device: Device) -> list[str]:
    """Remove files an interrupted earlier run left in the harness's own folder."""
    device.makedirs(RUN_DIR)
    stale = device.listdir(RUN_DIR)
    for name in stale:
        device.remove("%s/%s" % (RUN_DIR, name))
    return stale


def _host_digest(data: bytes) -> Digest:
    """The expected digest: a generated payload knows its own."""
    return data.digest if isinstance(data, GeneratedPayload) else digest_of(data)


def _digest(sha: str | None, size: int | None) -> Digest | None:
    return Digest(sha, int(size or 0)) if sha else None
