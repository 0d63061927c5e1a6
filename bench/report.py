"""docs/benchmarks.md, written from one run's results."""

from __future__ import annotations

from typing import Any

from bench import sections
from bench.analysis import (
    baseline_gain,
    find,
    framework_ceiling,
    list_growth,
    targets,
)
from bench.markdown import table
from bench.protocols import DIRECT, REST, SOAP

MACHINE_ROWS = (
    ("Date", "date"),
    ("Gateway commit", "gateway"),
    ("CPU", "cpu"),
    ("Cores", "cores"),
    ("Memory", "memory"),
    ("Kernel", "kernel"),
    ("OS", "os"),
    ("Docker Engine", "docker"),
    ("Python (gateway)", "server_python"),
    ("Python (benchmark)", "bench_python"),
    ("gunicorn, Flask, Spyne, pydantic", "stack"),
    ("wrk", "wrk"),
    ("socat", "socat"),
    ("Load average at start, at end", "load"),
)

METHOD = """\
Three paths do the same thing in one run:

- **direct**: the Docker Engine API over its Unix socket, the floor. wrk
  speaks TCP only, so for the load tests a `socat` process forwards a
  loopback port to the socket (`socat TCP-LISTEN:<port>,bind=127.0.0.1,
  fork,reuseaddr,nodelay UNIX-CONNECT:/var/run/docker.sock`). The floor
  therefore includes socat's cost: one extra copy through a forked process
  per connection. The section "The floor and socat" measures that cost; it
  makes the direct numbers a little worse, so the gateway's ratios below
  are a little flattering. `nodelay` matters: gunicorn sets TCP_NODELAY
  on its sockets, and without it socat's Nagle delay stalls every reply the
  engine writes in more than one piece by about 40 ms. The lifecycle,
  payload and client-side tests need no load generator and use the Unix
  socket itself.
- **REST**: the gateway's `/api/v1`, JSON.
- **SOAP**: the gateway's `/soap`, with the envelopes zeep makes from the
  served WSDL.

The gateway runs as deployed: gunicorn with gthread workers, 2 workers x 16
threads unless a section states otherwise, access log and INFO logs on,
listening on 127.0.0.1, no API tokens. The gateway serves only the
containers that carry its own labels. So the containers the benchmark makes
over the engine API carry the same labels, read from one container created
through REST at the start. The load generator is wrk, one keep-alive
connection per client, 1 thread for 1 client and 2 threads otherwise, with
a Lua script per request (the SOAP POST sets its body and `SOAPAction`).
Latency percentiles come from wrk's HdrHistogram. The "CPU per request"
columns are CPU microseconds per request of each process, read from
`/proc` before and after each measurement; wrk's own share shows that it
is not the bottleneck. dockerd's column also counts whatever else dockerd
does meanwhile, which weighs more per request at low request rates.

The machine has 2 cores, and the gateway, dockerd, socat and wrk share
them. Other work on the machine adds noise, so only ratios measured side
by side in this run are meaningful: the three paths are measured back to
back for each point, in an order that rotates from point to point. {repeats}
The load average at the start and end of the run is in the table above.
"""


def _repeats(repeats: int, seconds: int) -> str:
    if repeats == 1:
        return f"Each measurement lasts {seconds} s."
    return (
        f"Each measurement runs {repeats} times for {seconds} s, every second run "
        "with the paths in the reverse order; throughput is then all requests "
        "over all the time, and the percentiles are the mean of the runs."
    )


def _machine(results: dict[str, Any]) -> str:
    machine = dict(results.get("machine", {}))
    machine["stack"] = ", ".join(
        machine.get(key, "?") for key in ("gunicorn", "flask", "spyne", "pydantic")
    )
    machine["load"] = (
        f"{machine.get('load_start', '?')}; {machine.get('load_end', '?')}"
    )
    return table(
        ["", ""], [[label, machine.get(key, "?")] for label, key in MACHINE_ROWS]
    )


FRAMEWORK_LABELS = {"wsgi": "bare WSGI", "flask": "Flask", "spyne": "Spyne"}


def _headlines(results: dict[str, Any]) -> str:
    """Return the run's main numbers as a Markdown list."""
    lines = []
    rows = results.get("inspect", [])
    direct_1, direct_8 = find(rows, DIRECT, 1), find(rows, DIRECT, 8)
    for name in (REST, SOAP):
        single, eight = find(rows, name, 1), find(rows, name, 8)
        if not (single and eight and direct_1 and direct_8):
            continue
        lines.append(
            f"{name.upper()} inspect: {eight['rps'] / direct_8['rps']:.2f} x the "
            f"engine's throughput at 8 clients; one client waits "
            f"{single['p50_ms'] - direct_1['p50_ms']:.1f} ms more (p50), and the "
            f"gateway spends {single['cpu_us'].get('gateway', 0) / 1000:.1f} ms "
            "of CPU per request."
        )
    ceilings = [
        (label, framework_ceiling(results, name))
        for name, label in FRAMEWORK_LABELS.items()
    ]
    if all(value is not None for _, value in ceilings):
        listed = ", ".join(f"{label} {value:.2f}" for label, value in ceilings)
        lines.append(
            "Framework ceilings at 8 clients, the same reply with no gateway work, "
            f"as a share of the engine's throughput: {listed}."
        )
    gains = {name: baseline_gain(results, name) for name in (REST, SOAP)}
    if all(value is not None for value in gains.values()):
        revision = results["frameworks"]["baseline"]
        lines.append(
            f"Against the gateway at {revision}, measured in the same rotation: "
            f"{gains[REST]:.2f} x its REST and {gains[SOAP]:.2f} x its SOAP "
            "inspect throughput at 8 clients."
        )
    for name in (REST, SOAP):
        growth = list_growth(results, name)
        if growth:
            lines.append(
                f"{name.upper()} list of {growth['high']}: "
                f"{growth['ratio_high']:.2f} x the engine's single-client latency; "
                f"each extra container adds {growth['slope_us']:.0f} us to its "
                f"latency (the engine alone: {growth['direct_slope_us']:.0f} us)."
            )
    for profile in results.get("profiles", []):
        big = [
            (label, value) for label, value in profile.get("watch", []) if value >= 0.1
        ]
        if big:
            label, value = max(big, key=lambda item: item[1])
            lines.append(
                f"Profile of {profile['protocol'].upper()} {profile['operation']}: "
                f"{label} is on the stack in {value:.0%} of the samples."
            )
    return "\n".join(f"- {line}" for line in lines)


def _targets(results: dict[str, Any]) -> str:
    rows = [[t.text, t.measured, f"**{t.verdict}**"] for t in targets(results)]
    return table(["Target", "Measured", "Verdict"], rows)


def render(results: dict[str, Any], plots: dict[str, list[str]], command: str) -> str:
    plan = results["plan"]
    minutes, seconds = divmod(int(results.get("wall_seconds", 0)), 60)
    parts = [
        "# Benchmarks",
        (
            f"Written by `{command}` ({plan['name']} plan) on "
            f"{results['machine'].get('date', '?')}; the run took {minutes} min "
            f"{seconds:02d} s. Run the same command to refresh this page; "
            "numbers from another run or another machine are not comparable "
            "with these."
        ),
        "## Machine",
        _machine(results),
        "## How it was measured",
        METHOD.format(repeats=_repeats(plan["repeats"], plan["seconds"])),
        "## In short",
        _headlines(results),
        "## Targets",
        (
            "Each target is checked against the numbers of this run, as "
            "measured; nothing was tuned to pass. A slow-stop target is "
            "inconclusive when the load before and after the stop differs by "
            "more than the 20 % it allows, since the noise then exceeds the "
            "effect to be detected."
        ),
        _targets(results),
        *sections.read_path(results, plots),
        *sections.frameworks(results),
        *sections.scaling(results, plots),
        *sections.lifecycle(results, plots),
        *sections.slow_stop(results, plots),
        *sections.payloads(results, plots),
        *sections.client_side(results, plots),
        *sections.profiles(results, plots),
        *sections.floor(results),
        *sections.notes(results),
    ]
    return "\n\n".join(part.strip("\n") for part in parts if part) + "\n"
