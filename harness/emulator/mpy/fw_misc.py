# misc: /work/wt/notes/firmware_surface_draft.py `_misc` (modmisc.c:59-79). Power has no
# constructor; its functions are called on the class (misc_power.c:88-92).
import fw_link as _link


class Power:
    def __init__(self, *args):
        raise TypeError("cannot create 'Power' instances")

    @staticmethod
    def powerRestart():
        raise _link.PowerEvent("restart")

    @staticmethod
    def powerDown():
        raise _link.PowerEvent("down")

    @staticmethod
    def powerOnReason():
        return 1

    @staticmethod
    def powerDownReason():
        return 1

    @staticmethod
    def getVbatt():
        return 3800


class ADC:
    ADC0, ADC1, ADC2, ADC3 = 0, 1, 2, 3

    def open(self):
        return 0

    def read(self, channel):
        return 0

    def close(self):
        return 0


class PowerKey:
    def powerKeyEventRegister(self, callback):
        return 0


class PWM:
    PWM0 = 0  # PWM1-3 are not on this build (firmware_surface.py)
    ABOVE_1US, ABOVE_MS, ABOVE_10US, ABOVE_BELOW_US = 0, 1, 2, 3

    def __init__(self, pwm, mode, high, cycle):
        pass

    def open(self):
        return 0

    def close(self):
        return 0


class USB:
    def getStatus(self):
        return 1

    def setCallback(self, callback):
        return 0


def replEnable(flag, *password):
    return 0 if flag in (0, 1) else -1


class _UsbNet:
    # misc.USBNET is a module object on ASR/Unisoc builds (firmware_surface.py, misc_usbnet.c)
    Type_ECM = 1
    Type_RNDIS = 3

    def set_worktype(self, kind):
        return 0

    def get_worktype(self):
        return 1

    def get_status(self):
        return 0

    def open(self):
        return 0

    def close(self):
        return 0


USBNET = _UsbNet()
