"""Markdown tables and number formatting for the report."""

from __future__ import annotations

from collections.abc import Sequence


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    if not rows:
        return "_No data: this part did not run._"
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)


def number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def image(plots: dict[str, list[str]], key: str, alt: str) -> str:
    return "\n".join(f"![{alt}]({path})" for path in plots.get(key, []))
