"""qpy-ftp-hil: host-side library of the FTP hardware-in-the-loop harness.

Nothing in this package imports pytest: fixtures/ adapts it to pytest.
"""

__version__ = "0.1.0"
