"""FAQ: "the module is not connected". The module reports whether its network
is up, and an FTP server it cannot reach is a failure with a reason, within the
timeout, never a hang or a success."""

from __future__ import annotations

import socket

from harness.scenario import FtpRun, ops

UNRESOLVABLE = "no-such-host.invalid"  # .invalid never resolves (RFC 2606)


def test_module_network_is_ready(ftp_run: FtpRun) -> None:
    result = ftp_run.network(timeout=30)
    assert result.ok, result.get("error") or result.summary()
    if result.get("checknet") is not None:
        assert result.get("checknet") == [3, 1], result.data


def _closed_port(host: str) -> int:
    # a port that was free a moment ago on the server's host: nothing listens there
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def test_unreachable_server_is_a_reported_failure(ftp_run: FtpRun, stall_timeout: float) -> None:
    port = _closed_port(ftp_run.server.host) if ftp_run.server.mode == "local" else 1
    s = ftp_run.session([ops.noop()], port=port, timeout=stall_timeout)
    assert not s.result.ok, "connecting to a closed port succeeded: %s" % s.summary()
    assert s.result.get("ran") == 0 and s.code is None, s.summary()
    # refused, or (a filtered port on a remote host) timed out; either way it says so.
    # Quectel's ftplib turns the refusal into Error("Could not connect to host:port")
    # (QuecPython/ftplib@6d957e96 ftplib.py:220-221): a reason too
    error = (s.result.get("error") or "").lower()
    assert s.result.errno is not None or "timed out" in error or "could not connect" in error, \
        s.result.data


def test_unknown_host_is_a_reported_failure(ftp_run: FtpRun, stall_timeout: float) -> None:
    s = ftp_run.session([ops.noop()], host=UNRESOLVABLE, timeout=stall_timeout)
    assert not s.result.ok, "connecting to %s succeeded: %s" % (UNRESOLVABLE, s.summary())
    assert s.result.get("ran") == 0 and s.code is None, s.summary()
    assert s.result.get("error"), s.result.data
