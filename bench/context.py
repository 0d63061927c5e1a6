"""Set-up and tear-down of one run: engine, socat, gateway, wrk."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.engine import LIST_LABEL, Engine
from bench.loadgen import LoadResult, Wrk, combine
from bench.plan import Plan
from bench.processes import CpuProbe, GatewayServer, Socat, cpu_seconds, find_process
from bench.protocols import (
    DIRECT,
    PROTOCOLS,
    REST,
    SOAP,
    Direct,
    Protocol,
    Rest,
    Soap,
)
from bench.wire import Endpoint, HttpClient, Request, expect

logger = logging.getLogger("bench")


@dataclass
class Options:
    repo: Path
    workdir: Path
    server_python: str
    server_env: dict[str, str]
    socket_path: str
    image: str
    #: Git revision of the gateway to measure beside the working tree's.
    baseline: str | None = None


@dataclass
class Bench:
    plan: Plan
    options: Options
    engine: Engine
    socat: Socat
    server: GatewayServer
    protocols: dict[str, Protocol]
    wrk: Wrk
    probe: CpuProbe
    started: float
    inspect_id: str = ""
    list_size: int = 0
    notes: list[str] = field(default_factory=list)
    servers: list[GatewayServer] = field(default_factory=list)

    @property
    def list_label(self) -> str:
        return f"{LIST_LABEL}={self.engine.run_id}"

    def time_left(self) -> float:
        return self.plan.budget_seconds - (time.monotonic() - self.started)

    def order(self, turn: int) -> list[str]:
        """Return the three paths in an order that rotates from turn to turn."""
        shift = turn % len(PROTOCOLS)
        return list(PROTOCOLS[shift:] + PROTOCOLS[:shift])

    def endpoint(self, protocol: str, server: GatewayServer | None = None) -> Endpoint:
        if protocol == DIRECT:
            return self.socat.endpoint
        return (server or self.server).endpoint

    def load(
        self,
        protocol: str,
        request: Request,
        clients: int,
        server: GatewayServer | None = None,
        seconds: int | None = None,
        operation: str = "-",
        size: int | None = None,
    ) -> LoadResult:
        result = self.wrk.run(
            self.endpoint(protocol, server),
            request,
            clients,
            seconds or self.plan.seconds,
            protocol=protocol,
            operation=operation,
            size=size,
        )
        if protocol != DIRECT:
            result.drain_s = round((server or self.server).wait_idle(), 2)
            if result.drain_s > 2:
                self.notes.append(
                    f"After {protocol.upper()} {operation}"
                    + (f" of {size}" if size else "")
                    + f" under {clients} clients the gateway needed "
                    f"{result.drain_s:.0f} s to finish the requests still queued "
                    "when the load stopped."
                )
        return result

    def compare(
        self,
        requests: dict[str, Request],
        clients: int,
        turn: int,
        server: GatewayServer | None = None,
        operation: str = "-",
        size: int | None = None,
        seconds: dict[str, int] | None = None,
        repeats: int | None = None,
    ) -> list[LoadResult]:
        """Measure every path at *clients*, repeated in alternating order."""
        runs: dict[str, list[LoadResult]] = {name: [] for name in requests}
        order = [name for name in self.order(turn) if name in requests]
        for repeat in range(repeats or self.plan.repeats):
            for protocol in order if repeat % 2 == 0 else order[::-1]:
                request = requests[protocol]
                runs[protocol].append(
                    self.load(
                        protocol,
                        request,
                        clients,
                        server,
                        seconds=(seconds or {}).get(protocol),
                        operation=operation,
                        size=size,
                    )
                )
        return [combine(runs[name]) for name in order]

    def warm_up(self, server: GatewayServer | None = None, seconds: int = 0) -> None:
        """Load every path briefly, so each worker has its engine connection."""
        for protocol in PROTOCOLS:
            request = self.protocols[protocol].inspect(self.inspect_id)
            self.load(protocol, request, 8, server, seconds or self.plan.warmup)

    def ensure_list_size(self, size: int) -> None:
        """Grow the set of listed containers (created, never started) to *size*."""
        missing = size - self.list_size
        if missing > 0:
            specs = [
                self.engine.spec("list", labels={LIST_LABEL: self.engine.run_id})
                for _ in range(missing)
            ]
            self.engine.create_many(specs)
            self.list_size = size
        self.verify_list(size)

    def verify_list(self, size: int) -> None:
        for name, protocol in self.protocols.items():
            client = HttpClient(protocol.endpoint)
            reply = client.call(protocol.list(self.list_label))
            client.close()
            expect(reply, protocol.ok["list"], description=f"{name} list")
            if protocol.count(reply) != size:
                raise RuntimeError(
                    f"{name} lists {protocol.count(reply)} containers, expected {size};"
                    " does the gateway show containers it did not create?"
                )

    def start_server(
        self,
        workers: int,
        threads: int,
        app: str = "gateway.wsgi:app",
        env: dict[str, str] | None = None,
        repo: Path | None = None,
    ) -> GatewayServer:
        options = self.options
        server = GatewayServer.start(
            options.server_python,
            repo or options.repo,
            workers,
            threads,
            options.workdir,
            {**options.server_env, **(env or {})},
            app,
        )
        self.servers.append(server)
        return server

    def stop_server(self, server: GatewayServer) -> None:
        server.stop()
        self.servers.remove(server)


@contextlib.contextmanager
def bench_context(plan: Plan, options: Options) -> Iterator[Bench]:
    started = time.monotonic()
    engine = Engine(options.socket_path, options.image)
    swept = engine.sweep_stale()
    if swept:
        logger.info("removed %d containers left by an earlier run", swept)
    probe = CpuProbe()
    socat: Socat | None = None
    servers: list[GatewayServer] = []
    bench: Bench | None = None
    try:
        socat = Socat.start(options.socket_path)
        server = GatewayServer.start(
            options.server_python,
            options.repo,
            2,
            16,
            options.workdir,
            options.server_env,
        )
        servers.append(server)
        direct = Direct(engine.endpoint, socat.endpoint, engine.api_version)
        protocols: dict[str, Protocol] = {
            DIRECT: direct,
            REST: Rest(server.endpoint, server.endpoint),
            SOAP: Soap(server.endpoint, server.endpoint),
        }
        bench = Bench(
            plan=plan,
            options=options,
            engine=engine,
            socat=socat,
            server=server,
            protocols=protocols,
            wrk=Wrk(options.workdir, probe),
            probe=probe,
            started=started,
            servers=servers,
        )
        _add_probes(bench)
        engine.managed, direct.host_config = gateway_defaults(engine, protocols[REST])
        bench.inspect_id = engine.create(engine.spec("inspect"), start=True)
        yield bench
    finally:
        for running in list(servers):
            running.stop()
        if socat is not None:
            socat.stop()
        removed = engine.remove_run()
        logger.info("removed the run's %d containers", removed)


def _add_probes(bench: Bench) -> None:
    probe = bench.probe
    probe.add("gateway", lambda: sum(server.cpu() for server in bench.servers))
    probe.add("socat", bench.socat.cpu)
    dockerd = find_process("dockerd")
    if dockerd is not None:
        probe.add("dockerd", lambda: cpu_seconds(dockerd, reaped_children=False))
    else:
        bench.notes.append("dockerd's process was not found; its CPU is not shown.")


def gateway_defaults(
    engine: Engine, rest: Protocol
) -> tuple[dict[str, str], dict[str, Any]]:
    """Return the labels and the resource settings the gateway gives a container.

    The gateway serves only the containers that carry its labels, and its
    create policy sets default limits. One container created through REST
    shows both, so that the direct path can create the same container.
    """
    spec = engine.spec("probe")
    client = HttpClient(rest.endpoint)
    reply = expect(
        client.call(rest.create(spec)), rest.ok["create"], description="probe"
    )
    client.close()
    container_id = rest.created_id(reply)
    info = engine.inspect(container_id)
    engine.remove(container_id)
    labels = info["Config"]["Labels"] or {}
    host = info["HostConfig"]
    resources = {key: host[key] for key in DIRECT_HOST_CONFIG if host.get(key)}
    managed = {key: value for key, value in labels.items() if key not in spec.labels}
    return managed, resources


#: HostConfig fields that the direct path copies from the gateway's containers.
DIRECT_HOST_CONFIG = ("Memory", "NanoCpus", "PidsLimit", "RestartPolicy")
