"""wrk as the load generator: one Lua script per request, JSON out.

wrk keeps one keep-alive connection per client and records latency in an
HdrHistogram; its ``done`` hook prints the numbers as one JSON line. Its
``--timeout`` is set far above any latency seen here, so slow replies are
measured rather than dropped as timeouts.
"""

from __future__ import annotations

import hashlib
import json
import resource
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.processes import CpuProbe
from bench.wire import Endpoint, Request

MARKER = "BENCHJSON "
WRK_TIMEOUT = "30s"

DONE_HOOK = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCHJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"bytes\\":%d,"
    .. "\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"status\\":%d,"
    .. "\\"timeout\\":%d,\\"p50\\":%d,\\"p90\\":%d,\\"p99\\":%d,"
    .. "\\"max\\":%d,\\"mean\\":%.1f}\\n",
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def lua_string(text: str) -> str:
    """Quote *text* as a Lua string literal."""
    out = []
    for char in text:
        if char in '\\"':
            out.append("\\" + char)
        elif 32 <= ord(char) < 127:
            out.append(char)
        else:
            out.extend(f"\\{byte}" for byte in char.encode("utf-8"))
    return '"' + "".join(out) + '"'


@dataclass
class LoadResult:
    protocol: str
    operation: str
    clients: int
    size: int | None
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    errors: int
    non_2xx: int
    response_bytes: int
    #: CPU microseconds per request, by process group.
    cpu_us: dict[str, float] = field(default_factory=dict)
    #: Throughput of each repetition that this result combines.
    rps_runs: list[float] = field(default_factory=list)
    #: Seconds the gateway kept working on queued requests after wrk ended.
    drain_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Running:
    """A wrk run in the background; :meth:`finish` waits and parses it."""

    wrk: Wrk
    process: subprocess.Popen[str]
    meta: dict[str, Any]
    cpu_before: dict[str, float]
    rusage_before: float
    deadline: float

    def finish(self) -> LoadResult:
        timeout = max(self.deadline - time.monotonic(), 0) + 30
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise RuntimeError(f"wrk did not finish: {self.meta}") from None
        except BaseException:
            # Interrupted: wrk runs in its own session, so stop it here.
            self.process.kill()
            raise
        # Let socat reap the children of the connections wrk just closed.
        time.sleep(0.2)
        cpu = self.wrk.probe.delta(self.cpu_before, self.wrk.probe.snapshot())
        cpu["wrk"] = _children_cpu() - self.rusage_before
        return self.wrk.parse(out, err, self.meta, cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Wrk:
    def __init__(self, workdir: Path, probe: CpuProbe) -> None:
        if shutil.which("wrk") is None:
            raise RuntimeError("wrk is not installed (apt-get install wrk)")
        self.workdir = workdir
        self.probe = probe

    def script(self, request: Request) -> Path:
        key = hashlib.sha256(repr(request).encode()).hexdigest()[:16]
        path = self.workdir / f"wrk-{key}.lua"
        if path.exists():
            return path
        lines = [
            f"wrk.method = {lua_string(request.method)}",
            f"wrk.path = {lua_string(request.target)}",
        ]
        for name, value in request.headers:
            lines.append(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}")
        if request.body:
            body_path = self.workdir / f"wrk-{key}.body"
            body_path.write_bytes(request.body)
            lines += [
                f"local file = assert(io.open({lua_string(str(body_path))}, 'rb'))",
                "wrk.body = file:read('*a')",
                "file:close()",
            ]
        path.write_text("\n".join(lines) + "\n" + DONE_HOOK)
        return path

    def start(
        self,
        endpoint: Endpoint,
        request: Request,
        clients: int,
        seconds: int,
        **meta: Any,
    ) -> Running:
        threads = min(clients, 2)
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{clients}",
            f"-d{max(int(seconds), 1)}s",
            "--timeout",
            WRK_TIMEOUT,
            "-s",
            str(self.script(request)),
            endpoint.base_url + "/",
        ]
        cpu_before = self.probe.snapshot()
        rusage_before = _children_cpu()
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        meta = {"clients": clients, **meta}
        deadline = time.monotonic() + seconds
        return Running(self, process, meta, cpu_before, rusage_before, deadline)

    def run(
        self,
        endpoint: Endpoint,
        request: Request,
        clients: int,
        seconds: int,
        **meta: Any,
    ) -> LoadResult:
        return self.start(endpoint, request, clients, seconds, **meta).finish()

    def parse(
        self, out: str, err: str, meta: dict[str, Any], cpu: dict[str, float]
    ) -> LoadResult:
        line = next((ln for ln in out.splitlines() if ln.startswith(MARKER)), None)
        if line is None:
            raise RuntimeError(
                f"wrk output has no result line: {out[-500:]} {err[-500:]}"
            )
        data = json.loads(line[len(MARKER) :])
        requests = data["requests"]
        seconds = data["duration_us"] / 1e6
        per_request = {
            name: round(value / requests * 1e6, 1) if requests else 0.0
            for name, value in cpu.items()
        }
        return LoadResult(
            protocol=meta.get("protocol", "-"),
            operation=meta.get("operation", "-"),
            clients=meta["clients"],
            size=meta.get("size"),
            seconds=round(seconds, 3),
            requests=requests,
            rps=round(requests / seconds, 1) if seconds else 0.0,
            p50_ms=data["p50"] / 1000,
            p90_ms=data["p90"] / 1000,
            p99_ms=data["p99"] / 1000,
            max_ms=data["max"] / 1000,
            mean_ms=round(data["mean"] / 1000, 3),
            errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
            non_2xx=data["status"],
            response_bytes=data["bytes"],
            cpu_us=per_request,
            rps_runs=[round(requests / seconds, 1) if seconds else 0.0],
        )


def combine(runs: list[LoadResult]) -> LoadResult:
    """Merge repetitions of one measurement into one result.

    Throughput is total requests over total time. The percentiles are the
    mean of the repetitions' percentiles, because wrk gives no histogram to
    merge. CPU per request is weighted by each repetition's requests.
    """
    if len(runs) == 1:
        return runs[0]
    first = runs[0]
    requests = sum(run.requests for run in runs)
    seconds = sum(run.seconds for run in runs)

    def mean(key: str) -> float:
        return round(sum(getattr(run, key) for run in runs) / len(runs), 3)

    cpu: dict[str, float] = {}
    for name in first.cpu_us:
        total = sum(run.cpu_us.get(name, 0.0) * run.requests for run in runs)
        cpu[name] = round(total / requests, 1) if requests else 0.0
    return LoadResult(
        protocol=first.protocol,
        operation=first.operation,
        clients=first.clients,
        size=first.size,
        seconds=round(seconds, 3),
        requests=requests,
        rps=round(requests / seconds, 1) if seconds else 0.0,
        p50_ms=mean("p50_ms"),
        p90_ms=mean("p90_ms"),
        p99_ms=mean("p99_ms"),
        max_ms=max(run.max_ms for run in runs),
        mean_ms=mean("mean_ms"),
        errors=sum(run.errors for run in runs),
        non_2xx=sum(run.non_2xx for run in runs),
        response_bytes=sum(run.response_bytes for run in runs),
        cpu_us=cpu,
        rps_runs=[value for run in runs for value in run.rps_runs],
        drain_s=max(run.drain_s for run in runs),
    )
