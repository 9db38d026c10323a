# misc: /work/wt/notes/firmware_surface_draft.py `_misc` (modmisc.c:59-79). Power has no
# constructor; its functions are called on the class (misc_power.c:88-92).
import fw_link


class Power:
    def __init__(self, *args):
        raise TypeError("cannot create 'Power' instances")

    @staticmethod
    def powerRestart():
        raise fw_link.PowerEvent("restart")

    @staticmethod
    def powerDown():
        raise fw_link.PowerEvent("down")

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
    PWM0, PWM1, PWM2, PWM3 = 0, 1, 2, 3
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
