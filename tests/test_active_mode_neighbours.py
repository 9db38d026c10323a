"""An active-mode (PORT) client must not cost another client its connection.

pyftpdlib 2.2 keeps the ActiveDTP that made a PORT connection after it has handed
its socket to the data handler, and closes it again at the client's next PORT,
PASV or QUIT. That close unregisters the file descriptor the connection *had*; if
the OS has meanwhile given that number to another client's connection (or PASV
listener), that one silently leaves the server's IOLoop and hangs until a timeout
(pyftpdlib PR #657, open). It is why attach mode against a stock pyftpdlib server
with two workers lost a scenario next to an active-mode one (issue 14, item 9).

The server runs in its own process, as on a bench, so the fd numbers are the
server's alone: the first socket it accepts after a data connection closed gets
that connection's number.
"""

from __future__ import annotations

import ftplib
import io
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import stop_process

pytestmark = pytest.mark.timeout(60)

PASSWORD = "n3ighbour-pw"
STOCK_HANG = 1.0  # seconds a lost connection is given to answer NOOP (a server answers in ms)

SERVER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.ioloop import IOLoop
    from pyftpdlib.servers import FTPServer
    from harness.servers.local.server import FtpServer

    kind, root, password = sys.argv[1:4]
    if kind == "ours":
        server = FtpServer(Path(root), user="qa", password=password)
        server.start()
        port = server.port
    else:  # stock pyftpdlib, as `python -m pyftpdlib` runs it
        authorizer = DummyAuthorizer()
        authorizer.add_user("qa", password, root, perm="elradfmwMT")
        handler = type("Stock", (FTPHandler,), {"authorizer": authorizer})
        server = FTPServer(("127.0.0.1", 0), handler, ioloop=IOLoop())
        port = server.address[1]
        import threading
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(port, flush=True)
    sys.stdin.read()  # until the test closes our stdin
""")


def _start(kind: str, root: Path) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER, kind, str(root), PASSWORD],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the server prints its port once it listens
    assert line.strip().isdigit(), "the server did not start: %r" % line
    return proc, int(line)


@pytest.fixture(params=["ours", "stock"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, int]]:
    proc, port = _start(request.param, tmp_path)
    try:
        yield request.param, port
    finally:
        stop_process(proc)


def _login(port: int, timeout: float) -> ftplib.FTP:
    ftp = ftplib.FTP(timeout=timeout)
    ftp.connect("127.0.0.1", port)
    ftp.login("qa", PASSWORD)
    return ftp


@pytest.mark.parametrize("next_command", ["PASV", "QUIT"])
def test_a_neighbour_keeps_its_connection_after_an_active_transfer(
        server: tuple[str, int], next_command: str) -> None:
    kind, port = server
    active = _login(port, timeout=10)
    active.set_pasv(False)
    active.storbinary("STOR up.bin", io.BytesIO(b"x" * 4096))  # 226: its data fd is free
    # the server's next accepted socket takes that fd number
    neighbour = _login(port, timeout=10)
    try:
        if next_command == "PASV":
            active.sendcmd("PASV")  # closes the stale ActiveDTP in pyftpdlib
        else:
            active.quit()
        if kind == "stock":
            # the cause, shown on stock pyftpdlib: the neighbour left the IOLoop
            neighbour.sock.settimeout(STOCK_HANG)
            with pytest.raises(TimeoutError):
                neighbour.voidcmd("NOOP")
            return
        assert neighbour.voidcmd("NOOP").startswith("200")
        neighbour.voidcmd("TYPE I")
        assert neighbour.size("up.bin") == 4096
    finally:
        neighbour.close()
        active.close()
