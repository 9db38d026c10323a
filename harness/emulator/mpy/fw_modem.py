# modem: /work/wt/notes/firmware_surface_draft.py `_modem` (moddev.c:118-129); backup and
# setUSBMode are Qualcomm only, so absent on the emulated Unisoc EC600U.
from fw_link import CONFIG


def getDevSN():
    return "D1Q20" + CONFIG["imei"][-8:]


def getDevImei():
    return CONFIG["imei"]


def getDevModel():
    return CONFIG["model"]


def getDevFwVersion():
    return CONFIG["firmware"]


def getDevProductId():
    return "Quectel"
