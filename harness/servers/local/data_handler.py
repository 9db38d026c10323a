"""A data connection: storage errors answered properly, and the data faults.

drop_data and stall cut a transfer after N bytes, throttle slows it, corrupt
damages a stored file; see faults.py for their parameters. A dialect's TYPE A line
ends (harness/servers/dialects.py) are applied here, both ways.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from pyftpdlib.exceptions import _RetryError  # what pyftpdlib's recv() raises for EAGAIN
from pyftpdlib.handlers import ThrottledDTPHandler
from pyftpdlib.handlers.ftp.dispatchers import ActiveDTP
from pyftpdlib.handlers.ftp.producers import FileProducer

from harness.servers.local.faults import Fault, corrupt_stored_file
from harness.servers.local.owner import HandlerOwner
from harness.servers.local.removal import remove_in_loop
from harness.servers.local.storage import (
    EDQUOT,
    ENOSPC,
    UploadFile,
    errno_of,
    storage_reply,
)

log = logging.getLogger(__name__)

REPLY_DROPPED = "426 Connection closed; transfer aborted."
REPLY_RESET_EARLY = "426 Connection reset by peer before the transfer began; transfer aborted."


class ActiveConnector(ActiveDTP):
    """pyftpdlib's PORT connector, made to forget its fd once the data handler has it.

    pyftpdlib 2.2 closes a connected ActiveDTP again at the client's next PORT, PASV
    or QUIT, and that close unregisters the fd number it once had from the IOLoop.
    By then the data connection is closed and the OS may have given the number to
    another client's connection or PASV listener, which then hangs until its timeout
    (pyftpdlib PR #657; issue 14 item 9; tests/test_active_mode_neighbours.py).
    """

    _handed_over = False

    def handle_connect(self) -> None:
        super().handle_connect()
        self._handed_over = True  # the socket (and its fd) belongs to the data handler now

    def close(self) -> None:
        if self._handed_over:
            self._fileno = None  # unregistered at the hand-over; never under a recycled number
        super().close()


class DataHandler(ThrottledDTPHandler):
    """A data connection: answers storage errors properly and carries the data faults."""

    owner: HandlerOwner  # the FtpServer, set on its per-server subclass

    def __init__(self, sock: Any, cmd_channel: Any) -> None:
        self._stalled = False
        self._write_failed = False
        throttle = self.owner.faults.get("throttle")
        if throttle is not None:
            # read before super().__init__, which sizes the buffers from these limits
            rate = throttle.params["bytes_per_second"]
            self.read_limit = rate if throttle.applies_to("stor") else 0
            self.write_limit = rate if throttle.applies_to("retr") else 0
        # pyftpdlib's ThrottledDTPHandler sets _throttler after DTPHandler.__init__, which
        # closes a connection that is gone by then, and its close() reads _throttler: an
        # AttributeError that ended the server's loop (a client that reset the data
        # connection before the loop accepted it, seen under a CPU hog)
        self._throttler = None
        super().__init__(sock, cmd_channel)
        if self._closed:
            self._answer_a_transfer_that_lost_its_connection(cmd_channel)
        else:
            self.owner.live.add(self)

    @staticmethod
    def _answer_a_transfer_that_lost_its_connection(cmd_channel: Any) -> None:
        """The client's STOR/RETR waits, queued, for a data connection that was reset
        before the server took it; stock pyftpdlib leaves it waiting until the control
        connection's idle timeout. Answer 426 and drop the queued transfer."""
        incoming = cmd_channel._in_dtp_queue  # (file, cmd) of a STOR/APPE
        outgoing = cmd_channel._out_dtp_queue  # (data, is_producer, file, cmd) of a RETR/LIST
        if incoming is None and outgoing is None:
            return  # no transfer waits: its command, when it comes, opens another connection
        cmd_channel._in_dtp_queue = cmd_channel._out_dtp_queue = None
        file = incoming[0] if incoming is not None else outgoing[2]
        if file is not None and not file.closed:
            file.close()
        cmd_channel.respond(REPLY_RESET_EARLY, logfun=log.warning)

    # --- a dialect's TYPE A

    def enable_receiving(self, type: str, cmd: str) -> None:
        dialect = self.owner.dialect
        if type == "a" and dialect is not None and dialect.ascii_upload == "none":
            type = "i"  # stored as sent
        super().enable_receiving(type, cmd)

    def push_with_producer(self, producer: Any) -> None:
        dialect = self.owner.dialect
        if isinstance(producer, FileProducer) and producer.type == "a" and dialect is not None:
            # pyftpdlib's wrapper adds a CR before a lone LF ("crlf"); the others replace it
            if dialect.ascii_download == "none":
                producer._data_wrapper = None
            elif dialect.ascii_download == "every_lf":
                producer._data_wrapper = lambda chunk: chunk.replace(b"\n", b"\r\n")
        super().push_with_producer(producer)

    # --- faults that cut a transfer short

    def _direction(self) -> str | None:
        if self.receive:
            return "stor"
        return "retr" if self.file_obj is not None else None  # None: a listing

    def _cut_fault(self) -> Fault | None:
        """The drop_data or stall fault acting on this transfer (the earlier one wins)."""
        direction = self._direction()
        if direction is None:
            return None
        faults = self.owner.faults
        found = [
            f
            for f in (faults.get("drop_data"), faults.get("stall"))
            if f is not None and f.applies_to(direction)
        ]
        return min(found, key=lambda f: f.params["after_bytes"], default=None)

    def _trip(self, fault: Fault, moved: int) -> None:
        if self._closed or self._stalled:
            return
        if fault.name == "drop_data":
            self.cmd_channel.note(f"fault drop_data: data connection closed after {moved} bytes")
            self._resp = (REPLY_DROPPED, log.info)
            self.close()
        else:
            self.cmd_channel.note(f"fault stall: data connection stalled after {moved} bytes")
            self._stalled = True
            self.del_channel()  # no more events: nothing sent or read, socket stays open

    def add_channel(self, map: Any = None, events: Any = None) -> None:
        if not self._stalled:  # the throttler would wake a stalled channel up
            super().add_channel(map, events)

    def send(self, data: bytes) -> int:
        fault = self._cut_fault()
        if fault is None:
            return super().send(data)
        left = fault.params["after_bytes"] - self.tot_bytes_sent
        sent = super().send(data[:left]) if left > 0 else 0
        if left - sent <= 0:
            self._trip(fault, self.tot_bytes_sent)
        return sent

    def recv(self, buffer_size: int) -> bytes:
        """pyftpdlib's recv, except that a reset connection is an error, not the end of the
        file: stock pyftpdlib (ioloop.AsyncChat.recv) takes ECONNRESET for a close and
        answers 226 for an upload that a reset cut short (a module whose network went)."""
        try:
            data = self.socket.recv(buffer_size)
        except (ConnectionResetError, ConnectionAbortedError):
            raise  # handle_read: 426 with the errno's text (handle_error)
        except (BlockingIOError, InterruptedError) as err:
            raise _RetryError from err
        if not data:
            self.handle_close()
        elif self.read_limit:  # the throttle of ThrottledDTPHandler.recv, which this replaces
            self._throttle_bandwidth(len(data), self.read_limit)
        return data

    def handle_read(self) -> None:
        # pyftpdlib's own version, plus the cut faults and a proper storage error reply
        size = self.ac_in_buffer_size
        fault = self._cut_fault()
        if fault is not None:
            left = fault.params["after_bytes"] - self.tot_bytes_received
            if left <= 0:
                self._trip(fault, self.tot_bytes_received)
                return
            size = min(size, left)
        try:
            chunk = self.recv(size)
        except _RetryError:
            return
        except OSError:
            self.handle_error()
            return
        self.tot_bytes_received += len(chunk)
        if not chunk:
            self.transfer_finished = True
            return
        if self._data_wrapper is not None:
            chunk = self._data_wrapper(chunk)
        try:
            self.file_obj.write(chunk)
        except OSError as err:
            self._abort(err)
            return
        if fault is not None and self.tot_bytes_received >= fault.params["after_bytes"]:
            self._trip(fault, self.tot_bytes_received)

    handle_read_event = handle_read  # the base class aliased its own handle_read

    # --- errors and the end of a transfer

    def _abort(self, err: BaseException) -> None:
        """A file write failed: answer 552 / 452 / 451 and end the transfer."""
        self._write_failed = True
        self._resp = (storage_reply(err), log.info)
        self.close()

    def handle_error(self) -> None:
        err = sys.exc_info()[1]
        code = errno_of(err)
        if err is not None and self.receive and code in (EDQUOT, ENOSPC):
            self._abort(err)
        elif isinstance(err, OSError) and code is not None:
            # stock pyftpdlib loses the errno here and answers "426 None"
            self._resp = (f"426 {os.strerror(code)}; transfer aborted.", log.warning)
            self.close()
        else:
            super().handle_error()

    def close(self) -> None:
        if not self._closed:
            self.owner.live.discard(self)
            if self.receive and self.file_obj is not None:
                self._finish_upload()
        super().close()  # closes the socket, then sends the reply in self._resp

    def _finish_upload(self) -> None:
        """Close the uploaded file before the reply goes out, so the client sees its final state."""
        f = self.file_obj
        if not f.closed:
            try:
                f.close()
            except OSError as err:  # e.g. a full disk found while flushing
                if not self._write_failed:
                    self._write_failed = True
                    self._resp = (storage_reply(err), log.info)
        if self._write_failed:
            self.transfer_finished = False
            if not self.owner.keep_partial:
                self._discard_partial(f)
        elif self.transfer_finished:
            fault = self.owner.faults.get("corrupt")
            if fault is not None and fault.params["on"] == "stored":
                mode = fault.params["mode"]
                corrupt_stored_file(f.name, mode)
                self.cmd_channel.note(f"fault corrupt: stored file damaged ({mode})")

    def _discard_partial(self, f: UploadFile) -> None:
        """Remove a failed upload; a failed APPE / resume only loses what it added."""
        if not f.resumed:
            # a handle still open on it (Windows): tried again by the loop, never blocking it
            remove_in_loop(self.ioloop, lambda: os.remove(f.name), f.name,
                           lambda line: log.warning("partial upload: %s", line))
            return
        try:
            os.truncate(f.name, f.start_size)
        except FileNotFoundError:
            pass
        except OSError as err:
            log.warning("could not discard partial upload %s: %s", f.name, err)
