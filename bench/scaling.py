"""Throughput of the gateway under other gunicorn worker and thread counts.

Each configuration gets its own server on a fresh loopback port, and the
direct path is measured in the same block, so every ratio compares numbers
taken minutes apart at most.
"""

from __future__ import annotations

import logging
from typing import Any

from bench.context import Bench

logger = logging.getLogger("bench")


def run(bench: Bench) -> list[dict[str, Any]]:
    plan = bench.plan
    requests = {
        name: protocol.inspect(bench.inspect_id)
        for name, protocol in bench.protocols.items()
    }
    rows: list[dict[str, Any]] = []
    for workers, threads in plan.server_configs:
        needed = (plan.seconds + 1) * 3 * plan.repeats * len(plan.scaling_clients) + 15
        if bench.time_left() < needed:
            bench.notes.append(
                f"Server {workers}x{threads} skipped: the time budget ran out."
            )
            continue
        server = bench.start_server(workers, threads)
        try:
            bench.warm_up(server, seconds=1)
            for turn, clients in enumerate(plan.scaling_clients):
                measured = bench.compare(
                    requests, clients, turn, server, operation="inspect"
                )
                for result in measured:
                    logger.info(
                        "server %s %s c=%d: %.0f req/s p99 %.2f ms",
                        server.label,
                        result.protocol,
                        clients,
                        result.rps,
                        result.p99_ms,
                    )
                    rows.append(
                        {
                            "workers": workers,
                            "threads": threads,
                            "result": result.to_dict(),
                        }
                    )
        finally:
            bench.stop_server(server)
    return rows
