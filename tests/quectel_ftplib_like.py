"""A stand-in for the ftplib that QuecPython users copy into /usr.

Written for the harness's tests from the behaviour described in DESIGN.md, not
from Quectel's code. It is deliberately worse than device_scripts/ftplib.py in
the ways that matter to device scripts, so they can be tested against it:

- ONE exception class, Error, for every 4xx/5xx reply (and for anything that
  is not a reply); str(e) begins with the 3-digit code ("550 No such file").
  There is no error_perm / error_temp / all_errors.
- Passive mode by default (set_pasv(False) for PORT).
- A receive timeout on a data connection is taken as end of file: the data
  socket is closed, the final reply is read if it comes (and dropped if it is
  an error), and the transfer "succeeds": a silently short download.

It runs on MicroPython 1.13 (the virtual module can load it as /usr/ftplib.py)
and on CPython: no f-strings, u-names with a CPython fallback.
"""

try:
    import usocket as socket
except ImportError:
    import socket


class Error(Exception):
    pass


def _code_ok(resp):
    return len(resp) >= 3 and resp[:3].isdigit() and resp[0] in "123"


class FTP:
    def __init__(self, host=None, port=21, user=None, passwd=None, timeout=30):
        self.sock = None
        self.buf = b""
        self.passive = True
        self.timeout = timeout
        self.welcome = None
        if host:
            self.connect(host, port)
            if user:
                self.login(user, passwd or "")

    # -- control connection

    def connect(self, host, port=21, timeout=None):
        if timeout is not None:
            self.timeout = timeout
        addr = socket.getaddrinfo(host, port)[0][-1]
        self.sock = socket.socket()
        self.sock.settimeout(self.timeout)
        self.sock.connect(addr)
        self.peer = host
        self.buf = b""
        self.welcome = self.getresp()
        return self.welcome

    def getwelcome(self):
        return self.welcome

    def set_pasv(self, val):
        self.passive = bool(val)

    def _line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(256)
            if not data:
                raise Error("connection closed")
            self.buf = self.buf + data
        i = self.buf.find(b"\n")
        line = self.buf[:i].rstrip(b"\r").decode()
        self.buf = self.buf[i + 1:]
        return line

    def getresp(self):
        resp = self._line()
        if resp[3:4] == "-":
            while True:
                line = self._line()
                resp = resp + "\n" + line
                if line[:3] == resp[:3] and line[3:4] != "-":
                    break
        if not _code_ok(resp):
            raise Error(resp)
        return resp

    def sendcmd(self, cmd):
        self.sock.sendall((cmd + "\r\n").encode())
        return self.getresp()

    def voidcmd(self, cmd):
        resp = self.sendcmd(cmd)
        if resp[0] != "2":
            raise Error(resp)
        return resp

    def login(self, user="anonymous", passwd=""):
        resp = self.sendcmd("USER " + user)
        if resp[0] == "3":
            resp = self.sendcmd("PASS " + passwd)
        if resp[0] != "2":
            raise Error(resp)
        return resp

    # -- data connections

    def _open(self, cmd):
        if self.passive:
            resp = self.sendcmd("PASV")
            nums = resp[resp.find("(") + 1:resp.find(")")].split(",")
            port = int(nums[4]) * 256 + int(nums[5])
            conn = socket.socket()
            conn.settimeout(self.timeout)
            conn.connect(socket.getaddrinfo(self.peer, port)[0][-1])
            resp = self.sendcmd(cmd)
            if resp[0] != "1":
                conn.close()
                raise Error(resp)
            return conn
        lst = socket.socket()
        try:
            host = self.sock.getsockname()[0]
            lst.bind((host, 0))
            lst.listen(1)
            lst.settimeout(self.timeout)
            port = lst.getsockname()[1]
            self.voidcmd("PORT " + host.replace(".", ",") + "," + str(port // 256)
                         + "," + str(port % 256))
            resp = self.sendcmd(cmd)
            if resp[0] != "1":
                raise Error(resp)
            conn = lst.accept()[0]
            conn.settimeout(self.timeout)
            return conn
        finally:
            lst.close()

    def _read(self, conn, size):
        """recv; None when the data connection timed out (taken as EOF)."""
        try:
            return conn.recv(size)
        except OSError as exc:
            code = exc.args[0] if exc.args else None
            if code in (107, 128):
                return b""
            return None

    def _done(self, conn, timed_out):
        conn.close()
        if not timed_out:
            return self.voidresp()
        try:
            return self.voidresp()
        except (Error, OSError):
            return "226 Transfer complete."

    def voidresp(self):
        resp = self.getresp()
        if resp[0] != "2":
            raise Error(resp)
        return resp

    def retrbinary(self, cmd, callback, blocksize=1024):
        self.voidcmd("TYPE I")
        conn = self._open(cmd)
        timed_out = False
        while True:
            data = self._read(conn, blocksize)
            if data is None:
                timed_out = True
                break
            if not data:
                break
            callback(data)
        return self._done(conn, timed_out)

    def retrlines(self, cmd, callback=None):
        if callback is None:
            callback = print
        self.voidcmd("TYPE A")
        conn = self._open(cmd)
        timed_out = False
        pending = b""
        while True:
            data = self._read(conn, 1024)
            if data is None:
                timed_out = True
                break
            if not data:
                break
            pending = pending + data
            while b"\n" in pending:
                i = pending.find(b"\n")
                callback(pending[:i].rstrip(b"\r").decode())
                pending = pending[i + 1:]
        if pending:
            callback(pending.rstrip(b"\r").decode())
        return self._done(conn, timed_out)

    def storbinary(self, cmd, fp, blocksize=1024, callback=None):
        self.voidcmd("TYPE I")
        conn = self._open(cmd)
        while True:
            buf = fp.read(blocksize)
            if not buf:
                break
            conn.sendall(buf)
            if callback:
                callback(buf)
        return self._done(conn, False)

    # -- commands

    def pwd(self):
        resp = self.voidcmd("PWD")
        return resp[resp.find('"') + 1:resp.rfind('"')]

    def cwd(self, path):
        return self.voidcmd("CWD " + path)

    def mkd(self, path):
        return self.voidcmd("MKD " + path)

    def rmd(self, path):
        return self.voidcmd("RMD " + path)

    def delete(self, path):
        return self.voidcmd("DELE " + path)

    def rename(self, old, new):
        resp = self.sendcmd("RNFR " + old)
        if resp[0] != "3":
            raise Error(resp)
        return self.voidcmd("RNTO " + new)

    def size(self, path):
        self.voidcmd("TYPE I")
        resp = self.voidcmd("SIZE " + path)
        return int(resp[4:].strip())

    def nlst(self, path=None):
        names = []
        self.retrlines("NLST " + path if path else "NLST", names.append)
        return names

    def dir(self, path=None, callback=None):
        return self.retrlines("LIST " + path if path else "LIST", callback)

    def quit(self):
        try:
            return self.voidcmd("QUIT")
        finally:
            self.close()

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
