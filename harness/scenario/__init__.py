"""One scenario end to end: stage the payload, run the device step, compare checksums.

    run.py           FtpRun: what a scenario file calls (upload, download, session, keep, ...)
    checksums.py     what the host sent, the module holds and the server stored
    payload_gen.py   payloads the module makes itself from a seed (nothing crosses the link)
    payload_cache.py pushed payloads kept on the module by content, pushed once

docs/writing-scenarios.md is the recipe for a new scenario.

May import: harness.errors, harness.deadline, harness.digest, harness.wire, harness.deploy,
harness.servers.
"""
