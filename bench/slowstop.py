"""A slow stop in progress, and inspect latency for the other clients.

Containers whose process ignores SIGTERM are stopped with a 10 s timeout,
so each stop keeps its request open for 10 s. Inspect of another container
runs under 8 clients before, during and after the stop. The load during the
stop lasts as long as the stop, so a request held up by it is counted
rather than cut off.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from bench.context import Bench
from bench.engine import IGNORES_TERM, parallel
from bench.wire import HttpClient, expect

logger = logging.getLogger("bench")
STOP_TIMEOUT = 10
CLIENTS = 8


def _one(bench: Bench, protocol_name: str, ids: list[str]) -> dict[str, Any]:
    protocol = bench.protocols[protocol_name]
    request = protocol.inspect(bench.inspect_id)
    window = bench.plan.slow_stop_seconds
    before = bench.load(
        protocol_name,
        request,
        CLIENTS,
        seconds=window,
        operation="inspect",
        size=len(ids),
    )

    stop_seconds: list[float] = []
    failures: list[str] = []
    client_threads: list[threading.Thread] = []

    def stop(container_id: str) -> None:
        client = HttpClient(protocol.endpoint)
        try:
            reply = client.call(protocol.stop(container_id, STOP_TIMEOUT))
            expect(reply, protocol.ok["stop"], description=f"{protocol_name} slow stop")
            stop_seconds.append(reply.seconds)
        except Exception as exc:
            failures.append(str(exc)[:300])
        finally:
            client.close()

    for container_id in ids:
        thread = threading.Thread(target=stop, args=(container_id,), daemon=True)
        thread.start()
        client_threads.append(thread)
    time.sleep(0.5)
    during = bench.load(
        protocol_name,
        request,
        CLIENTS,
        seconds=STOP_TIMEOUT + 1,
        operation="inspect",
        size=len(ids),
    )
    for thread in client_threads:
        thread.join(timeout=STOP_TIMEOUT + 60)

    after = bench.load(
        protocol_name,
        request,
        CLIENTS,
        seconds=window,
        operation="inspect",
        size=len(ids),
    )
    baseline = (before.p99_ms + after.p99_ms) / 2
    result = {
        "protocol": protocol_name,
        "stops": len(ids),
        "before": before.to_dict(),
        "during": during.to_dict(),
        "after": after.to_dict(),
        "baseline_p99_ms": baseline,
        "p99_increase": during.p99_ms / baseline - 1 if baseline else 0.0,
        "noise": abs(before.p99_ms - after.p99_ms) / baseline if baseline else 0.0,
        "stop_seconds": sorted(stop_seconds),
        # Every stop must have waited out its timeout, or nothing was tested.
        "valid": len(stop_seconds) == len(ids)
        and min(stop_seconds, default=0) >= STOP_TIMEOUT - 1,
        "failures": failures,
    }
    logger.info(
        "slow stop %s x%d: p99 %.2f / %.2f / %.2f ms, stops took %s s",
        protocol_name,
        len(ids),
        before.p99_ms,
        during.p99_ms,
        after.p99_ms,
        [round(value, 1) for value in sorted(stop_seconds)],
    )
    return result


def run(bench: Bench) -> list[dict[str, Any]]:
    engine = bench.engine
    pool = max(1, bench.plan.slow_stop_many)
    specs = [engine.spec("slowstop", IGNORES_TERM) for _ in range(pool)]
    ids = engine.create_many(specs)
    parallel(engine.start, ids, 8)
    runs: list[tuple[str, list[str]]] = [
        (name, ids[:1]) for name in bench.plan.slow_stop_protocols
    ]
    if bench.plan.slow_stop_many > 1:
        runs.append(("rest", ids))
    results = []
    for name, chosen in runs:
        if bench.time_left() < 3 * STOP_TIMEOUT:
            bench.notes.append(f"Slow stop via {name} skipped: time budget ran out.")
            continue
        # The trap must be set before SIGTERM arrives.
        for container_id in chosen:
            if not engine.wait_state(container_id, "running", 10):
                engine.start(container_id)
        time.sleep(1.0)
        results.append(_one(bench, name, chosen))
        parallel(engine.start, chosen, 8)
    return results
