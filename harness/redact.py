"""Keeping secrets out of what QA reads: passwords, URL credentials, IMEIs.

mask() and mask_url_credentials() rewrite text before it is written;
scan_for_secrets() checks files after they were written, in the two forms a
secret can take there (pytest-html embeds text extras as base64 data: URIs).
"""

from __future__ import annotations

import base64
import re
import shlex
from collections.abc import Iterable, Sequence
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


# options whose value says where a credential lives (or is one): masked like a password
SECRET_OPTIONS = ("--ftp-ssh-key",)
SECRET_OPTION_WORDS = ("password", "passwd", "secret", "token")
# ssh -o settings that name a key, a certificate, an agent socket or a known_hosts file
SECRET_SSH_SETTINGS = ("identityfile", "certificatefile", "identityagent",
                       "userknownhostsfile", "globalknownhostsfile")


def mask_command_line(args: Sequence[str]) -> str:
    """A command line as QA may read it: URL passwords, --ftp-ssh-key, any *password*
    option, and ssh settings that locate a key or known_hosts file (--ftp-ssh-option=
    IdentityFile=..., UserKnownHostsFile ...) become ****; the rest shell-quoted."""
    shown: list[str] = []
    hide_next = False
    for arg in args:
        if hide_next:
            shown.append(MASK)
            hide_next = False
            continue
        name, eq, _ = arg.partition("=")
        if name.startswith("-") and _is_secret_option(name):
            shown.append(shlex.quote(name + eq) + MASK if eq else shlex.quote(arg))
            hide_next = not eq  # --ftp-ssh-key PATH
            continue
        setting = _SSH_SETTING.search(arg)
        shown.append(shlex.quote(arg[:setting.end(1)]) + MASK if setting else shlex.quote(arg))
    return mask_url_credentials(" ".join(shown))


def _is_secret_option(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_OPTIONS or any(word in lowered for word in SECRET_OPTION_WORDS)


# IdentityFile=~/k, --ftp-ssh-option=IdentityFile=~/k, "UserKnownHostsFile ~/kh": group 1
# ends where the value begins
_SSH_SETTING = re.compile(r"(?i)((?:^|=)\s*(?:%s)\s*[= ]\s*)\S" % "|".join(SECRET_SSH_SETTINGS))


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
