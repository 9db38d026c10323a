"""What one scenario created, on the module and on the server, and its removal.

Nothing outside these lists is ever removed: the harness deletes only what its own
run made (and, at the start of a session, what an interrupted run left in RUN_DIR).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import DeviceDisconnected, HarnessError
from harness.servers.contract import Server
from harness.wire.device import Device
from harness.wire.layout import RUN_DIR


@dataclass
class Created:
    """Paths a scenario made: files on the module, files and folders on the server."""

    device_files: list[str] = field(default_factory=list)
    server_files: list[str] = field(default_factory=list)
    server_dirs: list[str] = field(default_factory=list)


def remove_created(created: Created, device: Device, server: Server,
                   reconnect_timeout: float) -> None:
    """Remove what the scenario created; survives a module that rebooted or
    re-enumerated (reconnects once); what cannot be removed is named in one error."""
    on_module = remove_on_device(device, list(reversed(created.device_files)),
                                 reconnect_timeout)
    left = []
    for name in created.server_files:
        try:
            server.remove(name)
        except Exception as exc:  # keep cleaning; reported at the end
            left.append("server:%s (%s)" % (name, exc))
    for folder in reversed(created.server_dirs):
        try:
            server.remove_dir(folder)
        except Exception:  # reported below, with the folder's name
            left.append("server:%s/" % folder)
    problems = ["could not remove %s; remove them by hand before the next run"
                % ", ".join(left)] if left else []
    if on_module:  # all in RUN_DIR, which the next run on the module empties when it starts
        problems.append("could not remove %s from the module%s; the next run on it removes "
                        "them when it starts" % (", ".join(on_module),
                                                 ": %s" % device.lost if device.lost else ""))
    if problems:
        raise HarnessError("clean-up " + "; ".join(problems))


def remove_on_device(device: Device, paths: list[str], reconnect_timeout: float) -> list[str]:
    """Remove files on the module in one exec (a round trip on a slow link each is worth
    saving); reconnect once if the port went away. The paths left behind."""
    if not paths:
        return []
    for attempt in range(2):
        try:
            device.remove_all(paths)
            return []
        except HarnessError:
            if attempt == 0 and not _reconnect_if_lost(device, reconnect_timeout):
                break
    return paths


def _reconnect_if_lost(device: Device, timeout: float) -> bool:
    if not device.lost:
        return True  # a timeout or a reboot: the REPL is back, try again
    try:
        device.reconnect(timeout)
        return True
    except DeviceDisconnected:
        return False


def sweep_run_dir(device: Device) -> list[str]:
    """Remove files an interrupted earlier run left in the harness's own folder."""
    device.makedirs(RUN_DIR)
    stale = device.listdir(RUN_DIR)
    for name in stale:
        device.remove("%s/%s" % (RUN_DIR, name))
    return stale
