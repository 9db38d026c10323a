"""A virtual module for one process: started, and named in the pool.

With --device=emulated every process (each xdist worker) starts a virtual
QuecPython module of its own (harness/emulator) and claims it like a real one.
What it will report, for the start-up check, is known without starting one
(health.virtual_health).
"""

from __future__ import annotations

from harness.bench.spec import EMULATED, ONLY_PROCESS, ModuleSpec
from harness.emulator import ModuleConfig, VirtualModule


def start_virtual(config: ModuleConfig, worker: str) -> tuple[VirtualModule, ModuleSpec]:
    """A virtual module of that configuration, running, and the spec naming it:
    `emulated` in a run of one process, `emulated-gw1` for xdist worker gw1.
    EmulatorStartError or HarnessError when it cannot start."""
    virtual = VirtualModule(config).start()
    name = EMULATED if worker == ONLY_PROCESS else "%s-%s" % (EMULATED, worker)
    return virtual, ModuleSpec(name, virtual.port, virtual.config.model, (EMULATED,))
