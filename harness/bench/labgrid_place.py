"""A labgrid place held for a session: reserved, acquired, its serial port as a pyserial URL.

    labgrid://PLACE              that place
    labgrid://?module=ec600u     any place with these tags (&: all of them)
    labgrid://PLACE?lab=b        that place, if it has these tags

Every form goes through a labgrid reservation (`labgrid-client reserve name=PLACE
k=v`): the coordinator hands out places to waiting reservations by priority and age,
and adds a place's own name to its tags for that (labgrid 26.0.1 coordinator.py
schedule_reservations: `tags |= {("name", name)}`), so parallel workers asking for
the same tags each get another place, and a place someone else holds is waited for.
Then `acquire -p +TOKEN` takes the place allocated to that reservation, and `show`
names its NetworkSerialPort: opened as rfc2217://HOST:PORT (socket:// when the
exporter says protocol raw). release() gives it back and cancels the reservation;
a process that dies without that leaves a note that the next sweep settles
(harness/bench/labgrid_ledger.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from harness.bench.labgrid_client import (
    LabgridClient,
    LabgridError,
    PlaceInfo,
    ReservationInfo,
    SerialResource,
)
from harness.bench.labgrid_ledger import HeldNote, open_note, release_if_still_held, sweep

SCHEME = "labgrid://"
REPL_RESOURCE = "repl"  # the serial port a place with several names so (add-named-match)
# a pseudo-terminal has no modem lines, so the exporter's ser2net never answers
# pyserial's DTR/RTS requests: pyserial must not wait for them (tests/test_rfc2217.py)
PTY_PREFIX = "/dev/pts/"


class PlaceBusy(LabgridError):
    """Every place that fits is held by someone else, past the wait."""


def is_labgrid(port: str) -> bool:
    return port.strip().lower().startswith(SCHEME)


@dataclass(frozen=True)
class PlaceWanted:
    """What a labgrid:// value asks for: a place by name, or by tags, or both."""

    url: str
    place: str = ""
    tags: tuple[tuple[str, str], ...] = ()

    def filters(self) -> list[str]:
        """The reservation's KEY=VALUE filters."""
        named = [("name", self.place)] if self.place else []
        return ["%s=%s" % pair for pair in named + list(self.tags)]

    def fits(self, place: PlaceInfo) -> bool:
        return (not self.place or place.name == self.place) and all(
            place.tags.get(key) == value for key, value in self.tags)

    def describe(self) -> str:
        if self.place:
            return "labgrid place %s%s" % (self.place, self._tag_text(" with "))
        return "a labgrid place with tags %s" % self._tag_text("")

    def _tag_text(self, lead: str) -> str:
        return lead + " ".join("%s=%s" % pair for pair in self.tags) if self.tags else ""


def parse_labgrid_url(url: str) -> PlaceWanted:
    """labgrid://PLACE, labgrid://?KEY=VALUE[&KEY=VALUE], or both; LabgridError if neither."""
    text = url.strip()
    if not is_labgrid(text):
        raise LabgridError("%s is not a labgrid:// URL" % url)
    rest = text[len(SCHEME):]
    place, _, query = rest.partition("?")
    place = place.strip("/")
    pairs = parse_qsl(query, keep_blank_values=True)
    bad = [key for key, value in pairs if not key or not value]
    if bad or (query and not pairs) or not (place or pairs) or "/" in place:
        raise LabgridError("%s: expected labgrid://PLACE or labgrid://?KEY=VALUE[&KEY=VALUE] "
                           "(the place's tags, e.g. labgrid://?module=ec600u)" % url)
    return PlaceWanted(text, place, tuple(pairs))


@dataclass
class HeldPlace:
    """A place this process acquired, and the URL pyserial opens its module at."""

    client: LabgridClient
    name: str
    token: str
    url: str
    tags: dict[str, str]
    note: HeldNote

    def labels(self) -> tuple[str, ...]:
        """For --device-label and requires(label=...): its tags' values and KEY=VALUE."""
        return tuple(sorted({*self.tags.values(), *("%s=%s" % kv for kv in self.tags.items())}))

    def release(self) -> None:
        """Release the place and cancel its reservation; the note goes only when both
        went through (otherwise the next sweep tries again)."""
        try:
            self.client.release(self.name, holder=self.note.note.owner)
            self.client.cancel(self.token)
        except BaseException:
            self.note.abandon()
            raise
        self.note.close()


def client_factory(client: LabgridClient) -> Callable[[str], LabgridClient]:
    """A client like `client` for another coordinator (a note may name one)."""
    return lambda coordinator: LabgridClient(client.program, coordinator, client.timeout)


def hold_place(client: LabgridClient, wanted: PlaceWanted, notes: Path, wait: float,
               notify: Callable[[str], None]) -> HeldPlace:
    """Reserve and acquire a place that fits, waiting up to `wait` seconds for one another
    client holds (`notify` hears who, once); PlaceBusy past that, LabgridError else.
    Places whose holder on this PC died are released first (labgrid_ledger.sweep)."""
    for line in sweep(notes, client_factory(client)):
        notify(line)
    reservation = client.reserve(wanted.filters())
    note = open_note(notes, client.address, reservation.token, reservation.owner)
    acquiring = False
    try:
        reservation = _allocated(client, wanted, reservation, wait, notify)
        note.set_place(reservation.place)
        acquiring = True
        name = client.acquire("+" + reservation.token)
        info, resources = client.show(name)
        url = serial_url(name, resources)
    except BaseException:  # Ctrl-C too: nothing stays reserved or acquired for nobody
        _undo(client, reservation.token, note, acquiring)
        raise
    return HeldPlace(client, name, reservation.token, url, dict(info.tags), note)


def _allocated(client: LabgridClient, wanted: PlaceWanted, reservation: ReservationInfo,
               wait: float, notify: Callable[[str], None]) -> ReservationInfo:
    if reservation.state == "allocated":
        return reservation
    if reservation.state != "waiting":
        raise LabgridError("labgrid reservation %s for %s is %s" % (
            reservation.token, wanted.describe(), reservation.state or "unknown"))
    places = client.places()
    fitting = [place for place in places if wanted.fits(place)]
    if not fitting:
        raise LabgridError("no place fits %s at the coordinator %s; there: %s" % (
            wanted.url, client.address, inventory(places)))
    held = "; ".join("%s %s" % (p.name, p.holder() or "is free") for p in fitting)
    if wait <= 0:
        raise PlaceBusy("%s: %s (--device-wait=SECONDS waits for it)" % (wanted.url, held))
    notify("waiting up to %.0f s for %s: %s" % (wait, wanted.describe(), held))
    started = time.monotonic()
    allocated = client.wait_reservation(reservation.token, wait)
    if allocated is None:  # the wait, or the test's ceiling (harness/deadline.py), ran out
        raise PlaceBusy("%s: still held after %.0f s: %s"
                        % (wanted.url, time.monotonic() - started, held))
    if allocated.state != "allocated":
        raise LabgridError("labgrid reservation %s for %s is %s" % (
            reservation.token, wanted.describe(), allocated.state or "unknown"))
    return allocated


def inventory(places: Sequence[PlaceInfo]) -> str:
    """The coordinator's places and their tags, for a line saying none fits."""
    if not places:
        return "no places at all"
    return "; ".join("%s (%s)" % (p.name, " ".join("%s=%s" % kv for kv in p.tags.items())
                                  or "no tags") for p in places)


def _undo(client: LabgridClient, token: str, note: HeldNote, acquiring: bool) -> None:
    """Give back what a failed hold took (the place, once it may have been acquired; the
    reservation); what cannot be given back stays in the note."""
    try:
        if acquiring:
            release_if_still_held(client, token, note.note.owner)
        client.cancel(token)
    except LabgridError:
        note.abandon()  # the next sweep on this PC settles it
        return
    note.close()


def serial_url(place: str, resources: list[SerialResource]) -> str:
    """The pyserial URL of the place's serial port: its only one, or the one named repl."""
    if not resources:
        raise LabgridError("labgrid place %s has no serial port (NetworkSerialPort, "
                           "RawSerialPort or USBSerialPort); add-match one" % place)
    if len(resources) > 1:
        named = [r for r in resources if r.name.lower() == REPL_RESOURCE]
        if len(named) != 1:
            raise LabgridError(
                "labgrid place %s has %d serial ports (%s); name the module's REPL port "
                "%s: labgrid-client -p %s add-named-match EXPORTER/GROUP/CLASS/NAME %s"
                % (place, len(resources), ", ".join(r.name for r in resources),
                   REPL_RESOURCE, place, REPL_RESOURCE))
        resources = named
    resource = resources[0]
    if resource.proxy_required:
        raise LabgridError("labgrid place %s: its exporter serves %s only through an ssh "
                           "proxy (exporter started with --isolated); the harness connects "
                           "directly: run the exporter without --isolated" % (place,
                                                                              resource.name))
    if resource.port is None or not resource.host:
        raise LabgridError("labgrid place %s: %s has no host:port (is its exporter's ser2net "
                           "running?)" % (place, resource.name))
    scheme = "socket" if resource.protocol == "raw" else "rfc2217"
    host = "[%s]" % resource.host if ":" in resource.host else resource.host  # IPv6
    url = "%s://%s:%d" % (scheme, host, resource.port)
    if scheme == "rfc2217" and resource.path.startswith(PTY_PREFIX):
        url += "?ign_set_control"
    return url
