"""checkNet, frozen Python (ports/quectel/core/checkNet.py; mpy/fw_checknet.py is the
micropython engine's): the virtual module is always online."""

from __future__ import annotations

import types

from ..cpython_surface import FirmwareModule, FirmwareObject, build_module, firmware_type
from .fw_misc import Power


def build(utime: types.ModuleType, modem: types.ModuleType,
          datacall: types.ModuleType) -> types.ModuleType:
    def ready(timeout_s: int = 60) -> tuple[int, int]:
        if not 1 <= timeout_s <= 3600:  # checkNet.py:114-155
            raise OSError("timeout_s should be in [1, 3600]")
        return (3, 1)

    @firmware_type("checkNet", "CheckNetwork", python=True)
    class CheckNetwork(FirmwareObject):
        def __init__(self, proj_name: str, proj_version: str) -> None:
            self.proj_name = proj_name
            self.proj_version = proj_version

        def poweron_print_once(self) -> None:
            print("PROJECT_NAME: %s, PROJECT_SOFTVERSION: %s" % (self.proj_name,
                                                                   self.proj_version))

        @staticmethod
        def check_datacall_status() -> int:
            return 1

        def wait_network_connected(self, timeout_s: int = 60) -> tuple[int, int]:
            return ready(timeout_s)

    return build_module("checkNet", {
        "CheckNetwork": CheckNetwork,
        "wait_network_connected": ready,
        "waitNetworkReady": ready,
        # what checkNet.py imports (sim and net are not in the table: bare modules)
        "sim": FirmwareModule("sim"),
        "net": FirmwareModule("net"),
        "utime": utime,
        "modem": modem,
        "dataCall": datacall,
        "Power": Power,
    }, python=True)
