# The virtual module's MicroPython engine: runs the programs the REPL receives.
#
# MicroPython code for the `micropython` unix port, started by
# harness/emulator/mpy_engine.py (which keeps the REPL protocol): it reads framed
# programs on stdin (fw_link.py), runs each in one persistent globals dict, sends
# their output back, and reports errors as MicroPython prints them. Device code sees
# the firmware's names only: `import os` fails as on QuecPython (no weak links;
# DESIGN.md "The module").
import builtins
import gc
import os
import sys

import vfs

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import fw_fs  # noqa: E402
import fw_link  # noqa: E402
import runner_errors  # noqa: E402

CONFIG = fw_link.CONFIG
FIRMWARE = {}
for _name, _module in (("uos", "fw_uos"), ("usocket", "fw_usocket"), ("utime", "fw_utime"),
                       ("usys", "fw_usys"), ("micropython", "fw_micropython"),
                       ("modem", "fw_modem"), ("misc", "fw_misc"), ("dial", "fw_dial"),
                       ("dataCall", "fw_datacall"), ("checkNet", "fw_checknet"),
                       ("net", "fw_net"),
                       ("uzlib", "fw_uzlib"),
                       # MicroPython's own modules, the same on the firmware
                       ("uhashlib", "hashlib"), ("ubinascii", "binascii"), ("ujson", "json"),
                       ("uerrno", "errno"), ("ustruct", "struct"), ("uio", "io"),
                       ("ure", "re"), ("urandom", "random"), ("ucollections", "collections"),
                       ("math", "math"), ("array", "array"), ("gc", "gc")):
    FIRMWARE[_name] = __import__(_module)
FROZEN_DIR = CONFIG.get("frozen_dir")  # the firmware's own ftplib, if it has one
DEFAULT_PATH = ["", "/usr"]
RUNNER_MODULES = set(sys.modules)
_import = builtins.__import__
_print = builtins.print
G = {}
HELD_BACK = []  # the engine's share of the heap that device programs must not get


def hold_back(heap):
    """Leave device programs `heap` bytes free, as the firmware's C modules would."""
    gc.collect()
    spare = gc.mem_free() - heap
    if spare < 0:
        raise MemoryError("the engine's share is %d bytes short of a %d-byte heap"
                          % (-spare, heap))
    # in small pieces: first-fit puts them in the holes our own start-up left, so the
    # programs' heap is nearly one block, as after the firmware's boot (one big
    # bytearray would leave those holes to the programs: a 48K heap's largest block 24K)
    piece = 64
    pieces = [None] * (spare // (piece + 32))  # 32: the bytearray object itself
    spare -= 16 + 8 * len(pieces)
    for i in range(len(pieces)):
        if spare < piece + 32:
            break
        pieces[i] = bytearray(piece)
        spare -= piece + 32
    HELD_BACK.append(pieces)


def device_print(*args, sep=" ", end="\n", file=None):
    text = sep.join([str(a) for a in args]) + end
    (file or FIRMWARE["usys"].stdout).write(text)


def _find(name):
    for entry in sys.path:
        for candidate in ((entry + "/" if entry else "") + name + ".py",
                          (entry + "/" if entry else "") + name + ".mpy"):
            try:
                os.stat(candidate)
                return candidate
            except OSError:
                pass
    return None


def _frozen(name):
    vfs.mount(vfs.VfsPosix(FROZEN_DIR), "/.frozen", readonly=True)
    sys.path.append("/.frozen")
    try:
        return _import(name)
    finally:
        sys.path.remove("/.frozen")
        vfs.umount("/.frozen")


def device_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level:
        raise ImportError("relative import not supported")
    top = name.split(".")[0]
    if top in FIRMWARE:
        return FIRMWARE[top]
    if top in sys.modules and top not in RUNNER_MODULES:
        return sys.modules[top]
    path = _find(top)
    if path is not None:
        problem = fw_link.ask("G", path)  # the host checks it against the 1.13 gate
        if problem:
            raise SyntaxError(problem.decode())
        return _import(top, globals, locals, fromlist, level)
    if top == "ftplib" and FROZEN_DIR:
        return _frozen(top)
    raise ImportError("no module named '%s'" % top)


def reset():
    """Soft reboot: globals, imported device modules and sys.path are gone."""
    G.clear()
    G["__name__"] = "__main__"
    for name in list(sys.modules):
        if name not in RUNNER_MODULES:
            del sys.modules[name]
    sys.path[:] = DEFAULT_PATH
    os.chdir("/")
    gc.collect()


def run(mode, source):
    error = None
    try:
        try:
            code = None
            if mode == "s":  # the friendly REPL echoes an expression's value
                try:
                    code = compile(source, "<stdin>", "eval")
                except SyntaxError:
                    pass
            if code is not None:
                value = eval(code, G)
                if value is not None:
                    fw_link.out(repr(value) + "\n")
            else:
                exec(compile(source, "<stdin>", "exec"), G)
        except fw_link.PowerEvent as event:
            error = event
        except BaseException as exc:  # the module reports every exception, even SystemExit
            error = exc
    except KeyboardInterrupt as exc:  # a Ctrl-C that landed in the handler above
        error = exc
    finish(error)


def finish(error):
    while True:  # a late Ctrl-C (SIGINT) must not lose the frame that ends the program
        try:
            if error is None:
                fw_link.send("F")
            elif isinstance(error, fw_link.PowerEvent):
                fw_link.send("P", error.args[0])
            else:
                gc.collect()
                try:
                    text = runner_errors.format(error)
                except MemoryError:  # too little heap left even to say so at length
                    text = "Traceback (most recent call last):\nMemoryError: %s\n" % error
                fw_link.send("E", text)
            return
        except KeyboardInterrupt:
            pass


def main():
    fw_fs.mount_all(CONFIG["root"], CONFIG["usr_bytes"], CONFIG["block_size"])
    builtins.__import__ = device_import
    builtins.print = device_print
    reset()
    if CONFIG["heap"]:
        hold_back(CONFIG["heap"])
    os.chdir("/")
    fw_link.send("S")
    while True:
        try:
            kind, payload = fw_link.receive()
        except KeyboardInterrupt:
            continue  # a Ctrl-C that came after the program ended
        if kind is None:
            return
        if kind == "X":
            mode = chr(payload[0])
            try:
                source = payload[1:].decode()
                payload = None  # the program's heap is the module's, not ours
                run(mode, source)
            except MemoryError as exc:  # not even room for the program's source
                finish(exc)
        elif kind == "Z":
            reset()
            fw_link.send("S")


main()
