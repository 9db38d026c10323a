"""A compressed push for text (device scripts, text payloads): a third or less on the link.

Each 4 KiB of a file travels as its own small zlib stream, which the module
inflates with uzlib.decompress (no streaming decompressor needed, no more than
a block in memory) and acks. Only where the module has uzlib and binary
stdin, and only for data that compresses (text): anything else goes through
Device.push as before. Verified by the sha256 the module computes.
"""

from __future__ import annotations

import weakref
import zlib

from . import snippets
from .device import Device, sha256_bytes
from .errors import DeviceExecError, DeviceTimeout

RAW_BLOCK = 4096  # bytes of the file per frame
MAX_FRAME = 2048  # a compressed frame larger than this goes uncompressed (Device.push)
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
        if len(packed) > MAX_FRAME:
            return None
        frames.append(len(packed).to_bytes(2, "big") + packed)
    return frames


def push_compressed(device: Device, data: bytes, remote: str) -> str:
    """Write `data` to `remote` on the module; compressed where it can be, else Device.push."""
    frames = frames_of(data) if data else None
    if frames is None or not can_push_compressed(device):
        return device.push(data, remote)
    expected = (sha256_bytes(data), len(data))
    try:
        if _send(device, frames, remote, len(data)) == expected:
            return expected[0]
    except DeviceExecError:
        # the receiver failed on the module (a MemoryError on a small heap: a frame
        # inflates to 4 KiB): this module takes plain pushes from now on
        _ABLE[device] = False
    return device.push(data, remote)  # the plain, verified path


def _send(device: Device, frames: list[bytes], remote: str,
          size: int) -> tuple[str, int] | None:
    repl = device.repl
    repl.start_exec(snippets.PUSH_ZLIB.fill(remote, len(frames)))
    _wait_ack(device, remote)  # the receiver is ready
    done = 0
    for frame in frames:
        repl.write(frame)
        _wait_ack(device, remote)
        done = min(done + RAW_BLOCK, size)
        device.progress(done, size)
    return device.finish_push("compressed push to %s" % remote)


def _wait_ack(device: Device, remote: str) -> None:
    repl = device.repl
    marker = repl.read_until_any((ACK, b"\x04"), 30.0)
    if marker == b"\x04":  # the receiver died: its error text comes next
        err = repl.read_until(b"\x04", 10.0) or b""
        repl.enter_raw()
        trace = err[:-1].decode("utf-8", "replace")
        raise DeviceExecError("compressed push to %s:%s failed: %s" % (
            device.port, remote, DeviceExecError.last_line(trace) or "an error"), trace)
    if marker is None:
        how = repl.recover()
        raise DeviceTimeout("compressed push to %s:%s stalled (%s)" % (device.port, remote, how))
