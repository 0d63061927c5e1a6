"""Read path: inspect one container and list N, under 1, 8 and 32 clients."""

from __future__ import annotations

import logging
import math
import statistics
from typing import Any

from bench.context import Bench
from bench.loadgen import LoadResult
from bench.wire import HttpClient, Request, expect

logger = logging.getLogger("bench")


def check_requests(bench: Bench, requests: dict[str, Request], operation: str) -> None:
    """Send each request once and fail loudly unless it succeeds."""
    for name, request in requests.items():
        protocol = bench.protocols[name]
        client = HttpClient(protocol.endpoint)
        expect(
            client.call(request),
            protocol.ok[operation],
            description=f"{name} {operation}",
        )
        client.close()


def _window(bench: Bench, single: LoadResult | None, clients: int) -> int:
    """Seconds enough for each of *clients* to finish a few slow requests.

    wrk only counts requests that finish inside its window, so a window
    close to the latency would keep only the fastest ones. The latency
    under one client, times the clients queueing per core, estimates it.
    """
    if single is None or clients == 1:
        return bench.plan.seconds
    per_request = single.p50_ms / 1000 * clients / 2
    return max(
        bench.plan.seconds, min(bench.plan.max_window, math.ceil(4 * per_request))
    )


def _measure(
    bench: Bench,
    operation: str,
    requests: dict[str, Request],
    size: int | None,
    repeats: int | None = None,
) -> list[LoadResult]:
    results: list[LoadResult] = []
    single: dict[str, LoadResult] = {}
    for turn, clients in enumerate(bench.plan.clients):
        windows = {name: _window(bench, single.get(name), clients) for name in requests}
        measured = bench.compare(
            requests,
            clients,
            turn,
            operation=operation,
            size=size,
            seconds=windows,
            repeats=repeats,
        )
        for result in measured:
            if clients == 1:
                single[result.protocol] = result
            logger.info(
                "%s %s n=%s c=%d: %.0f req/s p50 %.2f ms p99 %.2f ms (%d s)",
                operation,
                result.protocol,
                size,
                clients,
                result.rps,
                result.p50_ms,
                result.p99_ms,
                windows[result.protocol],
            )
            results.append(result)
    return results


def inspect(bench: Bench) -> list[LoadResult]:
    requests = {
        name: protocol.inspect(bench.inspect_id)
        for name, protocol in bench.protocols.items()
    }
    check_requests(bench, requests, "inspect")
    bench.warm_up()
    return _measure(bench, "inspect", requests, None)


def lists(bench: Bench) -> list[LoadResult]:
    requests = {
        name: protocol.list(bench.list_label)
        for name, protocol in bench.protocols.items()
    }
    results: list[LoadResult] = []
    for size in bench.plan.list_sizes:
        if bench.time_left() < 60:
            bench.notes.append(f"List of {size} skipped: the time budget ran out.")
            break
        bench.ensure_list_size(size)
        results += _measure(bench, "list", requests, size, repeats=1)
    return results


def socat_cost(bench: Bench, calls: int = 300) -> dict[str, Any]:
    """Single-client inspect over the Unix socket and through socat."""
    direct = bench.protocols["direct"]
    request = direct.inspect(bench.inspect_id)
    clients = {
        "Unix socket": HttpClient(direct.endpoint),
        "socat (TCP to the Unix socket)": HttpClient(bench.socat.endpoint),
    }
    seconds: dict[str, list[float]] = {name: [] for name in clients}
    for turn in range(max(calls // 10, 1)):
        names = list(clients)[turn % 2 :] + list(clients)[: turn % 2]
        for name in names:
            for _ in range(10):
                reply = expect(clients[name].call(request), 200, description=name)
                seconds[name].append(reply.seconds)
    for client in clients.values():
        client.close()
    return {
        name: {
            "calls": len(values),
            "p50_ms": statistics.median(values) * 1000,
            "mean_ms": statistics.fmean(values) * 1000,
        }
        for name, values in seconds.items()
    }
