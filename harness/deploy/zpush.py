"""A compressed push for what compresses (device scripts as .py or .mpy, text payloads).

Each 4 KiB of a file travels as its own small zlib stream, which the module
inflates with uzlib.decompress (no streaming decompressor needed, no more than
a block in memory) and acks. The files of one sync share one receiver. Only
where the module has uzlib and binary stdin, and only for data that compresses:
anything else goes through Device.push as before. Verified by the sha256 the
module computes.
"""

from __future__ import annotations

import weakref
import zlib

from harness.errors import DeviceExecError, DeviceTimeout
from harness.wire import snippets
from harness.wire.device import Device, sha256_bytes

RAW_BLOCK = 4096  # bytes of the file per frame
# a file that does not shrink to this share goes uncompressed (Device.push): .py text
# packs to about a third, .mpy bytecode to about 0.7, random payloads not at all
WORTH_IT = 0.8
ACK = b"\x06"

# per Device: can it take a compressed push? (asked once)
_ABLE: weakref.WeakKeyDictionary[Device, bool] = weakref.WeakKeyDictionary()


def can_push_compressed(device: Device) -> bool:
    if device not in _ABLE:
        try:
            _ABLE[device] = bool(device.eval_json(snippets.ZLIB_PROBE.source,
                                                  setup=snippets.ZLIB_PROBE_SETUP.source))
        except DeviceExecError:
            _ABLE[device] = False
    return _ABLE[device]


def frames_of(data: bytes) -> list[bytes] | None:
    """The framed zlib streams of `data`; None if it does not compress well enough."""
    frames = []
    for start in range(0, len(data), RAW_BLOCK):
        packed = zlib.compress(data[start:start + RAW_BLOCK], 9)
        frames.append(len(packed).to_bytes(2, "big") + packed)
    if sum(len(f) for f in frames) > WORTH_IT * len(data):
        return None
    return frames


def push_compressed(device: Device, data: bytes, remote: str) -> str:
    """Write `data` to `remote` on the module; compressed where it can be, else Device.push."""
    return push_compressed_files(device, {remote: data})[remote]


def push_compressed_files(device: Device, files: dict[str, bytes]) -> dict[str, str]:
    """Write each file (remote path: bytes) on the module; their sha256s.

    The files that compress go through one receiver, so its source crosses the link
    once; the rest, and all of them where the module cannot take a compressed push
    (or the receiver fails on it), go through Device.push.
    """
    framed = {remote: frames_of(data) for remote, data in files.items() if data}
    packed = {remote: frames for remote, frames in framed.items() if frames is not None}
    done: dict[str, str] = {}
    if packed and can_push_compressed(device):
        try:
            said = _send(device, packed, sum(len(files[r]) for r in packed))
        except DeviceExecError:
            # the receiver failed on the module (a MemoryError on a small heap: a frame
            # inflates to 4 KiB): this module takes plain pushes from now on
            _ABLE[device] = False
            said = []
        for remote, got in zip(packed, said, strict=False):  # said: [] if it failed
            if got == (sha256_bytes(files[remote]), len(files[remote])):
                done[remote] = got[0]
    for remote, data in files.items():
        if remote not in done:
            done[remote] = device.push(data, remote)  # the plain, verified path
    return done


def _send(device: Device, packed: dict[str, list[bytes]],
          size: int) -> list[tuple[str, int]]:
    """Push the framed files through one receiver; the (sha256, size) it said of each."""
    repl = device.repl
    repl.start_exec(snippets.PUSH_ZLIB.fill([(r, len(f)) for r, f in packed.items()]))
    # if the host stops between frames (a Ctrl-C), a zero-length frame ends the receiver
    # (uzlib refuses an empty stream), and the prompt comes back (RawRepl.settle)
    repl.owed = 2
    _wait_ack(device, packed)  # the receiver is ready
    done = 0
    for frames in packed.values():
        for frame in frames:
            repl.write(frame)
            _wait_ack(device, packed)
            done = min(done + RAW_BLOCK, size)
            device.progress(done, size)
    return device.finish_push_lines("compressed push to %s" % ", ".join(packed))


def _wait_ack(device: Device, packed: dict[str, list[bytes]]) -> None:
    repl = device.repl
    where = "%s:%s" % (device.port, ", ".join(packed))
    marker = repl.read_until_any((ACK, b"\x04"), 30.0)
    if marker == b"\x04":  # the receiver died: its error text comes next
        err = repl.read_until(b"\x04", 10.0) or b""
        repl.enter_raw()
        trace = err[:-1].decode("utf-8", "replace")
        raise DeviceExecError("compressed push to %s failed: %s" % (
            where, DeviceExecError.last_line(trace) or "an error"), trace)
    if marker is None:
        how = repl.recover()
        raise DeviceTimeout("compressed push to %s stalled (%s)" % (where, how))
