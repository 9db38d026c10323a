"""The option parsers: one line naming the option, the value and what is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.options.values import (
    OptionError,
    format_size,
    parse_count,
    parse_duration,
    parse_existing_file,
    parse_ftplib_choices,
    parse_host,
    parse_output_file,
    parse_port,
    parse_port_range,
    parse_regex,
    parse_server_url,
    parse_sizes,
    parse_ssh_option,
    parse_wait,
)


def test_sizes_take_k_and_m_suffixes() -> None:
    assert parse_sizes("--payload-sizes", "0,1,1024,64K,1M,2MiB") == [
        0, 1, 1024, 65536, 1048576, 2 * 1048576]


@pytest.mark.parametrize("text", ["abc", "-5", "1.5K", "10X", ",", ""])
def test_a_bad_size_names_the_option_and_the_form(text: str) -> None:
    with pytest.raises(OptionError) as info:
        parse_sizes("--payload-sizes", text)
    message = str(info.value)
    assert message.startswith("--payload-sizes=%s: " % text)
    assert "\n" not in message


def test_a_size_beyond_the_maximum_is_refused() -> None:
    with pytest.raises(OptionError, match="at most 1G"):
        parse_sizes("--payload-sizes", "1024,99999999999", maximum=1024 ** 3)


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "soon"])
def test_a_timeout_must_be_positive_seconds(text: str) -> None:
    with pytest.raises(OptionError, match="--device-timeout=%s: " % text):
        parse_duration("--device-timeout", text)


def test_durations_and_waits() -> None:
    assert parse_duration("--stall-timeout", "2.5") == 2.5
    assert parse_wait("--device-wait", "0") == 0.0
    with pytest.raises(OptionError):
        parse_wait("--device-wait", "-3")


@pytest.mark.parametrize("text, ok", [("0", True), ("2121", True), ("65535", True),
                                      ("70000", False), ("-1", False), ("ftp", False)])
def test_ports(text: str, ok: bool) -> None:
    if ok:
        assert parse_port("--ftp-port", text) == int(text)
    else:
        with pytest.raises(OptionError, match="1..65535"):
            parse_port("--ftp-port", text)


def test_port_zero_only_where_any_is_allowed() -> None:
    with pytest.raises(OptionError):
        parse_port("--bind", "0", allow_any=False)


def test_existing_file(tmp_path: Path) -> None:
    good = tmp_path / "ftplib.py"
    good.write_text("x = 1\n")
    assert parse_existing_file("--ftplib", str(good)) == good
    with pytest.raises(OptionError, match="does not exist"):
        parse_existing_file("--ftplib", str(tmp_path / "missing.py"))
    with pytest.raises(OptionError, match="is a folder"):
        parse_existing_file("--ftplib", str(tmp_path))


def test_format_size() -> None:
    assert [format_size(s) for s in (0, 1000, 1024, 1048576, 3 * 1024 ** 3)] == [
        "0", "1000", "1K", "1M", "3G"]


def test_server_url_never_repeats_a_password() -> None:
    assert parse_server_url("--ftp-server", "ftp://qa@h:2121/x").port == 2121
    with pytest.raises(OptionError) as info:
        parse_server_url("--ftp-server", "ftp://qa:hunter2@h/x")
    assert "hunter2" not in str(info.value)
    assert str(info.value).startswith("--ftp-server=ftp://qa:***@h/x: put no password")


@pytest.mark.parametrize("text, ok", [("192.168.10.5", True), ("ftp.example.net", True),
                                      ("::1", True), ("http://h", False), ("my host", False),
                                      ("", False), ("h:21", False),
                                      ("ab:21", False)])
def test_hosts(text: str, ok: bool) -> None:
    if ok:
        assert parse_host("--ftp-public-host", text) == text
    else:
        with pytest.raises(OptionError, match="host name or an IP address"):
            parse_host("--ftp-public-host", text)


def test_ftplib_choices_take_keywords_and_files_from_a_base(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("x = 1\n")
    assert parse_ftplib_choices("ftplib", "bundled, mine.py", base=tmp_path) == [
        "bundled", str((tmp_path / "mine.py").resolve())]
    with pytest.raises(OptionError, match="'mine.py' is neither auto, bundled, firmware"):
        parse_ftplib_choices("--ftplib", "mine.py")  # not in the working folder


def test_counts_regexes_ssh_options_and_output_files(tmp_path: Path) -> None:
    assert parse_count("--emulator-usr-kib", "4096") == 4096
    with pytest.raises(OptionError, match=">= 1"):
        parse_count("--emulator-usr-kib", "0")
    with pytest.raises(OptionError, match="not a regular expression"):
        parse_regex("--device-firmware", "(")
    assert parse_ssh_option("--ftp-ssh-option", "StrictHostKeyChecking = no") == \
        "StrictHostKeyChecking=no"
    with pytest.raises(OptionError, match="Key=Value"):
        parse_ssh_option("--ftp-ssh-option", "-oProxyCommand")
    with pytest.raises(OptionError, match="is a folder"):
        parse_output_file("--summary-json", str(tmp_path))
    assert parse_port_range("--ftp-passive-ports", "60000-60002") == range(60000, 60003)
