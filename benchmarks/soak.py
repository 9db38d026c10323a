"""A long night on one virtual module: does anything grow?

    python benchmarks/soak.py [--scenarios 500] [--size 16384] [--engine micropython --heap 128K]

Runs upload + download scenarios back to back through the harness library
(FtpRun, as the scenarios do, no pytest) against one virtual module and one
local FTP server, one serial-log mark per scenario as the report plugin takes
one per test. Prints host RSS, the module's heap free (gc.mem_free after a
gc.collect) and /usr free at the start, every 100 scenarios and at the end,
then checks that nothing is left in the module's run folder or on the server.
With --engine micropython the heap figure is a real MicroPython's, in a heap of
--heap bytes (the device programs' own, as on the firmware).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

from harness.deploy.scripts import deploy_scripts
from harness.emulator import ModuleConfig, VirtualModule
from harness.emulator.config import ENGINES
from harness.options.values import parse_size
from harness.scenario.run import FtpRun
from harness.servers.local.server import FtpServer
from harness.wire.device import Device
from harness.wire.layout import RUN_DIR
from harness.wire.serial_log import SerialLog

ROOT = Path(__file__).resolve().parents[1]


def host_rss_kib() -> int:
    """Resident set size now (not the peak), in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    import psutil  # Windows / macOS: no /proc

    return int(psutil.Process().memory_info().rss // 1024)


def figures(device: Device, log: SerialLog) -> dict[str, int]:
    gc.collect()
    heap = device.eval_json("gc.mem_free()", setup="import gc\ngc.collect()")
    free, _ = device.statvfs()
    return {"rss_kib": host_rss_kib(), "heap_free": int(heap), "usr_free": free,
            "log_in_memory": log.bytes_in_memory}


def show(label: str, f: dict[str, int]) -> None:
    print("%-14s host RSS %7d KiB   module heap free %8d B   /usr free %9d B   "
          "serial log in memory %8d B" % (label, f["rss_kib"], f["heap_free"], f["usr_free"],
                                          f["log_in_memory"]), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenarios", type=int, default=500)
    parser.add_argument("--size", type=int, default=16 * 1024, help="payload bytes")
    parser.add_argument("--engine", default="cpython", choices=ENGINES)
    parser.add_argument("--heap", default="0", help="micropython engine: bytes, or K/M")
    args = parser.parse_args()
    config = ModuleConfig(engine=args.engine, heap=parse_size("--heap", args.heap))
    with tempfile.TemporaryDirectory() as tmp, VirtualModule(config) as module, \
            FtpServer(Path(tmp) / "home") as server:
        log = SerialLog()
        device = Device.open(module.port, log=log)
        deploy_scripts(device, ROOT / "device_scripts")
        device.makedirs(RUN_DIR)
        start = figures(device, log)
        show("start", start)
        started = time.monotonic()
        failures = 0
        for n in range(1, args.scenarios + 1):
            log.mark()  # what the report plugin does at each test's start
            run = FtpRun(device, server, "soak-%d" % n, ftplib_kind="bundled")
            data = os.urandom(args.size)
            try:
                if n % 2:
                    transfer = run.upload(data)
                else:
                    transfer = run.download(data)
                if transfer.problems():
                    failures += 1
            finally:
                run.cleanup()
            if n % 100 == 0 and n != args.scenarios:
                show("after %d" % n, figures(device, log))
        end = figures(device, log)
        show("end (%d)" % args.scenarios, end)
        left_module = device.listdir(RUN_DIR)
        left_server = sorted(p.name for p in (Path(tmp) / "home").rglob("*"))
        device.close()
    print("%d scenarios in %.0f s, %d with a problem" % (args.scenarios,
                                                        time.monotonic() - started, failures))
    print("change start -> end: host RSS %+d KiB, module heap free %+d B, /usr free %+d B"
          % (end["rss_kib"] - start["rss_kib"], end["heap_free"] - start["heap_free"],
             end["usr_free"] - start["usr_free"]))
    print("left on the module (%s): %s" % (RUN_DIR, left_module or "nothing"))
    print("left on the server: %s" % (left_server or "nothing"))
    return 1 if failures or left_module or left_server else 0


if __name__ == "__main__":
    sys.exit(main())
