"""Terminal output: rich tables on a terminal, plain aligned text elsewhere."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

CONTAINER_FIELDS = (
    "container_id",
    "name",
    "image",
    "command",
    "state",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "exit_code",
    "labels",
    "limits",
)
LIST_COLUMNS = ("short_id", "name", "image", "state", "status", "created_at")
# A spinner appears only for calls that take longer than this, in seconds.
SPINNER_DELAY = 1.0


def text_value(value: Any) -> str:
    """Return *value* as one line of text, for tables and key/value views."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        pairs = [f"{k}={text_value(v)}" for k, v in value.items() if v is not None]
        return ", ".join(pairs) or "-"
    if isinstance(value, list):
        return ", ".join(text_value(item) for item in value) or "-"
    return str(value)


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return rows as columns padded with spaces, like ``docker ps`` prints."""
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [
            max(width, len(cell)) for width, cell in zip(widths, row, strict=True)
        ]
    lines = []
    for line in [list(headers), *rows]:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


class Output:
    """Destinations of a command's result, errors and progress.

    Results go to stdout, styled with rich only when stdout is a terminal.
    Errors, wire dumps and progress go to stderr, so ``--json`` output stays
    parseable. Nothing that came from the gateway is read as rich markup.
    """

    def __init__(
        self, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.rich = self.stdout.isatty()
        self.console = Console(file=self.stdout, highlight=False)
        self.error_console = Console(file=self.stderr, highlight=False)
        self.interactive = self.stderr.isatty()

    def write(self, text: str) -> None:
        self.stdout.write(text + "\n")

    def json(self, data: Any) -> None:
        self.write(json.dumps(data, indent=2, ensure_ascii=False))

    def error(self, message: str) -> None:
        if self.interactive:
            line = Text("error: ", style="bold red") + Text(message)
            self.error_console.print(line, soft_wrap=True)
        else:
            self.stderr.write(f"error: {message}\n")

    def note(self, message: str) -> None:
        if self.interactive:
            # Through the console, so a running progress display stays intact.
            self.error_console.print(Text(message), soft_wrap=True)
        else:
            self.stderr.write(message + "\n")

    def table(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], title: str = ""
    ) -> None:
        if not self.rich:
            if title:
                self.write(title)
            self.write(plain_table(headers, rows))
            return
        table = Table(title=title or None, header_style="bold")
        for header in headers:
            table.add_column(header)
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        self.console.print(table)

    def key_values(self, pairs: Sequence[tuple[str, str]]) -> None:
        if not self.rich:
            width = max((len(key) for key, _ in pairs), default=0)
            for key, value in pairs:
                self.write(f"{key + ':':<{width + 1}} {value}")
            return
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan")
        table.add_column()
        for key, value in pairs:
            table.add_row(key, Text(value))
        self.console.print(table)

    @contextmanager
    def spinner(self, message: str, delay: float = SPINNER_DELAY) -> Iterator[None]:
        """Show *message* with a spinner on stderr if the block runs long.

        The spinner starts after *delay* seconds, so fast calls print nothing,
        and only when stderr is a terminal.
        """
        if not self.interactive:
            yield
            return
        status = self.error_console.status(Text(message))
        lock = threading.Lock()
        started = False

        def show() -> None:
            nonlocal started
            with lock:
                status.start()
                started = True

        timer = threading.Timer(delay, show)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            with lock:
                if started:
                    status.stop()


def container_pairs(container: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, text_value(container.get(key))) for key in CONTAINER_FIELDS]


def render_container(out: Output, container: dict[str, Any]) -> None:
    out.key_values(container_pairs(container))


def render_action(out: Output, result: dict[str, Any]) -> None:
    changed = ("changed", text_value(result.get("changed")))
    out.key_values([changed, *container_pairs(result.get("container") or {})])


def render_list(out: Output, result: dict[str, Any]) -> None:
    items = result.get("containers") or []
    rows = [[text_value(item.get(key)) for key in LIST_COLUMNS] for item in items]
    headers = [key.replace("_", " ").upper() for key in LIST_COLUMNS]
    out.table(headers, rows)


def render_logs(out: Output, result: dict[str, Any]) -> None:
    # The gateway already escapes control characters, so lines are printed
    # as they are, without rich, and never read as markup.
    for line in result.get("lines") or []:
        out.write(line)
    if result.get("truncated"):
        size = result.get("size_bytes")
        out.note(f"note: the gateway truncated the output at {size} bytes")


def render_removed(out: Output, result: dict[str, Any]) -> None:
    pairs = [(key, text_value(value)) for key, value in result.items()]
    out.key_values(pairs)
