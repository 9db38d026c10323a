"""The option parsers: one line naming the option, the value and what is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.option_values import (
    OptionError,
    format_size,
    parse_duration,
    parse_existing_file,
    parse_port,
    parse_sizes,
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
