"""The text of a devices file as a bench PC saves it, and where in it a mistake is.

Notepad saves UTF-8 (older versions with a BOM); Windows PowerShell 5.1 writes
UTF-16 LE with a BOM for `>` and Out-File; other tools UTF-16 BE. All of them are
read. Anything else is refused with the file, the line and what to do.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from harness.errors import HarnessError

SAVE_AS = "save it as UTF-8 (PowerShell: Out-File -Encoding utf8; Notepad: Save as, UTF-8)"


class DevicesFileError(HarnessError):
    """A devices file that cannot be read as text, or whose INI is wrong."""


def read_text(path: Path) -> str:
    """The file's text, from UTF-8, UTF-8 with a BOM, or UTF-16 LE/BE with a BOM."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DevicesFileError("cannot read devices file %s: %s" % (path, exc.strerror or exc)
                               ) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # the BOM says which byte order
    elif raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1  # UTF-16's "\n" holds that byte too
        raise DevicesFileError("devices file %s, line %d: byte 0x%02x is not %s text; %s"
                               % (path, line, raw[exc.start], encoding.upper(), SAVE_AS)
                               ) from None


def line_of(text: str, section: str, key: str | None = None) -> int:
    """The line of [section] (or of `key` inside it) in `text`; 0 when not found."""
    in_section = False
    header = re.compile(r"\s*\[(.*)\]\s*$")
    for number, line in enumerate(text.splitlines(), 1):
        found = header.match(line)
        if found:
            in_section = found.group(1).strip() == section
            if in_section and key is None:
                return number
            continue
        if in_section and key is not None and \
                re.match(r"\s*%s\s*[=:]" % re.escape(key), line, re.IGNORECASE):
            return number
    return 0
