"""Turning scenario results into what QA reads: records, HTML evidence, a chart.

Nothing here knows pytest: fixtures/reporting.py calls these helpers on the
process that ran a test (records, evidence HTML) and on the process that writes
the reports (environment rows, summary.json, the chart). One job per module (masking secrets is
harness/redact.py, shared with the wire):

    records  JSON-able scenario and transfer records, their counts, summary.json
    html     the HTML pieces and their styles (report.css)
    chart    the SVG throughput chart
    plain    the evidence as plain text (checksums, environment.properties) for Allure
    units    sizes as people name them

The names below are what fixtures/reporting.py uses.

May import: harness.errors, harness.digest, harness.redact, harness.scenario.
"""

from harness.redact import mask, mask_command_line, mask_url_credentials

from .chart import throughput_chart_svg, throughput_points
from .html import (
    REPORT_CSS,
    TABLE_HEADERS,
    details_html,
    environment_rows,
    headline_html,
    overview_html,
    params_html,
    phases_html,
    report_title,
    table_cells,
    transfer_html,
)
from .records import (
    RunFacts,
    failure_headline,
    git_revision,
    module_fields,
    module_from_property,
    outcome_counts,
    phase_totals,
    scenario_outcome,
    scenario_record,
    server_facts,
    summary_document,
    transfer_record,
)

__all__ = [
    "REPORT_CSS", "TABLE_HEADERS", "RunFacts", "details_html", "environment_rows",
    "failure_headline", "git_revision", "headline_html", "mask", "mask_command_line",
    "mask_url_credentials", "module_fields", "module_from_property", "outcome_counts",
    "overview_html", "params_html", "phase_totals", "phases_html", "report_title",
    "scenario_outcome", "scenario_record",
    "server_facts", "summary_document", "table_cells", "throughput_chart_svg",
    "throughput_points", "transfer_html", "transfer_record",
]
