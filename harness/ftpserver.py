"""The FTP server the harness runs: pyftpdlib with quota, disk-full, HASH, faults, transcript.

    with FtpServer(tmp_path / "ftp") as server:      # 127.0.0.1, a free port, a random password
        ...the device uploads to server.url() with server.password...
        assert server.sha256("up/payload.bin") == expected
        print(server.transcript_text())               # every command and reply, PASS masked

One server owns one pyftpdlib IOLoop running in its own thread. pyftpdlib keeps its
options as class attributes, so every FtpServer builds its own handler classes: two
servers in one process never share an account, a limit or a fault.

Answers a QA engineer can rely on (stock pyftpdlib gets the storage ones wrong):

    550 No such file or directory.            RETR of a missing file
    530 Authentication failed.                wrong password (no anonymous login)
    552 Quota exceeded; transfer aborted.     upload over the account quota
    452 Insufficient storage space; ...       upload on a (simulated) full disk
    213 <hex>                                 XSHA256 <path>
    213 SHA-256 0-<last byte> <hex> <path>    HASH <path>

Faults (see harness/ftp_faults.py): drop_data, reply_421, stall, throttle,
max_connections, corrupt.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import logging
import os
import secrets
import shutil
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.exceptions import _RetryError  # what pyftpdlib's recv() raises for EAGAIN
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import FTPHandler, ThrottledDTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from harness.errors import HarnessError
from harness.ftp_faults import CorruptingReader, Fault, FaultSet, corrupt_stored_file
from harness.verify import Digest

__all__ = ["FtpServer", "FtpServerError", "TranscriptLine"]

log = logging.getLogger(__name__)

# Windows' errno module has no EDQUOT; 122 is its Linux value
EDQUOT: int = getattr(errno, "EDQUOT", 122)
ENOSPC: int = errno.ENOSPC

REPLY_QUOTA = "552 Quota exceeded; transfer aborted."
REPLY_DISK_FULL = "452 Insufficient storage space; transfer aborted."
REPLY_DROPPED = "426 Connection closed; transfer aborted."
REPLY_TOO_MANY = "421 Too many connections. Service temporarily unavailable."

POLL_INTERVAL = 0.05  # how often the loop thread looks at the stop flag, in seconds
HASH_BLOCK = 64 * 1024
MASK = "****"

_HASH_COMMANDS = {
    "HASH": dict(
        perm="r",
        auth=True,
        arg=True,
        help="Syntax: HASH <SP> file-name (SHA-256 of a whole file).",
    ),
    "XSHA256": dict(
        perm="r",
        auth=True,
        arg=True,
        help="Syntax: XSHA256 <SP> file-name (SHA-256 of a whole file).",
    ),
}


class FtpServerError(HarnessError):
    """The harness FTP server could not start or stop."""


@dataclass(frozen=True)
class TranscriptLine:
    """One line of the server transcript."""

    at: float  # time.time() when the line was received or sent
    session: int  # control connection number (1, 2, ...); 0 for server events
    direction: str  # "<-" from the client, "->" to the client, "--" an event
    text: str

    def __str__(self) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(self.at))
        millis = int(self.at % 1 * 1000)
        return f"{clock}.{millis:03d} #{self.session} {self.direction} {self.text}"


@dataclass(frozen=True)
class _StorageLimit:
    """A cap on what the home may hold in total, and how hitting it is reported."""

    total_bytes: int
    errno: int
    at_close: bool  # True: report when the file is closed, as a buffered write on a full disk


def sha256_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """(hex sha256, size) of a file, read in blocks so big files never sit in memory."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(HASH_BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def tree_size(root: str | os.PathLike[str]) -> int:
    """Bytes held by the regular files under root (symlinks are not followed)."""
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except FileNotFoundError:
                pass  # deleted while we walked
    return total


def _errno_of(err: BaseException | None) -> int | None:
    """The errno of an error, looking through pyftpdlib's wrapper that drops it."""
    while err is not None:
        code = getattr(err, "errno", None)
        if code is not None:
            return code
        err = err.__cause__
    return None


def _storage_reply(err: BaseException) -> str:
    code = _errno_of(err)
    if code == EDQUOT:
        return REPLY_QUOTA
    if code == ENOSPC:
        return REPLY_DISK_FULL
    why = os.strerror(code) if code is not None else "Local error"
    return f"451 {why}; transfer aborted."


class _UploadFile:
    """A file opened for an upload: remembers where it started, enforces a storage limit.

    With a limit, bytes up to it are written; the write that crosses it raises
    OSError(EDQUOT / ENOSPC), or, for a limit reported at close, the extra bytes are
    dropped and close() raises.
    """

    def __init__(
        self, raw: BinaryIO, resumed: bool, limit: _StorageLimit | None = None, max_size: int = 0
    ) -> None:
        self._raw = raw
        self.resumed = resumed  # APPE or REST: the file held data before this upload
        self.start_size = os.fstat(raw.fileno()).st_size
        self._limit = limit
        self._max_size = max_size
        self._pending: OSError | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    @property
    def name(self) -> str:
        return self._raw.name

    @property
    def closed(self) -> bool:
        return self._raw.closed

    def write(self, data: bytes) -> int:
        if self._limit is None:
            return self._raw.write(data)
        room = self._max_size - self._raw.tell()
        if len(data) <= room:
            return self._raw.write(data)
        if room > 0:
            self._raw.write(data[:room])
        err = OSError(self._limit.errno, os.strerror(self._limit.errno))
        if not self._limit.at_close:
            raise err
        self._pending = err
        return len(data)

    def close(self) -> None:
        if self._raw.closed:
            return
        self._raw.close()
        if self._pending is not None:
            err, self._pending = self._pending, None
            raise err


class _HomeFS(AbstractedFS):
    """The account's filesystem view: applies limits to uploads and corruption to downloads."""

    owner: FtpServer  # set on the per-server subclass

    def open(self, filename: str, mode: str) -> Any:
        f = super().open(filename, mode)
        if "r" in mode and "+" not in mode:
            return self.owner._reader_for(f)
        return self.owner._upload_file(f, resumed="w" not in mode)

    def mkstemp(
        self, suffix: str = "", prefix: str = "", dir: str | None = None, mode: str = "wb"
    ) -> Any:
        return self.owner._upload_file(super().mkstemp(suffix, prefix, dir, mode), resumed=False)


class _DataHandler(ThrottledDTPHandler):
    """A data connection: answers storage errors properly and carries the data faults."""

    owner: FtpServer  # set on the per-server subclass

    def __init__(self, sock: Any, cmd_channel: Any) -> None:
        self._stalled = False
        self._write_failed = False
        throttle = self.owner.faults.get("throttle")
        if throttle is not None:
            # read before super().__init__, which sizes the buffers from these limits
            rate = throttle.params["bytes_per_second"]
            self.read_limit = rate if throttle.applies_to("stor") else 0
            self.write_limit = rate if throttle.applies_to("retr") else 0
        super().__init__(sock, cmd_channel)
        if not self._closed:
            self.owner._live.add(self)

    # --- faults that cut a transfer short

    def _direction(self) -> str | None:
        if self.receive:
            return "stor"
        return "retr" if self.file_obj is not None else None  # None: a listing

    def _cut_fault(self) -> Fault | None:
        """The drop_data or stall fault acting on this transfer (the earlier one wins)."""
        direction = self._direction()
        if direction is None:
            return None
        faults = self.owner.faults
        found = [
            f
            for f in (faults.get("drop_data"), faults.get("stall"))
            if f is not None and f.applies_to(direction)
        ]
        return min(found, key=lambda f: f.params["after_bytes"], default=None)

    def _trip(self, fault: Fault, moved: int) -> None:
        if self._closed or self._stalled:
            return
        if fault.name == "drop_data":
            self.cmd_channel.note(f"fault drop_data: data connection closed after {moved} bytes")
            self._resp = (REPLY_DROPPED, log.info)
            self.close()
        else:
            self.cmd_channel.note(f"fault stall: data connection stalled after {moved} bytes")
            self._stalled = True
            self.del_channel()  # no more events: nothing sent or read, socket stays open

    def add_channel(self, map: Any = None, events: Any = None) -> None:
        if not self._stalled:  # the throttler would wake a stalled channel up
            super().add_channel(map, events)

    def send(self, data: bytes) -> int:
        fault = self._cut_fault()
        if fault is None:
            return super().send(data)
        left = fault.params["after_bytes"] - self.tot_bytes_sent
        sent = super().send(data[:left]) if left > 0 else 0
        if left - sent <= 0:
            self._trip(fault, self.tot_bytes_sent)
        return sent

    def handle_read(self) -> None:
        # pyftpdlib's own version, plus the cut faults and a proper storage error reply
        size = self.ac_in_buffer_size
        fault = self._cut_fault()
        if fault is not None:
            left = fault.params["after_bytes"] - self.tot_bytes_received
            if left <= 0:
                self._trip(fault, self.tot_bytes_received)
                return
            size = min(size, left)
        try:
            chunk = self.recv(size)
        except _RetryError:
            return
        except OSError:
            self.handle_error()
            return
        self.tot_bytes_received += len(chunk)
        if not chunk:
            self.transfer_finished = True
            return
        if self._data_wrapper is not None:
            chunk = self._data_wrapper(chunk)
        try:
            self.file_obj.write(chunk)
        except OSError as err:
            self._abort(err)
            return
        if fault is not None and self.tot_bytes_received >= fault.params["after_bytes"]:
            self._trip(fault, self.tot_bytes_received)

    handle_read_event = handle_read  # the base class aliased its own handle_read

    # --- errors and the end of a transfer

    def _abort(self, err: BaseException) -> None:
        """A file write failed: answer 552 / 452 / 451 and end the transfer."""
        self._write_failed = True
        self._resp = (_storage_reply(err), log.info)
        self.close()

    def handle_error(self) -> None:
        err = sys.exc_info()[1]
        if self.receive and _errno_of(err) in (EDQUOT, ENOSPC):
            self._abort(err)
        elif isinstance(err, OSError) and _errno_of(err) is not None:
            # stock pyftpdlib loses the errno here and answers "426 None"
            self._resp = (f"426 {os.strerror(_errno_of(err))}; transfer aborted.", log.warning)
            self.close()
        else:
            super().handle_error()

    def close(self) -> None:
        if not self._closed:
            self.owner._live.discard(self)
            if self.receive and self.file_obj is not None:
                self._finish_upload()
        super().close()  # closes the socket, then sends the reply in self._resp

    def _finish_upload(self) -> None:
        """Close the uploaded file before the reply goes out, so the client sees its final state."""
        f = self.file_obj
        if not f.closed:
            try:
                f.close()
            except OSError as err:  # e.g. a full disk found while flushing
                if not self._write_failed:
                    self._write_failed = True
                    self._resp = (_storage_reply(err), log.info)
        if self._write_failed:
            self.transfer_finished = False
            if not self.owner.keep_partial:
                self._discard_partial(f)
        elif self.transfer_finished:
            fault = self.owner.faults.get("corrupt")
            if fault is not None and fault.params["on"] == "stored":
                mode = fault.params["mode"]
                corrupt_stored_file(f.name, mode)
                self.cmd_channel.note(f"fault corrupt: stored file damaged ({mode})")

    def _discard_partial(self, f: _UploadFile) -> None:
        """Remove a failed upload; a failed APPE / resume only loses what it added."""
        try:
            if f.resumed:
                os.truncate(f.name, f.start_size)
            else:
                os.remove(f.name)
        except FileNotFoundError:
            pass
        except OSError as err:
            log.warning("could not discard partial upload %s: %s", f.name, err)


class _ControlHandler(FTPHandler):
    """A control connection: transcript, HASH commands, connection faults."""

    owner: FtpServer  # set on the per-server subclass

    def __init__(self, conn: Any, server: Any, ioloop: Any = None) -> None:
        self.session_id = next(self.owner._session_ids)
        super().__init__(conn, server, ioloop)
        self._extra_feats = [*self._extra_feats, "HASH SHA-256*", "XSHA256"]

    def note(self, text: str, direction: str = "--") -> None:
        self.owner._record(self.session_id, direction, text)

    # --- connection admission

    def handle(self) -> None:
        self.owner._live.add(self)
        self.note(f"connected from {self.remote_ip}:{self.remote_port}")
        refuse = self.owner.faults.get("reply_421")
        if refuse is not None:
            self.respond(f"421 {refuse.params['message']}")
            self.close_when_done()
            return
        limit = self.owner._connection_limit()
        if len(self.owner._admitted) >= limit:
            self.handle_max_cons()
            return
        self.owner._admitted.add(self)
        super().handle()

    def handle_max_cons(self) -> None:
        # stock closes at once, and the 421 may never leave; let it flush first
        self.respond_w_warning(REPLY_TOO_MANY)
        self.close_when_done()

    def close(self) -> None:
        if not self._closed:
            self.owner._live.discard(self)
            self.owner._admitted.discard(self)
            if self.remote_ip:
                self.note("disconnected")
        super().close()

    # --- transcript

    def pre_process_command(self, line: str, cmd: str, arg: str) -> None:
        self.note(f"PASS {MASK}" if cmd == "PASS" else line, "<-")
        super().pre_process_command(line, cmd, arg)

    def push(self, data: str) -> None:
        for text in data.split("\r\n"):
            if text:
                self.note(text, "->")
        super().push(data)

    def log_transfer(
        self, cmd: str, filename: str, receive: bool, completed: bool, elapsed: float, bytes: int
    ) -> None:
        super().log_transfer(cmd, filename, receive, completed, elapsed, bytes)
        state = "complete" if completed else "incomplete"
        name = self.owner._ftp_name(filename)
        self.note(f"{cmd} {name} {state}: {bytes} bytes in {elapsed:.3f} s")

    # --- HASH / XSHA256

    def _hash(self, path: str) -> tuple[str, int] | None:
        """(hex, size) of a file in the home, or None after answering 550."""
        if self.fs.isdir(path):
            self.respond("550 Is a directory.")
            return None
        try:
            # hashing runs in the loop thread; HIL payloads are small enough not to matter
            return self.run_as_current_user(sha256_file, path)
        except OSError as err:
            self.respond(f"550 {os.strerror(err.errno) if err.errno else err}.")
            return None

    def ftp_XSHA256(self, path: str) -> str | None:
        found = self._hash(path)
        if found is None:
            return None
        self.respond(f"213 {found[0]}")
        return path

    def ftp_HASH(self, path: str) -> str | None:
        found = self._hash(path)
        if found is None:
            return None
        digest, size = found
        self.respond(f"213 SHA-256 0-{max(size - 1, 0)} {digest} {self.fs.fs2ftp(path)}")
        return path

    def ftp_OPTS(self, line: str) -> None:
        name, _, value = line.strip().partition(" ")
        if name.upper() != "HASH":
            super().ftp_OPTS(line)
        elif value.strip() and value.strip().upper() != "SHA-256":
            self.respond("501 Unsupported hash algorithm; only SHA-256 is available.")
        else:
            self.respond("200 SHA-256")


class FtpServer:
    """A pyftpdlib FTP server with one account, run in its own thread.

    `root` is the account's home (created if missing). quota_bytes caps what the home
    may hold in total (552 when exceeded); set_disk_free() simulates a full disk (452).
    keep_partial keeps the part of an upload written before such an error.
    max_connections limits concurrent control connections (421 beyond it).
    auth_failed_delay is how long a wrong password waits for its 530.
    host is the address clients are told (url(), the module's connect); bind, when
    given, is the address to listen on instead (e.g. "0.0.0.0" behind NAT).
    """

    def __init__(
        self,
        root: Path,
        user: str = "hil",
        password: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        quota_bytes: int | None = None,
        passive_ports: range | None = None,
        masquerade_address: str | None = None,
        keep_partial: bool = False,
        max_connections: int = 64,
        auth_failed_delay: float = 0.5,
        bind: str | None = None,
    ) -> None:
        if not user or user == "anonymous":
            raise ValueError("user must be a named account; this server has no anonymous login")
        if max_connections < 1:
            raise ValueError(f"max_connections must be >= 1, got {max_connections}")
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.user = user
        self.password = password if password is not None else secrets.token_urlsafe(16)
        self.host = host
        self.bind = host if bind is None else bind
        self.port = port
        self.passive_ports = passive_ports
        self.masquerade_address = masquerade_address
        self.keep_partial = keep_partial
        self.max_connections = max_connections
        self.auth_failed_delay = auth_failed_delay
        self.faults = FaultSet()
        self.transcript: list[TranscriptLine] = []
        self.loop_error: BaseException | None = None  # set if the loop thread died

        self._quota: int | None = None
        self._disk: _StorageLimit | None = None
        self.set_quota(quota_bytes)
        self._transcript_lock = threading.Lock()
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._ioloop: Any = None
        self._server: FTPServer | None = None
        # touched only by the loop thread
        self._session_ids = itertools.count(1)
        self._live: set[Any] = set()  # every open control and data connection
        self._admitted: set[Any] = set()  # control connections counted against the limit

    def __repr__(self) -> str:
        return f"<FtpServer {self.url()} root={str(self.root)!r}>"

    # --- life cycle

    def start(self) -> None:
        """Listen (port 0 picks a free port, stored in self.port) and serve in a thread."""
        if self._thread is not None:
            raise FtpServerError(f"{self!r} was already started; create a new FtpServer")
        _keep_pyftpdlib_from_configuring_logging()
        self._ioloop = IOLoop()  # our own loop, never the process-wide IOLoop.instance()
        try:
            self._server = FTPServer(
                (self.bind, self.port), self._handler_class(), ioloop=self._ioloop
            )
        except OSError as err:
            _close_loop(self._ioloop)
            raise FtpServerError(
                f"cannot listen on {self.bind}:{self.port}: {err}; "
                "is the port in use or the address not on this host?"
            ) from err
        self._server.max_cons = 0  # _ControlHandler enforces its own limit
        self.port = self._server.address[1]
        self._thread = threading.Thread(
            target=self._run, name=f"ftp-server-{self.port}", daemon=True
        )
        self._thread.start()
        self._record(0, "--", f"listening on {self.bind}:{self.port}, home {self.root}")

    def stop(self, timeout: float = 5.0) -> None:
        """Close every connection and the listener; safe to call more than once."""
        thread = self._thread
        if thread is None:
            return
        self._stop_event.set()
        if thread is threading.current_thread():
            return  # called from a handler: the loop ends after this callback
        thread.join(timeout)
        if thread.is_alive():
            raise FtpServerError(
                f"the FTP server thread on port {self.port} did not stop within {timeout} s; "
                "a handler is blocked (see the log)"
            )
        if self.loop_error is not None:
            raise FtpServerError(
                f"the FTP server loop on port {self.port} died earlier: {self.loop_error!r}; "
                "clients were refused from then on (traceback in the log)"
            ) from self.loop_error

    def __enter__(self) -> FtpServer:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = self._ioloop
        try:
            # poll in short slices so stop() is noticed here, in the loop's own thread
            while not self._stop_event.is_set():
                if loop.socket_map:
                    loop.loop(timeout=POLL_INTERVAL, blocking=False)
                else:
                    self._stop_event.wait(POLL_INTERVAL)
        except BaseException as err:  # keep the error for the caller; still clean up
            self.loop_error = err
            log.exception("FTP server loop on port %s died", self.port)
        finally:
            self._close_everything()

    def _close_everything(self) -> None:
        # control connections first: each closes its own data connection
        for channel in sorted(self._live, key=lambda c: isinstance(c, _DataHandler)):
            try:
                channel.close()
            except Exception:
                log.exception("closing %r", channel)
        self._live.clear()
        self._admitted.clear()
        _close_loop(self._ioloop)  # the listener, anything left, scheduled calls
        self._record(0, "--", "stopped")

    def _handler_class(self) -> type[FTPHandler]:
        """Handler classes private to this server: pyftpdlib options are class attributes."""
        authorizer = DummyAuthorizer()
        authorizer.add_user(self.user, self.password, str(self.root), perm="elradfmwMT")
        attrs = {
            "owner": self,
            "authorizer": authorizer,
            "dtp_handler": type("HilDataHandler", (_DataHandler,), {"owner": self}),
            "abstracted_fs": type("HilFS", (_HomeFS,), {"owner": self}),
            "proto_cmds": {**FTPHandler.proto_cmds, **_HASH_COMMANDS},
            "banner": "qpy-ftp-hil FTP server ready.",
            "masquerade_address": self.masquerade_address,
            "masquerade_address_map": {},
            "passive_ports": self.passive_ports,
            "auth_failed_timeout": self.auth_failed_delay,
            "use_sendfile": False,  # every byte goes through send(), where faults act
        }
        return type("HilControlHandler", (_ControlHandler,), attrs)

    # --- the account

    def url(self) -> str:
        """ftp://user@host:port/ (never the password)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ftp://{quote(self.user, safe='')}@{host}:{self.port}/"

    def path(self, relpath: str) -> Path:
        """Host path of a file in the home; ValueError if it would leave the home."""
        candidate = (self.root / relpath.lstrip("/\\")).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            raise ValueError(f"{relpath!r} is outside the FTP home {self.root}")
        return candidate

    def sha256(self, relpath: str) -> str:
        """Hex sha256 of a stored file, read in blocks."""
        return sha256_file(self.path(relpath))[0]

    # --- the ServerControl surface (see harness/server_control.py)

    mode = "local"
    supports_control = True  # quota, disk, faults, transcript: all in our hands

    def put(self, name: str, data: bytes) -> None:
        """Place a file in the home, as if someone had uploaded it."""
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def digest(self, name: str) -> Digest | None:
        """sha256 and size of a stored file; None if it is not there."""
        target = self.path(name)
        if not target.is_file():
            return None
        return Digest(*sha256_file(target))

    def remove(self, name: str) -> None:
        target = self.path(name)
        if target.is_file():
            target.unlink()

    def dir_exists(self, name: str) -> bool:
        return self.path(name).is_dir()

    def remove_dir(self, name: str) -> None:
        """Remove a folder in the home with everything in it (never the home itself)."""
        target = self.path(name)
        if target == self.root:
            raise ValueError("refusing to remove the FTP home itself")
        if target.is_dir():
            shutil.rmtree(target)

    def _ftp_name(self, fs_path: str) -> str:
        try:
            return "/" + Path(fs_path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return "?"

    # --- storage limits

    def set_quota(self, quota_bytes: int | None) -> None:
        """Cap the bytes the home may hold in total (None: no quota). Applies to new uploads."""
        if quota_bytes is not None and quota_bytes < 0:
            raise ValueError(f"quota_bytes must be >= 0 or None, got {quota_bytes}")
        self._quota = quota_bytes

    def set_disk_free(self, free_bytes: int | None, *, fail_at: str = "write") -> None:
        """Simulate a disk with only free_bytes left from now on (None: a normal disk).

        Space freed by deleting files becomes free again. fail_at="close" reports the
        full disk only when the upload is closed, as a buffered write on a real disk does.
        """
        if free_bytes is None:
            self._disk = None
            return
        if free_bytes < 0:
            raise ValueError(f"free_bytes must be >= 0 or None, got {free_bytes}")
        if fail_at not in ("write", "close"):
            raise ValueError(f"fail_at must be 'write' or 'close', got {fail_at!r}")
        self._disk = _StorageLimit(tree_size(self.root) + free_bytes, ENOSPC, fail_at == "close")

    def _upload_file(self, f: BinaryIO, resumed: bool) -> _UploadFile:
        """Wrap a file opened for upload, under the tightest storage limit if any."""
        limits = [limit for limit in (self._quota_limit(), self._disk) if limit is not None]
        if not limits:
            return _UploadFile(f, resumed)
        others = tree_size(self.root) - os.fstat(f.fileno()).st_size
        # the limit that leaves the least room wins; on a tie the quota is reported
        limit = min(limits, key=lambda lim: (lim.total_bytes, lim.errno != EDQUOT))
        return _UploadFile(f, resumed, limit, limit.total_bytes - others)

    def _quota_limit(self) -> _StorageLimit | None:
        return None if self._quota is None else _StorageLimit(self._quota, EDQUOT, False)

    def _reader_for(self, f: BinaryIO) -> Any:
        fault = self.faults.get("corrupt")
        if fault is not None and fault.params["on"] == "served":
            return CorruptingReader(f, fault.params["mode"])
        return f

    # --- faults

    def inject_fault(self, name: str, **params: Any) -> None:
        """Activate a fault until cleared (see harness/ftp_faults.py for names and params)."""
        fault = self.faults.inject(name, **params)
        self._record(0, "--", f"fault injected: {fault.describe()}")

    def clear_faults(self, *names: str) -> None:
        """Clear the named faults, or all faults when no name is given."""
        self.faults.clear(*names)
        self._record(0, "--", f"faults cleared: {', '.join(names) or 'all'}")

    def _connection_limit(self) -> int:
        fault = self.faults.get("max_connections")
        if fault is None:
            return self.max_connections
        return min(self.max_connections, fault.params["limit"])

    # --- transcript

    def _record(self, session: int, direction: str, text: str) -> None:
        if self.password:
            text = text.replace(self.password, MASK)  # never let the password reach a report
        line = TranscriptLine(time.time(), session, direction, text)
        with self._transcript_lock:
            self.transcript.append(line)

    def transcript_mark(self) -> int:
        """A mark to pass to transcript_since() / transcript_text() later."""
        with self._transcript_lock:
            return len(self.transcript)

    def transcript_since(self, mark: int) -> list[TranscriptLine]:
        """The transcript lines recorded after transcript_mark() returned mark."""
        with self._transcript_lock:
            return list(self.transcript[mark:])

    def transcript_text(self, since: int = 0) -> str:
        """The transcript (from a mark) as text, one timestamped line per command or reply."""
        return "\n".join(str(line) for line in self.transcript_since(since))


def _keep_pyftpdlib_from_configuring_logging() -> None:
    # pyftpdlib adds a stderr handler on its first loop unless logging looks configured
    pyftpdlib_log = logging.getLogger("pyftpdlib")
    if not pyftpdlib_log.handlers:
        pyftpdlib_log.addHandler(logging.NullHandler())


def _close_loop(loop: Any) -> None:
    # IOLoop.close() also forgets the process-wide shared loop; put it back for others
    shared = type(loop).__dict__.get("_instance")
    loop.close()
    if shared is not None:
        type(loop)._instance = shared
