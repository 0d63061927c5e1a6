"""The side-by-side report of a comparison: terminal table, Markdown or JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.table import Table
from rich.text import Text

from clients.comparison import Outcome, StepReport
from clients.render import Output, plain_table
from clients.scenarios import Removal

HEADERS = (
    "step",
    "REST HTTP",
    "REST problem code",
    "SOAP HTTP",
    "SOAP fault code",
    "REST bytes req/resp",
    "SOAP bytes req/resp",
    "REST ms",
    "SOAP ms",
    "agree",
)


@dataclass
class RunReport:
    """The steps of one scenario, or of one operation, and its clean-up."""

    name: str
    description: str
    steps: list[StepReport] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)
    #: Why the run stopped before its last step, if it did.
    error: str | None = None

    @property
    def agree(self) -> bool:
        return self.error is None and all(step.agree for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "agree": self.agree,
            "error": self.error,
            "steps": [step.to_json() for step in self.steps],
            "containers": [removal.to_json() for removal in self.removals],
        }


def _status(outcome: Outcome) -> str:
    return "-" if outcome.http_status is None else str(outcome.http_status)


def _bytes(outcome: Outcome) -> str:
    return f"{outcome.request_bytes}/{outcome.response_bytes}"


def _agree_text(step: StepReport) -> str:
    return "yes" if step.agree else f"NO: {step.reason}"


def step_row(step: StepReport) -> list[str]:
    rest, soap = step.rest, step.soap
    return [
        step.label,
        _status(rest),
        rest.code or "-",
        _status(soap),
        soap.fault_code or "-",
        _bytes(rest),
        _bytes(soap),
        f"{rest.seconds * 1000:.1f}",
        f"{soap.seconds * 1000:.1f}",
        _agree_text(step),
    ]


def summary(report: RunReport) -> str:
    agreeing = sum(step.agree for step in report.steps)
    text = f"{report.name}: {agreeing} of {len(report.steps)} steps agree"
    if report.error:
        text += f"; stopped early: {report.error}"
    unexpected = [step for step in report.steps if step.as_expected is False]
    for step in unexpected:
        codes = f"{step.rest.code or 'ok'}/{step.soap.code or 'ok'}"
        text += f"; {step.label} ended {codes}, expected {step.expect}"
    if report.removals:
        counts: dict[str, int] = {}
        for removal in report.removals:
            counts[removal.status] = counts.get(removal.status, 0) + 1
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        text += f"; containers at clean-up: {parts}"
    return text


def render_text(out: Output, reports: list[RunReport]) -> None:
    for report in reports:
        title = f"{report.name}: {report.description}"
        rows = [step_row(step) for step in report.steps]
        if out.rich:
            out.console.print(rich_table(title, rows))
        else:
            out.write(title)
            out.write(plain_table(HEADERS, rows))
        out.write(summary(report))
        for removal in report.removals:
            if removal.status == "failed":
                out.write(f"  not removed: {removal.name}: {removal.message}")
        out.write("")


def rich_table(title: str, rows: list[list[str]]) -> Table:
    table = Table(title=title, header_style="bold", title_justify="left")
    for header in HEADERS:
        numeric = header.endswith(("ms", "HTTP", "req/resp"))
        table.add_column(header, justify="right" if numeric else "left")
    for row in rows:
        style = "green" if row[-1] == "yes" else "bold red"
        cells = [Text(cell) for cell in row[:-1]] + [Text(row[-1], style=style)]
        table.add_row(*cells)
    return table


def markdown_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(out: Output, reports: list[RunReport]) -> None:
    for report in reports:
        out.write(f"### {markdown_cell(report.name)}: {report.description}")
        out.write("")
        out.write("| " + " | ".join(HEADERS) + " |")
        aligns = [
            "---:" if h.endswith(("ms", "HTTP", "resp")) else "---" for h in HEADERS
        ]
        out.write("| " + " | ".join(aligns) + " |")
        for step in report.steps:
            cells = [markdown_cell(cell) for cell in step_row(step)]
            out.write("| " + " | ".join(cells) + " |")
        out.write("")
        out.write(markdown_cell(summary(report)))
        out.write("")


def report_json(url: str, reports: list[RunReport]) -> dict[str, Any]:
    return {
        "url": url,
        "agree": all(report.agree for report in reports),
        "runs": [report.to_json() for report in reports],
    }
