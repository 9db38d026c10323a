"""The launcher's process: imports the virtual module's code once, then forks a module
for each request of the process that started it (launcher.py says why and how).

Run as `python -m harness.emulator.launcher_process FD`, FD its end of a Unix socket.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import tempfile
import traceback

from .launcher import HEADER, READY


def _receive(sock: socket.socket) -> tuple[dict, list[int]] | None:
    """The next request and its two descriptors; None once the client has gone."""
    data, fds, _flags, _addr = socket.recv_fds(sock, 65536, 2)
    if not data:
        return None
    (length,) = HEADER.unpack(data[:HEADER.size])
    body = data[HEADER.size:]
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            return None
        body += chunk
    return json.loads(body), list(fds)


def _become_module(sock: socket.socket, request: dict, fds: list[int]) -> None:
    """In the fork: the module's process, as `python -m harness.emulator.module` is."""
    code = 1
    try:
        sock.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the module waits for its own children
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd, target in zip(fds, (0, 1), strict=True):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        tempfile.tempdir = None  # read from TMPDIR again, as a new interpreter would
        from harness.emulator import module

        sys.argv = ["-m", *request["argv"]]
        module.main(request["argv"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def serve(fd: int) -> None:
    from harness.emulator import module  # noqa: F401 (the imports every module needs, once)

    sock = socket.socket(fileno=fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C at the terminal is the run's
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the modules
    sys.stdout.flush()
    sys.stderr.flush()
    sock.sendall(READY)
    while True:
        received = _receive(sock)
        if received is None:
            return
        request, fds = received
        if len(fds) != 2:
            for fd_ in fds:
                os.close(fd_)
            sock.sendall(b"no descriptors\n")
            continue
        pid = os.fork()
        if pid == 0:
            _become_module(sock, request, fds)
        for fd_ in fds:
            os.close(fd_)
        sock.sendall(b"%d\n" % pid)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
