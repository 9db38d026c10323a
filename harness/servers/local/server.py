"""FtpServer: our pyftpdlib server with quota, disk-full, HASH, faults and a transcript.

    with FtpServer(tmp_path / "ftp") as server:      # 127.0.0.1, a free port, a random password
        ...the device uploads to server.url with server.password...
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

Faults (see faults.py): drop_data, reply_421, stall, throttle, max_connections, corrupt.
A dialect (harness/servers/dialects.py) makes it answer as vsftpd, ProFTPD, Pure-FTPd,
IIS or FileZilla Server does, or name an unreachable address in its 227 (nat).
"""

from __future__ import annotations

import itertools
import logging
import secrets
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from harness.digest import Digest
from harness.errors import HarnessError
from harness.servers.dialects import Dialect, dialect_named
from harness.servers.local.control_handler import HASH_COMMANDS, ControlHandler
from harness.servers.local.data_handler import ActiveConnector, DataHandler
from harness.servers.local.faults import CorruptingReader, FaultSet
from harness.servers.local.removal import remove_when_released
from harness.servers.local.storage import HomeFS, StorageLimits, sha256_file
from harness.servers.local.transcript import Transcript, TranscriptLine
from harness.servers.spec import (
    WILDCARDS,
    ServerSpec,
    advertised_address,
    worker_control_port,
    worker_passive_ports,
)

if TYPE_CHECKING:
    from harness.servers.options import ServerOptions

__all__ = ["FtpServer", "FtpServerError", "TranscriptLine"]

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.05  # how often the loop thread looks at the stop flag, in seconds


class FtpServerError(HarnessError):
    """The harness FTP server could not start or stop."""


class FtpServer:
    """A pyftpdlib FTP server with one account, run in its own thread.

    Meets contract.Server with every ability (HasFaults, HasStorageLimits, HasTranscript).
    `root` is the account's home (created if missing). quota_bytes caps what the home
    may hold in total (552 when exceeded); set_disk_free() simulates a full disk (452).
    keep_partial keeps the part of an upload written before such an error.
    max_connections limits concurrent control connections (421 beyond it).
    auth_failed_delay is how long a wrong password waits for its 530.
    host is the address clients are told (url, the module's connect); bind, when
    given, is the address to listen on instead (e.g. "0.0.0.0" behind NAT).
    dialect makes it answer as another server does (and keep a partial upload where that
    server keeps one); read_only names folders of the home the account may not write in.
    """

    mode = "local"
    folder = ""  # the module works in the account's home
    hash_command: str | None = "XSHA256"

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
        dialect: Dialect | None = None,
        read_only: Sequence[str] = (),
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
        self.dialect = dialect
        self.keep_partial = keep_partial or (dialect is not None and dialect.keeps_partial)
        self.read_only = tuple(read_only)
        self.max_connections = max_connections
        self.auth_failed_delay = auth_failed_delay
        self.faults = FaultSet()
        self.storage = StorageLimits(self.root, quota_bytes)
        self.loop_error: BaseException | None = None  # set if the loop thread died

        self._transcript = Transcript(self.password)
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._ioloop: Any = None
        self._server: Any = None  # pyftpdlib's FTPServer, once listening
        # touched only by the loop thread (and the handlers, which run in it)
        self.session_ids = itertools.count(1)
        self.live: set[Any] = set()  # every open control and data connection
        self.admitted: set[Any] = set()  # control connections counted against the limit

    def __repr__(self) -> str:
        return f"<FtpServer {self.url} root={str(self.root)!r}>"

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
        self._server.max_cons = 0  # ControlHandler enforces its own limit
        self.port = self._server.address[1]
        self._thread = threading.Thread(
            target=self._run, name=f"ftp-server-{self.port}", daemon=True
        )
        self._thread.start()
        self.transcript_record(0, "--", f"listening on {self.bind}:{self.port}, home {self.root}")

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
        for channel in sorted(self.live, key=lambda c: isinstance(c, DataHandler)):
            try:
                channel.close()
            except Exception:
                log.exception("closing %r", channel)
        self.live.clear()
        self.admitted.clear()
        _close_loop(self._ioloop)  # the listener, anything left, scheduled calls
        self.transcript_record(0, "--", "stopped")

    def _handler_class(self) -> type[FTPHandler]:
        """Handler classes private to this server: pyftpdlib options are class attributes."""
        authorizer = DummyAuthorizer()
        authorizer.add_user(self.user, self.password, str(self.root), perm="elradfmwMT")
        for folder in self.read_only:
            target = self.path(folder)
            target.mkdir(parents=True, exist_ok=True)
            authorizer.override_perm(self.user, str(target), perm="elr", recursive=True)
        attrs = {
            "owner": self,
            "authorizer": authorizer,
            "dtp_handler": type("HilDataHandler", (DataHandler,), {"owner": self}),
            "active_dtp": ActiveConnector,  # PORT without losing a neighbour's connection
            "abstracted_fs": type("HilFS", (HomeFS,), {"owner": self}),
            "proto_cmds": {**FTPHandler.proto_cmds, **HASH_COMMANDS},
            "banner": "qpy-ftp-hil FTP server ready.",
            "masquerade_address": self.masquerade_address,
            "masquerade_address_map": {},
            "passive_ports": self.passive_ports,
            "auth_failed_timeout": self.auth_failed_delay,
            "use_sendfile": False,  # every byte goes through send(), where faults act
        }
        return type("HilControlHandler", (ControlHandler,), attrs)

    def identity(self) -> dict[str, str]:
        """contract.Introduces: the dialect spoken, if any."""
        return {"dialect": self.dialect.describe()} if self.dialect is not None else {}

    # --- the account (contract.Server)

    @property
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

    def put(self, name: str, data: bytes, append: bool = False) -> None:
        """Place a file in the home, as if someone had uploaded it (append: add to it,
        as the ssh:// kind does with a big file sent in pieces)."""
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "ab" if append else "wb") as f:
            f.write(data)

    def digest(self, name: str) -> Digest | None:
        """sha256 and size of a stored file; None if it is not there."""
        target = self.path(name)
        if not target.is_file():
            return None
        return Digest(*sha256_file(target))

    def remove(self, name: str) -> None:
        """Remove a stored file; one a data channel still holds (Windows) once it lets go."""
        target = self.path(name)
        if target.is_file():
            remove_when_released(target.unlink, str(target))

    def dir_exists(self, name: str) -> bool:
        return self.path(name).is_dir()

    def remove_dir(self, name: str) -> None:
        """Remove a folder in the home with everything in it (never the home itself)."""
        target = self.path(name)
        if target == self.root:
            raise ValueError("refusing to remove the FTP home itself")
        if target.is_dir():
            # rmtree again from where it stopped while a held file (Windows) is let go
            remove_when_released(lambda: shutil.rmtree(target), str(target))

    def ftp_name(self, fs_path: str) -> str:
        """The FTP client's name for a host path in the home, for the transcript."""
        try:
            return "/" + Path(fs_path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return "?"

    # --- storage limits (contract.HasStorageLimits)

    def set_quota(self, quota_bytes: int | None) -> None:
        """Cap the bytes the home may hold in total (None: no quota). Applies to new uploads."""
        self.storage.set_quota(quota_bytes)

    def set_disk_free(self, free_bytes: int | None, *, fail_at: str = "write") -> None:
        """Simulate a disk with only free_bytes left from now on (None: a normal disk);
        fail_at="close" reports it when the upload is closed (see storage.py)."""
        self.storage.set_disk_free(free_bytes, fail_at=fail_at)

    # --- faults (contract.HasFaults)

    def inject_fault(self, name: str, **params: Any) -> None:
        """Activate a fault until cleared (see faults.py for names and params)."""
        fault = self.faults.inject(name, **params)
        self.transcript_record(0, "--", f"fault injected: {fault.describe()}")

    def clear_faults(self, *names: str) -> None:
        """Clear the named faults, or all faults when no name is given."""
        self.faults.clear(*names)
        self.transcript_record(0, "--", f"faults cleared: {', '.join(names) or 'all'}")

    def active_faults(self) -> list[str]:
        return [fault.describe() for fault in self.faults.active()]

    def connection_limit(self) -> int:
        fault = self.faults.get("max_connections")
        if fault is None:
            return self.max_connections
        return min(self.max_connections, int(fault.params["limit"]))

    def reader_for(self, f: BinaryIO) -> Any:
        """A file opened for RETR, damaged on the way out while a corrupt fault says so."""
        fault = self.faults.get("corrupt")
        if fault is not None and fault.params["on"] == "served":
            return CorruptingReader(f, fault.params["mode"])
        return f

    # --- transcript (contract.HasTranscript)

    def transcript_record(self, session: int, direction: str, text: str) -> None:
        self._transcript.record(session, direction, text)

    @property
    def transcript(self) -> list[TranscriptLine]:
        return self._transcript.since(0)

    def transcript_mark(self) -> int:
        """A mark to pass to transcript_since() / transcript_text() later."""
        return self._transcript.mark()

    def transcript_since(self, mark: int) -> list[TranscriptLine]:
        """The transcript lines recorded after transcript_mark() returned mark."""
        return self._transcript.since(mark)

    def transcript_text(self, since: int = 0) -> str:
        """The transcript (from a mark) as text, one timestamped line per command or reply."""
        return self._transcript.text(since)


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


def build(spec: ServerSpec, options: ServerOptions) -> FtpServer:
    """The local kind from --ftp-server and the options (see factory.py)."""
    if options.home is None:
        raise ValueError("a local FTP server needs a home folder (ServerOptions.home)")
    bind = options.bind or "127.0.0.1"
    host, masquerade = advertised_address(bind, options.public_host)
    # [bench PC] several workers: each its own control port and its slice of the range
    port = worker_control_port(options.port, options.port_offset, options.workers) \
        if options.port else 0
    passive = worker_passive_ports(options.passive_ports, options.port_offset,
                                   options.workers) if options.passive_ports else None
    dialect = dialect_named(options.dialect) if options.dialect else None
    if dialect is not None and dialect.pasv_host and bind in WILDCARDS:
        raise ValueError("--ftp-dialect=%s names %s in every 227, which a server listening on "
                         "%s would answer: bind the server to one address (--ftp-bind)"
                         % (dialect.name, dialect.pasv_host, bind or "every address"))
    return FtpServer(options.home, user=options.user, password=options.password, host=host,
                     bind=bind, port=port, quota_bytes=options.quota_bytes,
                     passive_ports=passive, masquerade_address=masquerade, dialect=dialect)
