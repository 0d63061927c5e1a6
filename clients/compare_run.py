"""Running comparisons: progress display, interrupts and clean-up."""

from __future__ import annotations

import argparse
import logging
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from rich.progress import Progress, SpinnerColumn, TextColumn

from clients.common import ApiError, ContainerClient
from clients.compare_report import RunReport
from clients.comparison import Step, StepReport, compare_step
from clients.render import Output
from clients.rest_client import RestClient
from clients.scenarios import SCENARIOS, Context, Removal, Scenario, remove_all
from clients.wire import format_exchange

logger = logging.getLogger(__name__)

ClientPair = tuple[ContainerClient, ContainerClient]
ClientsFactory = Callable[[argparse.Namespace, str], ClientPair]


class InterruptGate:
    """Turns SIGINT and SIGTERM into a request to stop between two steps.

    A request that is cut off mid-way may still complete on the gateway: a
    create interrupted that way would make a container after the clean-up
    looked for it. So the first signal lets the current step finish, and
    :meth:`check` raises KeyboardInterrupt before the next one. A second
    signal raises at once, at that risk.
    """

    def __init__(self, out: Output) -> None:
        self.out = out
        self.received: int | None = None
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> InterruptGate:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:
            raise KeyboardInterrupt(f"signal {signum}")
        self.received = signum
        self.out.note(
            "interrupted: finishing the current step, then removing the "
            "scenario's containers; interrupt again to stop at once"
        )

    def check(self) -> None:
        if self.received is not None:
            raise KeyboardInterrupt(f"signal {self.received}")


@contextmanager
def deferred_interrupts(out: Output) -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then raise KeyboardInterrupt.

    Clean-up runs in this block, so a second Ctrl-C does not leave
    containers behind.
    """
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        out.note("removing the scenario's containers first; please wait")

    previous = {
        sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise KeyboardInterrupt(f"signal {received[0]}")


def progress_bar(out: Output) -> Progress:
    """Return a progress display on stderr, disabled unless it is a terminal."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed}/{task.total}"),
        console=out.error_console,
        disable=not out.interactive,
        transient=True,
    )


def show_wire(out: Output, report: StepReport) -> None:
    for outcome in (report.rest, report.soap):
        for exchange in outcome.exchanges:
            out.note(f"[{report.label}: {outcome.protocol}]")
            out.note(format_exchange(exchange))


def run_step(
    step: Step,
    rest: ContainerClient,
    soap: ContainerClient,
    out: Output,
    args: argparse.Namespace,
) -> StepReport:
    with out.spinner(f"{step.label} through REST and SOAP ..."):
        report = compare_step(step, rest, soap)
    if args.show_wire:
        show_wire(out, report)
    return report


def run_scenarios(
    names: list[str],
    base: str,
    args: argparse.Namespace,
    out: Output,
    make_clients: ClientsFactory,
) -> list[RunReport]:
    """Run the named scenarios in order and return a report for each."""
    rest, soap = make_clients(args, args.url)
    admin = RestClient(args.url, token=args.token, request_timeout=args.request_timeout)
    down = None
    if any(SCENARIOS[name].needs_down_url for name in names):
        down = make_clients(args, args.engine_down_url)
    reports = []
    with InterruptGate(out) as gate, progress_bar(out) as bar:
        for name in names:
            scenario = SCENARIOS[name]
            pair = down if scenario.needs_down_url and down else (rest, soap)
            ctx = Context(base, args.image, pair[0], pair[1], admin)
            reports.append(run_scenario(scenario, ctx, out, args, bar, gate))
    return reports


def run_scenario(
    scenario: Scenario,
    ctx: Context,
    out: Output,
    args: argparse.Namespace,
    bar: Progress,
    gate: InterruptGate,
) -> RunReport:
    """Run one scenario and always remove the containers it named."""
    report = RunReport(scenario.name, scenario.description)
    task = bar.add_task(f"{scenario.name}: set-up", total=None)
    # Stays true when an interrupt or a connection failure ends the run.
    unfinished = True
    try:
        # Building the steps creates the containers they need.
        gate.check()
        steps = scenario.steps(ctx)
        bar.update(task, total=len(steps))
        for step in steps:
            gate.check()
            bar.update(task, description=f"{scenario.name}: {step.label}")
            result = compare_step(step, ctx.rest, ctx.soap)
            if args.show_wire:
                show_wire(out, result)
            report.steps.append(result)
            bar.advance(task)
        unfinished = False
    except ApiError as exc:
        # Steps catch their own API errors, so this one came from set-up.
        report.error = f"set-up failed: {exc.describe()}"
        unfinished = False
    finally:
        bar.update(task, description=f"{scenario.name}: removing containers")
        with deferred_interrupts(out):
            report.removals = remove_all(ctx.admin, ctx.names)
        if unfinished:
            note_removals(out, report.removals)
    bar.remove_task(task)
    return report


def note_removals(out: Output, removals: list[Removal]) -> None:
    for removal in removals:
        detail = f": {removal.message}" if removal.message else ""
        out.note(f"container {removal.name}: {removal.status}{detail}")
