"""harness/deploy/ftplib_check.py: what the module would say about a file, in one line."""

from __future__ import annotations

from pathlib import Path

from harness.deploy.ftplib_check import error_line, host_refusal


def test_a_micropython_traceback_becomes_file_line_and_error() -> None:
    trace = ('Traceback (most recent call last):\r\n  File "<stdin>", line 3, in <module>\r\n'
             '  File "/usr/hil/user/ftplib.py", line 7, in <module>\r\n'
             "ImportError: no module named 'ussl'\r\n")
    assert error_line(trace) == ("/usr/hil/user/ftplib.py, line 7: "
                                 "ImportError: no module named 'ussl'")
    assert error_line('  File "<stdin>", line 1\r\nSyntaxError: invalid syntax\r\n') == \
        "SyntaxError: invalid syntax"


def test_imports_that_run_later_or_have_a_fallback_are_left_to_the_module(tmp_path: Path
                                                                            ) -> None:
    ok = tmp_path / "ok.py"
    ok.write_text("try:\n    import usocket as socket\nexcept ImportError:\n"
                  "    import socket\n\n\ndef later():\n    import os\n    return os\n")
    assert host_refusal(ok) is None
    assert host_refusal(Path(__file__).parents[1] / "device_scripts" / "ftplib.py") is None


def test_what_the_module_refuses_is_named_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "ftplib.py"
    bad.write_text("import usocket\nfrom typing import List\n")
    assert host_refusal(bad) == ("%s, line 2: ImportError: no module named 'typing' "
                                 "(MicroPython 1.13 has no typing module)" % bad)
    bad.write_bytes(b"x = '\xff'\n")
    assert host_refusal(bad) == "%s: SyntaxError: not UTF-8 (byte 5)" % bad
