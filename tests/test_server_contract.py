"""The server contract (harness/servers/contract.py), checked on every kind.

    local   our pyftpdlib server in this process, made by the factory
    ssh     the same server run by the agent, over a local pipe instead of ssh
            (as in tests/test_remote_server.py)
    ftp     an attached server: the factory's ftp:// kind logged in to a local server

Each kind must meet the common contract, claim exactly the abilities it has, and
every ability it claims must work as a client on the wire sees it.
"""

from __future__ import annotations

import ftplib
import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.servers.contract import (
    ControlledServer,
    HasFaults,
    HasStorageLimits,
    HasTranscript,
    Server,
)
from harness.servers.factory import KINDS, Kind, build_server, parse_server_spec
from harness.servers.local.server import FtpServer
from harness.servers.options import ServerOptions
from harness.servers.remote_calls import REMOTE_CALLS
from harness.servers.spec import ServerSpec, Syntax
from tests.support import accepts, local_agent

pytestmark = pytest.mark.timeout(120)

TIMEOUT = 5.0
ABILITIES = {HasFaults: "faults", HasStorageLimits: "storage limits",
             HasTranscript: "transcript"}
CLAIMS = {"local": {"faults", "storage limits", "transcript"},
          "ssh": {"faults", "storage limits", "transcript"},
          "ftp": set()}


def _local(tmp_path: Path) -> Iterator[Server]:
    server = build_server(parse_server_spec("local"), ServerOptions(home=tmp_path / "home"))
    server.start()
    yield server
    server.stop()


def _ssh(tmp_path: Path) -> Iterator[Server]:
    server = local_agent()
    server.start()
    yield server
    server.stop()


def _ftp(tmp_path: Path) -> Iterator[Server]:
    with FtpServer(tmp_path / "theirs", auth_failed_delay=0) as theirs:
        spec = parse_server_spec("ftp://%s@127.0.0.1:%d/" % (theirs.user, theirs.port))
        server = build_server(spec, ServerOptions(password=theirs.password, timeout=TIMEOUT))
        server.start()
        yield server
        server.stop()


@pytest.fixture(params=["local", "ssh", "ftp"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    yield from {"local": _local, "ssh": _ssh, "ftp": _ftp}[request.param](tmp_path)


def login(server: Server) -> ftplib.FTP:
    """What the module does: connect to host:port, log in, go to the run's folder."""
    ftp = ftplib.FTP(timeout=TIMEOUT)
    ftp.connect(server.host, server.port)
    ftp.login(server.user, server.password)
    ftp.voidcmd("TYPE I")
    if server.folder:
        ftp.cwd(server.folder)
    return ftp


# --- what every kind offers


def test_every_kind_meets_the_common_contract(server: Server) -> None:
    assert isinstance(server, Server)
    assert server.mode in KINDS
    assert server.url.startswith("ftp://%s@%s:%d/" % (server.user, server.host, server.port))
    assert server.url.endswith("/") and server.password not in server.url
    if server.folder:  # the attached kind's session folder: part of where the run lives
        assert server.url.endswith(server.folder + "/")
    assert server.hash_command in ("XSHA256", "HASH", None)


def test_files_placed_checked_and_removed(server: Server) -> None:
    data = os.urandom(300_000)  # more than one piece for the ssh:// kind
    server.put("sub/a.bin", data)
    found = server.digest("sub/a.bin")
    assert found is not None
    assert (found.sha256, found.size) == (hashlib.sha256(data).hexdigest(), len(data))
    ftp = login(server)  # the module sees what the host placed, where it looks
    try:
        got = bytearray()
        ftp.retrbinary("RETR sub/a.bin", got.extend)
    finally:
        ftp.quit()
    assert bytes(got) == data
    server.remove("sub/a.bin")
    server.remove("sub/a.bin")  # removing what is not there is no error
    assert server.digest("sub/a.bin") is None
    assert server.dir_exists("sub") and not server.dir_exists("nope")
    server.put("sub/deeper/b.bin", b"b")
    server.remove_dir("sub")
    assert not server.dir_exists("sub")
    with pytest.raises(ValueError):
        server.put("../escape.bin", b"x")


def test_stop_ends_the_server_and_can_be_repeated(tmp_path: Path) -> None:
    for make in (_local, _ssh):
        life = make(tmp_path / make.__name__)
        server = next(life)
        port = server.port
        assert accepts(port)
        next(life, None)  # stop()
        assert not accepts(port)
        server.stop()


def test_the_attached_kind_leaves_nothing_behind(tmp_path: Path) -> None:
    life = _ftp(tmp_path)
    server = next(life)
    server.put("left.bin", b"x")
    assert any((tmp_path / "theirs").iterdir())
    server.stop()
    server.stop()
    assert not any((tmp_path / "theirs").iterdir()), "the session folder was left behind"
    next(life, None)


# --- the abilities each kind claims, and that they work


def test_each_kind_claims_exactly_its_abilities(server: Server) -> None:
    claimed = {name for ability, name in ABILITIES.items() if isinstance(server, ability)}
    assert claimed == CLAIMS[server.mode]
    assert isinstance(server, ControlledServer) == (claimed == set(ABILITIES.values()))


def test_claimed_faults_work(server: Server) -> None:
    if not isinstance(server, HasFaults):
        pytest.skip("%s claims no faults" % server.mode)
    server.inject_fault("reply_421")
    assert server.active_faults() == ["reply_421 message=%r"
                                      % "Service not available, closing control connection."]
    with pytest.raises(ftplib.error_temp, match="^421"):
        ftplib.FTP().connect(server.host, server.port, timeout=TIMEOUT)
    server.clear_faults()
    assert server.active_faults() == []
    login(server).quit()
    with pytest.raises(ValueError, match="unknown fault"):
        server.inject_fault("nope")


def test_claimed_storage_limits_work(server: Server) -> None:
    if not isinstance(server, HasStorageLimits):
        pytest.skip("%s claims no storage limits" % server.mode)
    ftp = login(server)
    try:
        server.set_quota(0)
        with pytest.raises(ftplib.error_perm, match="^552"):
            ftp.storbinary("STOR q.bin", io.BytesIO(b"x" * 4096))
        server.set_quota(None)
        server.set_disk_free(0)
        with pytest.raises(ftplib.error_temp, match="^452"):
            ftp.storbinary("STOR d.bin", io.BytesIO(b"x" * 4096))
        server.set_disk_free(None)
        ftp.storbinary("STOR ok.bin", io.BytesIO(b"fine"))
    finally:
        ftp.close()
    found = server.digest("ok.bin")
    assert found is not None and found.size == 4


def test_claimed_transcript_works(server: Server) -> None:
    if not isinstance(server, HasTranscript):
        pytest.skip("%s claims no transcript" % server.mode)
    mark = server.transcript_mark()
    login(server).quit()
    text = server.transcript_text(since=mark)
    assert "USER %s" % server.user in text and "PASS ****" in text
    assert server.password not in text
    # lines from before a mark never come back (a late "disconnected" event may follow)
    assert "USER" not in server.transcript_text(since=server.transcript_mark())


# --- the allow-list and the factory


def test_the_allow_list_names_contract_methods_only() -> None:
    for name, contract in REMOTE_CALLS.items():
        assert callable(getattr(contract, name)), name
    assert not {"start", "stop", "__init__"} & set(REMOTE_CALLS)


def test_a_fourth_kind_is_one_module_and_one_factory_line(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    made: list[ServerSpec] = []

    def build(spec: ServerSpec, options: ServerOptions) -> Server:
        made.append(spec)
        return FtpServer(tmp_path / "mem")

    monkeypatch.setitem(KINDS, "mem", Kind(Syntax("mem://user@host"), build))
    spec = parse_server_spec("mem://qa@box:21")
    assert spec == ServerSpec("mem", "qa", "box", 21)
    assert isinstance(build_server(spec, ServerOptions()), Server) and made == [spec]
    with pytest.raises(ValueError, match="'mem://user@host'"):
        parse_server_spec("gopher://x@y")
