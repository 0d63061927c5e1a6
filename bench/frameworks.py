"""Framework ceilings: the inspect reply served with no gateway work behind it.

The gateway's throughput is bounded by what gunicorn, Flask and Spyne cost
per request on this machine before the gateway does anything. This part
starts the minimal apps of :mod:`bench.framework_apps` with the gateway's
gunicorn settings, and measures them beside the engine and the gateway at the
client counts of the throughput targets. With ``--baseline REV`` the gateway
at that git revision is served too, so that a change is measured before and
after in the same run.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

from bench.context import Bench
from bench.loadgen import LoadResult, combine
from bench.processes import GatewayServer
from bench.protocols import DIRECT, REST, SOAP
from bench.wire import Endpoint, HttpClient, Request, expect

logger = logging.getLogger("bench")
CLIENTS = (1, 8)


@dataclass(frozen=True)
class Path:
    """One way to get the inspect reply: who serves it, and how it is asked."""

    name: str
    label: str
    endpoint: Endpoint
    request: Request


APPS = (
    ("wsgi", "gunicorn, bare WSGI app", "bench.framework_apps:wsgi_app", REST),
    ("flask", "gunicorn + Flask", "bench.framework_apps:flask_app", REST),
    ("spyne", "gunicorn + Spyne", "bench.framework_apps:spyne_app", SOAP),
)


def _reply_file(bench: Bench) -> str:
    rest = bench.protocols[REST]
    client = HttpClient(rest.endpoint)
    reply = expect(
        client.call(rest.inspect(bench.inspect_id)), 200, description="REST inspect"
    )
    client.close()
    path = bench.options.workdir / "framework-reply.json"
    path.write_bytes(reply.body)
    return str(path)


@contextlib.contextmanager
def _baseline_tree(bench: Bench) -> Iterator[tuple[str, FilePath] | None]:
    """Check out the baseline revision, if one was named, for as long as needed."""
    revision = bench.options.baseline
    if not revision:
        yield None
        return
    repo = bench.options.repo
    short = _git(repo, "rev-parse", "--short", f"{revision}^{{commit}}")
    tree = bench.options.workdir / "baseline"
    _git(repo, "worktree", "add", "--detach", str(tree), short)
    try:
        yield short, tree
    finally:
        _git(repo, "worktree", "remove", "--force", str(tree))


def _git(repo: FilePath, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def run(bench: Bench) -> dict[str, Any]:
    with _baseline_tree(bench) as baseline:
        return _run(bench, baseline)


def _run(bench: Bench, baseline: tuple[str, FilePath] | None) -> dict[str, Any]:
    reply_file = _reply_file(bench)
    workers, threads = bench.server.workers, bench.server.threads
    servers: list[GatewayServer] = []
    try:
        paths = [
            Path(
                name,
                {DIRECT: "engine API (socat)", REST: "gateway REST"}.get(
                    name, "gateway SOAP"
                ),
                bench.endpoint(name),
                bench.protocols[name].inspect(bench.inspect_id),
            )
            for name in (DIRECT, REST, SOAP)
        ]
        for name, label, app, request_kind in APPS:
            server = bench.start_server(
                workers, threads, app=app, env={"BENCH_FRAMEWORK_REPLY": reply_file}
            )
            servers.append(server)
            request = bench.protocols[request_kind].inspect(bench.inspect_id)
            paths.append(Path(name, label, server.endpoint, request))
        if baseline is not None:
            revision, tree = baseline
            server = bench.start_server(workers, threads, repo=tree)
            servers.append(server)
            for name in (REST, SOAP):
                request = bench.protocols[name].inspect(bench.inspect_id)
                label = f"gateway {name.upper()} at {revision}"
                paths.append(Path(f"{name}-base", label, server.endpoint, request))
        _check(paths)
        rows = []
        for turn, clients in enumerate(CLIENTS):
            for result in _compare(bench, paths, clients, turn):
                logger.info(
                    "framework %s c=%d: %.0f req/s p99 %.2f ms",
                    result.protocol,
                    clients,
                    result.rps,
                    result.p99_ms,
                )
                rows.append(result.to_dict())
    finally:
        for server in servers:
            bench.stop_server(server)
    return {
        "baseline": baseline[0] if baseline else None,
        "workers": workers,
        "threads": threads,
        "labels": {path.name: path.label for path in paths},
        "rows": rows,
    }


def _check(paths: list[Path]) -> None:
    """Raise unless every path returns 200 for the request it is measured with."""
    for path in paths:
        client = HttpClient(path.endpoint)
        expect(client.call(path.request), 200, description=f"{path.name} inspect")
        client.close()


def _compare(
    bench: Bench, paths: list[Path], clients: int, turn: int
) -> list[LoadResult]:
    runs: dict[str, list[LoadResult]] = {path.name: [] for path in paths}
    shift = turn % len(paths)
    order = paths[shift:] + paths[:shift]
    for path in order:
        # Warm-up, so that every worker has its connections open.
        bench.wrk.run(path.endpoint, path.request, clients, 1)
    for repeat in range(bench.plan.repeats):
        for path in order if repeat % 2 == 0 else order[::-1]:
            runs[path.name].append(
                bench.wrk.run(
                    path.endpoint,
                    path.request,
                    clients,
                    bench.plan.seconds,
                    protocol=path.name,
                    operation="inspect",
                )
            )
    return [combine(runs[path.name]) for path in paths]
