"""The bench PC's serial ports: which there are, what stays their name, who may share them.

    listing.py         the ports the OS lists (USB vendor 0x2C7C marks a Quectel module)
    names.py           stable names (`usb:SERIAL:IF`, `hwgrep://`) resolved to today's port
    key.py             one key per port, whatever it is called (COM5 is com5)
    exporter.py        `python -m harness export`: a port served over RFC 2217
    export_refusal.py  the line an exporter sends a second client ("busy")

Nothing here talks to a module (harness/wire/probe.py does, for `ports --probe`).

May import: harness.errors.
"""
