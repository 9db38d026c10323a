"""The firmware surface table (firmware_surface.py) made real on the CPython engine.

Device code running in the emulator's CPython sees exactly the names the table gives
BUILD, with its argument counts, and fails as MicroPython 1.13 fails:

    sock.getsockname()  -> AttributeError: 'socket' object has no attribute 'getsockname'
    uos.sep             -> AttributeError: 'module' object has no attribute 'sep'
    sock.listen()       -> TypeError: function takes 2 positional arguments but 1 were given

The wording is MicroPython 1.13's (MICROPY_ERROR_REPORTING_NORMAL): py/runtime.c
mp_load_method for attributes, py/argcheck.c mp_arg_check_num for C functions (self counts
as an argument), py/bc.c for frozen Python functions.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from . import firmware_surface as fs


class FirmwareModule(types.ModuleType):
    """A firmware module: a missing name fails with MicroPython's wording."""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError("'module' object has no attribute '%s'" % name)


class FirmwareType(type):
    """Metaclass of firmware types: MicroPython's wording on the class itself."""

    _no_ctor = False

    def __getattr__(cls, name: str) -> Any:
        raise AttributeError("type object '%s' has no attribute '%s'" % (cls.__name__, name))

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls._no_ctor:  # a type without make_new (misc.Power, misc_power.c:88-92)
            raise TypeError("cannot create '%s' instances" % cls.__name__)
        return super().__call__(*args, **kwargs)


class FirmwareObject(metaclass=FirmwareType):
    """Base of instances: a missing attribute fails with MicroPython's wording."""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, name))


def arity_message(lo: int, hi: int | None, given: int, python: bool) -> str:
    """MicroPython 1.13's TypeError text for `given` positional arguments."""
    if python:  # py/bc.c: too many, or too few, for a Python function
        if hi is not None and given > hi:
            return "function takes %d positional arguments but %d were given" % (hi, given)
        return "function missing %d required positional arguments" % (lo - given)
    if lo == hi:  # py/argcheck.c, a fixed count
        return "function takes %d positional arguments but %d were given" % (lo, given)
    if given < lo:
        return "function missing %d required positional arguments" % (lo - given)
    return "function expected at most %d arguments, got %d" % (hi if hi is not None else -1,
                                                                given)


def check_args(entry: fs.Entry, args: tuple, kwargs: dict, python: bool,
               self_counts: bool) -> None:
    """Raise MicroPython's TypeError if the call does not fit the entry's counts."""
    lo, hi = fs.arg_range(entry)
    shift = 1 if self_counts else 0  # C methods and Python methods count self
    if kwargs and not entry.keywords:
        raise TypeError("function doesn't take keyword arguments")
    n = len(args)
    if n < lo or (hi is not None and n > hi):
        raise TypeError(arity_message(lo + shift, None if hi is None else hi + shift,
                                      n + shift, python))


def checked_function(func: Callable[..., Any], entry: fs.Entry,
                     python: bool = False) -> Callable[..., Any]:
    """A module-level function that refuses calls the firmware refuses."""

    def call(*args: Any, **kwargs: Any) -> Any:
        check_args(entry, args, kwargs, python, self_counts=False)
        return func(*args, **kwargs)

    call.__name__ = call.__qualname__ = entry_name(func)
    return call


def entry_name(func: Callable[..., Any]) -> str:
    return getattr(func, "__name__", "function")


def stub(value: Any = 0) -> Callable[..., Any]:
    """A hardware-only function (ADC, PWM, USB, ...): accepts its arguments, answers value."""
    return lambda *args, **kwargs: value


def firmware_type(module: str, type_name: str, python: bool = False) -> Callable[[type], type]:
    """Class decorator: the class offers exactly the table's members of module.type_name.

    Each method is wrapped to check its argument count; a member the class lacks, or a
    public one the table lacks, is a programming error found when the module is built.
    """
    members = fs.offered_members(module, type_name)

    def decorate(cls: type) -> type:
        public = {n for n in vars(cls) if not n.startswith("_")}
        wanted = {n for n in members if not n.startswith("_")}
        if public != wanted:
            raise RuntimeError("%s.%s differs from the firmware table: extra %s, missing %s"
                               % (module, type_name, sorted(public - wanted),
                                  sorted(wanted - public)))
        for name, entry in members.items():
            impl = vars(cls).get(name)
            if entry.kind == "method" and callable(impl):
                setattr(cls, name, _checked_method(impl, entry, python))
            elif entry.kind in ("function", "staticmethod") and callable(impl):
                setattr(cls, name, staticmethod(checked_function(
                    impl.__func__ if isinstance(impl, staticmethod) else impl, entry, python)))
        cls.__name__ = cls.__qualname__ = type_name
        return cls

    return decorate


def _checked_method(func: Callable[..., Any], entry: fs.Entry,
                    python: bool) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        check_args(entry, args, kwargs, python, self_counts=True)
        return func(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = func.__name__
    return method


def stub_type(module: str, type_name: str, value: Any = 0) -> type:
    """A hardware-only type (misc.ADC, misc.PWM, ...): every member a stub answering value."""
    surface = fs.SURFACE[module].classes[type_name]
    body: dict[str, Any] = {}
    for name, entry in fs.offered_members(module, type_name).items():
        if entry.kind == "method":
            body[name] = lambda self, *args, **kwargs: value
        elif entry.kind in fs.CALLABLE_KINDS:
            body[name] = staticmethod(stub(value))
        else:
            body[name] = value
    ctor = surface.ctor
    if ctor is not None:
        lo, hi = ctor

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if len(args) < lo or (hi is not None and len(args) > hi):
                raise TypeError(arity_message(lo, hi, len(args), False))

        body["__init__"] = __init__
    cls = FirmwareType(type_name, (FirmwareObject,), body)
    cls._no_ctor = ctor is None
    return firmware_type(module, type_name)(cls)


def build_module(name: str, impls: dict[str, Any], python: bool = False) -> FirmwareModule:
    """The firmware module `name`: exactly the table's names for BUILD.

    impls gives the CPython implementation of each function, each constant's value, each
    class and each imported module; a function it leaves out is a stub answering 0.
    """
    offered = fs.offered(name)
    extra = set(impls) - set(offered)
    if extra:
        raise RuntimeError("%s: %s not in the firmware table" % (name, sorted(extra)))
    mod = FirmwareModule(name)
    for attr, entry in offered.items():
        if entry.kind in fs.CALLABLE_KINDS:
            func = impls.get(attr, stub(0))
            wrapped = checked_function(func, entry, python)
            wrapped.__name__ = attr
            setattr(mod, attr, wrapped)
        elif attr in impls:
            setattr(mod, attr, impls[attr])
        elif entry.kind == "class" and attr in fs.SURFACE[name].classes:
            setattr(mod, attr, stub_type(name, attr))
        elif entry.kind == "module" and attr in fs.SURFACE[name].classes:
            setattr(mod, attr, stub_module(name, attr))
        elif attr.startswith("__"):
            continue  # __name__ and the like: the module object has its own
        else:
            raise RuntimeError("%s.%s: the firmware table has it, the emulator gives no "
                               "value" % (name, attr))
    return mod


def stub_module(module: str, object_name: str) -> FirmwareModule:
    """A module object inside a module (misc.USBNET): stubs from the table's members."""
    mod = FirmwareModule(object_name)
    for attr, entry in fs.offered_members(module, object_name).items():
        if entry.kind in fs.CALLABLE_KINDS:
            setattr(mod, attr, checked_function(stub(0), entry))
        else:
            setattr(mod, attr, 0)
    return mod
