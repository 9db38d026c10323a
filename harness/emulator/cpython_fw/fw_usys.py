"""usys as the module offers it (mpy/fw_usys.py is the micropython engine's): binary stdin
(usys.stdin.buffer) comes over the REPL link, path and modules are the importer's own,
implementation says 1.13 and mpy v5, the firmware's core.
"""

from __future__ import annotations

import sys
import types

from .board import Board
from .ulib import plain_module


class _StdinBuffer:
    def __init__(self, board: Board) -> None:
        self._board = board

    def read(self, size: int = 1) -> bytes:
        return self._board.read_stdin(size)

    def readinto(self, buf: bytearray) -> int:
        data = self._board.read_stdin(len(buf))
        buf[: len(data)] = data
        return len(data)


class _Stdin:
    """usys.stdin's text: bytes as the build's str (firmware_text.py). With unicode,
    read(n) reads n characters (py/stream.c:112-150 at e7c4b19d), else n bytes."""

    def __init__(self, board: Board) -> None:
        self._raw = _StdinBuffer(board)
        self._text = board.text
        if board.config.binary_stdin:
            self.buffer = self._raw

    def read(self, size: int = 1) -> str:
        data = self._raw.read(size)
        if self._text.unicode:  # n characters: read on until the last one is whole
            while len(data.decode("utf-8", "ignore")) < size or _cut_short(data):
                more = self._raw.read(1)
                if not more:
                    break
                data += more
        return self._text.text_of(data)

    def readline(self) -> str:
        line = bytearray()
        while not line.endswith(b"\r") and not line.endswith(b"\n"):
            line += self._raw.read(1)
        return self._text.source(bytes(line))


def _cut_short(data: bytes) -> bool:
    """Does UTF-8 `data` end inside a character?"""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return False
        if byte >= 0xC0:  # a lead byte: how many bytes its character takes
            return back < (2 if byte < 0xE0 else 3 if byte < 0xF0 else 4)
    return False


def build(board: Board) -> types.ModuleType:
    # sys.implementation.mpy is MPY_FILE_HEADER_INT: version 5, feature byte << 8 whose
    # bit 1 is unicode strings (py/modsys.c:71-88, py/persistentcode.h:47-50 and 90)
    impl = types.SimpleNamespace(name="micropython", version=(1, 13, 0),
                                 mpy=5 | (0x200 if board.config.unicode else 0))
    return plain_module(
        "usys",
        path=board.path,
        modules=board.modules,
        argv=[],
        byteorder="little",
        maxsize=2**31 - 1,
        implementation=impl,
        platform=board.config.model,
        version="3.4.0",
        stdin=_Stdin(board),
        stdout=board.stdout,
        stderr=board.stdout,
        exit=sys.exit,
        print_exception=lambda exc, file=None: board.stdout.write(
            board.format_exception(exc)),
    )
