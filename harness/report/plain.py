"""The evidence as plain text, for tools that show text files (Allure attachments).

    checksums_text   each transfer's three checksums (host, module, server), one line each
    properties_text  the environment table as a Java .properties file (Allure's
                     environment.properties, read with java.util.Properties.load)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SIDES = ("host", "device", "server")


def checksums_text(transfers: Sequence[Mapping[str, Any]]) -> str:
    """E.g. "upload (4096 bytes): match" and a line per side; "" when nothing was hashed."""
    blocks = []
    for t in transfers:
        checks = t.get("checksums")
        if not checks:
            continue
        verdict = "match" if checks.get("match") else "DIFFER: " + "; ".join(t.get("problems")
                                                                             or ["?"])
        if not t.get("compared"):
            verdict = "not compared (the step was refused: %s)" % (t.get("reply") or "no reply")
        lines = ["%s (%s bytes): %s" % (t.get("step"), t.get("payload_bytes"), verdict)]
        for side in SIDES:
            digest = checks.get(side)
            lines.append("  %-6s %s" % (side, "%s  %d bytes" % (digest["sha256"], digest["bytes"])
                                        if digest else "(none)"))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def properties_text(rows: Mapping[str, Any]) -> str:
    """key=value lines; a row holding a table (one per module) becomes "Row.Key" keys."""
    lines = []
    for key, value in rows.items():
        if isinstance(value, Mapping):
            lines += ["%s=%s" % (_escape("%s.%s" % (key, k), key=True), _escape(str(v)))
                      for k, v in value.items()]
        else:
            lines.append("%s=%s" % (_escape(key, key=True), _escape(str(value))))
    return "\n".join(lines) + "\n"


def _escape(text: str, key: bool = False) -> str:
    """java.util.Properties escapes: backslash, line breaks, and in a key the separators
    (space, = and :) and comment marks; anything beyond Latin-1 as \\uXXXX (load() reads
    ISO 8859-1)."""
    out = []
    for at, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char])
        elif (key and char in " =:#!") or (char == " " and at == 0):
            out.append("\\" + char)
        elif ord(char) > 0xFF:
            out.append("".join("\\u%04x" % unit for unit in _utf16_units(char)))
        else:
            out.append(char)
    return "".join(out)


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
