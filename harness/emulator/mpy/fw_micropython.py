# micropython as the module offers it. kbd_intr goes to the host, which decides whether
# a Ctrl-C on the link interrupts the program (harness/emulator/mpy_engine.py).
import fw_link
import micropython as _mp

const = _mp.const
opt_level = _mp.opt_level
mem_info = _mp.mem_info
heap_lock = _mp.heap_lock
heap_unlock = _mp.heap_unlock


def kbd_intr(char):
    fw_link.send("K", str(char))
