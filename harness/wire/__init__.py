"""One module, over its serial port: the raw REPL and everything that crosses it.

    port_guard.py  every pyserial call guarded: a vanished port is DeviceDisconnected
    serial_log.py  every byte to and from the module, timestamped, spilled to disk per test
    repl.py        raw REPL and raw-paste over pyserial (RawRepl)
    device.py      Device: run code, read values, push and hash files, run one device step
    power.py       --reset-command, for a module neither Ctrl-C nor Ctrl-D brings back
    probe.py       `python -m harness ports --probe`: which port answers a raw REPL
    progress.py    the one progress line of a long push
    layout.py      where the harness keeps its files on the module, and its line prefixes
    snippets.py    every MicroPython snippet the host sends (checked by the 1.13 gate)
    results.py     the result-line contract: one `HIL-RESULT {...}` line per device step

May import: harness.errors, harness.redact, harness.ports.
"""
