"""Where the virtual module is on the network: its own address, carrier NAT, the relay.

A module on a bench is not the host: dataCall.getInfo gives the address its data call
got (moddatacall.c:253-270), its sockets connect from it and listen on it, and the
server sees it there, or, behind carrier NAT, at the carrier's address instead. The
virtual module does the same inside the host's loopback: it is ModuleConfig.ip
(127.0.0.2 by default), and every address any socket connects to stays in
127.0.0.0/8 (an address a stand-in reports outside it is stood in for by 127.0.0.2).

    own       what dataCall.getInfo says ("" without a data call)
    source    where the module's connections come from: what the server sees
    listen    where a bind of the module's own address (or of any address) lands;
              behind NAT, somewhere nobody outside connects to (as a carrier's NAT
              lets no connection in)
    loopback  where a bind of any other address lands (127.0.0.1 on the module is the
              module's own loopback, never the server's host)
    relay     the carrier relay (carrier.py) the module's TCP goes through when it is
              behind NAT or a link profile, else None: sockets go straight out

Linux and Windows route all of 127.0.0.0/8 to the loopback. Where only 127.0.0.1 is
there (macOS, until `sudo ifconfig lo0 alias 127.0.0.2 up`), fit_to_host() falls
back to the host's own address, as before this plan, and says so in one line.
The plan is engine-neutral data: both engines' usocket read it (cpython_fw/net_path.py,
mpy/fw_netpath.py).
"""

from __future__ import annotations

import socket
from dataclasses import asdict, dataclass, replace
from typing import Any

from .config import OWN_ADDRESS, ModuleConfig

HOST = "127.0.0.1"  # the host: the server's side of the loopback
NAT_ADDRESS = "127.0.0.3"  # the carrier's address: where a module behind NAT appears
MODULE_LOOPBACK = "127.0.0.4"  # the module's own loopback, seen from the host
ANY = ("", "0.0.0.0")


@dataclass(frozen=True)
class NetworkPlan:
    own: str
    source: str
    listen: str
    loopback: str = MODULE_LOOPBACK
    relay: tuple[str, int] | None = None
    nat: bool = False

    def host_for_bind(self, host: str) -> str:
        """The host address a module socket bound to `host` really takes."""
        return self.listen if host in ANY or host == self.own else self.loopback

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["relay"] = list(self.relay) if self.relay else None
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkPlan:
        relay = data.get("relay")
        return cls(**{**data, "relay": (relay[0], int(relay[1])) if relay else None})


def in_loopback(address: str) -> bool:
    return address.startswith("127.")


def needs_relay(config: ModuleConfig) -> bool:
    """NAT and a link profile are the carrier's doing: both go through the relay."""
    return config.nat or config.link != "none"


def plan_for(config: ModuleConfig, relay: tuple[str, int] | None = None) -> NetworkPlan:
    if not config.ip:  # no data call: the sockets are the host's, as they always were
        return NetworkPlan("", HOST, HOST, HOST, relay, config.nat)
    inside = config.ip if in_loopback(config.ip) else OWN_ADDRESS
    if config.nat:
        return NetworkPlan(config.ip, NAT_ADDRESS, MODULE_LOOPBACK, MODULE_LOOPBACK, relay,
                           True)
    loopback = HOST if inside == HOST else MODULE_LOOPBACK
    return NetworkPlan(config.ip, inside, inside, loopback, relay, False)


def _bindable(address: str) -> bool:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((address, 0))
        return True
    except OSError:
        return False
    finally:
        probe.close()


class AddressUnavailable(ValueError):
    """The virtual module needs an address this host's loopback does not have."""


def fit_to_host(config: ModuleConfig) -> tuple[ModuleConfig, str]:
    """`config` with addresses this host has, and a line saying what fell back ('' if
    nothing did). AddressUnavailable (one line) where nothing can stand in: NAT needs
    the carrier's address."""
    plan = plan_for(config)
    missing = [a for a in (plan.source, plan.listen, plan.loopback) if not _bindable(a)]
    if not missing:
        return config, ""
    alias = "sudo ifconfig lo0 alias %s up" % missing[0]
    if config.nat:
        raise AddressUnavailable(
            "--emulator-nat needs %s on this host's loopback, which has only 127.0.0.1 "
            "(macOS: `%s`)" % (", ".join(missing), alias))
    return replace(config, ip=HOST), (
        "this host's loopback has no %s: the virtual module shares the host's 127.0.0.1, "
        "so an ftplib that advertises 127.0.0.1 passes here (macOS: `%s`)" % (missing[0], alias))
