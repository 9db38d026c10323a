"""The bench's modules: which module each pytest-xdist worker holds, and how it is checked.

From a --device value to a module held for the session, one job per module:

    spec.py          ModuleSpec: one module as the run knows it before talking to it
    resolve.py       a --device value into the port it stands for now (usb:, hwgrep://)
    devices_file.py  the devices file: its text (UTF-8, BOM, UTF-16) and INI sections
    pool.py          the modules a run may use (--device, --devices-file), worker count
    selection.py     --device-label / --device-firmware, and a test's requires(...)
    locks.py         ModuleLock: a lock file per port, pyserial's exclusive lock
    lock_owner.py    who holds a module's lock (pid, program, user, host, since when)
    health.py        whether a module may serve: the start-up check of the pool
    claim.py         claiming the first free, fit module: locked, open, identified
    virtual.py       starting a virtual module for one process
    held.py          the module a process holds: take_module, bring_back, release
    labgrid_client.py  labgrid-client run as a program (labgrid's own environment), its output read
    labgrid_place.py   a labgrid:// place reserved, acquired and opened as rfc2217://, then released
    labgrid_ledger.py  the reservations this PC holds, so a dead holder's place is released

May import: harness.errors, harness.deadline, harness.ports, harness.wire, harness.deploy,
harness.emulator.
"""
