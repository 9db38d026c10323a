"""Parse and check option values, one function per kind of value.

Each parser takes the option's name and its text, and returns the value or raises
OptionError whose message is one line: the option, the value, what is accepted.
The same parsers serve the command line and the ini file, and the CLI as well as
pytest, so a value means the same thing everywhere.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from .errors import HarnessError

SIZE_UNITS = {"": 1, "K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024}
_SIZE = re.compile(r"^(\d+)\s*([KMG]?)(?:I?B)?$", re.IGNORECASE)
SIZE_FORM = "whole bytes >= 0, with an optional K, M or G suffix (KiB, MiB, GiB), e.g. 64K"


class OptionError(HarnessError, ValueError):
    """An option value that cannot be used; the message names the option and the fix."""

    def __init__(self, option: str, value: object, accepted: str) -> None:
        super().__init__("%s=%s: %s" % (option, value, accepted))
        self.option = option


def parse_size(option: str, text: str, *, maximum: int | None = None) -> int:
    """'65536', '64K', '1M', '1MiB' -> bytes."""
    match = _SIZE.match(str(text).strip())
    if not match:
        raise OptionError(option, text, "use " + SIZE_FORM)
    size = int(match.group(1)) * SIZE_UNITS[match.group(2).upper()]
    if maximum is not None and size > maximum:
        raise OptionError(option, text, "at most %s" % format_size(maximum))
    return size


def parse_sizes(option: str, text: str, *, maximum: int | None = None) -> list[int]:
    """A comma-separated list of sizes, e.g. '0,1,1024,64K,1M'; at least one."""
    parts = [part.strip() for part in str(text).split(",")]
    if not any(parts):
        raise OptionError(option, text, "give at least one size, e.g. 0,1,1024,64K,1M")
    sizes: list[int] = []
    for part in parts:
        if not part:
            continue
        if not _SIZE.match(part):
            raise OptionError(option, text, "%r is not a size: use a comma-separated list of "
                              "%s (0,1,1024,64K,1M)" % (part, SIZE_FORM))
        sizes.append(parse_size(option, part, maximum=maximum))
    return sizes


def format_size(size: int) -> str:
    for suffix in ("G", "M", "K"):
        unit = SIZE_UNITS[suffix]
        if size >= unit and size % unit == 0:
            return "%d%s" % (size // unit, suffix)
    return str(size)


def parse_duration(option: str, text: str | float) -> float:
    """Seconds, > 0 and finite: every wait needs a real timeout."""
    try:
        seconds = float(text)
    except (TypeError, ValueError):
        raise OptionError(option, text, "give seconds as a number > 0, e.g. 30") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise OptionError(option, text, "a timeout must be a number of seconds > 0")
    return seconds


def parse_wait(option: str, text: str | float) -> float:
    """Seconds >= 0 (0 means: do not wait)."""
    try:
        seconds = float(text)
    except (TypeError, ValueError):
        raise OptionError(option, text, "give seconds as a number >= 0, e.g. 60") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise OptionError(option, text, "give seconds >= 0 (0: do not wait)")
    return seconds


def parse_port(option: str, text: str | int, *, allow_any: bool = True) -> int:
    """A TCP port 1..65535, or 0 (any free port) where allow_any."""
    low = 0 if allow_any else 1
    accepted = "a TCP port 1..65535%s" % (" (or 0: any free port)" if allow_any else "")
    try:
        port = int(str(text).strip())
    except ValueError:
        raise OptionError(option, text, accepted) from None
    if not low <= port <= 65535:
        raise OptionError(option, text, accepted)
    return port


def parse_existing_file(option: str, text: str) -> Path:
    """A file that exists and can be read (~ and relative paths are allowed)."""
    path = Path(str(text)).expanduser()
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise OptionError(option, text, "%s; give the path of a file (%s)" % (what, path.resolve()))
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise OptionError(option, text, "cannot be read: %s" % exc.strerror) from None
    return path
