"""An FTP client for QuecPython (MicroPython 1.13) and CPython.

The API is CPython's ftplib.FTP (a subset: no TLS), so a device script can be
written once and run on the module, on the virtual module and on a PC:

    ftp = FTP()
    ftp.connect("ftp.example.net", 21, timeout=30)
    ftp.login("user", "secret")
    with open("/usr/hil/x.bin", "rb") as fp:
        ftp.storbinary("STOR x.bin", fp, 1024)
    ftp.quit()

Where it differs from CPython's, on purpose:
- timeout=None means DEFAULT_TIMEOUT seconds, never "block forever": a module
  on a cellular link must never wait without a bound. Setting ftp.timeout
  later changes the data connections opened after it; the control connection
  keeps the timeout it was opened with.
- A failed transfer (receive timeout, data connection closed before the
  server's final 2xx, an exception raised by the callback) always raises. The
  data socket is closed and the server's final reply is read and dropped, so the
  control connection stays usable; if even that reply does not come, the
  control connection is closed (its state is unknown).
- After the peer closes a data connection, MicroPython's recv may raise
  OSError(ENOTCONN) instead of returning b"": that is taken as end of data, and
  the transfer then succeeds only if the server's final reply is 2xx.
- size() switches to TYPE I first (servers refuse SIZE in ASCII mode); TYPE
  commands are sent only when the type changes.
- Active mode (set_pasv(False)) needs this side's address for PORT:
  ftp.port_host = "a.b.c.d" if set, else getsockname() where the socket has it
  (CPython), else the data call's address from dataCall.getInfo(1, 0)
  (QuecPython sockets have no getsockname). Without any, makeport fails at
  once, before PORT is sent. A module behind a carrier NAT cannot take the
  server's connection anyway: stay passive.
- retrlines drops every CR at the end of a line, not one CR LF: Pure-FTPd
  sends CR CR LF in TYPE A for a file whose lines already end in CRLF.
- The address in a PASV reply is ignored (the data connection goes to the
  control connection's host) unless trust_server_pasv_ipv4_address is set.
- FTP(..., port=N) is accepted as a convenience (CPython has no such argument:
  portable scripts call connect(host, port)).

MicroPython 1.13 subset: no f-strings, u-module names with a CPython
fallback, small fixed reads, nothing holds a whole file in memory.
"""

try:
    import usocket as socket
except ImportError:
    import socket

try:
    import utime as time
except ImportError:
    import time

__all__ = ["FTP", "Error", "error_reply", "error_temp", "error_perm", "error_proto",
           "all_errors"]

FTP_PORT = 21
MAXLINE = 8192
DEFAULT_TIMEOUT = 60
# a multi-line reply (a banner, FEAT, HELP) longer than this is a broken server
MAX_REPLY = 65536
CRLF = "\r\n"
B_CRLF = b"\r\n"
# recv raises one of these after the peer closed (107 Linux/lwIP, 128 newlib)
_ENOTCONN = (107, 128)
_READ_CHUNK = 512


class Error(Exception):
    pass


class error_reply(Error):  # unexpected reply
    pass


class error_temp(Error):  # 4xx
    pass


class error_perm(Error):  # 5xx
    pass


class error_proto(Error):  # not an FTP reply at all
    pass


class error_local(Error):  # refused on this side before the command went out
    pass


all_errors = (Error, OSError, EOFError)


def _errno(exc):
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    return getattr(exc, "errno", None)


def _recv(sock, size):
    """recv, with MicroPython's ENOTCONN-after-close read as end of data.

    A timeout is NOT end of data: it propagates (OSError / TimeoutError).
    """
    try:
        return sock.recv(size)
    except OSError as exc:
        if _errno(exc) in _ENOTCONN:
            return b""
        raise exc


def _sendall(sock, data):
    if hasattr(sock, "sendall"):
        sock.sendall(data)
        return
    view = memoryview(data)
    while len(view):
        sent = sock.send(view)
        if sent is None or sent <= 0:
            raise OSError(32, "connection closed while sending")
        view = view[sent:]


def _close(sock):
    if sock is not None:
        try:
            sock.close()
        except OSError:
            pass


def _decode(raw, encoding):
    # A build without unicode (the legacy firmware) takes any bytes and ignores the
    # encoding: the str is the bytes, a UTF-8 name stays its UTF-8. A build with unicode
    # refuses invalid UTF-8 (UnicodeError): then one character per byte, so a reply is
    # never lost over a stray byte.
    try:
        return raw.decode(encoding)
    except (UnicodeError, ValueError):
        return "".join([chr(c) for c in raw])


def _resolve(host, port):
    """The first stream address of host (MicroPython has no create_connection)."""
    infos = socket.getaddrinfo(host, port)
    if not infos:
        raise OSError("cannot resolve " + str(host))
    for info in infos:
        if info[1] in (0, socket.SOCK_STREAM):
            return info
    return infos[0]


def _datacall_ip(profile=1):
    """(the module's IPv4 address, '') from dataCall.getInfo, or (None, why not).

    getInfo(profile, 0) gives (profile, ip_version, [state, reconnect, ip, dns1,
    dns2]) while the data call is up, or an int error code.
    """
    try:
        import dataCall
    except ImportError:
        return None, "no dataCall module"
    try:
        info = dataCall.getInfo(profile, 0)
    except Exception as exc:
        return None, "dataCall.getInfo raised " + repr(exc)
    try:
        state = info[2][0]
        ip = info[2][2]
    except (TypeError, IndexError):
        return None, "dataCall.getInfo gave " + repr(info)
    if state != 1 or not ip or ip == "0.0.0.0":
        return None, "dataCall.getInfo gave " + repr(info)
    return ip, ""


def _is_v6(af):
    return af is not None and af == getattr(socket, "AF_INET6", -1)


def _strip_eol(raw):
    if raw[-2:] == B_CRLF:
        return raw[:-2]
    if raw[-1:] in (b"\n", b"\r"):
        return raw[:-1]
    return raw


class _LineReader:
    """readline over recv, in small reads (usocket.makefile is the socket)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def readline(self, limit):
        buf = self.buf
        start = 0
        while True:
            i = buf.find(b"\n", start)
            if i >= 0:
                self.buf = buf[i + 1:]
                line = buf[:i + 1]
                break
            if len(buf) > limit:
                self.buf = b""
                raise Error("got more than " + str(limit) + " bytes")
            start = len(buf)
            chunk = _recv(self.sock, _READ_CHUNK)
            if not chunk:
                self.buf = b""
                line = buf
                break
            buf = buf + chunk
        if len(line) > limit + 2:
            raise Error("got more than " + str(limit) + " bytes")
        return line


def print_line(line):
    print(line)


def parse227(resp):
    """'227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)' -> (host, port)."""
    if resp[:3] != "227":
        raise error_reply(resp)
    text = resp[4:].replace("(", " ").replace(")", " ")
    for word in text.split():
        parts = word.strip("=.,").split(",")
        if len(parts) != 6:
            continue
        nums = []
        for p in parts:
            if not p.isdigit() or int(p) > 255:
                break
            nums.append(int(p))
        if len(nums) == 6:
            host = ".".join([str(n) for n in nums[:4]])
            return host, (nums[4] << 8) + nums[5]
    raise error_proto(resp)


def parse229(resp):
    """'229 Entering Extended Passive Mode (|||port|)' -> port."""
    if resp[:3] != "229":
        raise error_reply(resp)
    left = resp.find("(")
    right = resp.find(")", left + 1)
    if left < 0 or right < 0:
        raise error_proto(resp)
    inner = resp[left + 1:right]
    if len(inner) < 5:
        raise error_proto(resp)
    parts = inner.split(inner[0])
    if len(parts) != 5 or not parts[3].isdigit():
        raise error_proto(resp)
    return int(parts[3])


def parse257(resp):
    """'257 "/dir" created' -> '/dir' (doubled quotes are one quote)."""
    if resp[:3] != "257":
        raise error_reply(resp)
    if resp[3:5] != ' "':
        return ""
    name = ""
    i = 5
    n = len(resp)
    while i < n:
        c = resp[i]
        i += 1
        if c == '"':
            if i >= n or resp[i] != '"':
                break
            i += 1
        name = name + c
    return name


def _parse150(resp):
    """The size in '150 ... (1234 bytes).', or None."""
    left = resp.rfind("(")
    if left < 0:
        return None
    right = resp.lower().find(" bytes)", left)
    digits = resp[left + 1:right] if right > left else ""
    if digits.isdigit():
        return int(digits)
    return None


def _ticks():
    if hasattr(time, "ticks_ms"):
        return time.ticks_ms()
    return int(time.time() * 1000)


class FTP:
    debugging = 0
    host = ""
    port = FTP_PORT
    maxline = MAXLINE
    sock = None
    welcome = None
    passiveserver = True
    trust_server_pasv_ipv4_address = False
    # the address sent in PORT (active mode) when the control socket cannot
    # tell its own address (some usocket builds have no getsockname)
    port_host = None

    def __init__(self, host="", user="", passwd="", acct="", timeout=None,
                 source_address=None, encoding="utf-8", port=0):
        self.encoding = encoding
        self.source_address = source_address
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.af = None
        self.lastresp = ""
        self._peer_host = None
        self._reader = None
        self._type = None
        if host:
            self.connect(host, port)
            if user:
                self.login(user, passwd, acct)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        if self.sock is not None:
            try:
                self.quit()
            except all_errors:
                pass
            finally:
                self.close()

    # -- connection --------------------------------------------------------

    def connect(self, host="", port=0, timeout=None, source_address=None):
        if host:
            self.host = host
        if port > 0:
            self.port = port
        if timeout is not None:
            self.timeout = timeout
        if source_address is not None:
            self.source_address = source_address
        self.close()
        info = _resolve(self.host, self.port)
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            if self.source_address:
                sock.bind(_resolve(self.source_address[0], self.source_address[1])[-1])
            sock.connect(info[-1])
        except Exception as exc:
            _close(sock)
            raise exc
        self.sock = sock
        self.af = info[0]
        addr = info[-1]
        # where PASV data connections go (the PASV address itself is not trusted:
        # a server behind NAT often announces its private address)
        self._peer_host = addr[0] if isinstance(addr, tuple) else self.host
        self._reader = _LineReader(sock)
        self._type = None
        self.welcome = self.getresp()
        return self.welcome

    def getwelcome(self):
        if self.debugging:
            print("*welcome* " + repr(self.welcome))
        return self.welcome

    def set_debuglevel(self, level):
        self.debugging = level

    debug = set_debuglevel

    def set_pasv(self, val):
        self.passiveserver = bool(val)

    def close(self):
        sock = self.sock
        self.sock = None
        self._reader = None
        _close(sock)

    def quit(self):
        try:
            resp = self.voidcmd("QUIT")
        finally:
            self.close()
        return resp

    # -- the control connection ---------------------------------------------

    def _sanitize(self, line):
        if line[:5] in ("pass ", "PASS "):
            line = line[:5] + "*" * len(line.rstrip("\r\n")[5:])
        return repr(line)

    def putline(self, line):
        if "\r" in line or "\n" in line:
            raise ValueError("an illegal newline character should not be contained")
        if self.sock is None:
            raise OSError(107, "FTP: not connected")
        if self.debugging > 1:
            print("*put* " + self._sanitize(line))
        _sendall(self.sock, (line + CRLF).encode(self.encoding))

    def putcmd(self, line):
        if self.debugging:
            print("*cmd* " + self._sanitize(line))
        word = line[:5].upper()
        if word in ("TYPE ", "USER ", "REIN"):
            self._type = None
        self.putline(line)

    def getline(self):
        if self._reader is None:
            raise OSError(107, "FTP: not connected")
        raw = self._reader.readline(self.maxline)
        if self.debugging > 1:
            print("*get* " + repr(raw))
        if not raw:
            raise EOFError("FTP: the server closed the control connection")
        return _decode(_strip_eol(raw), self.encoding)

    def getmultiline(self):
        line = self.getline()
        if line[3:4] == "-" and line[:3].isdigit():
            code = line[:3]
            while True:
                nextline = self.getline()
                line = line + "\n" + nextline
                if nextline[:3] == code and nextline[3:4] != "-":
                    break
                if len(line) > MAX_REPLY:
                    raise error_proto("reply longer than " + str(MAX_REPLY) + " bytes")
        return line

    def getresp(self):
        resp = self.getmultiline()
        if self.debugging:
            print("*resp* " + self._sanitize(resp))
        self.lastresp = resp[:3]
        if len(resp) < 3 or not resp[:3].isdigit() or resp[3:4] not in ("", " ", "-"):
            raise error_proto(resp)
        c = resp[0]
        if c in ("1", "2", "3"):
            return resp
        if c == "4":
            raise error_temp(resp)
        if c == "5":
            raise error_perm(resp)
        raise error_proto(resp)

    def voidresp(self):
        resp = self.getresp()
        if resp[0] != "2":
            raise error_reply(resp)
        return resp

    def sendcmd(self, cmd):
        self.putcmd(cmd)
        return self.getresp()

    def voidcmd(self, cmd):
        self.putcmd(cmd)
        return self.voidresp()

    def _settype(self, kind):
        if self._type != kind:
            self.voidcmd("TYPE " + kind)
            self._type = kind

    # -- data connections --------------------------------------------------

    def sendport(self, host, port):
        parts = host.split(".") + [str(port >> 8), str(port & 255)]
        return self.voidcmd("PORT " + ",".join(parts))

    def sendeprt(self, host, port):
        proto = "2" if _is_v6(self.af) else "1"
        return self.voidcmd("EPRT |" + proto + "|" + host + "|" + str(port) + "|")

    def _local_host(self):
        # PORT needs this side's address: ftp.port_host, else the socket's own
        # (CPython), else the module's data call (QuecPython sockets have no
        # getsockname). Fails at once, before anything is sent, if none answers.
        if self.port_host:
            return self.port_host
        if hasattr(self.sock, "getsockname"):
            try:
                return self.sock.getsockname()[0]
            except (OSError, IndexError, TypeError):
                pass
        ip, why = _datacall_ip()
        if ip:
            return ip
        raise error_local("active mode: cannot tell this side's address: " + why
                          + " and no port_host; set ftp.port_host or use passive mode")

    def makeport(self):
        """Listen for the server's data connection and send PORT/EPRT."""
        host = self._local_host()
        lst = socket.socket(self.af, socket.SOCK_STREAM)
        try:
            port = self._bind_listener(lst, host)
            lst.listen(1)
            lst.settimeout(self.timeout)
            if _is_v6(self.af):
                self.sendeprt(host, port)
            else:
                self.sendport(host, port)
        except Exception as exc:
            _close(lst)
            raise exc
        return lst

    def _bind_listener(self, lst, host):
        # bind to an address from getaddrinfo: the unix port wants its raw
        # sockaddr, lwIP ports and CPython a tuple; getaddrinfo gives each its own
        if hasattr(lst, "getsockname"):
            lst.bind(_resolve(host, 0)[-1])
            return lst.getsockname()[1]
        # no getsockname (usocket): try a few ports of the dynamic range
        last = None
        for i in range(8):
            port = 49152 + (_ticks() + i * 1999) % 16000
            try:
                lst.bind(_resolve(host, port)[-1])
                return port
            except OSError as exc:
                last = exc
        raise last

    def makepasv(self):
        """Send PASV (EPSV on IPv6): the (host, port) to connect to."""
        if _is_v6(self.af):
            return self._peer_host, parse229(self.sendcmd("EPSV"))
        host, port = parse227(self.sendcmd("PASV"))
        if self.trust_server_pasv_ipv4_address or not self._peer_host:
            return host, port
        return self._peer_host, port

    def _connect_data(self, host, port):
        info = _resolve(host, port)
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            if self.source_address:
                sock.bind(_resolve(self.source_address[0], 0)[-1])
            sock.connect(info[-1])
        except Exception as exc:
            _close(sock)
            raise exc
        return sock

    def _start(self, cmd, rest):
        if rest is not None:
            self.sendcmd("REST " + str(rest))
        resp = self.sendcmd(cmd)
        # some servers answer 2xx before the 1xx of LIST/STOR
        if resp[0] == "2":
            resp = self.getresp()
        if resp[0] != "1":
            raise error_reply(resp)
        return resp

    def ntransfercmd(self, cmd, rest=None):
        """Start a transfer: (data socket, expected size or None)."""
        if self.passiveserver:
            host, port = self.makepasv()
            conn = self._connect_data(host, port)
            try:
                resp = self._start(cmd, rest)
            except Exception as exc:
                _close(conn)
                raise exc
        else:
            lst = self.makeport()
            try:
                resp = self._start(cmd, rest)
                try:
                    conn = lst.accept()[0]
                except Exception as exc:
                    # 1xx came, the connection did not: the server will
                    # answer 425; read it so the control connection stays in step
                    self._drain()
                    raise exc
            finally:
                _close(lst)
            conn.settimeout(self.timeout)
        return conn, _parse150(resp)

    def transfercmd(self, cmd, rest=None):
        return self.ntransfercmd(cmd, rest)[0]

    def _drain(self):
        """Read and drop the final reply of a failed transfer."""
        if self.sock is None:
            return
        try:
            self.getresp()
        except Error:
            pass
        except Exception:
            # no reply, or no connection: its state is unknown, drop it
            self.close()

    def _abort(self, conn):
        _close(conn)
        self._drain()

    def _finish(self, conn):
        _close(conn)
        return self.voidresp()

    # -- transfers -----------------------------------------------------------

    def retrbinary(self, cmd, callback, blocksize=1024, rest=None):
        self._settype("I")
        conn = self.transfercmd(cmd, rest)
        try:
            while True:
                data = _recv(conn, blocksize)
                if not data:
                    break
                callback(data)
        except Exception as exc:
            self._abort(conn)
            raise exc
        return self._finish(conn)

    def retrlines(self, cmd, callback=None):
        if callback is None:
            callback = print_line
        self._settype("A")
        conn = self.transfercmd(cmd)
        reader = _LineReader(conn)
        try:
            while True:
                raw = reader.readline(self.maxline)
                if not raw:
                    break
                # every CR at the end: Pure-FTPd sends CR CR LF in TYPE A for a
                # file that already has CRLF line ends
                callback(_decode(raw.rstrip(b"\r\n"), self.encoding))
        except Exception as exc:
            self._abort(conn)
            raise exc
        return self._finish(conn)

    def storbinary(self, cmd, fp, blocksize=1024, callback=None, rest=None):
        self._settype("I")
        conn = self.transfercmd(cmd, rest)
        return self._store(conn, lambda: fp.read(blocksize), callback)

    def storlines(self, cmd, fp, callback=None):
        self._settype("A")
        conn = self.transfercmd(cmd)

        def next_line():
            buf = fp.readline(self.maxline + 1)
            if not buf:
                return buf
            if len(buf) > self.maxline:
                raise Error("got more than " + str(self.maxline) + " bytes")
            if isinstance(buf, str):
                buf = buf.encode(self.encoding)
            if buf[-2:] != B_CRLF:
                if buf[-1:] in (b"\r", b"\n"):
                    buf = buf[:-1]
                buf = buf + B_CRLF
            return buf

        return self._store(conn, next_line, callback)

    def _store(self, conn, next_chunk, callback):
        # send chunks until next_chunk() returns nothing; any failure aborts
        # the data connection and raises, never a short success
        try:
            while True:
                buf = next_chunk()
                if not buf:
                    break
                _sendall(conn, buf)
                if callback is not None:
                    callback(buf)
        except Exception as exc:
            self._abort(conn)
            raise exc
        return self._finish(conn)

    # -- commands ------------------------------------------------------------

    def login(self, user="", passwd="", acct=""):
        if not user:
            user = "anonymous"
        if user == "anonymous" and passwd in ("", "-"):
            passwd = passwd + "anonymous@"
        resp = self.sendcmd("USER " + user)
        if resp[0] == "3":
            resp = self.sendcmd("PASS " + passwd)
        if resp[0] == "3":
            resp = self.sendcmd("ACCT " + acct)
        if resp[0] != "2":
            raise error_reply(resp)
        return resp

    def acct(self, password):
        return self.voidcmd("ACCT " + password)

    def pwd(self):
        resp = self.voidcmd("PWD")
        if resp[:3] != "257":
            return ""
        return parse257(resp)

    def cwd(self, dirname):
        if dirname == "..":
            try:
                return self.voidcmd("CDUP")
            except error_perm as exc:
                if str(exc)[:3] != "500":
                    raise exc
        elif dirname == "":
            dirname = "."
        return self.voidcmd("CWD " + dirname)

    def mkd(self, dirname):
        resp = self.voidcmd("MKD " + dirname)
        if resp[:3] != "257":
            return ""
        return parse257(resp)

    def rmd(self, dirname):
        return self.voidcmd("RMD " + dirname)

    def delete(self, filename):
        resp = self.sendcmd("DELE " + filename)
        if resp[:3] in ("250", "200"):
            return resp
        raise error_reply(resp)

    def rename(self, fromname, toname):
        resp = self.sendcmd("RNFR " + fromname)
        if resp[0] != "3":
            raise error_reply(resp)
        return self.voidcmd("RNTO " + toname)

    def size(self, filename):
        self._settype("I")
        resp = self.sendcmd("SIZE " + filename)
        if resp[:3] == "213":
            return int(resp[3:].strip())
        return None

    def nlst(self, *args):
        cmd = "NLST"
        for arg in args:
            cmd = cmd + " " + arg
        files = []
        self.retrlines(cmd, files.append)
        return files

    def dir(self, *args):
        """LIST; a callable last argument gets each line (default: print)."""
        cmd = "LIST"
        func = None
        if args and not isinstance(args[-1], str):
            func = args[-1]
            args = args[:-1]
        for arg in args:
            if arg:
                cmd = cmd + " " + arg
        return self.retrlines(cmd, func)

    def mlsd(self, path="", facts=()):
        """MLSD: a list of (name, {fact: value}) (CPython yields them)."""
        if facts:
            self.sendcmd("OPTS MLST " + ";".join(facts) + ";")
        cmd = "MLSD " + path if path else "MLSD"
        lines = []
        self.retrlines(cmd, lines.append)
        entries = []
        for line in lines:
            # str.partition is optional in MicroPython builds: find() is not
            space = line.find(" ")
            entry = {}
            for fact in line[:space].split(";"):
                eq = fact.find("=")
                if eq > 0:
                    entry[fact[:eq].lower()] = fact[eq + 1:]
            entries.append((line[space + 1:], entry))
        return entries
