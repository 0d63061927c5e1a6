"""One run: every section in turn, each bounded, then the report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from bench import (
    clientside,
    frameworks,
    lifecycle,
    payloads,
    profiler,
    readpath,
    scaling,
    slowstop,
)
from bench.context import Bench, Options, bench_context
from bench.machine import describe, load_average
from bench.plan import Plan

logger = logging.getLogger("bench")
Section = tuple[str, Callable[[Bench], Any]]


def _payloads(bench: Bench) -> Any:
    bench.ensure_list_size(min(bench.plan.list_sizes))
    return payloads.run(bench)


def _drop_list_set(bench: Bench) -> None:
    bench.engine.remove_labelled(bench.list_label)
    bench.list_size = 0


SECTIONS: tuple[Section, ...] = (
    ("floor", lambda bench: readpath.socat_cost(bench, bench.plan.client_calls)),
    ("payloads", _payloads),
    ("inspect", readpath.inspect),
    ("frameworks", frameworks.run),
    ("list", readpath.lists),
    ("profiles", profiler.run),
    ("lifecycle", lifecycle.run),
    ("slow_stop", slowstop.run),
    ("client", clientside.run),
    ("servers", scaling.run),
)


def run(plan: Plan, options: Options) -> dict[str, Any]:
    started = time.monotonic()
    results: dict[str, Any] = {"plan": plan.to_dict(), "errors": {}}
    with bench_context(plan, options) as bench:
        results["machine"] = describe(
            options.server_python, bench.engine.version, options.repo
        )
        for name, section in SECTIONS:
            if name == "lifecycle" and bench.list_size:
                # The list set is not needed any more; the engine's other
                # calls should not pay for hundreds of extra containers.
                _drop_list_set(bench)
            if bench.time_left() <= 0:
                bench.notes.append(f"The {name} part was skipped: no time was left.")
                continue
            logger.info("== %s (%.0f s left)", name, bench.time_left())
            try:
                results[name] = section(bench)
            except Exception as exc:
                logger.exception("the %s part failed", name)
                results["errors"][name] = f"{type(exc).__name__}: {exc}"[:500]
        results["notes"] = bench.notes
        results["machine"]["load_end"] = load_average()
    results["wall_seconds"] = time.monotonic() - started
    results["inspect"] = [row.to_dict() for row in results.get("inspect", [])]
    results["list"] = [row.to_dict() for row in results.get("list", [])]
    return results
