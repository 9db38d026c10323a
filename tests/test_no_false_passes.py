"""No false passes: a file damaged by the server fails the scenario that moved it.

The server flips one byte or cuts the last one off, in what it stores (uploads)
or in what it serves (downloads); the real FtpRun transfers then go through
the module, and `assert_intact()` must raise an AssertionError that shows the
sha256 prefixes and sizes of the intact and of the damaged copy. A clean
transfer of the same size passes, so these checks can fail for the right reason.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.digest import Digest
from harness.scenario import TEXT_RULE, FtpRun, Transfer, digest_of
from harness.scenario.checksums import Checksums
from harness.servers.contract import ControlledServer
from harness.wire.results import StepResult

MODES = ["flip", "truncate"]


def damaged(data: bytes, mode: str) -> bytes:
    """What the server's corrupt fault makes of data (see harness/servers/local/faults.py)."""
    if mode == "truncate":
        return data[:-1]
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]


def assert_shows_both(message: str, good: bytes, bad: bytes) -> None:
    for copy in (good, bad):
        d = digest_of(copy)
        assert d.sha256[:12] in message, "sha256 %s... missing from:\n%s" % (d.sha256[:12],
                                                                             message)
        assert "%d bytes" % d.size in message, "size %d missing from:\n%s" % (d.size, message)


def test_clean_transfers_pass(ftp_run: FtpRun, make_payload: Callable[[int], bytes],
                              cuttable_size: int) -> None:
    data = make_payload(cuttable_size)
    ftp_run.upload(data).assert_intact()
    ftp_run.download(data).assert_intact()


@pytest.mark.parametrize("mode", MODES)
def test_upload_damaged_on_the_server_fails(ftp_run: FtpRun, ftp_control: ControlledServer,
                                            make_payload: Callable[[int], bytes],
                                            cuttable_size: int, mode: str) -> None:
    data = make_payload(cuttable_size)
    ftp_control.inject_fault("corrupt", mode=mode, on="stored")
    transfer = ftp_run.upload(data, name="damaged.bin")
    assert transfer.checksums is not None
    assert transfer.checksums.server == digest_of(damaged(data, mode)), "the fault did not act"
    with pytest.raises(AssertionError) as failed:
        transfer.assert_intact()
    assert_shows_both(str(failed.value), data, damaged(data, mode))
    assert "server" in str(failed.value)


@pytest.mark.parametrize("mode", MODES)
def test_download_damaged_in_flight_fails(ftp_run: FtpRun, ftp_control: ControlledServer,
                                          make_payload: Callable[[int], bytes],
                                          cuttable_size: int, mode: str) -> None:
    data = make_payload(cuttable_size)
    ftp_control.inject_fault("corrupt", mode=mode, on="served")
    transfer = ftp_run.download(data, name="damaged.bin")
    result = transfer.result
    assert result.sha256 == digest_of(damaged(data, mode)).sha256, "the fault did not act"
    if mode == "truncate":
        # the ftplib may well say 226: hil_ftp compares with SIZE and says no
        assert not result.ok and "short download" in result.get("error"), result.data
        assert result.get("local_exists") is False, "the module kept the short file"
    with pytest.raises(AssertionError) as failed:
        transfer.assert_intact()
    assert_shows_both(str(failed.value), data, damaged(data, mode))
    assert "module" in str(failed.value)


@pytest.mark.parametrize("direction", ["upload", "download"])
def test_the_module_catches_damage_itself_with_xsha256(ftp_run: FtpRun,
                                                       ftp_control: ControlledServer,
                                                       make_payload: Callable[[int], bytes],
                                                       direction: str) -> None:
    data = make_payload(4096)
    if direction == "upload":
        ftp_control.inject_fault("corrupt", mode="flip", on="stored")
        transfer = ftp_run.upload(data, name="hashed.bin", verify_hash=True)
    else:
        ftp_control.inject_fault("corrupt", mode="flip", on="served")
        transfer = ftp_run.download(data, name="hashed.bin", verify_hash=True)
    result = transfer.result
    assert not result.ok and result.get("hash_match") is False, result.data
    assert "XSHA256" in result.get("error"), result.data
    with pytest.raises(AssertionError):
        transfer.assert_intact()


def test_text_upload_damaged_on_the_server_fails(ftp_run: FtpRun,
                                                 ftp_control: ControlledServer,
                                                 make_text: Callable[..., bytes]) -> None:
    text = make_text(4096, b"\r\n")
    ftp_control.inject_fault("corrupt", mode="flip", on="stored")
    _, transfer = ftp_run.upload_text(text)
    with pytest.raises(AssertionError) as failed:
        transfer.assert_intact()
    message = str(failed.value)
    assert TEXT_RULE in message, message
    lf = text.replace(b"\r\n", b"\n")
    assert digest_of(lf).sha256[:12] in message and "server" in message, message


# -- the host's verdict alone, whatever the module claims ----------------------


def _claimed_ok(step: str) -> StepResult:
    return StepResult(ok=True, step=step, data={"ok": True, "step": step, "code": 226,
                                                "reply": "226 Transfer complete."})


def test_a_module_that_claims_success_with_a_short_file_fails() -> None:
    good, short = b"x" * 1000, b"x" * 999
    checks = Checksums(digest_of(good), digest_of(short), digest_of(good), "download")
    with pytest.raises(AssertionError) as failed:
        Transfer(_claimed_ok("download"), checks).assert_intact()
    assert_shows_both(str(failed.value), good, short)


def test_a_module_that_claims_success_with_no_file_fails() -> None:
    good = b"y" * 10
    checks = Checksums(digest_of(good), None, digest_of(good), "download")
    with pytest.raises(AssertionError, match="module.*no file"):
        Transfer(_claimed_ok("download"), checks).assert_intact()


def test_a_failed_step_fails_even_when_the_checksums_match() -> None:
    good = digest_of(b"z")
    result = StepResult(ok=False, step="upload", data={"ok": False, "step": "upload",
                                                      "error": "boom"})
    with pytest.raises(AssertionError, match="upload failed on the module.*boom"):
        Transfer(result, Checksums(good, good, good, "upload")).assert_intact()


def test_the_message_has_one_line_per_place() -> None:
    host, bad = Digest("a" * 64, 5), Digest("b" * 64, 4)
    checks = Checksums(host, host, bad, "upload")
    with pytest.raises(AssertionError) as failed:
        Transfer(_claimed_ok("upload"), checks).assert_intact()
    lines = str(failed.value).splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["host", "module", "server"], lines
    assert "aaaaaaaaaaaa... (5 bytes)" in lines[1] and "bbbbbbbbbbbb... (4 bytes)" in lines[3]
