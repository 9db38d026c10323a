"""Payloads the module makes itself: sha256 in counter mode over a seed.

Block i of a payload is sha256(seed + i as 4 big-endian bytes); the payload is
the blocks one after another, cut to its size. Deterministic (the same seed
and size give the same bytes on the host and on the module), incompressible
(sha256 output), and cheap for MicroPython: one sha256 per 32 bytes,
no buffer bigger than a block. device_scripts/hil_gen.py (step `gen`) makes
the same bytes on the module; only the seed and the size cross the link.
"""

from __future__ import annotations

import hashlib
import itertools

from harness.digest import Digest

BLOCK = 32  # bytes of one sha256
COUNTER_BYTES = 4  # up to 2**32 blocks: 128 GiB, far more than any /usr


# the words of a generated text; device_scripts/hil_gen.py keeps the same list
# (GEN_WORDS, GEN_MAX_WORDS; tests/test_bench_payloads.py checks)
WORDS = ("module", "cellular", "ftp", "QuecPython", "payload", "line", "checksum", "usr",
         "EC600U", "retr", "stor", "42", "0x1F", "end")
MAX_WORDS = 9  # words in a line: 1 to this many


class GeneratedPayload(bytes):
    """The bytes of a generated payload, with the seed that makes them on the module."""

    seed: str

    def __new__(cls, seed: str, size: int) -> GeneratedPayload:
        self = super().__new__(cls, generate(seed, size))
        self.seed = seed
        return self

    def gen_args(self) -> dict[str, object]:
        """What the module's `gen` step needs to make the same bytes."""
        return {"seed": self.seed, "size": len(self)}

    @property
    def digest(self) -> Digest:
        return Digest(hashlib.sha256(self).hexdigest(), len(self))

    def describe(self) -> str:
        return "generated on the module from seed %s" % self.seed


class GeneratedText(GeneratedPayload):
    """ASCII lines of words (no lone CR), at least `size` bytes of whole lines, each
    ending in `eol`; made on the module from the seed like any generated payload."""

    eol: bytes

    def __new__(cls, seed: str, size: int, eol: bytes = b"\n") -> GeneratedText:
        self = bytes.__new__(cls, generate_text(seed, size, eol))
        self.seed = seed
        self.eol = eol
        return self

    def gen_args(self) -> dict[str, object]:
        return {"seed": self.seed, "size": len(self), "eol": self.eol.decode("ascii")}

    def describe(self) -> str:
        return "text generated on the module from seed %s" % self.seed


def generate_text(seed: str, size: int, eol: bytes) -> bytes:
    """Lines until at least `size` bytes: a line is 1 + (next byte % MAX_WORDS) words,
    each WORDS[next byte % len(WORDS)], the bytes taken from the counter-mode stream."""
    key = seed.encode()
    stream = (byte for i in itertools.count() for byte in block(key, i))
    lines = []
    total = 0
    while total < size:
        count = 1 + next(stream) % MAX_WORDS
        line = " ".join(WORDS[next(stream) % len(WORDS)] for _ in range(count)).encode() + eol
        lines.append(line)
        total += len(line)
    return b"".join(lines)


def block(seed: bytes, index: int) -> bytes:
    return hashlib.sha256(seed + index.to_bytes(COUNTER_BYTES, "big")).digest()


def generate(seed: str, size: int) -> bytes:
    """The payload of `size` bytes for `seed`, as the module makes it."""
    if size < 0:
        raise ValueError("a payload size cannot be negative: %d" % size)
    key = seed.encode()
    blocks = (size + BLOCK - 1) // BLOCK
    return b"".join(block(key, i) for i in range(blocks))[:size]


def seed_for(name: str, size: int) -> str:
    """A short seed for a test's payload: printable, and the same on every run."""
    return hashlib.sha256(("%s:%d" % (name, size)).encode()).hexdigest()[:16]
