# FTP scenario steps that run ON the module (MicroPython 1.13 / QuecPython)
# and, unchanged, on CPython. Each step prints exactly one result line:
#     HIL-RESULT {"ok": true, "step": "upload", ...}
# Rules: u-names with a CPython fallback, no f-strings, fixed 1 KiB buffers,
# never a whole file in memory.
#
# Steps: upload, download (one operation each, in a['op']), session (a list of
# operations on one control connection, one result per operation), fill, net. An
# operation is an op_* function in OPS; the host builds its dict with the helper of the
# same name in harness/scenario/ops.py. (Payloads made here from a seed: hil_gen.py,
# kept apart so these steps compile no more than before; both share hil_common.py.)
# They work with CPython's ftplib, the harness's own and Quectel's (one Error
# class, the reply code first in its message; it may return a short download
# without raising, so a download is checked against SIZE and its final reply).
from hil_common import (
    BLOCK,
    ENOSPC,
    error_errno,
    free_space,
    hashlib,
    hexdigest,
    os,
    remove_quietly,
    report,
    sys,
)

try:
    import utime as time
except ImportError:
    import time

TIMEOUT_ERRNOS = (110, 116)  # ETIMEDOUT on Linux/lwIP and on newlib
MAX_TEXT = 200  # longest reply or listing line kept in a result, in bytes
MAX_ITEMS = 50  # listing entries kept in a result (all are counted)
# where the harness keeps the ftplib copies it pushes; the same as harness/wire/layout.py
# (tests/test_layout.py checks)
FTPLIB_DIRS = {'bundled': '/usr/hil/lib', 'user': '/usr/hil/user'}


def ticks_ms():
    if hasattr(time, 'ticks_ms'):
        return time.ticks_ms()
    return int(time.time() * 1000)


def elapsed_ms(start):
    if hasattr(time, 'ticks_diff'):
        return time.ticks_diff(time.ticks_ms(), start)
    return ticks_ms() - start


def sleep_ms(ms):
    if hasattr(time, 'sleep_ms'):
        time.sleep_ms(ms)
    else:
        time.sleep(ms / 1000)


def clip(text):
    # At most MAX_TEXT bytes, cut where a character begins. The legacy firmware's str is
    # bytes (no unicode), so slicing it could halve a UTF-8 character of a file name, which
    # the host would then read as a broken one; the bytes cut alike on every build.
    text = str(text).strip()
    data = text.encode()
    if len(data) <= MAX_TEXT:
        return text
    end = MAX_TEXT
    while end > 0 and data[end] & 0xC0 == 0x80:
        end -= 1
    return data[:end].decode()


def reply_code(text):
    # every ftplib (CPython's, ours, Quectel's single Error class) puts the
    # three-digit reply code first in the message
    text = str(text).strip()
    if len(text) >= 3 and text[:3].isdigit():
        return int(text[:3])
    return None


def set_reply(res, text):
    res['reply'] = clip(text)
    res['code'] = reply_code(text)
    return res


def is_timeout(exc):
    return error_errno(exc) in TIMEOUT_ERRNOS or 'timed out' in str(exc)


# -- files on the module ---------------------------------------------------


def file_sha256(path):
    # (hex sha256, size) of a file, streamed; (None, None) if it is missing
    return _stream_sha256(path, False)


def text_sha256(path):
    # the same after CRLF -> LF: how text transfers are compared
    return _stream_sha256(path, True)


def _stream_sha256(path, text):
    try:
        f = open(path, 'rb')
    except OSError:
        return None, None
    h = hashlib.sha256()
    buf = bytearray(BLOCK)
    size = 0
    held_cr = False  # text: a CR at the end of a block waits for the next block
    try:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            if not text:
                h.update(memoryview(buf)[:n])
                size += n
                continue
            data = bytes(buf[:n])
            if held_cr:
                data = b'\r' + data
            held_cr = data[-1:] == b'\r'
            if held_cr:
                data = data[:-1]
            data = data.replace(b'\r\n', b'\n')
            h.update(data)
            size += len(data)
    finally:
        f.close()
    if held_cr:
        h.update(b'\r')
        size += 1
    return hexdigest(h), size


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


# -- the FTP connection ----------------------------------------------------


_LOADED_FTPLIBS = {}


def load_ftplib(kind):
    # 'firmware': whatever `import ftplib` finds on the module; 'bundled' or
    # 'user': the copy the harness pushed, put first on the path. Each kind is
    # imported once per boot: compiling an ftplib costs the module's heap.
    if kind in _LOADED_FTPLIBS:
        return _LOADED_FTPLIBS[kind]
    for d in FTPLIB_DIRS.values():
        while d in sys.path:
            sys.path.remove(d)
    if kind in FTPLIB_DIRS:
        sys.path.insert(0, FTPLIB_DIRS[kind])
    if 'ftplib' in sys.modules:
        del sys.modules['ftplib']
    import ftplib
    _LOADED_FTPLIBS[kind] = ftplib
    return ftplib


def connect(a):
    # (ftp, welcome); no login yet. A refused welcome (421) raises.
    ftplib = load_ftplib(a.get('ftplib', 'firmware'))
    ftp = ftplib.FTP()
    try:
        welcome = ftp.connect(a['host'], a['port'], a.get('timeout', 30))
    except Exception as exc:
        close(ftp)
        raise exc
    ftp.set_pasv(a.get('passive', True))
    if a.get('port_host'):
        # the address the server sees for the module, for PORT (active mode); our
        # ftplib reads it, the others keep their own way (CPython: getsockname;
        # Quectel's: 127.0.0.1 unless source_address was given)
        ftp.port_host = a['port_host']
    return ftp, welcome


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


def final_reply(ftp):
    # some ftplibs (ours) read the final reply of a failed transfer themselves
    # and keep only its code in lastresp; the others leave it pending
    last = str(getattr(ftp, 'lastresp', '') or '')
    if last[:1] in ('4', '5') and last[:3].isdigit():
        return last[:3] + ' (reply read by the ftplib, which kept only its code)'
    return pending_reply(ftp)


def failure(result, exc, ftp=None, read_reply=False):
    result['ok'] = False
    result['error'] = clip('%s: %s' % (type(exc).__name__, exc))
    err = error_errno(exc)
    if err is not None:
        result['errno'] = err
    # an OSError's text may be its bare errno ("104"): never taken for a reply
    text = str(exc) if err is None else ''
    # a timed-out transfer has no reply coming: waiting for one doubles the wait;
    # nor has one our ftplib refused before sending it (error_local)
    if reply_code(text) is None and read_reply and ftp is not None and not is_timeout(exc) \
            and type(exc).__name__ != 'error_local':
        text = final_reply(ftp)
    if reply_code(text) is not None:
        set_reply(result, text)
    return result


def check_final(res, expected, why=None):
    # a transfer only counts when the server's last reply is 2xx and, where the
    # bytes to expect are known (`why` says from what), every byte arrived: some
    # ftplibs call a cut download a success
    res['expected_bytes'] = expected
    code = res.get('code')
    if code is None or code // 100 != 2:
        res['ok'] = False
        res['error'] = 'the transfer ended without a 2xx reply: %r' % res.get('reply')
    elif expected is not None and res['bytes'] != expected:
        res['ok'] = False
        what = 'short' if res['bytes'] < expected else 'long'
        res['error'] = ('%s download: got %d of %d bytes (%s) although the ftplib '
                        'reported %r' % (what, res['bytes'], expected, why, res['reply']))


def remote_size(ftp, remote, res):
    # SIZE before RETR (TYPE I first: servers refuse SIZE in ASCII mode)
    try:
        ftp.sendcmd('TYPE I')
        reply = ftp.sendcmd('SIZE ' + remote)
    except Exception as exc:
        res['size_reply'] = clip(exc)
        return None
    res['size_reply'] = clip(reply)
    if reply_code(reply) != 213:
        return None
    try:
        return int(str(reply)[4:].strip())
    except ValueError:
        return None


def verify_with_server(ftp, remote, mine, res):
    # XSHA256: the server hashes what it holds, no second transfer needed
    try:
        reply = ftp.sendcmd('XSHA256 ' + remote)
    except Exception as exc:
        reply = exc
    res['hash_reply'] = clip(reply)
    res['hash_code'] = reply_code(reply)
    words = str(reply).split()
    theirs = words[1].lower() if res['hash_code'] == 213 and len(words) > 1 else None
    res['server_sha256'] = theirs
    res['hash_match'] = theirs is not None and theirs == mine
    if theirs is not None and theirs != mine:
        res['ok'] = False
        res['error'] = "the server's XSHA256 %s... differs from the module's %s..." % (
            theirs[:12], str(mine)[:12])


# -- the module's network: lost and back (net.setModemFun, checkNet) -----------


def wait_network(timeout):
    # checkNet.waitNetworkReady(timeout) -> (stage, state), (3, 1) when ready; older
    # firmware: checknet.wait_network_connected; None where there is neither (a PC)
    try:
        import checkNet
        return checkNet.waitNetworkReady(timeout)
    except ImportError:
        pass
    try:
        import checknet
        return checknet.wait_network_connected(timeout)
    except ImportError:
        return None


def network_cut(op):
    # [bytes after which the operation takes the module off the network (None: never),
    #  whether it did]: the op's `drop_network_after`
    return [op.get('drop_network_after'), False]


def cut_when(cut, moved, res):
    # from a transfer's callback: leave the network once `moved` bytes crossed. Minimum
    # functionality (net.setModemFun(0)) ends the data call; the firmware has no data
    # call deactivate of its own (firmware_surface.NETWORK_LOSS)
    if cut[0] is None or cut[1] or moved < cut[0]:
        return
    import net as cellular
    cut[1] = True
    res['network_off'] = {'bytes': moved, 'modem_fun': cellular.setModemFun(0)}


def rejoin(cut, op, res):
    # after the transfer, whatever its outcome: back on the network (`reattach_timeout` s)
    if cut[1]:
        res['network_back'] = network_back(op.get('reattach_timeout', 60))


def network_back(timeout):
    # net.setModemFun(1), then checkNet until the data call is up again (the firmware
    # re-dials by itself). checkNet answers at once while the SIM is not ready yet (its
    # stage 1), so it is asked again until `timeout` seconds have passed
    import net as cellular
    back = {'modem_fun': cellular.setModemFun(1), 'checknet': None}
    start = ticks_ms()
    while True:
        left = timeout - elapsed_ms(start) // 1000
        ready = wait_network(max(1, min(3600, left)))
        back['checknet'] = list(ready) if ready is not None else None
        if ready is None or (ready[0] == 3 and ready[1] == 1) \
                or elapsed_ms(start) >= timeout * 1000:
            break
        sleep_ms(100)
    back['ms'] = elapsed_ms(start)
    back['ok'] = ready is not None and ready[0] == 3 and ready[1] == 1
    if not back['ok']:
        back['error'] = ('the network did not come back within %s s: checkNet says %s; '
                         'check the SIM, the antenna and the APN' % (timeout, back['checknet']))
    return back


# -- operations: each fills `res` and sets res['ok'] -------------------------


def op_retr(ctx, op, res):
    ftp = ctx['ftp']
    remote = op['remote']
    local = op['local']
    res['remote'] = remote
    res['local'] = local
    # rest: resume at this offset (REST), appending to what `local` already holds
    rest = op.get('rest', 0)
    res['rest'] = rest
    expected = remote_size(ftp, remote, res) if op.get('check_size', True) else None
    if expected is not None and rest:
        expected = max(expected - rest, 0)
    h = hashlib.sha256()
    got = [0]
    cut = network_cut(op)
    f = open(local, 'ab' if rest else 'wb')

    def on_block(block):
        f.write(block)
        h.update(block)
        got[0] += len(block)
        cut_when(cut, got[0], res)

    try:
        if rest:
            # rest as a str: Quectel's ftplib calls rest.startswith() after the 150 reply
            # (an int makes it print a parse150 error, though the transfer goes on)
            reply = ftp.retrbinary('RETR ' + remote, on_block, op.get('block', BLOCK),
                                   rest=str(rest))
        else:
            reply = ftp.retrbinary('RETR ' + remote, on_block, op.get('block', BLOCK))
        set_reply(res, reply)
        res['ok'] = True
    except Exception as exc:
        failure(res, exc)
    finally:
        f.close()
        rejoin(cut, op, res)
    res['sha256'] = hexdigest(h)
    res['bytes'] = got[0]
    res['size_checked'] = expected is not None
    if res['ok']:
        why = 'SIZE said %s' % expected if not rest else 'SIZE less REST %s' % rest
        check_final(res, expected, why)
    if res['ok']:
        # what the module now holds, read back from its flash
        res['file_sha256'], res['file_bytes'] = file_sha256(local)
    if res['ok'] and op.get('verify_hash'):
        # the server hashes the whole file: compare the module's whole file
        verify_with_server(ftp, remote, res['file_sha256'] if rest else res['sha256'], res)
    if not res['ok'] and not op.get('keep_partial') and not rest:
        # (a resumed download leaves the part the module held before)
        remove_quietly(local)
    res['local_exists'] = exists(local)


def op_stor(ctx, op, res):
    ftp = ctx['ftp']
    local = op['local']
    res['remote'] = op['remote']
    res['file_sha256'], res['file_bytes'] = file_sha256(local)
    if res['file_sha256'] is None:
        res['error'] = 'no local file %s' % local
        return
    h = hashlib.sha256()
    sent = [0]
    cut = network_cut(op)

    def on_block(block):
        h.update(block)
        sent[0] += len(block)
        cut_when(cut, sent[0], res)

    f = open(local, 'rb')
    try:
        # append: APPE instead of STOR (the server keeps what the file held)
        verb = 'APPE ' if op.get('append') else 'STOR '
        set_reply(res, ftp.storbinary(verb + op['remote'], f, op.get('block', BLOCK),
                                      on_block))
        res['ok'] = True
    except Exception as exc:
        failure(res, exc, ftp, read_reply=True)
    finally:
        f.close()
        rejoin(cut, op, res)
    res['sha256'] = hexdigest(h)
    res['bytes'] = sent[0]
    if res['ok']:
        check_final(res, None)
    if res['ok'] and op.get('verify_hash') and op.get('append'):
        # the server's file is what it held and then ours: the module cannot know its hash
        res['hash_match'] = None
        res['hash_note'] = 'not compared: an appended file holds more than the module sent'
    elif res['ok'] and op.get('verify_hash'):
        verify_with_server(ftp, op['remote'], res['file_sha256'], res)


def op_storlines(ctx, op, res):
    # TYPE A upload: the ftplib sends every line with CRLF
    ftp = ctx['ftp']
    local = op['local']
    res['remote'] = op['remote']
    res['file_sha256'], res['file_bytes'] = file_sha256(local)
    res['text_sha256'], res['text_bytes'] = text_sha256(local)
    if not hasattr(ftp, 'storlines'):
        res['error'] = 'this ftplib has no storlines(): text uploads are not possible with it'
        return
    h = hashlib.sha256()
    count = [0, 0]  # lines, bytes on the wire

    def on_line(line):
        h.update(line)
        count[0] += 1
        count[1] += len(line)

    f = open(local, 'rb')
    try:
        set_reply(res, ftp.storlines('STOR ' + op['remote'], f, on_line))
        res['ok'] = True
    except Exception as exc:
        failure(res, exc, ftp, read_reply=True)
    finally:
        f.close()
    res['wire_sha256'] = hexdigest(h)
    res['lines'] = count[0]
    res['wire_bytes'] = count[1]
    if res['ok']:
        check_final(res, None)


def op_retrlines(ctx, op, res):
    # TYPE A download. callback 'lf': each line written back with '\n';
    # 'write': the application note's sample, retrlines(cmd, fp.write), as is
    ftp = ctx['ftp']
    local = op['local']
    res['remote'] = op['remote']
    res['local'] = local
    res['callback'] = op.get('callback', 'lf')
    count = [0]
    if res['callback'] == 'write':
        f = open(local, 'w')
        callback = f.write
    else:
        f = open(local, 'wb')

        def callback(line):
            f.write(line.encode() + b'\n')
            count[0] += 1

    try:
        set_reply(res, ftp.retrlines('RETR ' + op['remote'], callback))
        res['ok'] = True
    except Exception as exc:
        failure(res, exc)
    finally:
        f.close()
    if res['callback'] == 'lf':
        res['lines'] = count[0]
    if res['ok']:
        check_final(res, None)
    if res['ok']:
        res['file_sha256'], res['file_bytes'] = file_sha256(local)
        res['text_sha256'], res['text_bytes'] = text_sha256(local)
    elif not op.get('keep_partial'):
        remove_quietly(local)
    res['local_exists'] = exists(local)


def listing(ctx, op, res, verb):
    # LIST or NLST through retrlines: every ftplib has it and returns the reply
    kept = []
    seen = [0]

    def on_line(line):
        seen[0] += 1
        if len(kept) < MAX_ITEMS:
            kept.append(clip(line))

    line = verb + (' ' + op['arg'] if op.get('arg') else '')
    set_reply(res, ctx['ftp'].retrlines(line, on_line))
    res['ok'] = True
    res['lines'] = kept
    res['count'] = seen[0]


def op_list(ctx, op, res):
    listing(ctx, op, res, 'LIST')


def op_nlst(ctx, op, res):
    listing(ctx, op, res, 'NLST')


# one command, one reply: op name -> FTP verb ('arg' is appended)
COMMANDS = {'cwd': 'CWD', 'pwd': 'PWD', 'mkd': 'MKD', 'rmd': 'RMD', 'dele': 'DELE',
            'size': 'SIZE', 'syst': 'SYST', 'noop': 'NOOP', 'type': 'TYPE',
            'hash': 'XSHA256'}


def quoted_path(reply):
    # '257 "/a ""b"" dir" created' -> '/a "b" dir'
    text = str(reply)
    start = text.find('"')
    end = text.rfind('"')
    if start < 0 or end <= start:
        return None
    return text[start + 1:end].replace('""', '"')


def op_command(ctx, op, res):
    verb = COMMANDS.get(op['op'], '')
    line = op.get('cmd') or (verb + (' ' + str(op['arg']) if 'arg' in op else ''))
    reply = ctx['ftp'].sendcmd(line)
    set_reply(res, reply)
    res['ok'] = True
    verb = line.split(' ')[0].upper()
    if res['code'] == 257:
        res['path'] = quoted_path(reply)
    elif res['code'] == 213 and verb == 'SIZE':
        res['size'] = int(str(reply)[4:].strip())
    elif res['code'] == 213 and verb == 'XSHA256':
        res['sha256'] = str(reply).split()[1].lower()


# the ftplib's own methods a scenario may call, as an application would (not raw commands)
API_CALLS = ('size', 'pwd', 'nlst', 'mkd', 'rmd', 'delete', 'cwd')


def op_api(ctx, op, res):
    name = op.get('call')
    res['call'] = name
    if name not in API_CALLS:
        res['error'] = 'unknown ftplib call %r; known: %s' % (name, ' '.join(API_CALLS))
        return
    res['value'] = getattr(ctx['ftp'], name)(*op.get('args', []))
    res['ok'] = True


def op_rename(ctx, op, res):
    ftp = ctx['ftp']
    res['stage'] = 'RNFR'
    res['rnfr_code'] = reply_code(ftp.sendcmd('RNFR ' + op['from']))
    res['stage'] = 'RNTO'
    set_reply(res, ftp.sendcmd('RNTO ' + op['to']))
    res['ok'] = True


def op_login(ctx, op, res):
    a = ctx['args']
    set_reply(res, ctx['ftp'].login(op.get('user', a['user']),
                                    op.get('password', a['password'])))
    res['ok'] = True


def op_pasv(ctx, op, res):
    # passive (PASV) or active (PORT) data connections from now on
    ctx['ftp'].set_pasv(op.get('on', True))
    res['passive'] = bool(op.get('on', True))
    res['ok'] = True


def op_idle(ctx, op, res):
    # stay idle for `seconds`, sending NOOP every `every` seconds to keep the
    # control connection alive (what long-lived module applications do)
    codes = []
    start = ticks_ms()
    every = int(op.get('every', 0.5) * 1000)
    while elapsed_ms(start) < op.get('seconds', 1) * 1000:
        sleep_ms(every)
        reply = ctx['ftp'].sendcmd('NOOP')
        codes.append(reply_code(reply))
    set_reply(res, reply if codes else '')
    res['codes'] = codes
    res['ok'] = True


def op_connect(ctx, op, res):
    # one more control connection from the module (e.g. to meet a connection limit)
    ftp, welcome = connect(ctx['args'])
    ctx['extra'].append(ftp)
    set_reply(res, welcome)
    if op.get('login'):
        set_reply(res, ftp.login(ctx['args']['user'], ctx['args']['password']))
    res['ok'] = True


def op_quit(ctx, op, res):
    ftp = ctx['ftp']
    ctx['ftp'] = None
    set_reply(res, ftp.quit())
    res['ok'] = True


OPS = {'retr': op_retr, 'stor': op_stor, 'storlines': op_storlines,
       'retrlines': op_retrlines, 'list': op_list, 'nlst': op_nlst, 'rename': op_rename,
       'login': op_login, 'pasv': op_pasv, 'idle': op_idle, 'connect': op_connect,
       'quit': op_quit, 'cmd': op_command, 'api': op_api}
for _name in COMMANDS:
    OPS[_name] = op_command


def run_op(ctx, op):
    name = op.get('op')
    res = {'op': name, 'ok': False}
    if 'label' in op:
        res['label'] = op['label']
    func = OPS.get(name)
    start = ticks_ms()
    if func is None:
        res['error'] = 'unknown operation %r; known: %s' % (name, ' '.join(sorted(OPS)))
        return res
    if ctx['ftp'] is None:
        res['error'] = 'not connected (after QUIT)'
        return res
    try:
        func(ctx, op, res)
    except Exception as exc:
        failure(res, exc, ctx['ftp'])
    res['ms'] = elapsed_ms(start)
    return res


def open_session(a, result):
    # connect, log in (unless told not to) and go to the run's folder (if any);
    # None after recording the failure
    ftp = None
    result['ftplib'] = a.get('ftplib', 'firmware')
    try:
        ftp, welcome = connect(a)
        result['welcome'] = set_reply({}, welcome)
        if a.get('login', True):
            result['login'] = set_reply({}, ftp.login(a['user'], a['password']))
            if a.get('cwd'):
                result['cwd'] = set_reply({}, ftp.sendcmd('CWD ' + a['cwd']))
        return ftp
    except Exception as exc:
        failure(result, exc)
        close(ftp)
        return None


# -- steps -------------------------------------------------------------------


def session(a):
    # several operations on one control connection, one result each; stops at
    # an operation that failed without a reply (the connection state is unknown)
    ops = a.get('ops', [])
    result = {'ok': False, 'step': 'session', 'ops': [], 'planned': len(ops)}
    start = ticks_ms()
    ftp = open_session(a, result)
    if ftp is None:
        result['ran'] = 0
        result['ms'] = elapsed_ms(start)
        return result
    ctx = {'ftp': ftp, 'args': a, 'extra': []}
    ok = True
    for op in ops:
        res = run_op(ctx, op)
        result['ops'].append(res)
        ok = ok and res['ok']
        if not res['ok'] and res.get('code') is None:
            break
    for other in ctx['extra']:
        close(other)
    close(ctx['ftp'])
    result['ran'] = len(result['ops'])
    result['ok'] = ok and result['ran'] == len(ops)
    result['ms'] = elapsed_ms(start)
    return result


def transfer(step, op_func, a, result):
    # one operation (a['op']) on its own connection; the result is flat, as the host
    # expects
    start = ticks_ms()
    ftp = open_session(a, result)
    if ftp is not None:
        result['ok'] = False
        op_func({'ftp': ftp, 'args': a, 'extra': []}, a['op'], result)
        close(ftp)
    result['ms'] = elapsed_ms(start)
    result['step'] = step
    return result


def upload(a):
    op = a['op']  # a stor operation (harness/scenario/ops.py)
    result = {'ok': False, 'step': 'upload', 'remote': op['remote'], 'bytes': 0}
    result['file_sha256'], result['file_bytes'] = file_sha256(op['local'])
    result = transfer('upload', op_stor, a, result)
    if 'sha256' not in result:
        result['sha256'] = hexdigest(hashlib.sha256())
    return result


def download(a):
    op = a['op']  # a retr operation (harness/scenario/ops.py)
    result = {'ok': False, 'step': 'download', 'remote': op['remote'], 'local': op['local'],
              'bytes': 0}
    result = transfer('download', op_retr, a, result)
    if 'sha256' not in result:
        result['sha256'] = hexdigest(hashlib.sha256())
    result['local_exists'] = exists(op['local'])
    return result


FILL_PROBE_MS = 250  # the write speed is measured over this long at least,
FILL_PROBE_BYTES = 4 * 1024 * 1024  # or over this many bytes, whichever comes first


def fill(a):
    # grow a filler file until the partition has at most `leave_free` bytes free.
    # With `budget_s`, the write speed is measured as it goes: once the whole fill would
    # take longer than that, the step stops, removes the filler and says so (a /usr of
    # tens of GB is not filled within a step's timeout); the host skips the scenario
    path = a['path']
    leave = a['leave_free']
    budget_ms = int(a.get('budget_s', 0) * 1000)
    block = bytearray(4096)
    written = 0
    need = free_space(path)[1] - leave
    too_slow = False
    start = ticks_ms()
    f = open(path, 'wb')
    try:
        while True:
            free = free_space(path)[1]
            if free <= leave:
                break
            try:
                f.write(block if free - leave >= len(block) else block[:free - leave])
            except OSError as exc:
                if error_errno(exc) == ENOSPC:
                    break
                raise
            written += len(block)
            if budget_ms and fill_too_slow(written, elapsed_ms(start), need, budget_ms):
                too_slow = True
                break
    finally:
        f.close()
    spent = elapsed_ms(start)
    result = {'ok': True, 'step': 'fill', 'bytes': written, 'ms': spent}
    if too_slow:
        remove_quietly(path)
        rate = written * 1000 // max(1, spent)
        result['ok'] = False
        result['too_slow'] = True
        result['rate'] = rate
        result['estimate_s'] = need // max(1, rate)
        result['budget_s'] = budget_ms // 1000
        result['error'] = ('/usr has %d bytes free: filling it down to %d at the measured %d '
                           'bytes/s would take about %d s, more than the %d s this step may '
                           'take' % (need + leave, leave, rate, result['estimate_s'],
                                     result['budget_s']))
    result['free'] = free_space(path)[1]
    return result


def fill_too_slow(written, spent_ms, need, budget_ms):
    # once the speed is measured: would writing all `need` bytes overrun the budget?
    if spent_ms < FILL_PROBE_MS and written < FILL_PROBE_BYTES:
        return spent_ms >= budget_ms
    return spent_ms >= budget_ms or spent_ms * need > budget_ms * written


def net(a):
    # is the module on the network? checkNet.waitNetworkReady -> (3, 1) when ready.
    # With `restore`: a module a scenario left off the network (net.getModemFun() is not
    # 1, full functionality) is brought back first
    result = {'ok': False, 'step': 'net'}
    timeout = a.get('timeout', 30)
    if a.get('restore'):
        try:
            import net as cellular
            result['modem_fun'] = cellular.getModemFun()
        except ImportError:
            result['modem_fun'] = None
        if result['modem_fun'] not in (None, 1):
            result['network_back'] = network_back(timeout)
    ready = wait_network(timeout)
    if ready is None:
        # not a QuecPython module (a PC): its network is the host's
        result['ok'] = True
        result['checknet'] = None
        return result
    stage, state = ready
    result['checknet'] = [stage, state]
    result['ok'] = stage == 3 and state == 1
    if not result['ok']:
        result['error'] = ('module not connected: checkNet stage %s state %s; check the '
                           'SIM, the antenna and the APN' % (stage, state))
    return result


STEPS = {'upload': upload, 'download': download, 'session': session, 'fill': fill,
         'net': net}


def run(step, args):
    # the host's single entry point: always exactly one result line
    try:
        result = STEPS[step](args)
    except Exception as exc:
        result = failure({'ok': False, 'step': step}, exc)
    report(result)
