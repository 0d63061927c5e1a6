"""Lifecycle: create, start, stop (timeout 0) and remove M containers.

Each path runs the same four steps with the same client code. The direct
path sends one engine call per step. The gateway returns the container's
state with each step, which costs it extra engine calls: an inspect to
resolve the reference and one for the result.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.context import Bench
from bench.engine import parallel
from bench.protocols import PROTOCOLS, Protocol
from bench.wire import HttpClient, expect

logger = logging.getLogger("bench")
STEPS = ("create", "start", "stop", "remove")


@dataclass
class StepTimes:
    """Seconds of each call, by path and step."""

    calls: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    #: Wall-clock seconds of each step over all containers (concurrent run).
    walls: dict[str, dict[str, float]] = field(default_factory=dict)

    def add(self, protocol: str, step: str, seconds: float) -> None:
        self.calls.setdefault(protocol, {}).setdefault(step, []).append(seconds)

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        out: dict[str, dict[str, dict[str, float]]] = {}
        for protocol, steps in self.calls.items():
            for step, values in steps.items():
                out.setdefault(protocol, {})[step] = {
                    "mean_ms": statistics.fmean(values) * 1000,
                    "p50_ms": statistics.median(values) * 1000,
                    "max_ms": max(values) * 1000,
                    "count": len(values),
                }
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "summary": self.summary()}


def _step(
    client: HttpClient, protocol: Protocol, step: str, ref: str, bench: Bench
) -> tuple[str, float]:
    if step == "create":
        request = protocol.create(bench.engine.spec(f"life-{protocol.name}"))
    elif step == "stop":
        request = protocol.stop(ref, 0)
    else:
        request = getattr(protocol, step)(ref)
    reply = expect(
        client.call(request), protocol.ok[step], description=f"{protocol.name} {step}"
    )
    if step == "create":
        ref = protocol.created_id(reply)
    return ref, reply.seconds


def sequential(bench: Bench) -> StepTimes:
    times = StepTimes()
    clients = {
        name: HttpClient(protocol.endpoint)
        for name, protocol in bench.protocols.items()
    }
    for turn in range(bench.plan.lifecycle_count):
        for name in bench.order(turn):
            ref = ""
            for step in STEPS:
                ref, seconds = _step(
                    clients[name], bench.protocols[name], step, ref, bench
                )
                times.add(name, step, seconds)
    for client in clients.values():
        client.close()
    return times


class _ThreadClients:
    """One HTTP client per thread, all closed together."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.local = threading.local()
        self.opened: list[HttpClient] = []
        self.lock = threading.Lock()

    def get(self) -> HttpClient:
        client: HttpClient | None = getattr(self.local, "client", None)
        if client is None:
            client = HttpClient(self.protocol.endpoint)
            self.local.client = client
            with self.lock:
                self.opened.append(client)
        return client

    def close(self) -> None:
        for client in self.opened:
            client.close()


def concurrent(bench: Bench) -> StepTimes:
    """Run each step for all M containers at once, from a pool of clients.

    The paths take turns step by step, in an order that rotates from step to
    step, so that a change in the machine's load between blocks of work
    reaches every path alike.
    """
    times = StepTimes()
    count = bench.plan.lifecycle_count
    width = bench.plan.lifecycle_concurrency
    clients = {name: _ThreadClients(bench.protocols[name]) for name in PROTOCOLS}
    refs = {name: [""] * count for name in PROTOCOLS}
    for turn, step in enumerate(STEPS):
        for name in bench.order(turn):

            def one(
                ref: str, step: str = step, pool: _ThreadClients = clients[name]
            ) -> str:
                protocol = pool.protocol
                new_ref, seconds = _step(pool.get(), protocol, step, ref, bench)
                times.add(protocol.name, step, seconds)
                return new_ref

            start = time.perf_counter()
            refs[name] = parallel(one, refs[name], width)
            times.walls.setdefault(name, {})[step] = time.perf_counter() - start
        logger.info("lifecycle with %d clients: %s done", width, step)
    for pool in clients.values():
        pool.close()
    return times


def run(bench: Bench) -> dict[str, Any]:
    result: dict[str, Any] = {
        "count": bench.plan.lifecycle_count,
        "concurrency": bench.plan.lifecycle_concurrency,
    }
    result["sequential"] = sequential(bench).to_dict()
    logger.info("lifecycle sequential done")
    if bench.time_left() > 60:
        result["concurrent"] = concurrent(bench).to_dict()
    else:
        bench.notes.append("Concurrent lifecycle skipped: the time budget ran out.")
    return result
