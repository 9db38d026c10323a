"""labgrid-client, run as a program, and what it prints read back.

labgrid is never imported here: it depends on pyserial-labgrid, which installs over
pyserial's own `serial` package (labgrid issue #1245), so it lives in an environment of
its own and the harness runs its `labgrid-client` (found by --labgrid-client,
QPY_HIL_LABGRID_CLIENT, or PATH). labgrid-client has no machine-readable output; the
few lines read here are those of labgrid 26.0.1's labgrid/remote/client.py and
common.py (Place.show, Reservation.show, print_place), quoted where they are read.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.deadline import bounded
from harness.errors import HarnessError

CLIENT_ENV = "QPY_HIL_LABGRID_CLIENT"  # the labgrid-client program, where PATH has none
COORDINATOR_ENV = "LG_COORDINATOR"  # labgrid-client's own: HOST[:PORT] of the coordinator
CALL_TIMEOUT = 30.0  # s for one labgrid-client call (each is one gRPC session)
# labgrid-client reads these to pick places or an environment file of its own: a bench
# PC's shell may have them set, and they would change what `acquire` and `release` do
FOREIGN_ENV = ("LG_ENV", "LG_PLACE", "LG_STATE", "LG_INITIAL_STATE", "LG_TOKEN")
INSTALL_HINT = (
    "install labgrid in an environment of its own, not in this one (its pyserial-labgrid "
    "replaces pyserial: labgrid issue #1245): python -m venv ~/labgrid && "
    "~/labgrid/bin/pip install labgrid, then --labgrid-client=~/labgrid/bin/labgrid-client "
    "(or %s, or put it on PATH)" % CLIENT_ENV)


class LabgridError(HarnessError):
    """labgrid-client is missing, failed, or printed what it never prints."""


class LabgridTimeout(LabgridError):
    """labgrid-client did not finish in time."""


def find_client(given: str | None = None) -> str:
    """The labgrid-client program: `given`, else $QPY_HIL_LABGRID_CLIENT, else PATH."""
    chosen = given or os.environ.get(CLIENT_ENV) or "labgrid-client"
    found = shutil.which(os.path.expanduser(chosen))
    if found is None:
        raise LabgridError("labgrid-client not found (%s): %s" % (chosen, INSTALL_HINT))
    return found


@dataclass(frozen=True)
class PlaceInfo:
    """One place as `labgrid-client -v places` shows it (labgrid common.py Place.show)."""

    name: str
    tags: dict[str, str] = field(default_factory=dict)
    acquired: str = ""  # HOST/USER holding it, "" when free
    reservation: str = ""  # the token it is allocated to, "" when none
    changed: str = ""  # when it was last acquired, released or edited

    def holder(self) -> str:
        """Who has it, for a line a waiting user reads; "" when nobody."""
        if self.acquired:
            return "acquired by %s since %s" % (self.acquired, self.changed or "?")
        if self.reservation:
            return "reserved for another client (reservation %s)" % self.reservation
        return ""


@dataclass(frozen=True)
class ReservationInfo:
    """A reservation as `reserve` and `wait` show it (labgrid common.py Reservation.show)."""

    token: str
    state: str  # waiting, allocated, acquired, expired, invalid
    place: str = ""  # the place allocated to it, once allocated
    owner: str = ""  # HOST/USER: who may acquire that place


@dataclass(frozen=True)
class SerialResource:
    """A NetworkSerialPort of an acquired place (a RawSerialPort or USBSerialPort that the
    exporter serves through its own ser2net is published as one, exporter.py)."""

    name: str
    host: str
    port: int | None
    protocol: str = "rfc2217"  # or "raw"
    path: str = ""  # the exporter's local device, when its ser2net serves one
    proxy_required: bool = False  # reachable only through the exporter's ssh proxy


class LabgridClient:
    """labgrid-client against one coordinator (None: LG_COORDINATOR, else its default)."""

    def __init__(self, program: str, coordinator: str | None = None,
                 timeout: float = CALL_TIMEOUT) -> None:
        self.program = program
        self.coordinator = coordinator
        self.timeout = timeout

    @property
    def address(self) -> str:
        """The coordinator as the client will reach it, for messages and the ledger."""
        return self.coordinator or os.environ.get(COORDINATOR_ENV) or "127.0.0.1:20408"

    def _command(self, args: Sequence[str]) -> tuple[list[str], dict[str, str]]:
        env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
        if self.coordinator:
            env[COORDINATOR_ENV] = self.coordinator
        return [self.program, *args], env

    def run(self, *args: str, timeout: float | None = None) -> str:
        """Its standard output; LabgridError with its own last line when it fails."""
        command, env = self._command(args)
        limit = bounded(timeout or self.timeout)
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True,
                                  timeout=limit, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise LabgridTimeout("labgrid-client %s: no answer within %.0f s from the "
                               "coordinator at %s; is labgrid-coordinator running there?"
                               % (" ".join(args), limit, self.address)) from None
        except OSError as exc:
            raise LabgridError("cannot run %s: %s; %s" % (self.program, exc,
                                                          INSTALL_HINT)) from None
        if done.returncode != 0:
            raise LabgridError("labgrid-client %s (coordinator %s): %s"
                               % (" ".join(args), self.address, _last_line(done)))
        return done.stdout

    def wait_reservation(self, token: str, timeout: float) -> ReservationInfo | None:
        """`wait TOKEN` until the coordinator allocates a place (it polls each second,
        which also keeps the reservation alive); None when `timeout` runs out first."""
        try:
            text = self.run("wait", token, timeout=timeout)
        except LabgridTimeout:
            return None
        return _last_reservation(text)

    def places(self) -> list[PlaceInfo]:
        return parse_places(self.run("-v", "places"))

    def reserve(self, filters: Sequence[str]) -> ReservationInfo:
        found = _last_reservation(self.run("reserve", *filters))
        if found is None:
            raise LabgridError("labgrid-client reserve printed no reservation")
        return found

    def cancel(self, token: str) -> None:
        self.run("cancel-reservation", token)

    def acquire(self, pattern: str) -> str:
        """Acquire the place `pattern` names (+TOKEN: the one allocated to a reservation);
        the place's name, from "acquired place NAME" (client.py _acquire_place)."""
        out = self.run("-p", pattern, "acquire")
        found = re.search(r"^acquired place (\S+)", out, re.MULTILINE)
        if found is None:
            raise LabgridError("labgrid-client acquire said %r, not 'acquired place NAME'"
                               % out.strip())
        return found.group(1)

    def release(self, place: str, holder: str | None = None) -> None:
        """Release `place`; with `holder` (HOST/USER) only if that one still holds it."""
        if holder:
            self.run("-p", place, "release-from", holder)
        else:
            self.run("-p", place, "release")

    def show(self, place: str) -> tuple[PlaceInfo, list[SerialResource]]:
        """The place (show prints Place.show first) and its acquired serial ports."""
        text = self.run("-p", place, "show")
        found = parse_places(text)
        info = found[0] if found else PlaceInfo(place)
        return info, parse_serial_resources(text)


def _last_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else "exit code %d" % done.returncode


# -- what labgrid-client prints ---------------------------------------------


_PLACE_HEAD = re.compile(r"^Place '(.+)':$")


def parse_places(text: str) -> list[PlaceInfo]:
    """`labgrid-client -v places`: "Place 'NAME':", then Place.show's indented lines
    ("tags: a=1, b=2", "acquired: HOST/USER" or "None", "changed: ...",
    "reservation: TOKEN")."""
    places: list[PlaceInfo] = []
    fields: dict[str, str] = {}
    name = ""

    def close() -> None:
        if name:
            places.append(PlaceInfo(
                name, _tags(fields.get("tags", "")),
                "" if fields.get("acquired", "None") == "None" else fields["acquired"],
                fields.get("reservation", ""), fields.get("changed", "")))

    for line in text.splitlines():
        head = _PLACE_HEAD.match(line)
        if head:
            close()
            name, fields = head.group(1), {}
            continue
        if line.startswith("  ") and not line.startswith("    ") and ": " in line:
            key, value = line.strip().split(": ", 1)
            fields[key] = value.strip()
    close()
    return places


def _tags(text: str) -> dict[str, str]:
    pairs = (part.strip().split("=", 1) for part in text.split(",") if "=" in part)
    return {key: value for key, value in pairs}


def _last_reservation(text: str) -> ReservationInfo | None:
    """The last reservation Reservation.show printed (`reserve` indents it under
    "Reservation 'TOKEN':", `wait` prints one per poll, unindented): owner, token, state
    and, under "allocations:", the "main: PLACE" line."""
    blocks = [block for block in re.split(r"^[ \t]*(?=owner: )", text, flags=re.MULTILINE)
              if block.startswith("owner: ")]
    if not blocks:
        return None
    block = blocks[-1]

    def field(name: str, within: str = block) -> str:
        found = re.search(r"^[ \t]*%s: (\S+)" % name, within, re.MULTILINE)
        return found.group(1) if found else ""

    _, _, allocations = block.partition("allocations:")
    return ReservationInfo(field("token"), field("state"), field("main", allocations),
                           field("owner"))


_ACQUIRED = re.compile(r"^Acquired resource '([^']*)' \(([^)]*)\):$")


def parse_serial_resources(text: str) -> list[SerialResource]:
    """`labgrid-client -p PLACE show` of an acquired place: per resource a line
    "Acquired resource 'NAME' (exporter/group/cls/name):" and its asdict() pretty-printed
    below it, indented (client.py print_place), which is a Python literal."""
    found: list[SerialResource] = []
    lines = text.splitlines()
    for at, line in enumerate(lines):
        head = _ACQUIRED.match(line)
        if head is None:
            continue
        body = []
        for following in lines[at + 1:]:
            if not following.startswith("  "):
                break
            body.append(following.strip())
        try:
            data = ast.literal_eval(" ".join(body))
        except (ValueError, SyntaxError):
            raise LabgridError("labgrid-client show: cannot read resource %s: %s"
                               % (head.group(1), " ".join(body)[:200])) from None
        resource = _serial_resource(head.group(1), data)
        if resource is not None:
            found.append(resource)
    return found


def _serial_resource(name: str, data: Any) -> SerialResource | None:
    if not isinstance(data, dict) or data.get("cls") != "NetworkSerialPort":
        return None
    params = data.get("params") or {}
    extra = params.get("extra") or {}
    port = params.get("port")
    return SerialResource(name, str(params.get("host", "")),
                          port if isinstance(port, int) else None,
                          str(params.get("protocol", "rfc2217")), str(extra.get("path", "")),
                          bool(extra.get("proxy_required", False)))
