"""A second stand-in for Quectel's published ftplib (QuecPython/ftplib@6d957e96).

Written here, strictly from the behaviour facts in the research notes (file:line of
that ftplib.py given as L:n), never from its code. Unlike tests/quectel_ftplib_like.py
(our own guess at "a worse ftplib"), it repeats the published file's real habits:

- one exception class, Error (L:70-72); EOFError on a closed control connection;
- the control connection read through sock.makefile('rb').readline(MAXLINE + 1)
  (L:285-288, 310-318), replies decoded with 'latin-1' and commands encoded with it;
- a wrapper socket whose sendall is the stream write (L:101-102);
- retrbinary reads conn.recv(blocksize) and retrlines conn.makefile('r').readline(...),
  both swallowing every exception as end of data (L:651-660, L:608-617): a dropped
  connection leaves a short file reported as success, and a last line without a
  newline is lost; retrlines strips every CR and LF at a line's end (L:625) and sends
  TYPE A with sendcmd (L:604);
- active mode advertises source_address[0] or the literal 127.0.0.1 (L:410-416),
  binding ports 40001-40099 (L:418);
- timeout: the default keeps a sentinel (no settimeout ever), an explicit None is
  20 s (L:173-176); connect() itself runs without a timeout (L:213-214);
- dir() takes its callback only as callback= (L:756-764); size() is None unless 213
  (L:819-825); storlines needs a binary file (L:693-696); delete accepts 250/200 only.

MicroPython 1.13 code (it runs on the virtual module as a user's --ftplib).
"""

try:
    import usys as sys
except ImportError:
    import sys
try:
    import utime
except ImportError:
    import time as utime
try:
    import usocket as _socket
except ImportError:
    import socket as _socket

FTP_PORT = 21
MIN_PORT = 40001
MAX_PORT = 40100
MAXLINE = 0x2000
CRLF = "\r\n"
B_CRLF = b"\r\n"
PAUSE_EVERY = 0x5000  # bytes between 20 ms pauses (L:618-620, 661-663)
_GLOBAL_DEFAULT_TIMEOUT = object()


class Error(Exception):
    pass


def _pause(count):
    if count >= PAUSE_EVERY:
        if hasattr(utime, "sleep_ms"):
            utime.sleep_ms(20)
        else:
            utime.sleep(0.02)
        return 0
    return count


def _addresses(host, port):
    if not host:
        host = "127.0.0.1"
    return _socket.getaddrinfo(host, port)


class _Sock:
    """Wraps a usocket; sendall is the stream write; everything else passes through."""

    def __init__(self, sock):
        self._sock = sock

    def accept(self):
        conn, addr = self._sock.accept()
        return _Sock(conn), addr

    def sendall(self, data):
        return self._sock.write(data)

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self._sock.close()


def _new_socket(af=None):
    if af is None:
        return _Sock(_socket.socket())
    return _Sock(_socket.socket(af, _socket.SOCK_STREAM))


class FTP:
    debugging = 0
    host = ""
    port = FTP_PORT
    timeout = _GLOBAL_DEFAULT_TIMEOUT
    passive = 1
    trust_server_pasv_ipv4_address = 0
    encoding = "latin-1"
    sock = None
    file = None
    welcome = None
    lastresp = ""

    def __init__(self, host=None, port=None, user=None, passwd=None, acct=None,
                 timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None, ipvtype=0):
        self.source_address = source_address
        if timeout is None:
            timeout = 20
        self.timeout = timeout
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
            except (OSError, EOFError):
                pass
            finally:
                if self.sock is not None:
                    self.close()

    # -- connection

    def connect(self, host=None, port=None, timeout=None, source_address=None, ipvtype=0):
        if host:
            self.host = host
        if port:
            self.port = port
        if timeout is not None:
            self.timeout = timeout
        if source_address is not None:
            self.source_address = source_address
        sock = _new_socket()
        connected = False
        for info in _addresses(self.host, self.port):
            try:
                sock.connect(info[-1])
                connected = True
                break
            except Exception as exc:
                sys.print_exception(exc)
        if not connected:
            raise Error("Could not connect to %s:%s" % (self.host, self.port))
        if self.timeout and self.timeout is not _GLOBAL_DEFAULT_TIMEOUT:
            sock.settimeout(self.timeout)
        self.sock = sock
        self.af = _socket.AF_INET
        self.file = sock.makefile("rb")
        self.welcome = self.getresp()
        return self.welcome

    def getwelcome(self):
        return self.welcome

    def set_debuglevel(self, level):
        self.debugging = level

    debug = set_debuglevel

    def set_pasv(self, val):
        self.passive = val

    def set_trust_pasv(self, val):
        self.trust_server_pasv_ipv4_address = val

    # -- the control connection

    def putline(self, line):
        if "\r" in line or "\n" in line:
            raise ValueError("an illegal newline character should not be contained")
        self.sock.sendall((line + CRLF).encode(self.encoding))

    def putcmd(self, line):
        self.putline(line)

    def getline(self):
        line = self.file.readline(MAXLINE + 1)
        if len(line) > MAXLINE:
            raise Error("got more than %d bytes" % MAXLINE)
        if not line:
            raise EOFError
        return line.rstrip(b"\r\n").decode("latin-1")

    def getmultiline(self):
        line = self.getline()
        if line[3:4] == "-":
            code = line[:3]
            while True:
                more = self.getline()
                line = line + "\n" + more
                if more[:3] == code and more[3:4] != "-":
                    break
        return line

    def getresp(self):
        resp = self.getmultiline()
        self.lastresp = resp[:3]
        if resp[:1] in ("1", "2", "3"):
            return resp
        raise Error(resp)

    def voidresp(self):
        resp = self.getresp()
        if resp[:1] != "2":
            raise Error(resp)
        return resp

    def sendcmd(self, cmd):
        self.sock.sendall((cmd + CRLF).encode(self.encoding))
        return self.getresp()

    def voidcmd(self, cmd):
        self.sock.sendall((cmd + CRLF).encode(self.encoding))
        return self.voidresp()

    # -- data connections

    def sendport(self, host, port):
        numbers = host.split(".") + [str(port // 256), str(port % 256)]
        return self.voidcmd("PORT " + ",".join(numbers))

    def makeport(self):
        if self.source_address:
            host = self.source_address[0]
        else:
            host = "127.0.0.1"
        listener = None
        last = None
        for port in range(MIN_PORT, MAX_PORT):
            for info in _addresses(host, port):
                if info[1] != _socket.SOCK_STREAM:
                    continue
                try:
                    candidate = _new_socket(info[0])
                    candidate.bind(info[-1])
                    listener = candidate
                    break
                except OSError as exc:
                    last = exc
            if listener is not None:
                break
        if listener is None:
            if last is not None:
                raise last
            raise OSError("getaddrinfo returns an empty list")
        listener.listen(1)
        self.sendport(host, port)
        if self.timeout is not _GLOBAL_DEFAULT_TIMEOUT:
            listener.settimeout(self.timeout)
        return listener

    def makepasv(self):
        resp = self.sendcmd("PASV")
        inner = resp[resp.find("(") + 1:resp.rfind(")")]
        numbers = inner.split(",")
        server_host = ".".join(numbers[:4])
        port = int(numbers[4]) * 256 + int(numbers[5])
        if self.trust_server_pasv_ipv4_address:
            return server_host, port
        return self.host, port

    def _expect_1xx(self, cmd, rest):
        if rest is not None:
            self.sendcmd("REST %s" % rest)
        resp = self.sendcmd(cmd)
        if resp[:1] == "2":
            resp = self.getresp()
        if resp[:1] != "1":
            raise Error(resp)
        return resp

    def ntransfercmd(self, cmd, rest=None):
        if self.passive:
            host, port = self.makepasv()
            conn = _new_socket()
            conn.connect(_addresses(host, port)[0][-1])
            if self.timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                conn.settimeout(self.timeout)
            try:
                self._expect_1xx(cmd, rest)
            except Exception:
                conn.close()
                raise
            return conn, None
        listener = self.makeport()
        try:
            self._expect_1xx(cmd, rest)
            conn = listener.accept()[0]
            if self.timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                conn.settimeout(self.timeout)
        finally:
            listener.close()
        return conn, None  # the size in the 150 reply is never parsed (L:545-553)

    def transfercmd(self, cmd, rest=None):
        return self.ntransfercmd(cmd, rest)[0]

    # -- transfers

    def retrbinary(self, cmd, callback, blocksize=2048, rest=None):
        self.voidcmd("TYPE I")
        count = 0
        with self.transfercmd(cmd, rest) as conn:
            while True:
                try:
                    data = conn.recv(blocksize)
                except Exception as exc:  # every error is taken as the end (L:651-660)
                    if self.debugging:
                        sys.print_exception(exc)
                    data = b""
                if not data:
                    break
                callback(data)
                count = _pause(count + len(data))
        return self.voidresp()

    def retrlines(self, cmd, callback=None):
        if callback is None:
            callback = print
        self.sendcmd("TYPE A")
        count = 0
        with self.transfercmd(cmd) as conn:
            fp = conn.makefile("r")
            while True:
                try:
                    line = fp.readline(MAXLINE + 1)
                except Exception as exc:  # the close's OSError(107) ends it (L:608-617)
                    if self.debugging > 2:
                        sys.print_exception(exc)
                    line = b""
                if not line:
                    break
                count = _pause(count + len(line))
                if len(line) > MAXLINE:
                    raise Error("got more than %d bytes" % MAXLINE)
                # every CR and LF at the end goes (L:625): CR CR LF too
                callback(line.rstrip(b"\r\n").decode("latin-1"))
        return self.voidresp()

    def storbinary(self, cmd, fp, blocksize=2048, callback=None, rest=None):
        self.voidcmd("TYPE I")
        count = 0
        with self.transfercmd(cmd, rest) as conn:
            while True:
                buf = fp.read(blocksize)
                if not buf:
                    break
                conn.sendall(buf)
                count = _pause(count + len(buf))
                if callback:
                    callback(buf)
        return self.voidresp()

    def storlines(self, cmd, fp, callback=None):
        self.voidcmd("TYPE A")
        count = 0
        with self.transfercmd(cmd) as conn:
            while True:
                buf = fp.readline(MAXLINE + 1)
                if len(buf) > MAXLINE:
                    raise Error("got more than %d bytes" % MAXLINE)
                if not buf:
                    break
                if buf[-2:] != B_CRLF:  # a str line fails here: it needs a binary file
                    if buf[-1:] in (b"\r", b"\n"):
                        buf = buf[:-1]
                    buf += B_CRLF
                conn.sendall(buf)
                count = _pause(count + len(buf))
                if callback:
                    callback(buf)
        return self.voidresp()

    # -- commands

    def login(self, user=None, passwd=None, acct=None):
        user = user or "anonymous"
        passwd = passwd or ""
        if user == "anonymous" and passwd in ("", "-"):
            passwd = passwd + "anonymous@"
        resp = self.sendcmd("USER " + user)
        if resp[:1] == "3":
            resp = self.sendcmd("PASS " + passwd)
        if resp[:1] == "3":
            resp = self.sendcmd("ACCT " + (acct or ""))
        if resp[:1] != "2":
            raise Error(resp)
        return resp

    def acct(self, password):
        return self.voidcmd("ACCT " + password)

    def nlst(self, *args):
        cmd = "NLST"
        for arg in args:
            cmd = cmd + " " + arg
        names = []
        self.retrlines(cmd, names.append)
        return names

    def dir(self, *args, **kw):
        cmd = "LIST"
        for arg in args:
            if arg:
                cmd = cmd + " " + arg
        return self.retrlines(cmd, kw.get("callback"))

    def rename(self, fromname, toname):
        resp = self.sendcmd("RNFR " + fromname)
        if resp[:1] != "3":
            raise Error(resp)
        return self.voidcmd("RNTO " + toname)

    def delete(self, filename):
        resp = self.sendcmd("DELE " + filename)
        if resp[:3] in ("250", "200"):
            return resp
        raise Error(resp)

    def cwd(self, dirname):
        if dirname == "..":
            try:
                return self.voidcmd("CDUP")
            except Error as exc:
                if str(exc)[:3] != "500":
                    raise
        elif dirname == "":
            dirname = "."
        return self.voidcmd("CWD " + dirname)

    def size(self, filename):
        resp = self.sendcmd("SIZE " + filename)
        if resp[:3] == "213":
            return int(resp[3:].strip())
        return None

    def _quoted(self, resp):
        if resp[:3] != "257":
            return ""
        start = resp.find('"')
        end = resp.rfind('"')
        if start < 0 or end <= start:
            return ""
        return resp[start + 1:end].replace('""', '"')

    def mkd(self, dirname):
        return self._quoted(self.voidcmd("MKD " + dirname))

    def rmd(self, dirname):
        return self.voidcmd("RMD " + dirname)

    def pwd(self):
        return self._quoted(self.voidcmd("PWD"))

    def quit(self):
        resp = self.voidcmd("QUIT")
        self.close()
        return resp

    def close(self):
        # file and sock are the same usocket: closed twice, harmlessly (L:855-866)
        file, sock = self.file, self.sock
        self.file = None
        self.sock = None
        if file is not None:
            file.close()
        if sock is not None:
            sock.close()
