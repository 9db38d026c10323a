# checkNet, frozen Python: /work/wt/notes/firmware_surface_draft.py `_checkNet`
# (ports/quectel/core/checkNet.py:27-155). waitNetworkReady is the later firmware's alias
# (quecpython_api_stubs checkNet.pyi), which our device scripts try first. Ready while
# fw_netstate says the network is up; after net.setModemFun(1) it waits for the re-attach.

# what the frozen checkNet.py imports shows in dir(checkNet) (its lines 20-25)
import fw_datacall as dataCall  # noqa: F401
import fw_modem as modem  # noqa: F401
import fw_net as net  # noqa: F401
import fw_netstate as _net
import fw_utime as utime  # noqa: F401
from fw_misc import Power  # noqa: F401


class _NotEmulated:
    pass


sim = _NotEmulated()  # the SIM: not emulated beyond its name (always ready)


def wait_network_connected(timeout_s=60):
    if timeout_s < 1 or timeout_s > 3600:
        raise OSError("timeout_s out of range")  # checkNet.py:114-155
    # the SIM stage passes; then the data registration (stage 2), then the data call,
    # which comes up with it (stage 3)
    if _net.wait_up(int(timeout_s * 1000)):
        return (3, 1)
    return (2, _net.registration())


waitNetworkReady = wait_network_connected


class CheckNetwork:
    def __init__(self, proj_name, proj_version):
        self.proj_name = proj_name
        self.proj_version = proj_version

    def poweron_print_once(self):
        pass

    @staticmethod
    def check_datacall_status():
        return 1 if _net.up() else 0

    def wait_network_connected(self, timeout_s=60):
        return wait_network_connected(timeout_s)
