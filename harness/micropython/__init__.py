"""The MicroPython 1.13 language the module speaks, as the host checks and compiles for it.

    gate.py       the 1.13 profile: what the firmware's compiler refuses (f-strings, ...) and
                  which names it lacks; `python -m harness.micropython.gate FILE` lists them
    mpy_cross.py  .mpy for the version a module loads (v5 for QuecPython 1.13, v6 newer):
                  every mpy-cross run, the gate's compile check among them (compile_v5)

May import: harness.errors.
"""
