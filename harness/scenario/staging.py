"""Putting a payload where a transfer starts: made on the module, copied from its cache.

A GeneratedPayload is made on the module from its seed by device_scripts/hil_gen.py
(nothing but the seed crosses the serial link); other bytes are pushed once per
content into the module's cache (payload_cache.py) and copied from there.
"""

from __future__ import annotations

import errno

from harness.errors import HarnessError
from harness.scenario.payload_gen import GeneratedPayload
from harness.wire import snippets
from harness.wire.device import Device
from harness.wire.layout import GEN_MODULE

# where a payload came from, as the report names it
PUSHED = "pushed over the link"
PUSH_REUSED = "pushed over the link before: reused from the module's cache"
ON_SERVER = "placed on the server"
COPY_TIMEOUT = 120.0  # seconds to copy a cached payload within the module's flash


def generate(device: Device, payload: GeneratedPayload, path: str, timeout: float) -> None:
    """Make `payload` at `path` on the module from its seed; OSError(ENOSPC) with the
    free space where it does not fit, HarnessError where the module made other bytes."""
    result = device.run_step(GEN_MODULE, "gen", dict(path=path, **payload.gen_args()),
                             timeout=timeout)
    device.exec(snippets.STEP_FORGET.fill(GEN_MODULE, GEN_MODULE))  # its heap back
    if result.get("errno") == errno.ENOSPC:
        raise OSError(errno.ENOSPC, "no room on the module for a %d-byte payload: %s bytes "
                      "free on its /usr; use a smaller --payload-sizes or free /usr"
                      % (len(payload), result.get("free")))
    if not result.ok:
        raise HarnessError("the module could not generate a payload at %s: %s"
                           % (path, result.summary()))
    if (result.get("sha256"), result.get("bytes")) != (payload.digest.sha256, len(payload)):
        raise HarnessError(
            "the module generated %s (%s bytes) from seed %s, the host %s (%d bytes): "
            "device_scripts/hil_gen.py and harness/scenario/payload_gen.py disagree"
            % (result.get("sha256"), result.get("bytes"), payload.seed,
               payload.digest.sha256, len(payload)))


def copy_on_module(device: Device, source: str, target: str) -> None:
    """Copy a file within the module's flash, in small blocks."""
    device.exec(snippets.COPY_FILE.fill(source, target), timeout=COPY_TIMEOUT)
