"""Push throughput and wire efficiency, through the virtual module.

    python benchmarks/push.py [--size 65536] [--bauds 115200,0]

For each path (base64 in exec'd code, raw bytes over stdin) and each line
rate (0 = as fast as the pseudo-terminal goes), prints the payload rate, the
share of the line rate that arrives as payload, and the wire efficiency
(payload bytes / all bytes on the wire, both directions, verification included).
"""

from __future__ import annotations

import argparse
import os
import time

from harness.emulator import ModuleConfig, VirtualModule
from harness.wire.device import Device
from harness.wire.serial_log import RX, TX, SerialLog


def measure(mode: str, baud: int, size: int) -> dict[str, float]:
    data = os.urandom(size)
    with VirtualModule(ModuleConfig(baud=baud)) as module:
        log = SerialLog()
        device = Device.open(module.port, log=log)
        device.push_mode = mode
        device.push(b"warm-up", "/usr/warm.bin")  # capability probe and imports, not timed
        mark = log.mark()
        started = time.perf_counter()
        device.push(data, "/usr/bench.bin")
        seconds = time.perf_counter() - started
        wire = len(log.raw(since=mark, direction=TX)) + len(log.raw(since=mark, direction=RX))
        device.close()
    rate = size / seconds
    return {"seconds": seconds, "rate": rate, "wire": wire, "efficiency": size / wire,
            "line_share": rate / (baud / 10) if baud else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=64 * 1024)
    parser.add_argument("--bauds", default="115200,0")
    args = parser.parse_args()
    print("push of %d random bytes through the virtual module" % args.size)
    print("%-7s %-10s %9s %11s %12s %11s" % ("path", "line", "seconds", "KiB/s",
                                              "% of line", "wire eff."))
    for baud in [int(b) for b in args.bauds.split(",")]:
        for mode in ("base64", "binary"):
            r = measure(mode, baud, args.size)
            share = "%.1f%%" % (100 * r["line_share"]) if baud else "-"
            print("%-7s %-10s %9.2f %11.1f %12s %10.1f%%" % (
                mode, "%d bd" % baud if baud else "pty", r["seconds"], r["rate"] / 1024,
                share, 100 * r["efficiency"]))


if __name__ == "__main__":
    main()
