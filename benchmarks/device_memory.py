"""Peak Python memory of a device step, on the virtual module's runtime.

    python benchmarks/device_memory.py [--sizes 65536,1048576,8388608]

Each upload and download runs hil_ftp's step in a fresh child process (the
module's runtime, no serial link) against our FTP server in this process;
tracemalloc measures the peak of what the step allocates. Device steps stream
in fixed blocks, so the peak must not grow with the file size.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import tempfile
import tracemalloc
from pathlib import Path

from harness.emulator.config import ModuleConfig
from harness.emulator.runtime import DeviceRuntime, InputQueue
from harness.servers.local.server import FtpServer
from harness.wire.layout import DEVICE_DIR, LIB_DIR, USR
from harness.wire.snippets import STEP_IMPORT, step_run

SCRIPTS = Path(__file__).resolve().parents[1] / "device_scripts"


def _on_host(root: Path, device_path: str) -> Path:
    """Where a path on the virtual module lives in its folder on the host."""
    return root / device_path.lstrip("/")


def _runtime(root: Path) -> DeviceRuntime:
    _on_host(root, LIB_DIR).mkdir(parents=True, exist_ok=True)
    for script in SCRIPTS.glob("*.py"):
        target = LIB_DIR if script.name == "ftplib.py" else DEVICE_DIR
        shutil.copy(script, _on_host(root, target) / script.name)
    output: list[bytes] = []
    config = ModuleConfig(usr_bytes=64 * 1024 * 1024)
    return DeviceRuntime(config, root, output.append, InputQueue())


def _peak_of_step(root: str, step: str, args: dict, warm: dict,
                  queue: multiprocessing.Queue) -> None:
    rt = _runtime(Path(root))
    setup = STEP_IMPORT.fill(DEVICE_DIR, DEVICE_DIR, "hil_ftp")
    # a 1-byte run of the same step first: imports and CPython's own lazy set-up
    # (codecs, DNS helpers) are not the step's memory
    error = rt.execute(setup + step_run("hil_ftp", step, warm))
    tracemalloc.start()
    tracemalloc.reset_peak()
    error = error or rt.execute(step_run("hil_ftp", step, args))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    queue.put((peak, error))


def measure(server: FtpServer, step: str, size: int, ftplib: str) -> int:
    root = Path(tempfile.mkdtemp(prefix="qpy-mem-"))
    try:
        name = "mem-%s-%d.bin" % (step, size)
        args = _place(server, root, step, name, os.urandom(size), ftplib)
        warm = _place(server, root, step, "warm-" + name, b"w", ftplib)
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        child = ctx.Process(target=_peak_of_step, args=(str(root), step, args, warm, queue))
        child.start()
        peak, error = queue.get(timeout=300)
        child.join(30)
        if error:
            raise RuntimeError(error)
        return peak
    finally:
        shutil.rmtree(root, ignore_errors=True)
        server.remove("mem-%s-%d.bin" % (step, size))
        server.remove("warm-mem-%s-%d.bin" % (step, size))


def _place(server: FtpServer, root: Path, step: str, name: str, data: bytes,
           ftplib: str) -> dict:
    """Put the payload where the step starts; the step's arguments."""
    local = USR + "/" + name
    if step == "upload":
        _on_host(root, USR).mkdir(parents=True, exist_ok=True)
        _on_host(root, local).write_bytes(data)
    else:
        server.put(name, data)
    return {"host": server.host, "port": server.port, "user": server.user,
            "password": server.password, "ftplib": ftplib, "remote": name,
            "local": local}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="65536,1048576,8388608")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as home, FtpServer(Path(home)) as server:
        print("peak Python memory of one device step (tracemalloc), KiB")
        print("%-9s %-9s" % ("ftplib", "step") + "".join("%12s" % _label(s) for s in sizes))
        for ftplib in ("bundled", "firmware"):
            for step in ("upload", "download"):
                peaks = [measure(server, step, size, ftplib) for size in sizes]
                print("%-9s %-9s" % (ftplib, step)
                      + "".join("%12.1f" % (p / 1024) for p in peaks))


def _label(size: int) -> str:
    return "%d KiB" % (size // 1024) if size < 1024 * 1024 else "%d MiB" % (size // 1024 ** 2)


if __name__ == "__main__":
    main()
