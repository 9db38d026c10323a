# modem: /work/wt/notes/firmware_surface_draft.py `_modem` (moddev.c:118-129); backup and
# setUSBMode are Qualcomm only, so absent on the emulated Unisoc EC600U.
from fw_link import CONFIG as _CONFIG


def getDevSN():
    return "D1Q20" + _CONFIG["imei"][-8:]


def getDevImei():
    return _CONFIG["imei"]


def getDevModel():
    return _CONFIG["model"]


def getDevFwVersion():
    return _CONFIG["firmware"]


def getDevProductId():
    return "Quectel"
