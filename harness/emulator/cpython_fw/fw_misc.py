"""misc (mpy/fw_misc.py is the micropython engine's): Power reboots the module or cuts its
power, as events the console and the module loop act on (events.py); the rest of the
table's hardware (ADC, PWM, USB, ...) answers with stubs (cpython_surface.py)."""

from __future__ import annotations

import types

from ..cpython_surface import FirmwareObject, build_module, firmware_type
from ..events import ModulePowerDown, ModuleRestart


@firmware_type("misc", "Power")
class Power(FirmwareObject):
    # no make_new: 0-argument functions called on the class (misc_power.c:88-92)
    @staticmethod
    def powerRestart() -> None:  # noqa: N802 (the firmware's names)
        raise ModuleRestart

    @staticmethod
    def powerDown() -> None:  # noqa: N802
        raise ModulePowerDown

    @staticmethod
    def powerOnReason() -> int:  # noqa: N802
        return 1  # power key

    @staticmethod
    def powerDownReason() -> int:  # noqa: N802
        return 1

    @staticmethod
    def getVbatt() -> int:  # noqa: N802
        return 3800  # mV


Power._no_ctor = True


def build() -> types.ModuleType:
    return build_module("misc", {
        "Power": Power,
        "replEnable": lambda flag, *rest: 0 if flag in (0, 1) else -1,
    })
