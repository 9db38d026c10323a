"""The module one process holds for its session: take it, bring it back, let it go.

take_module puts the bench together for one process (an xdist worker, or the
only one): start a virtual module if asked (virtual.py), claim a module
(claim.py), sync the device scripts onto it, identify it. The HeldModule it
returns brings a module lost in an earlier test back (bring_back) and lets it
go at the end of the session (release).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.bench.claim import Claim, claim_module
from harness.bench.health import Health, Opener
from harness.bench.selection import Selection
from harness.bench.spec import ONLY_PROCESS, ModuleSpec
from harness.bench.virtual import start_virtual
from harness.deploy.scripts import deploy
from harness.emulator import (
    EmulatorStartError,
    ModuleConfig,
    VirtualModule,
    engine_fact,
    network_fact,
)
from harness.errors import HarnessError


class NoModule(HarnessError):
    """This process cannot get a module; the message says why (one line, or a short list)."""


@dataclass
class HeldModule:
    """The module a process holds for its session, and the virtual module behind it, if any."""

    claim: Claim
    virtual: VirtualModule | None = None
    scripts: str = ""  # the form the device scripts took on it, and why (harness/deploy/scripts.py)

    @property
    def emulated(self) -> bool:
        return self.virtual is not None

    @property
    def engine(self) -> str:
        """Who runs the device code on a virtual module (the report's "Engine"); '' if real."""
        return engine_fact(self.virtual.config) if self.virtual is not None else ""

    @property
    def network(self) -> str:
        """A virtual module's address, NAT and link (the report's "Network"); '' if real."""
        if self.virtual is None:
            return ""
        return network_fact(self.virtual.config, self.virtual.network_note)

    def bring_back(self, timeout: float) -> None:
        """Reconnect a module lost in an earlier test (unplugged, powered down);
        HarnessError if it does not come back within `timeout` seconds."""
        if self.claim.device.lost:
            self.claim.device.reconnect(timeout=timeout)

    def release(self) -> None:
        _release(self.claim, self.virtual)


def take_module(specs: Sequence[ModuleSpec], opener: Opener, selection: Selection, *,
                scripts: Path, worker: str = ONLY_PROCESS, start: int = 0, wait: float = 0.0,
                lock_dir: Path | None = None,
                emulator: ModuleConfig | None = None) -> tuple[HeldModule, list[Health]]:
    """The module this process holds: locked, in raw REPL, `scripts` synced, identified.

    With `emulator` a virtual module of that configuration is started and claimed
    instead of `specs`. `worker` names the process in names and messages; `start`
    is where it begins looking in `specs` (gw1 at the second module: workers rarely
    collide). Returns the module and what went wrong on the way; NoModule says in
    one line (naming the port and what to check) why there is none.
    """
    virtual: VirtualModule | None = None
    if emulator is not None:
        try:
            virtual, spec = start_virtual(emulator, worker)
        except (EmulatorStartError, HarnessError) as exc:
            raise NoModule(str(exc)) from None
        specs = [spec]
    claim, problems = claim_module(specs, opener, selection, start=start, wait=wait,
                                   lock_dir=lock_dir)
    if claim is None:
        _release(None, virtual)
        raise NoModule("%s found no free module that fits:\n  %s"
                       % (worker, "\n  ".join(h.event() for h in problems)))
    try:
        deployed = deploy(claim.device, scripts)
        claim.info = claim.device.info()  # /usr free after the scripts landed
    except HarnessError as exc:
        _release(claim, virtual)
        raise NoModule("%s: %s" % (claim.spec.describe(), exc)) from None
    return HeldModule(claim, virtual, deployed.note), problems


def _release(claim: Claim | None, virtual: VirtualModule | None) -> None:
    try:
        if claim is not None:
            claim.release()
    finally:
        if virtual is not None:
            virtual.stop()
