"""The module loses its data connection in the middle of a transfer, and gets it back.

The module itself leaves the network once half the payload has crossed
(net.setModemFun(0): minimum functionality ends the data call; this firmware offers no
data-call deactivate of its own), and comes back after the transfer in the same step
(net.setModemFun(1), then checkNet). Whatever the ftplib does, nothing may claim success
with a partial file: the ftplib raises, or the harness catches a download cut short
(SIZE, the final reply). The partial file is reported and removed (the server's, of an
upload; the module's, of a download), and the next session, with the network back,
transfers the payload intact.

On a bench each scenario costs the module a network re-attach: `-m "not network_loss"`
skips them. What the firmware does when its network goes, with the source of each fact:
harness/emulator/firmware_surface.py NETWORK_LOSS.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.emulator.firmware_surface import (
    ECONNABORTED,
    EHOSTUNREACH,
    ENOTCONN_AFTER_ABORT,
)
from harness.scenario import FtpRun, Transfer
from harness.scenario.network_loss import describe

pytestmark = pytest.mark.network_loss

# what usocket raises once the network went (NETWORK_LOSS), and ETIMEDOUT (110; 116 on
# newlib) where an ftplib waits out a connection that went quiet instead
LOST = (ECONNABORTED, ENOTCONN_AFTER_ABORT, EHOSTUNREACH, 110, 116)
MODULE_BLOCK = 1024  # the module's transfer block (device_scripts/hil_common.py BLOCK)


def cut_halfway(ftp_run: FtpRun, size: int) -> dict[str, int]:
    """The transfer fields that take the network away once half of `size` crossed, in
    blocks small enough for that to fall in the middle of even a 1 KiB payload."""
    return {**ftp_run.lose_network_after(size // 2), "block": min(MODULE_BLOCK, size // 4)}


def assert_cut_and_back(transfer: Transfer) -> None:
    """The module left the network mid-transfer, reported a failure, and is back."""
    result = transfer.result
    assert result.get("network_off"), \
        "the module never left the network (payload too small?): %s" % result.summary()
    transfer.extra["network"] = describe(result)
    assert (result.get("network_back") or {}).get("ok"), \
        "the module's network did not come back: %s" % transfer.extra["network"]
    assert not result.ok, "success claimed for a transfer the network cut: %s" \
        % result.summary()
    error = result.get("error") or ""
    assert result.errno in LOST or "short download" in error, \
        "expected the lost connection's OSError (or a short download caught), got %s" \
        % result.summary()


def test_upload_cut_by_network_loss(ftp_run: FtpRun, make_payload: Callable[[int], bytes],
                                    cuttable_size: int) -> None:
    data = make_payload(cuttable_size)
    transfer = ftp_run.upload(data, name="lost-up.bin", **cut_halfway(ftp_run, cuttable_size))
    assert_cut_and_back(transfer)
    checks = transfer.checksums
    assert checks is not None
    assert checks.device == checks.host, "the module's copy changed"
    remote = transfer.result.get("remote")
    partial = checks.server
    if partial is None:
        transfer.extra["partial"] = "the server kept no partial file"
    else:
        assert partial != checks.host, "the server holds the whole file of a cut upload"
        ftp_run.server.remove(remote)
        assert ftp_run.server.digest(remote) is None, "the partial file on the server stayed"
        transfer.extra["partial"] = "the server held %d of %d bytes (sha256 %s...); " \
            "removed" % (partial.size, len(data), partial.sha256[:12])
    ftp_run.upload(data, name="after-loss-up.bin").assert_intact()


def test_download_cut_by_network_loss(ftp_run: FtpRun, make_payload: Callable[[int], bytes],
                                      cuttable_size: int) -> None:
    data = make_payload(cuttable_size)
    transfer = ftp_run.download(data, name="lost-down.bin",
                                **cut_halfway(ftp_run, cuttable_size))
    assert_cut_and_back(transfer)
    result = transfer.result
    received = int(result.get("bytes") or 0)
    assert received < len(data), "the module received the whole file before the cut"
    assert result.get("local_exists") is False and not ftp_run.device.exists(
        result.get("local")), "the partial file stayed on the module"
    transfer.extra["partial"] = "the module received %d of %d bytes; it removed them" % (
        received, len(data))
    checks = transfer.checksums
    assert checks is not None and checks.server == checks.host, "the server's file changed"
    ftp_run.download(data, name="after-loss-down.bin").assert_intact()
