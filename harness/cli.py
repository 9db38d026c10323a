"""`python -m harness ...`: the harness by hand, for a person at a bench.

    python -m harness emulator            a virtual module on a pseudo-terminal
    python -m harness info --device COM5  what module is on the port
    python -m harness exec --device COM5 "print(1)"
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .device import Device
from .emulator import ModuleConfig, VirtualModule
from .errors import HarnessError


def _emulator(args: argparse.Namespace) -> int:
    config = ModuleConfig(model=args.model, usr_bytes=args.usr_kib * 1024,
                          raw_paste="refuse" if args.no_raw_paste else "full",
                          baud=args.baud)
    module = VirtualModule(config, root=args.root, use_socket=args.socket).start()
    print("virtual %s module on %s" % (config.model, module.port))
    print("  open it with: mpremote connect %s   or   picocom -b 115200 %s"
          % (module.port, module.port))
    print("  its /usr is %s; Ctrl-C stops it" % module.usr_path())
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5) and module.running:
        pass
    module.stop()
    return 0


def _info(args: argparse.Namespace) -> int:
    device = Device.open(args.device)
    try:
        info = device.info()
    finally:
        device.close()
    print("port        %s" % info.port)
    print("model       %s" % info.model)
    print("firmware    %s" % info.firmware)
    print("imei        %s" % info.imei_masked)
    print("micropython %s" % info.micropython)
    print("/usr free   %d of %d bytes" % (info.usr_free, info.usr_total))
    return 0


def _exec(args: argparse.Namespace) -> int:
    device = Device.open(args.device)
    try:
        sys.stdout.write(device.exec(args.code, timeout=args.timeout))
    finally:
        device.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    emu = sub.add_parser("emulator", help="run a virtual QuecPython module")
    emu.add_argument("--socket", action="store_true",
                     help="listen on socket://127.0.0.1:PORT instead of a pseudo-terminal")
    emu.add_argument("--model", default="EC600U")
    emu.add_argument("--usr-kib", type=int, default=4096, help="size of /usr, KiB")
    emu.add_argument("--baud", type=int, default=0, help="emulate a UART at this rate")
    emu.add_argument("--no-raw-paste", action="store_true", help="firmware without raw-paste")
    emu.add_argument("--root", type=Path, default=None,
                     help="keep the module's files in this folder (default: a temp folder)")
    emu.set_defaults(func=_emulator)

    info = sub.add_parser("info", help="show the module on a port")
    info.add_argument("--device", required=True)
    info.set_defaults(func=_info)

    run = sub.add_parser("exec", help="run code on the module and print its output")
    run.add_argument("--device", required=True)
    run.add_argument("--timeout", type=float, default=30.0)
    run.add_argument("code")
    run.set_defaults(func=_exec)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        sys.exit(args.func(args))
    except HarnessError as exc:
        print("error: %s" % exc, file=sys.stderr)
        sys.exit(2)
