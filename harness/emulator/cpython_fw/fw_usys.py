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
    def __init__(self, board: Board) -> None:
        self._raw = _StdinBuffer(board)
        if board.config.binary_stdin:
            self.buffer = self._raw

    def read(self, size: int = 1) -> str:
        return self._raw.read(size).decode("latin-1")

    def readline(self) -> str:
        line = bytearray()
        while not line.endswith(b"\r") and not line.endswith(b"\n"):
            line += self._raw.read(1)
        return line.decode("utf-8", "replace")


def build(board: Board) -> types.ModuleType:
    impl = types.SimpleNamespace(name="micropython", version=(1, 13, 0), mpy=5)
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
