"""What a virtual module is: its identity, its /usr partition and its REPL quirks."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


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
    # the application has disabled the REPL: every key gets "REPL refuse"
    repl_refuse: bool = False
    # the module's own IP address, as dataCall.getInfo(1, 0) reports it ("" = no data
    # call: the link-down answer, addresses "0.0.0.0"); on this PC the server sees
    # the virtual module at 127.0.0.1
    ip: str = "127.0.0.1"

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
