"""What a virtual module is: its identity, its /usr partition and its REPL quirks."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from harness.link_profiles import PRESETS

# who runs the device code: CPython with the firmware's names (the default, on every
# platform), or a real MicroPython interpreter, the unix port (Linux x86-64, Python 3.11)
ENGINES = ("cpython", "micropython")
# the virtual module's own address: not the host's 127.0.0.1 (Linux and Windows route
# all of 127.0.0.0/8 to the loopback; netplan.py says what happens where they do not)
OWN_ADDRESS = "127.0.0.2"


@dataclass
class ModuleConfig:
    """Everything that makes one virtual module differ from another.

    Travels to the module's child process as JSON on its command line.
    """

    model: str = "EC600U"
    firmware: str = "EC600UCNLBR03A01M08_OCPU_QPY"
    imei: str = "866123045678901"
    build_date: str = "2023-03-01"
    # size of the /usr partition (littlefs on the real module)
    usr_bytes: int = 4 * 1024 * 1024
    block_size: int = 4096
    # raw-paste window announced to the host (MICROPY_REPL_STDIN_BUFFER_MAX)
    paste_window: int = 128
    # "full": raw-paste works; "refuse": answers R\x00; "unknown": old firmware that ignores it
    raw_paste: str = "full"
    # the firmware offers an `ftplib` of its own (CPython's, in emulation)
    firmware_ftplib: bool = True
    # bytes per second the module can send and receive (0 = as fast as the link goes)
    baud: int = 0
    # what the module prints unprompted (URCs, an application's debug prints),
    # one line every noise_interval_ms, for noise tests
    noise: list[str] = field(default_factory=list)
    noise_interval_ms: int = 50
    # an application loop that swallows Ctrl-C; this firmware's USB REPL still
    # honours Ctrl-D (soft reboot) while a script runs
    ignore_ctrl_c: bool = False
    # lines printed right after a soft reboot (boot.py / main.py output)
    boot_lines: list[str] = field(default_factory=list)
    # usys.stdin.buffer exists (binary stdin); some builds lack it
    binary_stdin: bool = True
    # milliseconds from net.setModemFun(1) until the module is registered and its data call
    # is up again (firmware_surface.NETWORK_LOSS); a real network takes seconds to tens of
    # seconds, CI keeps it short
    reattach_ms: int = 200
    # the application has disabled the REPL: every key gets "REPL refuse"
    repl_refuse: bool = False
    # the module's own IP address, as dataCall.getInfo(1, 0) reports it ("" = no data
    # call: the link-down answer, addresses "0.0.0.0", and the sockets use the host's
    # 127.0.0.1). Its sockets connect from it and listen on it: the virtual module is
    # not the host (netplan.py; an address outside 127.0.0.0/8 is stood in for)
    ip: str = OWN_ADDRESS
    # behind carrier NAT: the server sees the module at another address than ip
    nat: bool = False
    # the cellular link its sockets sit behind (harness/link_profiles.py PRESETS)
    link: str = "none"
    # who runs the device code (ENGINES)
    engine: str = "cpython"
    # the micropython engine's heap in bytes: what device programs get, as on the firmware
    # whose own modules are C code (our stand-ins' share comes on top: mpy_engine.py
    # ENGINE_SHARE); 0: the interpreter's default. A 64-bit heap holds about half the
    # objects of a module's 32-bit heap of the same size.
    heap: int = 0
    # the firmware's str (firmware_surface.TEXT): False, a byte string, as on the legacy
    # build QuecPython/microPython@e7c4b19d (its ports/quectel/core/source/mpconfigport.h
    # sets no MICROPY_PY_BUILTINS_STR_UNICODE, so py/mpconfig.h:876-877 makes it 0);
    # True, unicode, as on the newer port QuecPython/micropython@6ebc2402 (MicroPython
    # 1.28: ports/quectel/mpconfigport.h:67 sets MICROPY_CONFIG_ROM_LEVEL_EXTRA_FEATURES,
    # which turns it on at py/mpconfig.h:1351). The micropython engine's interpreter is
    # unicode whatever this says; it compiles by it (an escape above 0xFF is refused).
    unicode: bool = False

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError("engine %r: use one of %s" % (self.engine, ", ".join(ENGINES)))
        if self.link not in PRESETS:
            raise ValueError("link %r: use one of %s" % (self.link, ", ".join(PRESETS)))
        if self.heap and self.engine != "micropython":
            raise ValueError("heap=%d needs engine='micropython' (the cpython engine has no "
                             "heap limit)" % self.heap)
        if self.reattach_ms < 0:
            raise ValueError("reattach_ms=%d: give milliseconds >= 0" % self.reattach_ms)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ModuleConfig:
        return cls(**json.loads(text))

    def banner(self) -> str:
        return (
            "Quecpython v1.12 on %s; %s with QUECTEL\r\n"
            'Type "help()" for more information.\r\n' % (self.build_date, self.model)
        )
