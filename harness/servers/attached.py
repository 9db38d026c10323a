"""--ftp-server=ftp://user@host[:port]/folder: an FTP server someone else runs, attached to.

The harness logs in like any client (CPython's ftplib). It creates one session folder
inside /folder, puts and removes files only there, and verifies a file with the
server's XSHA256 / HASH when FEAT offers one, else by downloading and hashing it. It
meets contract.Server and claims no ability: no quota, no faults, no transcript, so
scenarios that need one skip. At the end it deletes the session folder, and nothing else.

The password comes from QPY_HIL_FTP_PASSWORD or a prompt, never from the command line.
"""

from __future__ import annotations

import ftplib
import hashlib
import io
import posixpath
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from harness import link_budget
from harness.deadline import bounded
from harness.digest import Digest
from harness.errors import HarnessError
from harness.servers.spec import ServerSpec

if TYPE_CHECKING:
    from harness.servers.options import ServerOptions

PASSWORD_ENV = "QPY_HIL_FTP_PASSWORD"
BLOCK = 64 * 1024
_SHA256_HEX = re.compile(r"\b[0-9a-fA-F]{64}\b")
_DOWNLOAD = object()  # the server's hash did not answer: hash a download instead


class AttachedServerError(HarnessError):
    """The attached server refused the login, the session folder, or its clean-up."""


def password_from(environ: Mapping[str, str], ask: Callable[[str], str] | None,
                  target: str) -> str:
    """The FTP password: from QPY_HIL_FTP_PASSWORD, else ask(prompt) if the person is there."""
    value = environ.get(PASSWORD_ENV, "")
    if value:
        return value
    if ask is None:
        raise AttachedServerError(
            "no password for ftp://%s: set %s in the environment (the harness prompts for "
            "it only when run from a terminal)" % (target, PASSWORD_ENV))
    value = ask("FTP password for ftp://%s: " % target)
    if not value:
        raise AttachedServerError("no password given for ftp://%s" % target)
    return value


def session_folder_name() -> str:
    """A name no other run shares: when it ran, plus a random part."""
    return "qpy-hil-%s-%s" % (time.strftime("%Y%m%d-%H%M%S"), secrets.token_hex(3))


def _code(err: BaseException) -> int | None:
    text = str(err)
    return int(text[:3]) if text[:3].isdigit() else None


class AttachedServer:
    """contract.Server for an existing FTP server, and nothing more."""

    mode = "ftp"

    def __init__(self, host: str, user: str, password: str, *, port: int = 21,
                 base: str = "/", timeout: float = 30.0, session: str | None = None) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.timeout = timeout
        self.base = posixpath.normpath("/" + base.strip("/"))
        # every file of the run lives here; the module is given paths inside it
        self.folder = posixpath.join(self.base, session or session_folder_name())
        self.hash_command: str | None = None  # "XSHA256" or "HASH" when FEAT offers one
        self.greeting = ""  # its 220 and SYST replies, for the reports (contract.Introduces)
        self.system = ""
        self._created = False

    def __repr__(self) -> str:
        return "<AttachedServer %s>" % self.url

    @property
    def url(self) -> str:
        return "ftp://%s@%s:%d%s/" % (self.user, self.host, self.port, self.folder)

    # --- connections

    @contextmanager
    def _session(self) -> Iterator[ftplib.FTP]:
        """A fresh logged-in binary-mode connection (no idle connection to time out)."""
        # a reply may wait on what the module does across its link (a file it still holds
        # open); over before the test's ceiling
        ftp = ftplib.FTP(timeout=bounded(link_budget.current().stretch(self.timeout,
                                                                       round_trips=2)))
        try:
            try:
                ftp.connect(self.host, self.port)
            except (OSError, EOFError, ftplib.Error) as exc:
                raise AttachedServerError("cannot reach %s:%d: %s"
                                          % (self.host, self.port, _why(exc))) from None
            try:
                ftp.login(self.user, self.password)
                ftp.voidcmd("TYPE I")
            except ftplib.error_perm as exc:
                raise AttachedServerError(
                    "login refused for %s at %s:%d (%s): check the user and %s"
                    % (self.user, self.host, self.port, exc, PASSWORD_ENV)) from None
            except (OSError, EOFError, ftplib.Error) as exc:
                raise AttachedServerError("cannot log in to %s:%d: %s"
                                          % (self.host, self.port, _why(exc))) from None
            yield ftp
        finally:
            _hang_up(ftp)

    def _path(self, name: str) -> str:
        """The server path of `name`; ValueError for anything outside the session folder."""
        if "\r" in name or "\n" in name:
            raise ValueError("%r: a file name with a line break would be a second FTP command"
                             % name)
        path = posixpath.normpath(posixpath.join(self.folder, name))
        if not path.startswith(self.folder + "/"):
            raise ValueError("%r is outside the session folder %s; the harness touches "
                             "nothing else on this server" % (name, self.folder))
        return path

    # --- life cycle

    def start(self) -> None:
        """Log in, create the session folder, and see which hash command FEAT offers."""
        with self._session() as ftp:
            try:
                ftp.cwd(self.base)
            except ftplib.error_perm as exc:
                raise AttachedServerError(
                    "the attach folder %s is not on ftp://%s@%s:%d (%s); create it (e.g. "
                    "`mkdir %s` in an FTP client logged in as %s), or name an existing "
                    "folder in --ftp-server" % (self.base, self.user, self.host, self.port, exc,
                                                self.base, self.user)) from None
            try:
                ftp.mkd(self.folder)
            except ftplib.error_perm as exc:
                raise AttachedServerError(
                    "no write permission in %s for %s on %s:%d (cannot create the session "
                    "folder: %s): the account needs write access there"
                    % (self.base, self.user, self.host, self.port, exc)) from None
            self._created = True
            self.hash_command = self._pick_hash(ftp)
            self.greeting = ftp.getwelcome() or ""
            try:
                self.system = ftp.sendcmd("SYST")
            except ftplib.Error as exc:  # a server may refuse it: its refusal is the answer
                self.system = str(exc)

    def identity(self) -> dict[str, str]:
        """contract.Introduces: how the server introduced itself (greeting, SYST)."""
        found = {"greeting": self.greeting, "system": self.system}
        return {name: text for name, text in found.items() if text}

    def stop(self) -> None:
        """Delete the session folder and everything in it; nothing else."""
        if not self._created:
            return
        with self._session() as ftp:
            try:
                self._remove_tree(ftp, self.folder)
            except ftplib.Error as exc:
                raise AttachedServerError(
                    "could not remove the session folder %s on %s: %s; remove it by hand"
                    % (self.folder, self.host, exc)) from None
        self._created = False

    @staticmethod
    def _pick_hash(ftp: ftplib.FTP) -> str | None:
        try:
            features = [line.strip().upper() for line in ftp.sendcmd("FEAT").splitlines()[1:-1]]
        except ftplib.Error:
            return None
        if "XSHA256" in features:
            return "XSHA256"
        if any(f.startswith("HASH") and "SHA-256" in f for f in features):
            return "HASH"
        return None

    def _remove_tree(self, ftp: ftplib.FTP, folder: str) -> None:
        for entry in self._names(ftp, folder):
            child = posixpath.join(folder, entry)
            try:
                ftp.delete(child)
            except ftplib.error_perm:
                self._remove_tree(ftp, child)  # not a file: a folder the run made
        ftp.rmd(folder)

    @staticmethod
    def _names(ftp: ftplib.FTP, folder: str) -> list[str]:
        try:
            listed = ftp.nlst(folder)
        except ftplib.error_perm as exc:
            if _code(exc) in (450, 550):  # some servers call an empty folder an error
                return []
            raise
        # some servers answer "folder/name", others "name"
        names = {posixpath.basename(entry.rstrip("/")) for entry in listed}
        return sorted(names - {"", ".", ".."})

    # --- contract.Server

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        with self._session() as ftp:
            parent = posixpath.dirname(path)
            made = self.folder
            for part in posixpath.relpath(parent, self.folder).split("/"):
                if part in ("", "."):
                    continue
                made = posixpath.join(made, part)
                try:
                    ftp.mkd(made)
                except ftplib.error_perm:
                    pass  # already there
            ftp.storbinary("STOR %s" % path, io.BytesIO(data), BLOCK)

    def digest(self, name: str) -> Digest | None:
        path = self._path(name)
        with self._session() as ftp:
            if self.hash_command is not None:
                found = self._server_hash(ftp, path)
                if found is not _DOWNLOAD:
                    return found if isinstance(found, Digest) else None
            return self._download_hash(ftp, path)

    def _server_hash(self, ftp: ftplib.FTP, path: str) -> Digest | None | object:
        """The server's own sha256 (None: no such file); _DOWNLOAD to fall back to a download."""
        try:
            if self.hash_command == "HASH":
                ftp.sendcmd("OPTS HASH SHA-256")
            reply = ftp.sendcmd("%s %s" % (self.hash_command, path))
            size = ftp.size(path)
        except ftplib.error_perm as exc:
            return None if _code(exc) == 550 else _DOWNLOAD
        found = _SHA256_HEX.search(reply)
        if found is None or size is None:
            return _DOWNLOAD
        return Digest(found.group(0).lower(), size)

    @staticmethod
    def _download_hash(ftp: ftplib.FTP, path: str) -> Digest | None:
        sha = hashlib.sha256()
        size = 0

        def take(block: bytes) -> None:
            nonlocal size
            sha.update(block)
            size += len(block)

        try:
            ftp.retrbinary("RETR %s" % path, take, BLOCK)
        except ftplib.error_perm as exc:
            if _code(exc) == 550:
                return None
            raise
        return Digest(sha.hexdigest(), size)

    def dir_exists(self, name: str) -> bool:
        path = self._path(name)
        with self._session() as ftp:
            try:
                ftp.cwd(path)
                return True
            except ftplib.error_perm:
                return False

    def remove_dir(self, name: str) -> None:
        """Remove a folder in the session folder with everything in it."""
        path = self._path(name)
        with self._session() as ftp:
            try:
                ftp.cwd(path)
            except ftplib.error_perm:
                return  # not there (or not a folder): nothing to remove
            self._remove_tree(ftp, path)

    def remove(self, name: str) -> None:
        path = self._path(name)
        with self._session() as ftp:
            try:
                ftp.delete(path)
            except ftplib.error_perm as exc:
                if _code(exc) != 550:  # 550: it is not there, which is what we want
                    raise


def _why(exc: BaseException) -> str:
    """'connection refused', 'timed out', or the server's reply."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    if isinstance(exc, EOFError):
        return "the server closed the connection"
    return str(exc) or type(exc).__name__


def _hang_up(ftp: ftplib.FTP) -> None:
    """QUIT politely; just close a connection that never opened or already broke."""
    if ftp.sock is None:
        return  # connect failed: nothing to say goodbye on
    try:
        ftp.quit()
    except (OSError, EOFError, ftplib.Error):
        ftp.close()


def build(spec: ServerSpec, options: ServerOptions) -> AttachedServer:
    """The ftp:// kind from --ftp-server and the options (see factory.py)."""
    if not options.password:
        raise AttachedServerError("no password for ftp://%s%s: set %s"
                                  % (spec.target(), spec.folder, PASSWORD_ENV))
    return AttachedServer(spec.host, spec.user, options.password, port=spec.port or 21,
                          base=spec.folder, timeout=options.timeout)
