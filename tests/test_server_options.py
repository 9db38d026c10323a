"""--ftp-server, --ftp-bind, --ftp-public-host, --ftp-passive-ports; `python -m harness serve`."""

from __future__ import annotations

import ftplib
import io
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.servers.factory import parse_server_spec
from harness.servers.local.server import FtpServer
from harness.servers.spec import (
    ServerSpec,
    advertised_address,
    parse_port_range,
)
from tests import warm_python

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pasv_address(ftp: ftplib.FTP) -> tuple[str, int]:
    numbers = [int(n) for n in re.search(r"\(([\d,]+)\)", ftp.sendcmd("PASV")).group(1)
               .split(",")]
    return ".".join(map(str, numbers[:4])), numbers[4] * 256 + numbers[5]


# --- parsing


@pytest.mark.parametrize("text, expected", [
    ("local", ServerSpec("local")),
    ("ssh://ops@cloud.example.net", ServerSpec("ssh", "ops", "cloud.example.net")),
    ("ssh://root@127.0.0.1:2222", ServerSpec("ssh", "root", "127.0.0.1", 2222)),
    ("ftp://qa@ftp.example.net:2121/drop", ServerSpec("ftp", "qa", "ftp.example.net", 2121,
                                                      "/drop")),
    ("ftp://qa@ftp.example.net", ServerSpec("ftp", "qa", "ftp.example.net", None, "/")),
])
def test_server_spec(text: str, expected: ServerSpec) -> None:
    assert parse_server_spec(text) == expected


@pytest.mark.parametrize("text, message", [
    ("gopher://x@y", "use 'local'"),
    ("remote", "use 'local'"),
    ("ssh://cloud.example.net", "name both the user and the host"),
    ("ssh://ops@cloud.example.net:99999", "port is not a number"),
    ("ssh://ops@cloud.example.net/srv", "takes no folder"),
    ("ftp://ops@h/x?pw=1", "no \\?query"),
])
def test_bad_server_spec_says_what_is_valid(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_server_spec(text)


def test_port_ranges() -> None:
    assert parse_port_range("60000-60100") == range(60000, 60101)
    assert parse_port_range(" 2121 ") == range(2121, 2122)
    for bad in ("60100-60000", "0-10", "70000", "a-b", ""):
        with pytest.raises(ValueError, match="passive ports"):
            parse_port_range(bad)


def test_advertised_address() -> None:
    assert advertised_address("127.0.0.1", None) == ("127.0.0.1", None)
    assert advertised_address("0.0.0.0", "203.0.113.5") == ("203.0.113.5", "203.0.113.5")
    assert advertised_address("0.0.0.0", "localhost") == ("localhost", "127.0.0.1")
    with pytest.raises(ValueError, match="--ftp-public-host"):
        advertised_address("0.0.0.0", None)


# --- our server behind NAT: bind one address, name another


def test_server_binds_one_address_and_tells_another(tmp_path: Path) -> None:
    base = free_port()
    passive = range(base, base + 1)
    server = FtpServer(tmp_path, host="127.0.0.2", bind="127.0.0.1", port=0,
                       passive_ports=passive, masquerade_address="127.0.0.2")
    with server:
        assert server.url.startswith("ftp://hil@127.0.0.2:")
        ftp = ftplib.FTP(timeout=TIMEOUT)
        ftp.connect("127.0.0.1", server.port)
        try:
            ftp.login(server.user, server.password)
            assert pasv_address(ftp) == ("127.0.0.2", base)
        finally:
            ftp.close()
        assert "listening on 127.0.0.1:" in server.transcript_text()


# --- the fixture, from the command line


def run_pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return warm_python.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
         "scenarios/test_550.py", "-k", "missing_file", *args],
        cwd=ROOT, timeout=180)


def test_local_server_with_nat_options_runs_the_scenarios() -> None:
    base = free_port()
    proc = run_pytest("--ftp-public-host=127.0.0.1", "--ftp-bind=127.0.0.1",
                      "--ftp-passive-ports=%d-%d" % (base, base + 3), "-p", "no:xdist")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--ftp-server=gopher://x@y"], "use 'local'"),
    (["--ftp-bind=0.0.0.0"], "--ftp-public-host"),
    (["--ftp-passive-ports=9-1"], "--ftp-passive-ports=9-1: a port range"),
])
def test_bad_server_options_end_the_run_with_one_line(args: list[str], message: str) -> None:
    proc = run_pytest(*args)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, out
    assert message in out and "Traceback" not in out


# --- python -m harness serve


class Serve:
    """`python -m harness serve` as a subprocess, its stdout read by a thread."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harness", "serve", *args], cwd=ROOT, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def read_until(self, marker: str, timeout: float = 20.0) -> str:
        text, deadline = "", time.monotonic() + timeout
        while marker not in text:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                raise AssertionError("no %r from serve; it printed:\n%s" % (marker, text))
            text += line
        return text

    def credentials(self) -> dict[str, str]:
        text = self.read_until("Ctrl-C stops it")
        return dict(re.findall(r"^  (\w+) +(\S+)", text, re.M))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


@pytest.mark.skipif(os.name == "nt", reason="sends SIGINT, as Ctrl-C does")
def test_serve_prints_what_a_client_needs_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    base = free_port()
    serve = Serve("--port", "0", "--root", str(tmp_path / "home"), "--user", "bench",
                  "--public-host", "127.0.0.1", "--passive-ports", "%d-%d" % (base, base + 3),
                  "--quota", "4K")
    try:
        shown = serve.credentials()
        assert shown["host"] == "127.0.0.1" and shown["user"] == "bench"
        assert shown["passive"] == "%d-%d" % (base, base + 3)
        ftp = ftplib.FTP(timeout=TIMEOUT)
        ftp.connect(shown["host"], int(shown["port"]))
        try:
            ftp.login(shown["user"], shown["password"])
            ftp.storbinary("STOR hello.txt", io.BytesIO(b"hello from QPYcom"))
            with pytest.raises(ftplib.error_perm, match="^552"):
                ftp.storbinary("STOR big.bin", io.BytesIO(b"x" * 8192))
        finally:
            ftp.close()
        assert (tmp_path / "home" / "hello.txt").read_bytes() == b"hello from QPYcom"
        serve.proc.send_signal(signal.SIGINT)
        assert serve.proc.wait(15) == 0
        assert "stopped." in serve.read_until("stopped.")
        assert (tmp_path / "home" / "hello.txt").exists()  # a --root is the person's: kept
    finally:
        serve.stop()


@pytest.mark.skipif(os.name == "nt", reason="sends SIGINT, as Ctrl-C does")
def test_serve_deletes_its_temporary_home_on_ctrl_c() -> None:
    serve = Serve("--port", "0")
    try:
        home = Path(serve.credentials()["home"])
        assert home.is_dir()
        serve.proc.send_signal(signal.SIGINT)
        assert serve.proc.wait(15) == 0
    finally:
        serve.stop()
    assert not home.exists()


def test_serve_makes_a_new_password_each_time(tmp_path: Path) -> None:
    seen = []
    for _ in range(2):
        serve = Serve("--port", "0", "--root", str(tmp_path))  # killed: no temp folder left
        try:
            seen.append(serve.credentials()["password"])
        finally:
            serve.stop()
    assert len(seen[0]) >= 16 and seen[0] != seen[1]


def test_serve_refuses_a_wildcard_without_public_host() -> None:
    proc = warm_python.run([sys.executable, "-m", "harness", "serve", "--bind", "0.0.0.0"],
                           cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert "every interface" in proc.stderr and "--public-host" in proc.stderr
