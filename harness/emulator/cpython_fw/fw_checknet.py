"""checkNet, frozen Python (ports/quectel/core/checkNet.py; mpy/fw_checknet.py is the
micropython engine's): ready while the module's network (network.py) is up; after
net.setModemFun(1) it waits for the re-attach, as the firmware's polls do."""

from __future__ import annotations

import types

from ..cpython_surface import FirmwareModule, FirmwareObject, build_module, firmware_type
from .fw_misc import Power
from .network import NetworkState

STAGE_NET, STAGE_DATACALL = 2, 3  # checkNet.py's stage codes (114-160)


def build(utime: types.ModuleType, modem: types.ModuleType, datacall: types.ModuleType,
          net: types.ModuleType, network: NetworkState) -> types.ModuleType:
    def ready(timeout_s: int = 60) -> tuple[int, int]:
        if not 1 <= timeout_s <= 3600:  # checkNet.py:114-155
            raise OSError("timeout_s should be in [1, 3600]")
        # the SIM stage passes (the virtual module's SIM is always ready); then the data
        # registration (stage 2), then the data call, which comes up with it (stage 3)
        if network.wait_up(timeout_s):
            return (STAGE_DATACALL, 1)
        return (STAGE_NET, network.registration())

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
            return 1 if network.up else 0

        def wait_network_connected(self, timeout_s: int = 60) -> tuple[int, int]:
            return ready(timeout_s)

    return build_module("checkNet", {
        "CheckNetwork": CheckNetwork,
        "wait_network_connected": ready,
        "waitNetworkReady": ready,
        # what checkNet.py imports (sim is not in the table: a bare module)
        "sim": FirmwareModule("sim"),
        "net": net,
        "utime": utime,
        "modem": modem,
        "dataCall": datacall,
        "Power": Power,
    }, python=True)
