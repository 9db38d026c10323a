# FTP scenario steps that run ON the module (MicroPython 1.13 / QuecPython)
# and, unchanged, on CPython. Each step prints exactly one result line:
#     HIL-RESULT {"ok": true, "step": "upload", ...}
# Rules: u-names with a CPython fallback, no f-strings, fixed 1 KiB buffers,
# never a whole file in memory.
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
try:
    import utime as time
except ImportError:
    import time

RESULT_PREFIX = 'HIL-RESULT '
BLOCK = 1024
ENOSPC = 28
# where the harness keeps the ftplib copies it pushes (see harness/device.py)
FTPLIB_DIRS = {'bundled': '/usr/hil/lib', 'user': '/usr/hil/user'}


def ticks_ms():
    if hasattr(time, 'ticks_ms'):
        return time.ticks_ms()
    return int(time.time() * 1000)


def elapsed_ms(start):
    if hasattr(time, 'ticks_diff'):
        return time.ticks_diff(time.ticks_ms(), start)
    return ticks_ms() - start


def report(result):
    # the one line the host parses; everything else printed is only logged.
    # One write, so another thread's print cannot land inside the line.
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + '\n')


def hexdigest(h):
    return binascii.hexlify(h.digest()).decode()


def reply_code(text):
    # every ftplib (CPython's, ours, Quectel's single Error class) puts the
    # three-digit reply code first in the message
    text = str(text).strip()
    if len(text) >= 3 and text[:3].isdigit():
        return int(text[:3])
    return None


def error_errno(exc):
    if isinstance(exc, OSError) and exc.args and isinstance(exc.args[0], int):
        return exc.args[0]
    return None


def file_sha256(path):
    # (hex sha256, size) of a file, streamed; (None, None) if it is missing
    try:
        f = open(path, 'rb')
    except OSError:
        return None, None
    h = hashlib.sha256()
    buf = bytearray(BLOCK)
    size = 0
    try:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(memoryview(buf)[:n])
            size += n
    finally:
        f.close()
    return hexdigest(h), size


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


def load_ftplib(kind):
    # 'firmware': whatever `import ftplib` finds on the module; 'bundled' or
    # 'user': the copy the harness pushed, put first on the path
    for d in FTPLIB_DIRS.values():
        while d in sys.path:
            sys.path.remove(d)
    if kind in FTPLIB_DIRS:
        sys.path.insert(0, FTPLIB_DIRS[kind])
    if 'ftplib' in sys.modules:
        del sys.modules['ftplib']
    import ftplib
    return ftplib


def connect(a):
    ftplib = load_ftplib(a.get('ftplib', 'firmware'))
    ftp = ftplib.FTP()
    ftp.connect(a['host'], a['port'], a.get('timeout', 30))
    ftp.login(a['user'], a['password'])
    ftp.set_pasv(a.get('passive', True))
    return ftp


def close(ftp):
    # after a failed transfer the control reply may still be pending: no QUIT
    if ftp is None:
        return
    try:
        ftp.close()
    except Exception:
        pass


def pending_reply(ftp):
    # the server's final word after a transfer that failed on our side
    try:
        return str(ftp.getresp())
    except Exception as exc:
        return str(exc)


def failure(result, exc, ftp=None, read_reply=False):
    result['ok'] = False
    result['error'] = '%s: %s' % (type(exc).__name__, exc)
    err = error_errno(exc)
    if err is not None:
        result['errno'] = err
    text = str(exc)
    if reply_code(text) is None and read_reply and ftp is not None:
        text = pending_reply(ftp)
    if reply_code(text) is not None:
        result['reply'] = text.strip()
        result['code'] = reply_code(text)
    return result


def upload(a):
    local = a['local']
    result = {'ok': False, 'step': 'upload', 'remote': a['remote']}
    result['file_sha256'], result['file_bytes'] = file_sha256(local)
    if result['file_sha256'] is None:
        result['error'] = 'no local file %s' % local
        return result
    h = hashlib.sha256()
    sent = [0]

    def on_block(block):
        h.update(block)
        sent[0] += len(block)

    ftp = None
    start = ticks_ms()
    f = open(local, 'rb')
    try:
        ftp = connect(a)
        reply = ftp.storbinary('STOR ' + a['remote'], f, a.get('block', BLOCK), on_block)
        result['ok'] = True
        result['reply'] = str(reply).strip()
        result['code'] = reply_code(reply)
    except Exception as exc:
        failure(result, exc, ftp, read_reply=True)
    finally:
        f.close()
        result['ms'] = elapsed_ms(start)
        close(ftp)
    result['sha256'] = hexdigest(h)
    result['bytes'] = sent[0]
    return result


def download(a):
    local = a['local']
    result = {'ok': False, 'step': 'download', 'remote': a['remote'], 'local': local}
    h = hashlib.sha256()
    got = [0]
    f = open(local, 'wb')

    def on_block(block):
        f.write(block)
        h.update(block)
        got[0] += len(block)

    ftp = None
    start = ticks_ms()
    try:
        ftp = connect(a)
        reply = ftp.retrbinary('RETR ' + a['remote'], on_block, a.get('block', BLOCK))
        result['ok'] = True
        result['reply'] = str(reply).strip()
        result['code'] = reply_code(reply)
    except Exception as exc:
        failure(result, exc, ftp)
    finally:
        f.close()
        result['ms'] = elapsed_ms(start)
        close(ftp)
    result['sha256'] = hexdigest(h)
    result['bytes'] = got[0]
    if result['ok']:
        # what the module now holds, read back from its flash
        result['file_sha256'], result['file_bytes'] = file_sha256(local)
    elif not a.get('keep_partial'):
        remove_quietly(local)
    result['local_exists'] = exists(local)
    return result


def fill(a):
    # grow a filler file until the partition has at most `leave_free` bytes free
    path = a['path']
    leave = a['leave_free']
    block = bytearray(4096)
    written = 0
    f = open(path, 'wb')
    try:
        while True:
            st = os.statvfs(path.rsplit('/', 1)[0] or '/')
            free = st[0] * st[4]
            if free <= leave:
                break
            try:
                f.write(block if free - leave >= len(block) else block[:free - leave])
            except OSError as exc:
                if error_errno(exc) == ENOSPC:
                    break
                raise
            written += len(block)
    finally:
        f.close()
    st = os.statvfs(path.rsplit('/', 1)[0] or '/')
    return {'ok': True, 'step': 'fill', 'bytes': written, 'free': st[0] * st[4]}


def sha(a):
    digest, size = file_sha256(a['path'])
    return {'ok': digest is not None, 'step': 'sha', 'sha256': digest, 'bytes': size}


STEPS = {'upload': upload, 'download': download, 'fill': fill, 'sha': sha}


def run(step, args):
    # the host's single entry point: always exactly one result line
    try:
        result = STEPS[step](args)
    except Exception as exc:
        result = failure({'ok': False, 'step': step}, exc)
    report(result)
