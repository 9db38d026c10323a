"""qpy-ftp-hil: pytest options; the fixtures live in fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.options.table import OPTIONS

pytest_plugins = [
    "fixtures.options",  # every option parsed and checked once: BenchOptions
    "fixtures.xdist",  # before the plugins that import it; a worker that gives up sets the code
    "fixtures.pool",
    "fixtures.device",
    "fixtures.labgrid",  # labgrid:// places: held per process, handed to fixtures.device
    "fixtures.ftp_server",
    "fixtures.payloads",
    "fixtures.ftplib_choice",
    "fixtures.link",  # the network every stretched wait takes its share from
    "fixtures.scenario",
    "fixtures.reporting",
    "fixtures.junit_properties",
    "fixtures.allure",  # after junit_properties: its facts become Allure labels
    "fixtures.interrupt",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    # One row of harness/options/table.py each; parsed and checked in fixtures/options.py
    # (no type= or default= here: the row's parser gives one-line errors and its default,
    # and the ini setting, declared there, fills in what the command line leaves).
    group = parser.getgroup("qpy-ftp-hil")
    for spec in OPTIONS:
        if spec.flag:  # present: "on", parsed like any value
            group.addoption(spec.name, action="store_const", const="on", help=spec.help)
            continue
        group.addoption(spec.name, action="append" if spec.repeatable else "store",
                        metavar=spec.metavar, help=spec.help)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """On a bench, plain `pytest --device=COM5` runs the module's scenarios only.

    The harness's own tests bring their own virtual modules; they still run
    when asked for by name (`pytest tests --device=COM5`).
    """
    from fixtures.pool import is_emulated  # a plugin module: imported once pytest loaded it

    if is_emulated(config) or config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return None
    own_tests = config.rootpath / "tests"
    if collection_path == own_tests or own_tests in collection_path.parents:
        return True
    return None
