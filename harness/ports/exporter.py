"""Export modules' serial ports over RFC 2217, for a controller on another PC.

    python -m harness export COM5 COM7 --bind 0.0.0.0:4001

serves COM5 on TCP 4001 and COM7 on 4002; the controller runs
`pytest --device=rfc2217://bench-a:4001,rfc2217://bench-a:4002`. It is what
ser2net does on Linux, for the Windows bench PCs where ser2net does not run:
threads and sockets only, the same code on both.

The telnet / RFC 2217 side is pyserial's own (serial.rfc2217.PortManager);
this module only moves bytes and keeps the rules:

- one client at a time per module: a second one reads one line saying who has
  the module, and is closed (harness/ports/export_refusal.py);
- a port that cannot be opened, an address already in use, a client asking
  for settings the port refuses: one line each, the other ports stay served;
- a health line per port on every event: client connected, disconnected (with
  the bytes each way), errors.

Modem and control lines a port lacks (a pseudo-terminal has no DTR) are
ignored with one line, so a virtual module exports like a real one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import serial
import serial.rfc2217

from harness.errors import DeviceNotFound
from harness.ports.export_refusal import refusal_line
from harness.ports.names import resolve

Say = Callable[[str], None]
POLL = 0.2  # seconds between looks at the stop flag in blocking socket and port calls
HANDOVER = 2.0  # seconds a new client waits for one that is just leaving, before refusal
SETTINGS = ("baudrate", "bytesize", "parity", "stopbits")  # what a client may ask to change
LINES_IN = ("cts", "dsr", "ri", "cd")
LINES_OUT = ("dtr", "rts", "break_condition")


class ExportError(Exception):
    """A port that cannot be exported: the message is the one line to print."""


def parse_bind(text: str) -> tuple[str, int]:
    """HOST:PORT, [v6]:PORT or PORT (all interfaces) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "0.0.0.0", text
    host = host.strip("[]") or "0.0.0.0"
    if not port.isdigit() or int(port) > 65535:
        raise ValueError("--bind=%s: expected HOST:PORT, e.g. 0.0.0.0:4001 (0: any free port)"
                         % text)
    return host, int(port)


def open_port(device: str) -> serial.Serial:
    """The module's port, held so no local program takes it while it is exported."""
    try:
        target = resolve(device).port  # usb:SERIAL[:IF] and hwgrep:// work here too
        return serial.Serial(target, baudrate=115200, timeout=POLL, write_timeout=10,
                             exclusive=True if os.name == "posix" else None)
    except DeviceNotFound as exc:
        raise ExportError("%s; not exported" % exc) from None
    except (serial.SerialException, OSError, ValueError) as exc:
        raise ExportError("%s: cannot open it (%s); not exported" % (device, exc)) from None


class _TolerantPort:
    """The serial port as PortManager sees it.

    A setting the port refuses becomes the ValueError PortManager handles (it
    keeps the old value and tells the client), and modem/control lines the
    port lacks read as off and ignore writes, each with one line.
    """

    def __init__(self, port: serial.Serial, say: Say, told: set[str]) -> None:
        object.__setattr__(self, "_port", port)
        object.__setattr__(self, "_say", say)
        object.__setattr__(self, "_told", told)  # what was said once, for the port's life

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(self._port, name)
        except (serial.SerialException, OSError) as exc:
            if name not in LINES_IN:
                raise
            self._once("lines in", "cannot read the modem lines (%s); CTS, DSR, RI and CD "
                       "are reported as off" % exc)
            return False

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            setattr(self._port, name, value)
        except Exception as exc:  # termios.error is no OSError: any refusal counts
            if name in SETTINGS:
                self._say("client asked for %s=%s, the port refused (%s: %s); kept %s"
                          % (name, value, type(exc).__name__, exc, "the old value"))
                raise ValueError(str(exc)) from None
            if name not in LINES_OUT:
                raise
            self._once("lines out", "cannot set the control lines (%s, asked for %s); "
                       "DTR, RTS and BREAK requests are ignored" % (exc, name.upper()))

    def _once(self, key: str, text: str) -> None:
        if key not in self._told:
            self._told.add(key)
            self._say(text)


class _Connection:
    """The client's socket as PortManager writes to it: thread safe, counted."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()
        self.sent = 0  # data bytes to the client (telnet escapes included)

    def write(self, data: bytes) -> None:
        with self.lock:
            self.sock.sendall(data)

    def send_data(self, data: bytes) -> None:
        self.write(data)
        self.sent += len(data)


class _ErrorsToHealth(logging.Handler):
    """PortManager's error log lines (a refused setting) as health lines."""

    def __init__(self, say: Say) -> None:
        super().__init__(logging.ERROR)
        self.say = say

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if not text.startswith("failed to set"):  # _TolerantPort has said so, with the value
            self.say("RFC 2217: %s" % text)


@dataclass
class _Client:
    address: str
    since: float

    def describe(self) -> str:
        return "client %s (since %s)" % (self.address,
                                         time.strftime("%H:%M:%S", time.localtime(self.since)))


class PortExport:
    """One serial port on one TCP listener, one client at a time."""

    def __init__(self, device: str, host: str, port: int, say: Say,
                 handover: float = HANDOVER) -> None:
        self.device = device
        self.handover = handover  # the harness's own tests refuse sooner
        self.host = host
        self.requested_port = port
        self._say = say
        self._serial: serial.Serial | None = None
        self._listener: socket.socket | None = None
        self._client: _Client | None = None
        self._client_lock = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._told: set[str] = set()
        self._logger = logging.getLogger("qpy-ftp-hil.export.%s" % device)
        self._logger.propagate = False
        self._logger.setLevel(logging.ERROR)
        if not self._logger.handlers:
            self._logger.addHandler(_ErrorsToHealth(self.say))

    # -- life -------------------------------------------------------------

    def start(self) -> PortExport:
        """Open the port and listen; ExportError (one line) if either fails."""
        self._serial = open_port(self.device)
        try:
            self._listener = _listen(self.host, self.requested_port)
        except OSError as exc:
            self._serial.close()
            raise ExportError("%s: cannot listen on %s:%d (%s); not exported"
                              % (self.device, self.host, self.requested_port,
                                 _reason(exc))) from None
        self._spawn(self._accept_loop, "accept")
        self.say("exported on rfc2217://%s:%d" % (self.host, self.port))
        return self

    @property
    def port(self) -> int:
        assert self._listener is not None, "start() first"
        return int(self._listener.getsockname()[1])

    def say(self, text: str) -> None:
        self._say("%s %s: %s" % (time.strftime("%H:%M:%S"), self.device, text))

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
        if self._serial is not None:
            self._serial.close()

    def _spawn(self, target: Callable[..., None], what: str, *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True,
                                  name="export %s %s" % (self.device, what))
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return thread

    # -- clients ----------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                self.say("listener failed (%s); no longer exported" % exc)
                return
            address = "%s:%d" % (peer[0], peer[1])
            with self._client_lock:
                # a client that just closed is still being let go (its reader
                # stops within POLL): the next one, often the same run, waits for that
                self._client_lock.wait_for(lambda: self._client is None, self.handover)
                holder = self._client
                if holder is None:
                    self._client = _Client(address, time.time())
            if holder is not None:
                self._refuse(conn, address, holder)
                continue
            self._spawn(self._serve, "client", conn, address)

    def _refuse(self, conn: socket.socket, address: str, holder: _Client) -> None:
        try:
            conn.sendall(refusal_line(self.device, holder.describe()))
        except OSError:
            pass
        finally:
            conn.close()
        self.say("refused client %s: %s has it" % (address, holder.describe()))

    def _serve(self, conn: socket.socket, address: str) -> None:
        started = time.monotonic()
        received = [0]  # bytes from the client to the module
        connection = _Connection(conn)
        why = "client closed the connection"
        try:
            ser = self._port_for_client()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(POLL)
            self.say("client %s connected" % address)
            # PortManager only reads/sets port attributes and calls connection.write:
            # the stubs' Serial types are wider than what it uses
            manager = serial.rfc2217.PortManager(
                cast(serial.rfc2217.Serial, _TolerantPort(ser, self.say, self._told)),
                cast(serial.rfc2217.Serial, connection), logger=self._logger)
            done = threading.Event()
            reader = self._spawn(self._port_to_client, "reader", ser, manager, connection, done)
            why = self._client_to_port(conn, ser, manager, received, done)
            done.set()
            reader.join()  # it reads the port: gone before the next client may come
        except ExportError as exc:
            why = str(exc)
            _send_quietly(conn, ("qpy-ftp-hil exporter: %s\r\n" % exc).encode())
        except Exception as exc:  # one client's failure never ends the export
            why = "error: %s: %s" % (type(exc).__name__, exc)
        finally:
            conn.close()
            with self._client_lock:
                self._client = None
                self._client_lock.notify_all()
        self.say("client %s disconnected after %.1f s (%s): %d bytes to the module, "
                 "%d from it" % (address, time.monotonic() - started, why, received[0],
                                 connection.sent))

    def _port_for_client(self) -> serial.Serial:
        """The open port; reopened if an earlier client's session lost it."""
        if self._serial is None or not self._serial.is_open:
            self._serial = open_port(self.device)
        self._serial.reset_input_buffer()  # no stale output from before this client
        return self._serial

    def _client_to_port(self, conn: socket.socket, ser: serial.Serial,
                        manager: serial.rfc2217.PortManager, received: list[int],
                        done: threading.Event) -> str:
        while not self._stop.is_set() and not done.is_set():
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError as exc:
                return "connection error: %s" % exc
            if not chunk:
                return "client closed the connection"
            data = b"".join(manager.filter(chunk))
            if data:
                try:
                    ser.write(data)
                except (serial.SerialException, OSError) as exc:
                    self._lose_port(exc)
                    return "the port went away"
                received[0] += len(data)
        return "the export stopped" if self._stop.is_set() else "the port went away"

    def _port_to_client(self, ser: serial.Serial, manager: serial.rfc2217.PortManager,
                        connection: _Connection, done: threading.Event) -> None:
        while not self._stop.is_set() and not done.is_set():
            try:
                data = ser.read(max(1, ser.in_waiting))
            except (serial.SerialException, OSError) as exc:
                self._lose_port(exc)
                break
            try:
                if data:
                    connection.send_data(b"".join(manager.escape(data)))
                manager.check_modem_lines()
            except OSError:
                break  # the client went away: the other loop says so
        done.set()
        _shutdown_quietly(connection.sock)

    def _lose_port(self, exc: Exception) -> None:
        self.say("port lost (%s): unplugged or reset? it is reopened for the next client"
                 % exc)
        if self._serial is not None:
            try:
                self._serial.close()
            except Exception:
                pass


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # create_server sets SO_REUSEADDR on POSIX only: on Windows it would let two
    # exporters share one port
    listener = socket.create_server((host, port), family=family)
    listener.settimeout(POLL)
    return listener


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return "address in use: another exporter or program listens there" \
        if "in use" in text.lower() or "only one usage" in text.lower() else text


def _send_quietly(conn: socket.socket, data: bytes) -> None:
    try:
        conn.sendall(data)
    except OSError:
        pass


def _shutdown_quietly(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def export_ports(devices: Sequence[str], host: str, first_port: int,
                 say: Say) -> list[PortExport]:
    """Start an export per device (ports first_port, +1, ...; 0: each any free port).
    A device that cannot be exported gets one line and is left out."""
    started = []
    for index, device in enumerate(devices):
        port = first_port + index if first_port else 0
        try:
            started.append(PortExport(device, host, port, say).start())
        except ExportError as exc:
            say("%s %s" % (time.strftime("%H:%M:%S"), exc))
    return started
