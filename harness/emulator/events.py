"""What the running code can do to the module itself: reboot it, power it down.

These are exceptions that the firmware modules (misc.Power: cpython_fw/fw_misc.py) raise
and the console and module loop (console.py, module.py) act on. They live here, apart
from the runtime, so that the runtime and the firmware modules need not import
each other.
"""

from __future__ import annotations


class ModuleRestart(BaseException):
    """misc.Power.powerRestart(): the module reboots, back to the friendly REPL."""


class ModulePowerDown(BaseException):
    """misc.Power.powerDown(): the module goes away, its USB port with it."""


class SoftRebootRequest(BaseException):
    """Ctrl-D reached a script that ignores Ctrl-C: the firmware soft-reboots."""


# not reported as errors of the running code: the console acts on them
MODULE_EVENTS = (ModuleRestart, ModulePowerDown, SoftRebootRequest)
