"""The values a user gives the harness: the options, one row each, and one parser per
kind of value, with one-line errors.

    values.py   parse_duration, parse_size, parse_server_url, ...: OptionError names the
                option, the value and what is accepted
    table.py    every qpy-ftp-hil option, one row each: name, help, parser, default, ini
                setting, README row (pytest's declaration and parse loop over it)

May import: harness.errors, harness.servers, harness.emulator, harness.link_profiles.
"""
