# usys as the module offers it: binary stdin (usys.stdin.buffer) comes over the REPL
# link (DESIGN.md "The module"); implementation says 1.13, the firmware's core.
import sys

import fw_link
import runner_errors


class _Impl:
    name = "micropython"
    version = (1, 13, 0)
    mpy = 5


class _Buffer:
    def read(self, size=1):
        return fw_link.read_stdin(size)

    def readinto(self, buf):
        data = fw_link.read_stdin(len(buf))
        buf[:len(data)] = data
        return len(data)


class _Stdin:
    def __init__(self, binary):
        self._raw = _Buffer()
        if binary:
            self.buffer = self._raw

    def read(self, size=1):
        return self._raw.read(size).decode()

    def readline(self):
        line = b""
        while not line.endswith(b"\n") and not line.endswith(b"\r"):
            line += self._raw.read(1)
        return line.decode()


class _Stdout:
    def write(self, text):
        fw_link.out(text)
        return len(text)


path = sys.path
modules = sys.modules
argv = []
byteorder = "little"
maxsize = 2 ** 31 - 1
implementation = _Impl()
platform = fw_link.CONFIG["model"]
version = "3.4.0"
stdin = _Stdin(fw_link.CONFIG["binary_stdin"])
stdout = _Stdout()
stderr = stdout
exit = sys.exit


def print_exception(exc, file=None):
    (file or stdout).write(runner_errors.format(exc))
