"""The ftplib calls device code relies on: one row per call, as data.

device_scripts/hil_ftp.py (the only device script that touches an ftplib;
hil_gen.py makes payloads) uses exactly these names on the ftplib module and on
its FTP objects, passing exactly these arguments, by position, and by name only
where a row says so (retrbinary's rest, when a download resumes). For each, the row
says how three ftplibs define it:

- bundled: ours, device_scripts/ftplib.py (line numbers of this tree);
- quectel: Quectel's published ftplib, QuecPython/ftplib@6d957e96 ftplib.py, which
  tests/quectel_ftplib_standin.py models (its signatures are checked against
  these rows);
- cpython: CPython 3.11's Lib/ftplib.py (what the virtual module's "firmware" is);

and where they differ in what device code sees. tests/test_ftplib_calls.py holds
hil_ftp.py, ours and CPython's to the table; harness/deploy/ftplib_check.py
checks a user's ftplib against it at the door (`required` rows); docs render it
with `rows()`.
"""

from __future__ import annotations

from dataclasses import dataclass

FTPLIBS = ("bundled", "quectel", "cpython")


@dataclass(frozen=True)
class Has:
    """How one ftplib has a call: its parameters after self (a method), or None (an
    attribute); and the line that defines or first sets it. Line 0: it has none."""

    params: str | None
    line: int

    @property
    def present(self) -> bool:
        return self.line > 0


LACKS = Has(None, 0)


@dataclass(frozen=True)
class Call:
    """One call device code makes on the ftplib module or an FTP object."""

    name: str  # "FTP" (the class, called with no arguments), "FTP.retrbinary", ...
    kind: str  # "class", "method", "attribute read", "attribute set"
    passes: tuple[str, ...]  # what device code passes, in order, by position
    required: bool  # False: device code asks first (hasattr / getattr) and copes
    used_in: str  # where in device_scripts/hil_ftp.py
    note: str  # what device code needs it for, in a few words
    bundled: Has
    quectel: Has
    cpython: Has
    differences: str = ""  # where the three differ in what device code sees
    keywords: tuple[str, ...] = ()  # what device code passes by name, in some calls

    @property
    def method(self) -> str:
        """The name looked up on the FTP class ('__init__' for the class itself)."""
        return "__init__" if self.kind == "class" else self.name.split(".", 1)[-1]

    def has(self, ftplib: str) -> Has:
        found: Has = getattr(self, ftplib)
        return found

    def call_text(self) -> str:
        """The call as device code writes it: FTP.retrbinary(cmd, callback, blocksize)."""
        if self.kind.startswith("attribute"):
            return self.name
        return "%s(%s)" % (self.name, ", ".join(
            [*self.passes, *("[%s=...]" % k for k in self.keywords)]))


CALLS: tuple[Call, ...] = (
    Call("FTP", "class", (), True, "connect",
         "one FTP object per control connection, made empty and connected after",
         Has("host='', user='', passwd='', acct='', timeout=None, source_address=None, "
             "encoding='utf-8', port=0", 318),
         Has("host=None, port=None, user=None, passwd=None, acct=None, "
             "timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None, ipvtype=0", 164),
         Has("host='', user='', passwd='', acct='', timeout=_GLOBAL_DEFAULT_TIMEOUT, "
             "source_address=None, *, encoding='utf-8'", 109),
         "Quectel's never sets a socket timeout unless one is given (L:173-176, 213-214)"),
    Call("FTP.connect", "method", ("host", "port", "timeout"), True, "connect",
         "opens the control connection; its welcome is the 421 scenario's reply",
         Has("host='', port=0, timeout=None, source_address=None", 347),
         Has("host=None, port=None, timeout=None, source_address=None, ipvtype=0", 259),
         Has("host='', port=0, timeout=-999, source_address=None", 139),
         "Quectel's connects without a timeout and applies it after (L:213-214): an "
         "unreachable server waits the network stack's own time"),
    Call("FTP.set_pasv", "method", ("val",), True, "connect, op_pasv",
         "passive (PASV) or active (PORT) data connections",
         Has("val", 388), Has("val", 242), Has("val", 181)),
    Call("FTP.port_host", "attribute set", (), False, "connect",
         "the module's address as the server sees it, for PORT; set only when given",
         Has(None, 316), LACKS, LACKS,
         "only ours reads it; CPython's asks the socket (getsockname), Quectel's sends "
         "source_address or 127.0.0.1 (L:410-416)"),
    Call("FTP.login", "method", ("user", "passwd"), True, "open_session, op_login, op_connect",
         "USER/PASS; its reply (230, 530) is the login scenarios' evidence",
         Has("user='', passwd='', acct=''", 707),
         Has("user=None, passwd=None, acct=None", 560),
         Has("user='', passwd='', acct=''", 395)),
    Call("FTP.sendcmd", "method", ("cmd",), True,
         "open_session, remote_size, verify_with_server, op_command, op_rename, op_idle",
         "one command, one reply: CWD, SIZE, XSHA256, RNFR/RNTO, NOOP, TYPE ...",
         Has("cmd", 473), Has("cmd", 374), Has("cmd", 278),
         "a 4xx/5xx reply raises: error_temp/error_perm in ours and CPython's, Quectel's "
         "single Error (L:70, 345); device code reads the code from the message"),
    Call("FTP.getresp", "method", (), True, "pending_reply",
         "reads the server's final reply after a transfer that failed on the module",
         Has("", 451), Has("", 338), Has("", 243)),
    Call("FTP.lastresp", "attribute read", (), False, "final_reply",
         "the code of the last reply, where an ftplib already read the final one",
         Has(None, 324), Has(None, 342), Has(None, 247),
         "ours reads a failed transfer's final reply itself (_drain) and keeps only its "
         "code here; Quectel's and CPython's leave the reply pending; Quectel's sets it "
         "only once a reply came (L:342)"),
    Call("FTP.retrbinary", "method", ("cmd", "callback", "blocksize"), True, "op_retr",
         "RETR in binary mode, one callback per block; rest= (REST) resumes a download",
         Has("cmd, callback, blocksize=1024, rest=None", 631),
         Has("cmd, callback, blocksize=2048, rest=None", 632),
         Has("cmd, callback, blocksize=8192, rest=None", 421),
         "rest goes by name and as a str: Quectel's calls rest.startswith() after the 150 "
         "reply (L:546-552; an int prints a parse150 error); Quectel's ends quietly on a "
         "receive error (L:651-660): a short file reported as 226, which device code "
         "catches with SIZE and the three checksums",
         keywords=("rest",)),
    Call("FTP.storbinary", "method", ("cmd", "fp", "blocksize", "callback"), True, "op_stor",
         "STOR (or APPE) in binary mode from an open file, one callback per block sent",
         Has("cmd, fp, blocksize=1024, callback=None, rest=None", 664),
         Has("cmd, fp, blocksize=2048, callback=None, rest=None", 709),
         Has("cmd, fp, blocksize=8192, callback=None, rest=None", 482),
         "callback is the fourth parameter in all three: device code passes it by position"),
    Call("FTP.storlines", "method", ("cmd", "fp", "callback"), False, "op_storlines",
         "STOR in text mode (TYPE A), every line sent with CRLF",
         Has("cmd, fp, callback=None", 669), Has("cmd, fp, callback=None", 672),
         Has("cmd, fp, callback=None", 511),
         "device code opens the file 'rb': Quectel's and CPython's compare bytes with "
         "CRLF (L:693-696); without storlines the text upload says so and fails"),
    Call("FTP.retrlines", "method", ("cmd", "callback"), True, "op_retrlines, listing",
         "RETR, LIST and NLST in text mode, one callback per line without its line end",
         Has("cmd, callback=None", 645), Has("cmd, callback=None", 588),
         Has("cmd, callback=None", 447),
         "Quectel's sends TYPE A with sendcmd, decodes latin-1 and ends quietly on a "
         "receive error (L:604-617): a last line without a newline is lost"),
    Call("FTP.quit", "method", (), True, "op_quit",
         "QUIT, then the connection closes; its reply is the QUIT scenario's",
         Has("", 397), Has("", 849), Has("", 657)),
    Call("FTP.close", "method", (), True, "close",
         "closes the control connection without a word (after a failed transfer)",
         Has("", 391), Has("", 855), Has("", 663)),
    # the ftplib's own convenience methods, called by op_api (hil_ftp.API_CALLS) only where
    # a scenario tests that method itself; every other scenario reaches the server through
    # sendcmd and retrlines, which behave alike in all three
    *(Call("FTP." + name, "method", passes, False, "op_api",
           "the ftplib's own %s(), as an application calls it" % name,
           Has(params, ours), Has(params, quectel), Has(params, cpython), differences)
      for name, passes, params, ours, quectel, cpython, differences in (
          ("size", ("filename",), "filename", 762, 819, 627,
           "Quectel's and CPython's send SIZE without TYPE I first: a server that refuses "
           "SIZE in ASCII mode answers 550 (Quectel L:819-825)"),
          ("pwd", (), "", 724, 840, 648, ""),
          ("nlst", ("*args",), "*args", 769, 750, 547, ""),
          ("mkd", ("dirname",), "dirname", 741, 827, 635, ""),
          ("rmd", ("dirname",), "dirname", 747, 836, 644, ""),
          ("delete", ("filename",), "filename", 750, 798, 606, ""),
          ("cwd", ("dirname",), "dirname", 730, 806, 614, ""))),
)


def required() -> list[Call]:
    """The calls every ftplib must offer for the scenarios to run."""
    return [call for call in CALLS if call.required]


def by_name() -> dict[str, Call]:
    return {call.name: call for call in CALLS}


def rows() -> list[dict[str, str]]:
    """The table as text cells, for docs: call, required, bundled, quectel, cpython, note."""
    table = []
    for call in CALLS:
        row = {"call": call.call_text(), "required": "yes" if call.required else "no",
               "note": call.note, "differences": call.differences}
        for ftplib in FTPLIBS:
            found = call.has(ftplib)
            row[ftplib] = ("line %d" % found.line if found.params is None else
                           "(%s) line %d" % (found.params, found.line)) \
                if found.present else "no"
        table.append(row)
    return table
