"""The devices file: its text as a bench PC saves it, and its INI sections as modules.

One [name] section per module, with port, model and labels:

    [lab-a-ec600u]
    port = COM5
    model = EC600U
    labels = lab-a, usb-hub-1

Notepad saves UTF-8 (older versions with a BOM); Windows PowerShell 5.1 writes
UTF-16 LE with a BOM for `>` and Out-File; other tools UTF-16 BE. All of them are
read. Anything else, and every mistake in the INI, is refused with the file, the
line and what to do.
"""

from __future__ import annotations

import codecs
import configparser
import re
from pathlib import Path

from harness.bench.spec import ModuleSpec, PoolConfigError, split_values
from harness.errors import HarnessError

DEVICES_FILE_KEYS = ("port", "model", "labels")
SAVE_AS = "save it as UTF-8 (PowerShell: Out-File -Encoding utf8; Notepad: Save as, UTF-8)"


class DevicesFileError(HarnessError):
    """A devices file that cannot be read as text (load_devices_file raises it as a
    PoolConfigError, like every other mistake in the file)."""


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


def load_devices_file(path: Path) -> list[ModuleSpec]:
    """Modules listed in an INI file: one [name] section each, with port, model, labels.

    [bench PC] UTF-8 with or without a BOM and UTF-16 (PowerShell 5.1) are read;
    every mistake is one line naming the file, the line and what to do.
    """
    try:
        text = read_text(path)
    except DevicesFileError as exc:
        raise PoolConfigError(str(exc)) from None
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise PoolConfigError(_ini_problem(path, exc)) from None
    specs = [_spec_from_section(path, text, name, parser[name]) for name in parser.sections()]
    if not specs:
        raise PoolConfigError("devices file %s lists no module; expected sections like "
                              "[bench-a] with port = COM5, model = EC600U, labels = lab-a"
                              % path)
    return specs


def _ini_problem(path: Path, exc: configparser.Error) -> str:
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return ("devices file %s, line %d: %r comes before any [module-name] section header; "
                "start each module with a line like [bench-a]"
                % (path, exc.lineno, exc.line.strip()))
    if isinstance(exc, configparser.ParsingError):
        lineno, line = exc.errors[0]  # the line as repr() shows it
        shown = line.strip("'\"").replace("\\n", "").replace("\\r", "").strip()
        return ("devices file %s, line %d: %s is not `key = value`; write e.g. port = COM5"
                % (path, lineno, shown))
    if isinstance(exc, configparser.DuplicateSectionError | configparser.DuplicateOptionError):
        return "devices file %s, line %s: %s; list it once" % (
            path, exc.lineno, str(exc).split(": ", 1)[-1].split(" (", 1)[0])
    return "devices file %s is not valid INI: %s" % (path, str(exc).splitlines()[0])


def _spec_from_section(path: Path, text: str, name: str,
                       section: configparser.SectionProxy) -> ModuleSpec:
    unknown = sorted(set(section) - set(DEVICES_FILE_KEYS))
    if unknown:
        raise PoolConfigError("devices file %s, line %d, [%s]: unknown key %s; the keys are %s"
                              % (path, line_of(text, name, unknown[0]), name,
                                 ", ".join(unknown), ", ".join(DEVICES_FILE_KEYS)))
    port = section.get("port", "").strip()
    if not port:
        raise PoolConfigError("devices file %s, line %d, [%s]: no port (add e.g. port = COM5)"
                              % (path, line_of(text, name), name))
    return ModuleSpec(name, port, section.get("model", "").strip(),
                      tuple(split_values([section.get("labels", "")])))
