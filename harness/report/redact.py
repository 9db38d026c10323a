"""Keeping secrets out of what QA reads: passwords, URL credentials, IMEIs.

mask() and mask_url_credentials() rewrite text before it is written;
scan_for_secrets() checks files after they were written, in the two forms a
secret can take there (pytest-html embeds text extras as base64 data: URIs).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MASK = "****"


def mask(text: str | None, secrets: Iterable[str]) -> str:
    """Text with every secret replaced by ****; '' for None."""
    text = text or ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def mask_url_credentials(text: str) -> str:
    """scheme://user:password@host -> scheme://user:****@host (command lines, URLs)."""
    return re.sub(r"(://[^:/@\s]+):[^@/\s]+@", r"\1:" + MASK + "@", text)


def mask_imei(imei: str) -> str:
    """First and last four digits only: enough to tell modules apart in a report."""
    if len(imei) <= 8:
        return imei
    return imei[:4] + "*" * (len(imei) - 8) + imei[-4:]


@dataclass(frozen=True)
class SecretHit:
    path: Path
    form: str  # "plain" or "base64"


def _base64_needles(secret: bytes) -> list[bytes]:
    """The base64 text a secret becomes at each of the three byte alignments."""
    needles = []
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + secret)
        start = -(-offset * 8 // 6)  # first character made only of the secret's bits
        end = (offset + len(secret)) * 8 // 6
        needles.append(encoded[start:end])
    return needles


def scan_for_secrets(roots: Iterable[Path], secrets: Iterable[str]) -> list[SecretHit]:
    """Every file under roots that holds a secret, plainly or base64-encoded."""
    wanted = [s.encode() for s in secrets if s]
    hits = []
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            data = path.read_bytes()
            for secret in wanted:
                if secret in data:
                    hits.append(SecretHit(path, "plain"))
                elif any(n in data for n in _base64_needles(secret)):
                    hits.append(SecretHit(path, "base64"))
    return hits
