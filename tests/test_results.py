"""The result-line parser: one HIL-RESULT line among any amount of noise."""

from __future__ import annotations

import pytest

from harness.errors import ResultError
from harness.wire.results import parse_step_output


def test_result_line_found_among_noise() -> None:
    output = (
        "+CREG: 1\r\n"
        "debug: connecting\r\n"
        'HIL-RESULT {"ok": false, "step": "download", "code": 550, '
        '"reply": "550 No such file or directory.", "ms": 41}\r\n'
        "+CSQ: 20,99\r\n"
    )
    result = parse_step_output(output)
    assert result.ok is False
    assert result.step == "download"
    assert result.code == 550
    assert result.reply == "550 No such file or directory."
    assert result.ms == 41
    assert "+CREG: 1" in result.output and "HIL-RESULT" not in result.output


def test_result_prefix_inside_a_line_is_not_a_result() -> None:
    with pytest.raises(ResultError, match="no 'HIL-RESULT' line"):
        parse_step_output('echo HIL-RESULT {"ok": true, "step": "x"}\r\n')


def test_missing_result_line_shows_what_was_printed() -> None:
    with pytest.raises(ResultError) as info:
        parse_step_output("Traceback (most recent call last):\r\nMemoryError: \r\n")
    assert "MemoryError" in str(info.value)


def test_two_result_lines_are_an_error() -> None:
    line = 'HIL-RESULT {"ok": true, "step": "upload"}\n'
    with pytest.raises(ResultError, match="2 result lines"):
        parse_step_output(line + line)


@pytest.mark.parametrize("body", ['{"ok": tru', "[1, 2]", '{"step": "upload"}'])
def test_malformed_result_lines_are_errors(body: str) -> None:
    with pytest.raises(ResultError):
        parse_step_output("HIL-RESULT " + body + "\n")
