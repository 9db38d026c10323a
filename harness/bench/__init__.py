"""The bench's modules: which module each pytest-xdist worker holds, and how it is checked.

    pool.py          the pool from --device / --devices-file, selection, health, claiming
    devices_file.py  the devices file's text (UTF-8, UTF-8 with BOM, UTF-16)
    lock_owner.py    who holds a module's lock (pid, program, user, host, since when)
    labgrid_client.py  labgrid-client run as a program (labgrid's own environment), its output read
    labgrid_place.py   a labgrid:// place reserved, acquired and opened as rfc2217://, then released
    labgrid_ledger.py  the reservations this PC holds, so a dead holder's place is released

May import: harness.errors, harness.deadline, harness.ports, harness.wire, harness.deploy,
harness.emulator.
"""
