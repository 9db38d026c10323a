"""qpy-ftp-hil: host-side library of the FTP hardware-in-the-loop harness.

Nothing in this package imports pytest: fixtures/ adapts it to pytest. It is cut
into wings, one folder each; each wing's docstring says what lives there and, on
its "May import:" line, which other parts of harness/ it may import
(tests/test_import_graph.py holds the code to those lines):

    ports/        the bench PC's serial ports, their stable names, the RFC 2217 exporter
    wire/         one module over its port: raw REPL, Device, serial log, result lines
    micropython/  the MicroPython 1.13 gate and mpy-cross
    deploy/       putting the device scripts and an ftplib on the module
    scenario/     one scenario end to end: FtpRun, payloads, the three checksums
    servers/      every FTP server kind behind one contract
    bench/        which module each worker holds: the pool, locks, health checks
    emulator/     the virtual QuecPython module
    report/       records, HTML evidence and the chart for QA
    runs/         between runs: compare and history
    options/      parsing what a user gives the harness

What every wing shares stays at the top: errors.py (the harness's own errors),
deadline.py (every wait ends before pytest-timeout's ceiling), digest.py (a file's
sha256 and size), redact.py (secrets never shown), link_profiles.py (the cellular
links a virtual module can sit behind, each figure sourced), link_budget.py (how much
the network stretches each wait), and the CLI entry (cli.py, __main__.py), which may
import any wing.
"""

__version__ = "0.1.0"
