"""The values a user gives the harness: one parser per kind of value, with one-line errors.

    values.py   parse_duration, parse_size, parse_server_url, ...: OptionError names the
                option, the value and what is accepted

May import: harness.errors, harness.servers, harness.emulator.
"""
