# Exceptions as the module prints them: MicroPython's own text, without the runner's
# frames (on the firmware those names are C code, which has no frames).
import io
import sys

RUNNER_DIR = __file__.rsplit("/", 1)[0]


def format(exc):
    buf = io.StringIO()
    sys.print_exception(exc, buf)
    lines = buf.getvalue().split("\n")
    keep = [line for line in lines if not line.startswith('  File "' + RUNNER_DIR)]
    return "\n".join(keep)
