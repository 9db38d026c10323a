# dataCall, frozen Python over `dial`: /work/wt/notes/firmware_surface_draft.py `_dataCall`
# (ports/quectel/core/dataCall.py:21-85). No getPdpRange at this commit.
import json as ujson  # noqa: F401 - dataCall.py:22 imports it, so dir(dataCall) shows it

import fw_dial as dial


def start(profileIdx, ipType, apn, username, password, authType):
    return dial.start(profileIdx, ipType, apn, username, password, authType)


def getInfo(profileIdx, ipType):
    return dial.getInfo(profileIdx, ipType)


def setApn(profileIdx, ipType, apn, username, password, authType):
    return dial.start(profileIdx, ipType, apn, username, password, authType)


def recordApn(profileIdx, ipType, apn, username, password, authType, enable):
    return dial.recordApn(profileIdx, ipType, apn, username, password, authType, enable)


def setAsynMode(mode):
    return dial.setAsynMode(mode)


def setCallback(callback):
    return dial.setCallback(callback)


def setAutoConnect(profileIdx, enable):
    return dial.setAutoConnect(profileIdx, enable)


def getApn(*args):
    return dial.getApn(*args)


def setDnsserver(profileIdx, simid, priDns, secDns):
    return dial.setDnsserver(profileIdx, simid, priDns, secDns)
