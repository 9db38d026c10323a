"""Putting code on the module: the device scripts, an ftplib, compressed pushes.

    scripts.py       sync device_scripts/ (as .mpy where the module loads it) and the
                     chosen ftplib to /usr/hil/, skipping files whose sha256 matches
    zpush.py         pushes compressed with zlib and inflated on the module (uzlib)
    ftplib_check.py  a user's --ftplib checked before the first scenario
    ftplib_calls.py  the ftplib calls device code relies on, as data (ours, Quectel's, CPython's)

May import: harness.errors, harness.micropython, harness.wire.
"""
