"""Profiles of the gateway's live workers under load, taken with py-spy.

py-spy samples every gunicorn worker (``--subprocesses``) while wrk drives
one operation with 8 clients. With ``--gil`` it records only the thread
that holds the GIL, so threads waiting for a request or for the engine's
reply are left out and the samples show where the workers run Python code.
Samples divided by what the rate and duration allow give how busy the
workers' interpreters were.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.context import Bench

logger = logging.getLogger("bench")
RATE = 200
CLIENTS = 8
#: Checked first: everything beneath these frames belongs to them.
Rules = tuple[tuple[str, tuple[str, ...]], ...]
ABSORBING: Rules = (
    ("logging", ("logging/",)),
    (
        "engine calls (docker SDK, requests, urllib3, http.client)",
        (
            "docker/",
            "requests/",
            "urllib3/",
            "http/client.py",
            "gateway/engine_transport.py",
        ),
    ),
)
#: Otherwise the frame nearest the leaf that matches one of these decides.
BY_LEAF: Rules = (
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("json", ("json/",)),
    ("Spyne", ("spyne/",)),
    ("lxml", ("lxml/",)),
    ("Flask, Werkzeug", ("flask/", "werkzeug/")),
    ("gunicorn", ("gunicorn/",)),
    ("gateway code", ("gateway/", "rest_service/", "soap_service/")),
)
#: Functions worth a look, found by name and file: (what, name, file).
WATCH = (
    (
        "Spyne's MethodContext.close, which calls gc.collect() when the last "
        "collection is over a second old",
        "MethodContext.close",
        "spyne/context.py",
    ),
    (
        "the gateway's own engine calls (EngineTransport.call)",
        "EngineTransport.call",
        "gateway/engine_transport.py",
    ),
    (
        "http.client parsing the engine's reply headers (parse_headers)",
        "parse_headers",
        "http/client.py",
    ),
    ("Spyne parsing the request (get_in_object)", "ServerBase.get_in_object", "spyne/"),
    (
        "Spyne writing the response (get_out_string_pull)",
        "ServerBase.get_out_string_pull",
        "spyne/",
    ),
    (
        "the gateway's SOAP response writer (ComplexWriter.write)",
        "ComplexWriter.write",
        "soap_service/xmlwriter.py",
    ),
    ("converting to the SOAP types (to_soap_container)", "to_soap_container", ""),
    (
        "building the container model (container_from_inspect)",
        "container_from_inspect",
        "",
    ),
    ("pydantic model_dump", "BaseModel.model_dump", "pydantic/"),
    ("log records (Logger._log: access log and INFO lines)", "Logger._log", "logging/"),
    (
        "gunicorn parsing the HTTP request (Request.__init__)",
        "Request.__init__",
        "gunicorn/",
    ),
)
#: Pass-through frames (threads, WSGI entry points, middleware) that are
#: under nearly every sample and tell nothing.
WRAPPERS = (
    "threading.py",
    "concurrent/futures/",
    "gunicorn/workers/",
    "RequestIdMiddleware.",
    "strip_trailing_slash.",
    "DispatcherMiddleware.",
    "Flask.__call__ ",
    "Flask.wsgi_app ",
    "SoapEndpoint.__call__ ",
    "WsgiApplication.__call__ ",
)


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rpartition(" ")
    frames = [f for f in stack.split(";") if f and not f.startswith("process ")]
    return frames, int(count)


def _path(frame: str) -> str:
    inside = frame.rpartition("(")[2].rstrip(")")
    return "/" + inside.rpartition(":")[0]


def _function(frame: str) -> str:
    """``name (path)`` without the line number."""
    name, _, _ = frame.partition(" (")
    return f"{name} ({_path(frame).lstrip('/')})"


def _matches(frame: str, prefixes: tuple[str, ...]) -> bool:
    path = _path(frame)
    return any("/" + prefix in path for prefix in prefixes)


def category(frames: list[str]) -> str:
    for label, prefixes in ABSORBING:
        if any(_matches(frame, prefixes) for frame in frames):
            return label
    for frame in reversed(frames):
        for label, prefixes in BY_LEAF:
            if _matches(frame, prefixes):
                return label
    return "other (standard library, interpreter)"


def analyse(raw: str, top: int = 14) -> dict[str, Any]:
    watched: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        if not line.strip():
            continue
        frames, count = _frames(line)
        if not frames:
            continue
        total += count
        categories[category(frames)] += count
        own[_function(frames[-1])] += count
        functions = {_function(frame) for frame in frames}
        for name in functions:
            inclusive[name] += count
        for label, function, path in WATCH:
            if any(
                name.startswith(function + " (") and path in name for name in functions
            ):
                watched[label] += count
    if not total:
        return {"samples": 0}

    def shares(counter: Counter[str], limit: int) -> list[tuple[str, float]]:
        return [(name, count / total) for name, count in counter.most_common(limit)]

    ranked = [
        (name, count)
        for name, count in inclusive.most_common()
        if not any(wrapper in name for wrapper in WRAPPERS)
    ]
    return {
        "samples": total,
        "categories": shares(categories, 20),
        "inclusive": [(name, count / total) for name, count in ranked[:top]],
        "self": shares(own, top),
        "watch": [(label, watched[label] / total) for label, _, _ in WATCH],
    }


def _profile(bench: Bench, protocol: str, operation: str, tool: str) -> dict[str, Any]:
    """Profile the workers while wrk drives *operation* through *protocol*."""
    plan = bench.plan
    spec = bench.protocols[protocol]
    size = None
    if operation == "list":
        request = spec.list(bench.list_label)
        size = bench.list_size
    else:
        request = spec.inspect(bench.inspect_id)
    running = bench.wrk.start(
        bench.endpoint(protocol),
        request,
        CLIENTS,
        plan.profile_seconds + 2,
        protocol=protocol,
        operation=operation,
        size=size,
    )
    # Sample only once the load is steady.
    time.sleep(1.0)

    out = bench.options.workdir / f"profile-{protocol}-{operation}.txt"
    command = [
        tool,
        "record",
        "--pid",
        str(bench.server.process.pid),
        "--subprocesses",
        "--format",
        "raw",
        "--rate",
        str(RATE),
        "--gil",
        "--duration",
        str(plan.profile_seconds),
        "--output",
        str(out),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=plan.profile_seconds + 60
    )
    load = running.finish()
    bench.server.wait_idle()
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"py-spy failed (exit {done.returncode}); it needs ptrace rights "
            f"over the workers: {done.stderr[-500:]}"
        )

    result = analyse(out.read_text())
    possible = RATE * plan.profile_seconds * bench.server.workers
    result.update(
        gil_busy=result["samples"] / possible,
        protocol=protocol,
        operation=operation,
        size=size,
        clients=CLIENTS,
        rps=load.rps,
        raw_file=str(out),
    )
    logger.info(
        "profile %s %s: %d samples, top %s",
        protocol,
        operation,
        result["samples"],
        result.get("categories", [])[:3],
    )
    return result


def run(bench: Bench) -> list[dict[str, Any]]:
    tool = py_spy()
    if tool is None:
        bench.notes.append("py-spy is not installed; no profile was taken.")
        return []
    results = []
    for protocol, operation in bench.plan.profile_scenarios:
        if bench.time_left() < bench.plan.profile_seconds + 20:
            bench.notes.append("Some profiles skipped: the time budget ran out.")
            break
        results.append(_profile(bench, protocol, operation, tool))
    return results
