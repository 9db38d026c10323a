# The MicroPython engine's wire to the host (harness/emulator/mpy_engine.py).
# MicroPython code: runs inside the `micropython` unix port, not in CPython.
#
# Frames both ways are "<kind><length>\n<payload>". Host -> runner: C (the module's
# configuration, JSON, first; not on the command line, which the wrapper caps), X (run a
# program: mode byte + source), Z (soft reset), D (stdin bytes, or a reply).
# Runner -> host: S (ready), O (program output), I (want n stdin bytes),
# K (kbd_intr char), G (may I import this device file? the 1.13 gate),
# F (program done), E (done with this error text), P (power event).
import json
import sys

_out = sys.stdout.buffer
_in = sys.stdin.buffer
_CHUNK = 4000  # a pipe write under PIPE_BUF (4096) is atomic: SIGINT never cuts a frame


class PowerEvent(BaseException):
    """misc.Power.powerRestart/powerDown: the host reboots or removes the module."""


def send(kind, payload=b""):
    if isinstance(payload, str):
        payload = payload.encode()
    _out.write((kind + str(len(payload)) + "\n").encode() + payload)


def out(data):
    if isinstance(data, str):
        data = data.encode()
    for i in range(0, len(data), _CHUNK):
        send("O", data[i:i + _CHUNK])


def receive():
    """(kind, payload) of the host's next frame; (None, b'') when the host is gone."""
    head = _in.readline()
    if not head:
        return None, b""
    size = int(head[1:-1])
    return chr(head[0]), (_in.read(size) if size else b"")


def ask(kind, payload):
    """Send a question, return the host's D answer."""
    send(kind, payload)
    reply, data = receive()
    if reply is None:
        sys.exit(0)
    return data


def read_stdin(size):
    """usys.stdin.buffer.read(size): the host blocks until size bytes came over the link."""
    return ask("I", str(size))


CONFIG = json.loads(receive()[1])
