"""Ratios to the direct path and the targets, computed from the results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.protocols import DIRECT, REST, SOAP

Row = dict[str, Any]
#: Largest rise of the other clients' inspect p99 that a slow stop may cause.
SLOW_STOP_MARGIN = 0.20


def find(
    rows: list[Row], protocol: str, clients: int, size: int | None = None
) -> Row | None:
    for row in rows:
        if (
            row["protocol"] == protocol
            and row["clients"] == clients
            and row.get("size") == size
        ):
            return row
    return None


def ratio(value: float | None, floor: float | None) -> float | None:
    if value is None or not floor:
        return None
    return value / floor


@dataclass
class Target:
    text: str
    measured: str
    met: bool | None
    #: The noise of the measurement exceeds the margin the target allows.
    inconclusive: bool = False

    @property
    def verdict(self) -> str:
        if self.inconclusive:
            return "inconclusive"
        return {True: "met", False: "not met", None: "not measured"}[self.met]


def _throughput_target(results: dict[str, Any], protocol: str, floor: float) -> Target:
    rows = results.get("inspect", [])
    direct, other = find(rows, DIRECT, 8), find(rows, protocol, 8)
    text = f"{protocol.upper()} inspect throughput >= {floor} x direct at 8 clients"
    if not direct or not other:
        return Target(text, "-", None)
    value = other["rps"] / direct["rps"]
    measured = f"{value:.2f} ({other['rps']:.0f} vs {direct['rps']:.0f} req/s)"
    ceiling = framework_ceiling(results, "flask" if protocol == REST else "spyne")
    if ceiling is not None:
        framework = "Flask" if protocol == REST else "Spyne"
        measured += f"; {framework} alone, with no gateway work: {ceiling:.2f}"
    return Target(text, measured, value >= floor)


def baseline_gain(results: dict[str, Any], protocol: str) -> float | None:
    """Return this gateway's inspect throughput over the baseline's, at 8 clients."""
    if not results.get("frameworks", {}).get("baseline"):
        return None
    found = _framework_rps(results)
    return ratio(found.get(protocol), found.get(f"{protocol}-base"))


def framework_ceiling(results: dict[str, Any], name: str) -> float | None:
    """Return minimal app *name*'s throughput over the engine's, at 8 clients."""
    found = _framework_rps(results)
    if name not in found or not found.get(DIRECT):
        return None
    return float(found[name] / found[DIRECT])


def _framework_rps(results: dict[str, Any]) -> dict[str, float]:
    """Return the throughput of each path of the framework rotation, at 8 clients."""
    rows = results.get("frameworks", {}).get("rows", [])
    return {row["protocol"]: row["rps"] for row in rows if row["clients"] == 8}


def _p99_target(results: dict[str, Any], protocol: str) -> Target:
    rows = results.get("inspect", [])
    clients = max((row["clients"] for row in rows), default=32)
    direct, other = find(rows, DIRECT, clients), find(rows, protocol, clients)
    text = f"{protocol.upper()} inspect p99 at {clients} clients <= 3 x direct"
    if not direct or not other:
        return Target(text, "-", None)
    value = other["p99_ms"] / direct["p99_ms"]
    measured = f"{value:.2f} x ({other['p99_ms']:.1f} vs {direct['p99_ms']:.1f} ms)"
    return Target(text, measured, value <= 3)


def list_growth(results: dict[str, Any], protocol: str) -> dict[str, float] | None:
    """Growth of single-client list latency from the smallest N to the largest."""
    rows = [row for row in results.get("list", []) if row["clients"] == 1]
    sizes = sorted({row["size"] for row in rows})
    if len(sizes) < 2:
        return None
    low, high = sizes[0], sizes[-1]
    points = {}
    for name in (DIRECT, protocol):
        first, last = find(rows, name, 1, low), find(rows, name, 1, high)
        if not first or not last:
            return None
        points[name] = (first["p50_ms"], last["p50_ms"])
    (d_low, d_high), (g_low, g_high) = points[DIRECT], points[protocol]
    span = high - low
    return {
        "low": low,
        "high": high,
        "direct_growth": d_high / d_low,
        "growth": g_high / g_low,
        "direct_slope_us": (d_high - d_low) / span * 1000,
        "slope_us": (g_high - g_low) / span * 1000,
        "ratio_low": g_low / d_low,
        "ratio_high": g_high / d_high,
    }


def _list_target(results: dict[str, Any], protocol: str) -> Target:
    growth = list_growth(results, protocol)
    text = (
        f"{protocol.upper()} list time grows with N no faster than direct "
        "(its ratio to direct does not rise with N)"
    )
    if growth is None:
        return Target(text, "-", None)
    measured = (
        f"x{growth['ratio_low']:.2f} direct at N={growth['low']}, "
        f"x{growth['ratio_high']:.2f} at N={growth['high']}; each extra "
        f"container adds {growth['slope_us']:.0f} us (the engine alone: "
        f"{growth['direct_slope_us']:.0f} us)"
    )
    return Target(text, measured, growth["growth"] <= growth["direct_growth"])


def lifecycle_added(results: dict[str, Any], mode: str, protocol: str) -> float | None:
    """Share of time the gateway adds to the four steps.

    Sequential: the sum of the steps' medians. Concurrent: the wall time of
    the four steps, each over all containers.
    """
    data = results.get("lifecycle", {}).get(mode)
    if not data:
        return None
    summary = data["summary"]
    if protocol not in summary or DIRECT not in summary:
        return None
    if mode == "concurrent":
        walls = data["walls"]
        return float(sum(walls[protocol].values()) / sum(walls[DIRECT].values()) - 1)
    total = sum(step["p50_ms"] for step in summary[protocol].values())
    floor = sum(step["p50_ms"] for step in summary[DIRECT].values())
    return float(total / floor - 1)


def _lifecycle_target(results: dict[str, Any], protocol: str) -> Target:
    text = f"{protocol.upper()} lifecycle adds <= 5 % to the engine's time"
    added = {
        mode: lifecycle_added(results, mode, protocol)
        for mode in ("sequential", "concurrent")
    }
    known = {mode: value for mode, value in added.items() if value is not None}
    if not known:
        return Target(text, "-", None)
    measured = ", ".join(f"{mode} {value:+.1%}" for mode, value in known.items())
    return Target(text, measured, all(value <= 0.05 for value in known.values()))


def _slow_stop_target(results: dict[str, Any], protocol: str) -> Target | None:
    runs = [
        run
        for run in results.get("slow_stop", [])
        if run["protocol"] == protocol and run["stops"] == 1
    ]
    if not runs:
        return None
    run = runs[0]
    text = f"One slow stop via {protocol.upper()} raises others' inspect p99 by <= 20 %"
    if not run.get("valid"):
        return Target(text, "the slow stop did not run as planned", None)
    measured = (
        f"{run['p99_increase']:+.0%} ({run['during']['p99_ms']:.1f} ms during vs "
        f"{run['baseline_p99_ms']:.1f} ms; before/after differ by "
        f"{run['noise']:.0%})"
    )
    # Before and after differing by more than the allowed 20 % means the
    # load itself varied more than the effect to be detected.
    return Target(
        text,
        measured,
        run["p99_increase"] <= SLOW_STOP_MARGIN,
        inconclusive=run["noise"] > SLOW_STOP_MARGIN,
    )


def targets(results: dict[str, Any]) -> list[Target]:
    found = [
        _throughput_target(results, REST, 0.6),
        _throughput_target(results, SOAP, 0.5),
        _p99_target(results, REST),
        _p99_target(results, SOAP),
        _list_target(results, REST),
        _list_target(results, SOAP),
        _lifecycle_target(results, REST),
        _lifecycle_target(results, SOAP),
    ]
    for protocol in (REST, SOAP):
        slow = _slow_stop_target(results, protocol)
        if slow is not None:
            found.append(slow)
    return found
