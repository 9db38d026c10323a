"""The module's network taken away in the middle of a transfer, and brought back.

A stor or retr operation with `drop_network_after` (bytes) takes the module off the
network itself once that many bytes have crossed (net.setModemFun(0)), and brings it
back after the transfer, whatever its outcome (net.setModemFun(1), then checkNet for up
to `reattach_timeout` seconds): device_scripts/hil_ftp.py. The facts it rests on, with
their sources, are harness/emulator/firmware_surface.py's NETWORK_LOSS.

Should a step be cut short before the module is back (a step timeout, a lost port), the
run's clean-up brings it back with the `net` step (restore_network), so the next test
does not start offline.
"""

from __future__ import annotations

from typing import Any

from harness.errors import HarnessError
from harness.wire.device import Device
from harness.wire.layout import STEPS_MODULE
from harness.wire.results import ResultFields

RESTORE_MARGIN = 30.0  # s on top of the re-attach wait: checkNet's polls, the step itself


def cut_fields(after_bytes: int, reattach_timeout: float) -> dict[str, Any]:
    """The stor / retr fields that cut the module's network after `after_bytes`."""
    if after_bytes < 1:
        raise ValueError("the network can go after 1 byte at the earliest, not %d"
                         % after_bytes)
    return {"drop_network_after": after_bytes, "reattach_timeout": int(reattach_timeout)}


def restore_network(device: Device, reattach_timeout: float) -> str | None:
    """Bring the module back on the network if a step left it off; what went wrong, or
    None when it is on the network."""
    try:
        result = device.run_step(STEPS_MODULE, "net",
                                 {"restore": True, "timeout": int(reattach_timeout)},
                                 timeout=reattach_timeout + RESTORE_MARGIN)
    except HarnessError as exc:
        return "could not check the module's network: %s" % exc
    if result.ok:
        return None
    return "the module is off the network after a network_loss scenario: %s" % (
        result.get("error") or result.summary())


def describe(result: ResultFields) -> str:
    """One line for the report: when the network went and how long it took to come back."""
    off = result.get("network_off") or {}
    back = result.get("network_back") or {}
    came = "back" if back.get("ok") else "NOT back"
    return ("off after %s bytes (setModemFun(0) -> %s); %s after %s ms (setModemFun(1) -> %s, "
            "checkNet %s)" % (off.get("bytes"), off.get("modem_fun"), came, back.get("ms"),
                              back.get("modem_fun"), back.get("checknet")))
