"""The report's figures, as PNG files written with matplotlib."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bench.analysis import find
from bench.protocols import PROTOCOLS

COLOURS = {"direct": "#4c72b0", "rest": "#55a868", "soap": "#c44e52"}
LABELS = {"direct": "engine (direct)", "rest": "REST", "soap": "SOAP"}
Row = dict[str, Any]


def _save(figure: Figure, directory: Path, name: str) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(directory / name, dpi=110)
    plt.close(figure)
    return name


def _bars(
    axes: Axes,
    groups: list[str],
    series: dict[str, list[float]],
    colours: dict[str, str] | None = None,
) -> None:
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(series.items()):
        positions = [
            g + (index - (len(series) - 1) / 2) * width for g in range(len(groups))
        ]
        colour = (colours or COLOURS).get(name)
        axes.bar(positions, values, width, label=LABELS.get(name, name), color=colour)
    axes.set_xticks(range(len(groups)), groups)
    axes.legend(fontsize=8)
    axes.grid(axis="y", alpha=0.3)


def _throughput_bars(
    axes: Axes, groups: list[str], series: dict[str, list[float]]
) -> None:
    """Draw throughput on a log scale, each gateway bar marked with its ratio."""
    _bars(axes, groups, series)
    axes.set_yscale("log")
    floor = series.get("direct", [])
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(series.items()):
        if name == "direct":
            continue
        offset = (index - (len(series) - 1) / 2) * width
        for group, value in enumerate(values):
            if value and group < len(floor) and floor[group]:
                axes.annotate(
                    f"{value / floor[group]:.2f}x",
                    (group + offset, value),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                )


def inspect_plots(rows: list[Row], directory: Path) -> list[str]:
    clients = sorted({row["clients"] for row in rows})
    if not clients:
        return []
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))

    series = {
        name: [(find(rows, name, c) or {}).get("rps", 0.0) for c in clients]
        for name in PROTOCOLS
    }
    _throughput_bars(left, [f"{c} clients" for c in clients], series)
    left.set_ylabel("requests per second (log scale)")
    left.set_title("Inspect throughput, with the ratio to direct")

    for name in PROTOCOLS:
        for key, style in (("p50_ms", "--"), ("p99_ms", "-")):
            values = [(find(rows, name, c) or {}).get(key) for c in clients]
            right.plot(
                clients,
                values,
                style,
                marker="o",
                color=COLOURS[name],
                label=f"{LABELS[name]} {key[:3]}",
            )
    right.set_xscale("log", base=2)
    right.set_yscale("log")
    right.set_xticks(clients, [str(c) for c in clients])
    right.set_xlabel("concurrent clients")
    right.set_ylabel("latency, ms")
    right.set_title("Inspect latency (p50 dashed, p99 solid)")
    right.legend(fontsize=7)
    right.grid(alpha=0.3)
    return [_save(figure, directory, "inspect.png")]


def list_plots(rows: list[Row], directory: Path) -> list[str]:
    sizes = sorted({row["size"] for row in rows})
    clients = sorted({row["clients"] for row in rows})
    if not sizes:
        return []
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    many = 8 if 8 in clients else clients[-1]
    for name in PROTOCOLS:
        latency = [(find(rows, name, 1, n) or {}).get("p50_ms") for n in sizes]
        rate = [(find(rows, name, many, n) or {}).get("rps") for n in sizes]
        axes[0].plot(
            sizes, latency, marker="o", color=COLOURS[name], label=LABELS[name]
        )
        axes[1].plot(sizes, rate, marker="o", color=COLOURS[name], label=LABELS[name])
    axes[0].set_title("List latency, 1 client (p50)")
    axes[0].set_ylabel("ms")
    axes[1].set_title(f"List throughput, {many} clients")
    axes[1].set_ylabel("requests per second")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.set_xlabel("containers listed (N)")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return [_save(figure, directory, "list.png")]


def lifecycle_plot(data: dict[str, Any], directory: Path) -> list[str]:
    modes = [mode for mode in ("sequential", "concurrent") if mode in data]
    if not modes:
        return []
    figure, axes = plt.subplots(
        1, len(modes), figsize=(5 * len(modes), 4), squeeze=False
    )
    for ax, mode in zip(axes[0], modes, strict=True):
        summary = data[mode]["summary"]
        steps = list(next(iter(summary.values())))
        series = {
            name: [summary[name][step]["p50_ms"] for step in steps]
            for name in PROTOCOLS
            if name in summary
        }
        _bars(ax, steps, series)
        ax.set_ylabel("median ms per call")
        title = (
            "one client" if mode == "sequential" else f"{data['concurrency']} clients"
        )
        ax.set_title(f"Lifecycle, {title}")
    return [_save(figure, directory, "lifecycle.png")]


def payload_plot(data: dict[str, Any], directory: Path) -> list[str]:
    table = data.get("bytes", {})
    if not table:
        return []
    operations = list(table)
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, title in (
        (axes[0], "request", "Request bytes"),
        (axes[1], "response", "Response bytes"),
    ):
        series = {
            name: [table[op].get(name, {}).get(key, 0) for op in operations]
            for name in PROTOCOLS
        }
        _bars(ax, operations, series)
        ax.set_yscale("log")
        ax.set_title(f"{title} on the wire (log scale)")
        ax.tick_params(axis="x", rotation=45)
    return [_save(figure, directory, "payloads.png")]


def servers_plot(rows: list[Row], directory: Path) -> list[str]:
    if not rows:
        return []
    configs = sorted({(row["workers"], row["threads"]) for row in rows})
    clients = sorted({row["result"]["clients"] for row in rows})
    figure, axes = plt.subplots(
        1, len(clients), figsize=(5 * len(clients), 4), squeeze=False
    )
    for ax, count in zip(axes[0], clients, strict=True):
        series = {}
        for name in PROTOCOLS:
            values = []
            for workers, threads in configs:
                match = [
                    row["result"]["rps"]
                    for row in rows
                    if (row["workers"], row["threads"]) == (workers, threads)
                    and row["result"]["protocol"] == name
                    and row["result"]["clients"] == count
                ]
                values.append(match[0] if match else 0.0)
            series[name] = values
        _throughput_bars(ax, [f"{w} x {t}" for w, t in configs], series)
        ax.set_xlabel("gunicorn workers x threads")
        ax.set_ylabel("inspect requests per second (log scale)")
        ax.set_title(f"Inspect, {count} clients")
    return [_save(figure, directory, "servers.png")]


def slow_stop_plot(runs: list[dict[str, Any]], directory: Path) -> list[str]:
    if not runs:
        return []
    figure, ax = plt.subplots(figsize=(7, 4))
    groups = [f"{run['protocol']} x{run['stops']}" for run in runs]
    phases = {"before": "#8da0cb", "during": "#e78ac3", "after": "#a6d854"}
    series = {phase: [run[phase]["p99_ms"] for run in runs] for phase in phases}
    _bars(ax, groups, series, phases)
    ax.set_ylabel("inspect p99, ms (8 clients)")
    ax.set_title("Inspect p99 while slow stops are in progress")
    return [_save(figure, directory, "slow-stop.png")]


def profile_plot(profiles: list[dict[str, Any]], directory: Path) -> list[str]:
    profiles = [p for p in profiles if p.get("samples")]
    if not profiles:
        return []
    labels: list[str] = []
    for profile in profiles:
        for name, _ in profile["categories"]:
            if name not in labels:
                labels.append(name)
    figure, ax = plt.subplots(figsize=(11, 1.6 + 0.7 * len(profiles)))
    names = [f"{p['protocol']} {p['operation']}" for p in profiles]
    left = [0.0] * len(profiles)
    palette = plt.get_cmap("tab10")
    for index, label in enumerate(labels):
        shares = [dict(p["categories"]).get(label, 0.0) * 100 for p in profiles]
        ax.barh(names, shares, left=left, label=label, color=palette(index % 10))
        left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_xlabel("share of the samples in which a worker ran Python code, %")
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Where the gateway's workers spend their time (py-spy --gil)")
    return [_save(figure, directory, "profile.png")]


def client_plot(per_call: dict[str, dict[str, float]], directory: Path) -> list[str]:
    if not per_call:
        return []
    names = list(per_call)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    left.barh(names, [per_call[n]["p50_ms"] for n in names], color="#4c72b0")
    left.invert_yaxis()
    left.set_xlabel("ms per inspect call (p50, wall)")
    right.barh(names, [per_call[n]["cpu_us"] for n in names], color="#dd8452")
    right.set_xlabel("client CPU per call, microseconds")
    left.set_title("Client side, one call at a time")
    return [_save(figure, directory, "client.png")]


def all_plots(results: dict[str, Any], directory: Path) -> dict[str, list[str]]:
    for old in directory.glob("*.png"):
        old.unlink()
    return {
        "inspect": inspect_plots(results.get("inspect", []), directory),
        "list": list_plots(results.get("list", []), directory),
        "lifecycle": lifecycle_plot(results.get("lifecycle", {}), directory),
        "payloads": payload_plot(results.get("payloads", {}), directory),
        "servers": servers_plot(results.get("servers", []), directory),
        "slow_stop": slow_stop_plot(results.get("slow_stop", []), directory),
        "profile": profile_plot(results.get("profiles", []), directory),
        "client": client_plot(results.get("client", {}).get("per_call", {}), directory),
    }
