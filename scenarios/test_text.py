"""Text transfers (TYPE A): storlines / retrlines of LF and CRLF text.

Text mode changes line ends on the way (the server stores its own, retrlines
hands lines over without any), so text is compared after converting CRLF to
LF, by the host, the module and (through the LF or CRLF form it stored) the
server. The application note's own sample, retrlines(cmd, fp.write), drops
every line end: its scenario asserts that the harness sees and explains that.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.digest import Digest
from harness.scenario import TEXT_RULE, FtpRun, digest_of, to_lf
from harness.scenario.checksums import explain_text_damage

EOLS = [pytest.param(b"\n", id="LF"), pytest.param(b"\r\n", id="CRLF")]


@pytest.mark.parametrize("eol", EOLS)
def test_storlines(ftp_run: FtpRun, make_text: Callable[..., bytes], payload_size: int,
                   eol: bytes) -> None:
    text = make_text(payload_size, eol)
    session, transfer = ftp_run.upload_text(text)
    transfer.assert_intact()
    op = session.op("storlines")
    assert op.code == 226, op.summary()
    assert op.get("lines") == text.count(b"\n"), "lines sent: %s" % op.summary()
    assert op.get("wire_bytes") == len(to_lf(text)) + text.count(b"\n"), \
        "storlines must send every line with CRLF"
    checks = transfer.checksums
    assert checks is not None and checks.expected("server").rule == TEXT_RULE
    assert checks.notes["server"] in ("stored with LF line ends", "stored with CRLF line ends")


@pytest.mark.parametrize("eol", EOLS)
def test_retrlines(ftp_run: FtpRun, make_text: Callable[..., bytes], payload_size: int,
                   eol: bytes) -> None:
    text = make_text(payload_size, eol)
    session, transfer = ftp_run.download_text(text)
    transfer.assert_intact()
    op = session.op("retrlines")
    assert op.code == 226, op.summary()
    assert op.get("lines") == text.count(b"\n")
    # written back one line + "\n" at a time: the module holds exactly the LF form
    held = Digest(op.get("file_sha256"), op.get("file_bytes"))
    assert held == digest_of(to_lf(text)), explain_text_damage(to_lf(text), held) or \
        "the module's file is not the LF form of the text: %s" % op.summary()


@pytest.mark.parametrize("eol", EOLS)
def test_app_note_sample_drops_the_line_ends(ftp_run: FtpRun, make_text: Callable[..., bytes],
                                              eol: bytes) -> None:
    """Upload with storlines, download with retrlines(cmd, fp.write), as the note does."""
    text = b"".join(b"line %02d of the sample%s" % (n, eol) for n in range(10))
    session, up = ftp_run.upload_text(text, name="sample.txt")
    up.assert_intact()  # the upload half of the sample is fine
    remote = session.op("storlines").get("remote")
    down_session, down = ftp_run.download_text_existing(remote, text, "sample-back.txt",
                                                        callback="write")
    op = down_session.op("retrlines")
    assert op.ok and op.code == 226, "the transfer itself works: %s" % op.summary()
    message = down.assert_damaged()  # the report counts this damage as expected
    lf = to_lf(text)
    joined = lf.replace(b"\n", b"")
    why = "retrlines callback fp.write drops newlines: 10 lines, %d -> %d bytes" % (
        len(lf), len(joined))
    assert why in message, message
    assert TEXT_RULE in message, message
    assert digest_of(lf).sha256[:12] in message and digest_of(joined).sha256[:12] in message
    assert op.get("file_bytes") == len(joined), "the module's file: %s" % op.summary()
    assert down.checksums is not None and not down.checksums.match
