"""How other FTP servers answer, for our server to answer as they do (--ftp-dialect=NAME).

A module's ftplib meets vsftpd, ProFTPD, Pure-FTPd, Microsoft IIS and FileZilla Server in
the field, and each answers a little differently: multi-line greetings and 226 replies,
125 instead of 150, SIZE refused in ASCII mode, 553 or 451 where ours says 550 or 452, a
DOS-style LIST, "." and ".." in NLST, a 227 naming an address behind NAT. A Dialect is
one server's replies as data; harness/servers/local/dialect_replies.py turns pyftpdlib's
replies into them, reply by reply, and the handlers apply its few behaviours.

Reply keys are "CMD CODE" (the command being answered and pyftpdlib's code), optionally
with a situation, "CMD CODE:situation"; "*" stands for any command, "1xx" for the 125 or
150 that opens a transfer, CONNECT for the greeting. Situations (dialect_replies.py
tells them from pyftpdlib's text): missing (no such file or folder), perm (the account
may not write there), notempty (RMD of a full folder), ascii (SIZE in TYPE A), and
active / passive for a 1xx. A reply is a str.format template; its lines are separated by
"\\n", each with its own code, and its fields are:

    {arg} the argument as sent   {path} it as an absolute FTP path   {cwd} the folder now
    {user} the account   {why} the system's reason ("No such file or directory")
    {size} the file's size (RETR)   {left} what is left of it after a REST
    {mode} BINARY or ASCII   {h1}..{h4},{p1},{p2} the 227
    {data_port} the client's PORT port   {count} entries listed   {port} the control port
    {host} the server's address   {time} HH:MM   {users} connections now   {up}, {down}
    kbytes moved this session

Where each row comes from:
    vsftpd, proftpd, pure-ftpd  recorded from the real programs (Debian 12: vsftpd 3.0.3,
                                proftpd-basic 1.3.8, pure-ftpd 1.0.50): tests/test_dialects.py
                                replays one fixed command sequence against the real server
                                and against ours speaking its dialect, and fails on any
                                difference in codes, line structure or text
    iis, filezilla              copied from public sources, each reply with its source below;
                                a reply without one is pyftpdlib's own
    nat                         ours: a 227 naming 127.0.0.2, where nothing listens
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# a 227 address in 127.0.0.0/8 no server of ours listens on (they bind one address, never
# a wildcard with this dialect): a client that trusts the 227 is refused at once
NAT_ADDRESS = "127.0.0.2"


@dataclass(frozen=True)
class Dialect:
    """One server's replies and the behaviours a client can tell apart."""

    name: str
    imitates: str  # what a report shows: "vsftpd 3.0.3 (Debian 12)"
    origin: str  # where the replies come from
    replies: Mapping[str, str] = field(default_factory=dict)
    size_in_ascii: bool = False  # SIZE answered with 213 in TYPE A (pyftpdlib refuses it)
    list_style: str = "unix"  # LIST lines: "unix" (ls -l) or "dos" (MM-DD-YY  HH:MMAM ...)
    nlst_prefix: bool = False  # NLST of a folder names "folder/name", not "name"
    nlst_dots: bool = False  # NLST of a folder lists "." and ".." too
    keeps_partial: bool = False  # an upload cut by a full disk stays, as far as it got
    appends: bool = True  # APPE, and STOR after REST, are honoured (ProFTPD refuses them)
    # TYPE A: what a download sends, "crlf" (a CR added before a lone LF, pyftpdlib),
    # "every_lf" (a CR before every LF, CRLF becomes CR CR LF) or "none" (the bytes stored);
    # what an upload stores, "lf" (CRLF becomes LF, pyftpdlib) or "none" (the bytes sent)
    ascii_download: str = "crlf"
    ascii_upload: str = "lf"
    pasv_host: str | None = None  # the address every 227 names instead of the real one

    def reply(self, key: str) -> str | None:
        return self.replies.get(key)

    def code(self, key: str, default: int) -> int:
        """The code this dialect answers for `key` ("STOR 452": a full disk), else default."""
        template = self.replies.get(key)
        return int(template[:3]) if template else default

    def describe(self) -> str:
        return "%s: %s" % (self.name, self.imitates)


# the replies a full disk and an account over its quota get are one write failure to
# these servers; recorded for a full disk (a tmpfs that filled up), not for a quota
def _write_failure(reply: str) -> dict[str, str]:
    return {"STOR 452": reply, "STOR 552": reply}


VSFTPD = Dialect(
    name="vsftpd",
    imitates="vsftpd 3.0.3 (Debian 12)",
    origin="recorded from the real program by tests/test_dialects.py",
    size_in_ascii=True,
    nlst_prefix=True,
    keeps_partial=True,
    ascii_download="none",  # ascii_download_enable / ascii_upload_enable are off by default
    ascii_upload="none",
    replies={
        "CONNECT 220": "220 (vsFTPd 3.0.3)",
        "USER 331": "331 Please specify the password.",
        "PASS 230": "230 Login successful.",
        "PASS 530": "530 Login incorrect.",
        "SYST 215": "215 UNIX Type: L8",
        "PWD 257": '257 "{cwd}" is the current directory',
        "CWD 250": "250 Directory successfully changed.",
        "CDUP 250": "250 Directory successfully changed.",
        "MKD 257": '257 "{path}" created',
        "TYPE A 200": "200 Switching to ASCII mode.",
        "TYPE I 200": "200 Switching to Binary mode.",
        "PASV 227": "227 Entering Passive Mode ({h1},{h2},{h3},{h4},{p1},{p2}).",
        "PORT 200": "200 PORT command successful. Consider using PASV.",
        "RETR 1xx": "150 Opening BINARY mode data connection for {arg} ({size} bytes).",
        "STOR 1xx": "150 Ok to send data.",
        "APPE 1xx": "150 Ok to send data.",
        "LIST 1xx": "150 Here comes the directory listing.",
        "NLST 1xx": "150 Here comes the directory listing.",
        "RETR 226": "226 Transfer complete.",
        "STOR 226": "226 Transfer complete.",
        "APPE 226": "226 Transfer complete.",
        "LIST 226": "226 Directory send OK.",
        "NLST 226": "226 Directory send OK.",
        "RETR 550": "550 Failed to open file.",
        "SIZE 550": "550 Could not get file size.",
        "DELE 550": "550 Delete operation failed.",
        "CWD 550": "550 Failed to change directory.",
        "RMD 550": "550 Remove directory operation failed.",
        "STOR 550": "553 Could not create file.",
        **_write_failure("451 Failure writing to local file."),
        "REST 350": "350 Restart position accepted ({arg}).",
        "RNFR 350": "350 Ready for RNTO.",
        "RNTO 250": "250 Rename successful.",
        "DELE 250": "250 Delete operation successful.",
        "RMD 250": "250 Remove directory operation successful.",
        "NOOP 200": "200 NOOP ok.",
        "QUIT 221": "221 Goodbye.",
    },
)

PROFTPD = Dialect(
    name="proftpd",
    imitates="ProFTPD 1.3.8 (Debian 12, proftpd-basic)",
    origin="recorded from the real program by tests/test_dialects.py",
    nlst_prefix=True,
    keeps_partial=True,
    appends=False,  # AllowStoreRestart is off unless configured (Debian leaves it off)
    replies={
        "CONNECT 220": "220 ProFTPD Server (Debian) [{host}]",
        "USER 331": "331 Password required for {arg}",
        "PASS 230": "230 User {user} logged in",
        "PASS 530": "530 Login incorrect.",
        "SYST 215": "215 UNIX Type: L8",
        "PWD 257": '257 "{cwd}" is the current directory',
        "CWD 250": "250 CWD command successful",
        "CDUP 250": "250 CDUP command successful",
        "MKD 257": '257 "{path}" - Directory successfully created',
        "TYPE A 200": "200 Type set to A",
        "TYPE I 200": "200 Type set to I",
        "PASV 227": "227 Entering Passive Mode ({h1},{h2},{h3},{h4},{p1},{p2}).",
        "PORT 200": "200 PORT command successful",
        "RETR 1xx": "150 Opening {mode} mode data connection for {arg} ({left} bytes)",
        "STOR 1xx": "150 Opening {mode} mode data connection for {arg}",
        "REST 350": "350 Restarting at {arg}. Send STORE or RETRIEVE to initiate transfer",
        "APPE 451": "451 {arg}: Append/Restart not permitted, try again",
        "STOR 451": "451 {arg}: Append/Restart not permitted, try again",
        "LIST 1xx": "150 Opening {mode} mode data connection for file list",
        "NLST 1xx": "150 Opening {mode} mode data connection for file list",
        "* 226": "226 Transfer complete",
        "SIZE 550:ascii": "550 SIZE not allowed in ASCII mode",
        "* 550": "550 {arg}: {why}",
        # a short write into a full disk: ProFTPD names EIO, not ENOSPC (src/data.c would
        # have said 452 for an ENOSPC it saw itself)
        **_write_failure("451 Transfer aborted. Input/output error"),
        "RNFR 350": "350 File or directory exists, ready for destination name",
        "RNTO 250": "250 Rename successful",
        "DELE 250": "250 DELE command successful",
        "RMD 250": "250 RMD command successful",
        "NOOP 200": "200 NOOP command successful",
        "QUIT 221": "221 Goodbye.",
    },
)

_PURE_DONE = ("226-File successfully transferred\n"
              "226 0.001 seconds (measured here), 1.00 Mbytes per second")
_PURE_ASCII = "226-Warning: client is in ASCII mode - Assuming data is plain text\n"

PURE_FTPD = Dialect(
    name="pure-ftpd",
    imitates="Pure-FTPd 1.0.50 (Debian 12)",
    origin="recorded from the real program by tests/test_dialects.py",
    size_in_ascii=True,
    nlst_prefix=True,
    nlst_dots=True,
    keeps_partial=True,
    ascii_download="every_lf",
    replies={
        "CONNECT 220": "\n".join([
            "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------",
            "220-You are user number {users} of 50 allowed.",
            "220-Local time is now {time}. Server port: {port}.",
            "220-This is a private system - No anonymous login",
            "220 You will be disconnected after 15 minutes of inactivity."]),
        "USER 331": "331 User {arg} OK. Password required",
        "PASS 230": "230 OK. Current restricted directory is {cwd}",
        "PASS 530": "530 Login authentication failed",
        "SYST 215": "215 UNIX Type: L8",
        "PWD 257": '257 "{cwd}" is your current location',
        "CWD 250": "250 OK. Current directory is {cwd}",
        "CDUP 250": "250 OK. Current directory is {cwd}",
        "MKD 257": '257 "{arg}" : The directory was successfully created',
        "TYPE A 200": "200 TYPE is now ASCII",
        "TYPE I 200": "200 TYPE is now 8-bit binary",
        "PASV 227": "227 Entering Passive Mode ({h1},{h2},{h3},{h4},{p1},{p2})",
        "PORT 200": "200 PORT command successful",
        "* 1xx:passive": "150 Accepted data connection",
        "* 1xx:active": "150 Connecting to port {data_port}",
        "RETR 226": _PURE_DONE,
        "STOR 226": _PURE_DONE,
        "RETR 226:ascii": _PURE_ASCII + _PURE_DONE,
        "STOR 226:ascii": _PURE_ASCII + _PURE_DONE,
        "LIST 226": "226-Options: -l \n226 {count} matches total",
        "NLST 226": "226 {count} matches total",
        "RETR 550": "550 Can't open {arg}: {why}",
        "SIZE 550": "550 Can't check for file existence",
        "DELE 550": "550 Could not delete {arg}: {why}",
        "CWD 550": "550 Can't change directory to {arg}: {why}",
        "RMD 550": "550 Can't remove directory: {why}",
        "STOR 550": "553 Can't open that file: {why}",
        **_write_failure("451-Error during write to file\n451 Transfer aborted"),
        "REST 350": "350 Restarting at {arg}",
        "APPE 226": _PURE_DONE,
        "RNFR 350": "350 RNFR accepted - file exists, ready for destination",
        "RNTO 250": "250 File successfully renamed or moved",
        "DELE 250": "250 Deleted {arg}",
        "RMD 250": "250 The directory was successfully removed",
        "NOOP 200": "200 Zzz...",
        "QUIT 221": "221-Goodbye. You uploaded {up} and downloaded {down} kbytes.\n"
                    "221 Logout.",
    },
)

# Microsoft IIS FTP (7 and later). Sources, quoted beside each reply:
#   [G]  gist.github.com/patcullen/b75928f3bf9e7056139c, a Windows ftp.exe session with IIS
#   [F1] github.com/robinrodricks/FluentFTP/issues/1544, a FluentFTP log against IIS
#   [F2] github.com/robinrodricks/FluentFTP/issues/373, a FluentFTP log against IIS
#   [L]  github.com/MawCeron/lazyftp/issues/86, an IIS LIST line in DOS format
#   [KB] learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/
#        ftp-service-svchost-inetinfo/ftp-status-codes-iis-7-and-later-versions (KB 969061):
#        the codes IIS sends, 125 among them
IIS = Dialect(
    name="iis",
    imitates="Microsoft IIS FTP 7+ (Windows Server)",
    origin="copied from public session logs (sources in harness/servers/dialects.py)",
    list_style="dos",  # [L]: "07-20-26  09:52AM       <DIR>          Fuentes"
    replies={
        "CONNECT 220": "220 Microsoft FTP Service",  # [G] [F1]
        "USER 331": "331 Password required",  # [F1]
        "PASS 230": "230 User logged in.",  # [G] [F1]
        "SYST 215": "215 Windows_NT",  # [F1]
        "PWD 257": '257 "{cwd}" is current directory.',  # [F1] [F2]
        "CWD 250": "250 CWD command successful.",  # [G] [F2]
        "MKD 257": '257 "{arg}" directory created.',  # [F2]
        "TYPE I 200": "200 Type set to I.",  # [F2]
        "PORT 200": "200 PORT command successful.",  # [G]
        "* 1xx": "125 Data connection already open; Transfer starting.",  # [G] [F2] [KB]
        "* 226": "226 Transfer complete.",  # [G] [F2]
        # [F2]: a missing path is a multi-line 550 whose middle lines carry no code
        "* 550:missing": "\n".join([
            "550-The system cannot find the file specified. ",
            " Win32 error:   The system cannot find the file specified. ",
            " Error details: File system returned an error. ",
            "550 End"]),
        "QUIT 221": "221 Goodbye.",  # [G]
    },
)

# FileZilla Server 1.9.4. Source: its code, github.com/iynaix/filezilla-server @1cc0864
# (the 1.9.4 release), src/filezilla/ftp/commander.cpp [C:line], session.cpp [S:line],
# strresult.cpp [R], tvfs/entry.cpp [E:line], configure.ac [A:line]
FILEZILLA = Dialect(
    name="filezilla",
    imitates="FileZilla Server 1.9.4",
    origin="copied from its source (lines in harness/servers/dialects.py)",
    size_in_ascii=True,  # [C:1197-1211] SIZE never looks at TYPE
    nlst_prefix=True,  # [C:1102-1115] names_prefix_ is the path as given
    # LIST lines are ls -l style with "1 ftp ftp" [E:508]
    replies={
        "CONNECT 220": "220-FileZilla Server 1.9.4\n"  # [C:209-217] [A:3-6]
                       "220 Please visit https://filezilla-project.org/",
        "USER 331": "331 Please, specify the password.",  # [C:648]
        "PASS 230": "230 Login successful.",  # [C:666]
        "PASS 530": "530 Login incorrect.",  # [C:679]
        "SYST 215": "215 UNIX emulated by FileZilla.",  # [C:765]
        "PWD 257": '257 "{cwd}" is current directory.',  # [C:769]
        "CWD 250": "250 CWD command successful",  # [C:779]
        "CDUP 250": "250 CDUP command successful",  # [C:779, 783-785]
        "MKD 257": '257 "{path}" created successfully.',  # [C:1263]
        "TYPE A 200": "200 Type set to A",  # [C:957]
        "TYPE I 200": "200 Type set to I",  # [C:957]
        "PASV 227": "227 Entering Passive Mode ({h1},{h2},{h3},{h4},{p1},{p2})",  # [C:922]
        "PORT 200": "200 PORT command successful.",  # [C:839]
        "* 1xx": "150 Starting data transfer.",  # [S:440, 453]
        "* 226": "226 Operation successful",  # [C:1156]
        "RETR 550:missing": "550 Couldn't open the file",  # [C:1217] [R] nofile
        "SIZE 550:missing": "550 Couldn't open the file",  # [C:1200-1206] [R] nofile
        "DELE 550:missing": "550 Couldn't open the file",  # [C:1241] [R] nofile
        "CWD 550:missing": "550 Couldn't open the directory",  # [C:775] [R] nodir
        "RMD 550:missing": "550 Couldn't open the directory",  # [C:1252] [R] nodir
        "STOR 550:perm": "550 Permission denied",  # [C:1229] [R] noperm
        # [C:1139-1145]: a write error after the 150 is a 425; the reason is strresult's
        # nospace text [R] (FileZilla Server has no quota: the same for both)
        **_write_failure("425 Error writing to file: No space left"),
        "REST 350": "350 Restarting at {arg}",  # [C:1291]
        "RNFR 350": "350 File exists, ready for destination name.",  # [C:1344]
        "RNTO 250": "250 File or directory renamed successfully.",  # [C:1365]
        "DELE 250": "250 File deleted successfully.",  # [C:1245]
        "RMD 250": "250 Directory deleted successfully.",  # [C:1256]
        "NOOP 200": "200 Noop ok.",  # [C:692]
        "QUIT 221": "221 Goodbye.",  # [C:696]
    },
)

# our server in its own words (pyftpdlib's, with the storage replies of storage.py)
OURS = Dialect(name="pyftpdlib", imitates="our own server (pyftpdlib)", origin="ours")

NAT = Dialect(
    name="nat",
    imitates="any server behind NAT: its 227 names an address the module cannot reach",
    origin="ours",
    pasv_host=NAT_ADDRESS,
)

DIALECTS: dict[str, Dialect] = {d.name: d for d in (VSFTPD, PROFTPD, PURE_FTPD, IIS,
                                                    FILEZILLA, NAT)}


def dialect_named(name: str) -> Dialect:
    """The dialect called `name`; ValueError lists the known ones."""
    found = DIALECTS.get(name.strip().lower())
    if found is None:
        raise ValueError("no FTP dialect %r; known: %s" % (name, ", ".join(DIALECTS)))
    return found
