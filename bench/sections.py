"""The report's sections on read path, scaling, lifecycle and slow stops."""

from __future__ import annotations

from typing import Any

from bench.analysis import find, list_growth, ratio
from bench.markdown import image, ms, number, share, table, times
from bench.protocols import DIRECT, PROTOCOLS, REST, SOAP
from bench.sections_more import (
    client_side,
    floor,
    frameworks,
    notes,
    payloads,
    profiles,
)

__all__ = [
    "client_side",
    "floor",
    "frameworks",
    "lifecycle",
    "notes",
    "payloads",
    "profiles",
    "read_path",
    "scaling",
    "slow_stop",
]
Row = dict[str, Any]
NAMES = {DIRECT: "direct", REST: "REST", SOAP: "SOAP"}


def _get(row: Row | None, key: str) -> float | None:
    return None if row is None else float(row[key])


def _added(value: float | None, floor: float | None) -> str:
    """Return the share that *value* adds to *floor*, as text."""
    factor = ratio(value, floor)
    return share(None if factor is None else factor - 1)


def _cpu(row: Row, name: str) -> str:
    value = row.get("cpu_us", {}).get(name)
    return number(value) if value is not None else "-"


def _cores(row: Row, name: str) -> str:
    """Return the cores that the processes on this path kept busy."""
    front = "socat" if name == DIRECT else "gateway"
    used = {front, "dockerd", "wrk"}
    micros = sum(value for key, value in row.get("cpu_us", {}).items() if key in used)
    return f"{micros * row['rps'] / 1e6:.2f}"


def _load_rows(rows: list[Row], with_size: bool, with_socat: bool) -> list[list[str]]:
    out = []
    keys = sorted(
        {(row.get("size") or 0, row["clients"]) for row in rows},
    )
    for size, clients in keys:
        floor = find(rows, DIRECT, clients, size or None)
        for name in PROTOCOLS:
            row = find(rows, name, clients, size or None)
            if row is None:
                continue
            errors = row["errors"] + row["non_2xx"]
            cells = [str(size)] if with_size else []
            cells += [
                str(clients),
                NAMES[name],
                number(row["requests"]),
                number(row["rps"]),
                times(ratio(row["rps"], _get(floor, "rps"))),
                ms(row["p50_ms"]),
                ms(row["p99_ms"]),
                times(ratio(row["p99_ms"], _get(floor, "p99_ms"))),
                str(errors),
                # Each path is charged only for the processes it goes through.
                _cpu(row, "gateway") if name != DIRECT else "-",
                _cpu(row, "dockerd"),
            ]
            if with_socat:
                cells.append(_cpu(row, "socat") if name == DIRECT else "-")
            cells += [_cpu(row, "wrk"), _cores(row, name)]
            out.append(cells)
    return out


LOAD_HEADER = [
    "Clients",
    "Path",
    "Requests",
    "req/s",
    "x direct",
    "p50 ms",
    "p99 ms",
    "p99 x direct",
    "Errors",
    "CPU us/req gateway",
    "dockerd",
]


def read_path(results: dict[str, Any], plots: dict[str, list[str]]) -> list[str]:
    inspect = results.get("inspect", [])
    lists = results.get("list", [])
    return [
        "## Read path: inspect one container",
        (
            "`GET /containers/{id}/json` on the engine, `GET /api/v1/containers/{id}` "
            "and `InspectContainer` on the gateway, for one running container. "
            '"x direct" divides by the direct path at the same number of '
            'clients; the gateway makes one engine call per inspect. "Cores '
            'busy" adds up the CPU of the processes on the path (dockerd, '
            "socat or the gateway, and wrk): near 2, the machine is saturated "
            "and latency includes waiting for a core."
        ),
        table(
            [*LOAD_HEADER, "socat", "wrk", "Cores busy"],
            _load_rows(inspect, False, True),
        ),
        image(plots, "inspect", "Inspect throughput and latency"),
        "## Read path: list N containers",
        (
            "N containers, created and never started (network mode none), "
            "carry a label of their own; each path lists them with that label "
            "as a filter and `all`. The gateway makes one engine call per list."
        ),
        table(
            ["N", *LOAD_HEADER, "socat", "wrk", "Cores busy"],
            _load_rows(lists, True, True),
        ),
        image(plots, "list", "List latency and throughput against N"),
    ]


def scaling(results: dict[str, Any], plots: dict[str, list[str]]) -> list[str]:
    parts = ["## Scaling: list time against N"]
    growth_rows: list[list[str]] = []
    for name in (REST, SOAP):
        growth = list_growth(results, name)
        if growth is None:
            continue
        if not growth_rows:
            growth_rows.append(
                [
                    "direct",
                    f"x{growth['direct_growth']:.1f}",
                    number(growth["direct_slope_us"]),
                    "1.00",
                    "1.00",
                ]
            )
        growth_rows.append(
            [
                NAMES[name],
                f"x{growth['growth']:.1f}",
                number(growth["slope_us"]),
                times(growth["ratio_low"]),
                times(growth["ratio_high"]),
            ]
        )
    low = high = "?"
    sizes = sorted({row["size"] for row in results.get("list", [])})
    if sizes:
        low, high = str(sizes[0]), str(sizes[-1])
    parts += [
        (
            f"Single-client list latency (p50) from N={low} to N={high}: how many "
            "times it grows, what each extra container costs, and the ratio to "
            "the direct path at both ends. A ratio that rises with N means the "
            "gateway's per-container cost outgrows the engine's."
        ),
        table(
            [
                "Path",
                f"p50 growth N={low} to {high}",
                "us per extra container",
                f"x direct at N={low}",
                f"x direct at N={high}",
            ],
            growth_rows,
        ),
        "## Scaling: gunicorn workers and threads",
    ]
    rows = []
    for entry in results.get("servers", []):
        row = entry["result"]
        floor = next(
            (
                other["result"]
                for other in results["servers"]
                if (other["workers"], other["threads"])
                == (entry["workers"], entry["threads"])
                and other["result"]["protocol"] == DIRECT
                and other["result"]["clients"] == row["clients"]
            ),
            None,
        )
        rows.append(
            [
                f"{entry['workers']} x {entry['threads']}",
                str(row["clients"]),
                NAMES[row["protocol"]],
                number(row["rps"]),
                times(ratio(row["rps"], _get(floor, "rps"))),
                ms(row["p50_ms"]),
                ms(row["p99_ms"]),
                str(row["errors"] + row["non_2xx"]),
                _cpu(row, "gateway") if row["protocol"] != DIRECT else "-",
            ]
        )
    parts += [
        (
            "Inspect under each configuration, with its own server started for "
            "the block and the direct path measured in the same block."
        ),
        table(
            [
                "Workers x threads",
                "Clients",
                "Path",
                "req/s",
                "x direct",
                "p50 ms",
                "p99 ms",
                "Errors",
                "CPU us/req gateway",
            ],
            rows,
        ),
        image(plots, "servers", "Throughput by workers and threads"),
    ]
    return parts


def _lifecycle_table(data: dict[str, Any], mode: str) -> str:
    summary = data["summary"]
    steps = list(summary.get(DIRECT, {}))
    rows = []
    for step in steps:
        floor = summary[DIRECT][step]["p50_ms"]
        cells = [step, ms(floor)]
        for name in (REST, SOAP):
            value = summary.get(name, {}).get(step, {}).get("p50_ms")
            cells += [ms(value), _added(value, floor)]
        rows.append(cells)
    for key, label in (("p50_ms", "medians"), ("mean_ms", "means")):
        totals = {
            name: sum(step[key] for step in summary.get(name, {}).values())
            for name in PROTOCOLS
        }
        total_row = [f"**all four steps, sum of {label}**", ms(totals[DIRECT])]
        for name in (REST, SOAP):
            total_row += [ms(totals[name]), _added(totals[name], totals[DIRECT])]
        rows.append(total_row)
    if mode == "concurrent":
        walls = data["walls"]
        wall_row = ["**wall time, all steps**", ms(sum(walls[DIRECT].values()) * 1000)]
        for name in (REST, SOAP):
            wall = sum(walls.get(name, {}).values())
            wall_row += [ms(wall * 1000), _added(wall, sum(walls[DIRECT].values()))]
        rows.append(wall_row)
    header = [
        "Step (median ms)",
        "direct",
        "REST",
        "REST added",
        "SOAP",
        "SOAP added",
    ]
    return table(header, rows)


def lifecycle(results: dict[str, Any], plots: dict[str, list[str]]) -> list[str]:
    data = results.get("lifecycle")
    if not data:
        return ["## Lifecycle", "_Did not run._"]
    parts = [
        "## Lifecycle: create, start, stop, remove",
        (
            f"{data['count']} containers per path (`sleep 3600`, network mode "
            "none), each created, started, stopped with timeout 0 and removed. "
            "Times are the median per call, since a few engine calls that take "
            "far longer than the rest would swamp a mean; the sum of the means "
            "is shown too. Both paths create the same container: the direct "
            "path sends the resource limits that the gateway's create policy "
            "adds by default. The direct path makes one engine call per step. "
            "The gateway makes more: it inspects the container before an "
            "action, to resolve the reference and check that it is one of its "
            "own, and again after it, to return the container. That is 2 engine "
            "calls for create (create, inspect) and remove (inspect, remove), "
            "and 3 for start and stop."
        ),
    ]
    if "sequential" in data:
        parts += [
            "One client, one step at a time:",
            _lifecycle_table(data["sequential"], "sequential"),
        ]
    if "concurrent" in data:
        parts += [
            (
                f"{data['concurrency']} clients at once: every container of a "
                "path goes through a step before the next step starts, and the "
                "paths take turns step by step, in an order that rotates. The "
                "last row adds up the wall time of the four steps."
            ),
            _lifecycle_table(data["concurrent"], "concurrent"),
        ]
    parts.append(image(plots, "lifecycle", "Lifecycle step times"))
    return parts


def slow_stop(results: dict[str, Any], plots: dict[str, list[str]]) -> list[str]:
    rows = []
    for run in results.get("slow_stop", []):
        took = run["stop_seconds"]

        def cell(key: str, run: dict[str, Any] = run) -> str:
            return " / ".join(
                ms(run[phase][key]) for phase in ("before", "during", "after")
            )

        rows.append(
            [
                NAMES[run["protocol"]],
                str(run["stops"]),
                cell("p50_ms"),
                cell("p90_ms"),
                cell("p99_ms"),
                f"{run['p99_increase']:+.0%}",
                f"{run['noise']:.0%}",
                ms(run["during"]["max_ms"]),
                cell("rps"),
                f"{min(took):.1f} to {max(took):.1f}" if run.get("valid") else "failed",
            ]
        )
    return [
        "## A slow stop in progress",
        (
            "Containers whose process ignores SIGTERM (`sh -c \"trap '' TERM; "
            'while true; do sleep 1; done"`) are stopped with timeout 10, so '
            "each stop keeps its request open for 10 s. Meanwhile 8 clients inspect "
            "another container through the same path. Each cell gives the value "
            "before, during and after the stop. The mean of before and after is "
            'the baseline that "p99 change" compares with, and "Noise" is '
            "how much before and after differ from each other: a change smaller "
            "than the noise says nothing. The load during the stop lasts as long "
            "as the stop, so requests held up by it are counted. The direct row "
            "is the control: what the engine itself does."
        ),
        table(
            [
                "Path",
                "Stops at once",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "p99 change",
                "Noise",
                "Max during ms",
                "req/s",
                "Stops took s",
            ],
            rows,
        ),
        image(plots, "slow_stop", "Inspect p99 during slow stops"),
    ]
