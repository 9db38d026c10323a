"""One scenario end to end: stage the payload, run the device step, compare checksums.

    run.py           FtpRun: what a scenario file calls (upload, download, session, keep, ...)
    ops.py           the operations a session runs on the module, one helper each
    outcomes.py      what a step reported: OpResult, Session, Transfer
    checksums.py     what the host sent, the module holds and the server stored; Expected
                     says what a place must hold (whole, from an offset, appended, text)
    staging.py       payloads made on the module, or copied from its cache
    payload_gen.py   payloads the module makes itself from a seed (nothing crosses the link)
    payload_cache.py pushed payloads kept on the module by content, pushed once
    phases.py        where a scenario's time goes (staging, transfer, checks)
    cleanup.py       what a scenario created, and its removal

A scenario file imports from here: `from harness.scenario import FtpRun, ops, ...`.
docs/writing-scenarios.md is the recipe for a new scenario.

May import: harness.errors, harness.deadline, harness.digest, harness.link_budget,
harness.wire, harness.deploy, harness.servers.
"""

from harness.scenario import ops
from harness.scenario.checksums import TEXT_RULE, Checksums, Expected, digest_of, to_lf
from harness.scenario.outcomes import OpResult, Session, Transfer
from harness.scenario.run import FtpRun

__all__ = ["TEXT_RULE", "Checksums", "Expected", "FtpRun", "OpResult", "Session", "Transfer",
           "digest_of", "ops", "to_lf"]
