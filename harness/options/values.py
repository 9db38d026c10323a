"""Parse and check option values, one function per kind of value.

Each parser takes the option's name and its text, and returns the value or raises
OptionError whose message is one line: the option, the value, what is accepted.
The same parsers serve the command line and the ini file, and the CLI as well as
pytest, so a value means the same thing everywhere.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import shlex
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.servers.spec import ServerSpec

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
        raise OptionError(option, text, "a size is at most %s" % format_size(maximum))
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
        if part.startswith("-"):
            raise OptionError(option, text, "sizes are >= 0 (%s is negative), e.g. "
                              "0,1,1024,64K,1M" % part)
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


def parse_count(option: str, text: str | int, *, minimum: int = 1) -> int:
    """A whole number >= minimum (e.g. KiB of the virtual module's /usr)."""
    try:
        count = int(str(text).strip())
    except ValueError:
        raise OptionError(option, text, "give a whole number >= %d" % minimum) from None
    if count < minimum:
        raise OptionError(option, text, "give a whole number >= %d" % minimum)
    return count


def parse_regex(option: str, text: str) -> re.Pattern[str]:
    """A Python regular expression (searched, not matched in full)."""
    try:
        return re.compile(str(text))
    except re.error as exc:
        raise OptionError(option, text, "not a regular expression: %s" % exc) from None


def parse_port_range(option: str, text: str) -> range:
    """Passive data ports: '60000-60100' (both ends included) or one port '60000'."""
    from harness.servers.spec import parse_port_range as parse_range

    try:
        return parse_range(str(text))
    except ValueError:
        raise OptionError(option, text, "a port range FIRST-LAST with 1 <= FIRST <= LAST "
                          "<= 65535, e.g. 60000-60100") from None


_HOST_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.?$")


def parse_host(option: str, text: str) -> str:
    """A host name or an IP address, without a scheme or a port (no DNS asked here)."""
    host = str(text).strip()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if not _HOST_NAME.match(host) or len(host) > 253:
        raise OptionError(option, text, "give a host name or an IP address, e.g. "
                          "192.168.10.5 or ftp.example.net (no scheme, no port)")
    return host


def parse_host_port(option: str, text: str) -> str:
    """HOST or HOST:PORT (an IPv6 address in brackets), as given."""
    value = str(text).strip()
    bracketed = re.match(r"^\[([^\]]+)\](?::(\d+))?$", value)
    if bracketed:
        host, port = bracketed.group(1), bracketed.group(2)
    else:
        host, _, port = value.partition(":")
    try:
        parse_host(option, host)
        if port is not None and port != "":
            parse_port(option, port, allow_any=False)
        elif value.endswith(":"):
            raise OptionError(option, text, "")
    except OptionError:
        raise OptionError(option, text, "give HOST or HOST:PORT, e.g. lab.example.net:20408 "
                          "or 127.0.0.1:20408") from None
    return value


def parse_server_url(option: str, text: str) -> ServerSpec:
    """--ftp-server: 'local', 'ssh://user@host[:port]' or 'ftp://user@host[:port]/folder'.

    A password in the URL is refused, and never repeated in the message.
    """
    from harness.servers.factory import parse_server_spec

    shown = _masked(str(text))
    try:
        return parse_server_spec(str(text))
    except ValueError as exc:
        why = str(exc)
        for prefix in ("--ftp-server=%s: " % str(text).strip(), "--ftp-server: "):
            if why.startswith(prefix):
                why = why[len(prefix):]
        raise OptionError(option, shown, why) from None


def _masked(url: str) -> str:
    """The URL with any password replaced by ***."""
    return re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", url)


def parse_ssh_option(option: str, text: str) -> str:
    """One `ssh -o` option: Key=Value (e.g. StrictHostKeyChecking=accept-new)."""
    key, sep, value = str(text).partition("=")
    if not sep or not re.match(r"^[A-Za-z][A-Za-z0-9]*$", key.strip()) or not value.strip():
        raise OptionError(option, text, "give one ssh option as Key=Value, e.g. "
                          "StrictHostKeyChecking=accept-new")
    return "%s=%s" % (key.strip(), value.strip())


def parse_output_file(option: str, text: str) -> Path:
    """A file the run writes: any path that is not a folder ($VARS and ~ expanded)."""
    if not str(text).strip():
        raise OptionError(option, text, "give the path of a file to write")
    path = Path(os.path.expandvars(str(text))).expanduser()
    if path.is_dir():
        raise OptionError(option, text, "is a folder; give the path of a file to write")
    return path


def parse_free_text(option: str, text: str) -> str:
    """Any non-empty text (a command, a label): what it means is checked where it is used."""
    value = str(text).strip()
    if not value:
        raise OptionError(option, text, "must not be empty")
    return value


FTPLIB_KEYWORDS = ("auto", "bundled", "firmware")


def parse_ftplib_choices(option: str, text: str, *, base: Path | None = None) -> list[str]:
    """--ftplib: comma-separated auto, bundled, firmware or the path of an ftplib.py.

    A relative path is taken from `base` (the ini file's folder) when given. A path
    comes back resolved, so every process names the same file.
    """
    parts = [part.strip() for part in str(text).split(",") if part.strip()]
    if not parts:
        raise OptionError(option, text, "give auto, bundled, firmware or the path of your "
                          "ftplib.py (comma-separated for several)")
    choices: list[str] = []
    for part in parts:
        if part in FTPLIB_KEYWORDS:
            choices.append(part)
            continue
        path = Path(part).expanduser()
        if base is not None and not path.is_absolute():
            path = base / path
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "is neither auto, bundled, firmware nor " \
                "an existing file"
            raise OptionError(option, text, "%r %s; give auto, bundled, firmware or the path "
                              "of your ftplib.py (%s)" % (part, what, path.resolve()))
        parse_existing_file(option, str(path))
        choices.append(str(path.resolve()))
    return choices


def parse_choice(option: str, text: str, choices: tuple[str, ...]) -> str:
    """One of a few fixed words."""
    value = str(text).strip().lower()
    if value not in choices:
        raise OptionError(option, text, "use one of: %s" % ", ".join(choices))
    return value


def parse_program(option: str, text: str) -> str:
    """A program to run: a name on PATH or a path (~ and $VARS expanded), there now."""
    value = os.path.expandvars(os.path.expanduser(str(text).strip()))
    found = shutil.which(value) if value else None
    if found is None:
        raise OptionError(option, text, "program not found: give its full path, or put it "
                          "on PATH")
    return found


def parse_command(option: str, text: str) -> str:
    """A command line to run later (e.g. a power switch): its program must be there now."""
    if not str(text).strip():
        raise OptionError(option, text, "give the command, e.g. 'uhubctl -l 1-1 -p 2 -a cycle'")
    try:
        words = shlex.split(text, posix=os.name != "nt")
    except ValueError as exc:
        raise OptionError(option, text, "cannot split it into words: %s" % exc) from None
    program = words[0].strip('"')
    if shutil.which(program) is None and not os.path.isfile(program):
        raise OptionError(option, text, "program %r not found: give its full path, or put it "
                          "on PATH" % program)
    return str(text)
