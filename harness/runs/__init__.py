"""Between runs: read several runs' summary.json files, compare two, draw a history.

Nothing here knows pytest, and nothing reads harness.report: a run is what its
summary.json says, checked against the one schema this package understands.

May import: nothing of harness.
"""

from .commands import compare_command, history_command
from .compare import Comparison, compare_runs, markdown_summary
from .history import History, build_history
from .load import ACCEPTED_SCHEMA, Run, RunInputError, load_inputs, load_run

__all__ = ["ACCEPTED_SCHEMA", "Comparison", "History", "Run", "RunInputError", "build_history",
           "compare_command", "compare_runs", "history_command", "load_inputs", "load_run",
           "markdown_summary"]
