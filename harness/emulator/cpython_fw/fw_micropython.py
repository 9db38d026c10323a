"""micropython as the module offers it (mpy/fw_micropython.py is the micropython
engine's): kbd_intr switches whether a Ctrl-C on the link interrupts the program."""

from __future__ import annotations

import types

from .board import Board
from .ulib import plain_module


def build(board: Board) -> types.ModuleType:
    def kbd_intr(char: int) -> None:
        board.kbd_intr_enabled = char == 3

    return plain_module(
        "micropython",
        const=lambda value: value,
        kbd_intr=kbd_intr,
        opt_level=lambda level=None: 0,
        mem_info=lambda verbose=None: board.stdout.write("stack: 1024 out of 16384\n"),
        heap_lock=lambda: None,
        heap_unlock=lambda: None,
    )
