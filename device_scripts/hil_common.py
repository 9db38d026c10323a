# What the device steps share (hil_ftp.py, hil_gen.py): the u-module names with their
# CPython fallback, the one result line, and small file helpers. MicroPython 1.13 /
# QuecPython, and CPython. The host side keeps its own RESULT_PREFIX in
# harness/wire/layout.py; tests/test_layout.py checks that the two say the same.
try:
    import ujson as json
except ImportError:
    import json
try:
    import uhashlib as hashlib
except ImportError:
    import hashlib
try:
    import ubinascii as binascii
except ImportError:
    import binascii
try:
    import uos as os
except ImportError:
    import os
try:
    import usys as sys
except ImportError:
    import sys

RESULT_PREFIX = 'HIL-RESULT '
BLOCK = 1024  # bytes read or written at a time: never a whole file in memory
ENOSPC = 28


def report(result):
    # the one line the host parses; everything else printed is only logged.
    # One write, so another thread's print cannot land inside the line.
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + '\n')


def hexdigest(h):
    return binascii.hexlify(h.digest()).decode()


def error_errno(exc):
    if isinstance(exc, OSError) and exc.args and isinstance(exc.args[0], int):
        return exc.args[0]
    return None


def remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


def free_space(path):
    # (block size, free bytes) of the partition holding `path` (statvfs f_bsize, f_bavail)
    st = os.statvfs(path.rsplit('/', 1)[0] or '/')
    return st[0], st[0] * st[4]
