"""Client side: what a zeep client costs against requests for REST.

zeep builds its client from the WSDL once; that cost is timed on its own.
Per call, the same inspect is made with several clients, in rotating
rounds, and both wall time and this process's CPU time are recorded. The
CPU time is the client's own cost, since the server runs elsewhere.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from bench.context import Bench
from bench.protocols import SOAP_BINDING
from bench.wire import HttpClient, expect

ROUND = 10


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def construction(bench: Bench) -> dict[str, Any]:
    base = bench.server.endpoint.base_url
    wsdl_url = base + "/soap?wsdl"
    wall: list[float] = []
    cpu: list[float] = []
    fetch: list[float] = []
    wsdl_bytes = 0
    for _ in range(bench.plan.zeep_builds):
        start = time.perf_counter()
        response = requests.get(wsdl_url, timeout=30)
        fetch.append(time.perf_counter() - start)
        wsdl_bytes = len(response.content)
        session = requests.Session()
        start, start_cpu = time.perf_counter(), time.process_time()
        client = zeep.Client(wsdl_url, transport=Transport(session=session))
        client.create_service(SOAP_BINDING, base + "/soap")
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        session.close()
    return {
        "builds": len(wall),
        "wsdl_bytes": wsdl_bytes,
        "fetch_ms": statistics.median(fetch) * 1000,
        "build_ms": statistics.median(wall) * 1000,
        "build_min_ms": min(wall) * 1000,
        "build_cpu_ms": statistics.median(cpu) * 1000,
    }


def _callers(bench: Bench) -> dict[str, Callable[[], object]]:
    ref = bench.inspect_id
    rest = bench.protocols["rest"]
    soap = bench.protocols["soap"]
    direct = bench.protocols["direct"]
    base = bench.server.endpoint.base_url
    rest_request = rest.inspect(ref)
    soap_request = soap.inspect(ref)
    direct_request = direct.inspect(ref)
    session = requests.Session()
    zeep_session = requests.Session()
    client = zeep.Client(base + "/soap?wsdl", transport=Transport(session=zeep_session))
    service = client.create_service(SOAP_BINDING, base + "/soap")
    rest_raw = HttpClient(rest.endpoint)
    soap_raw = HttpClient(soap.endpoint)
    direct_raw = HttpClient(direct.endpoint)
    rest_url = base + rest_request.target
    soap_url = base + soap_request.target
    soap_headers = dict(soap_request.headers)

    def rest_requests() -> object:
        response = session.get(rest_url, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()

    def soap_zeep() -> object:
        return service.InspectContainer(container=ref)

    def soap_requests() -> object:
        response = session.post(soap_url, data=soap_request.body, headers=soap_headers)
        response.raise_for_status()
        return etree.fromstring(response.content)

    def rest_http_client() -> object:
        return json.loads(
            expect(rest_raw.call(rest_request), 200, description="rest").body
        )

    def soap_http_client() -> object:
        reply = expect(soap_raw.call(soap_request), 200, description="soap")
        return etree.fromstring(reply.body)

    def direct_http_client() -> object:
        reply = expect(direct_raw.call(direct_request), 200, description="direct")
        return json.loads(reply.body)

    return {
        "REST, requests + json": rest_requests,
        "REST, http.client + json": rest_http_client,
        "SOAP, zeep": soap_zeep,
        "SOAP, requests + lxml": soap_requests,
        "SOAP, http.client + lxml": soap_http_client,
        "engine, http.client + json (Unix socket)": direct_http_client,
    }


def per_call(bench: Bench) -> dict[str, dict[str, float]]:
    callers = _callers(bench)
    names = list(callers)
    for caller in callers.values():
        caller()
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, float] = dict.fromkeys(names, 0.0)
    rounds = max(1, bench.plan.client_calls // ROUND)
    for turn in range(rounds):
        shift = turn % len(names)
        for name in names[shift:] + names[:shift]:
            caller = callers[name]
            start_cpu = time.process_time()
            for _ in range(ROUND):
                start = time.perf_counter()
                caller()
                wall[name].append(time.perf_counter() - start)
            cpu[name] += time.process_time() - start_cpu
    return {
        name: {
            "calls": len(wall[name]),
            "p50_ms": statistics.median(wall[name]) * 1000,
            "p90_ms": _percentile(wall[name], 0.9) * 1000,
            "cpu_us": cpu[name] / len(wall[name]) * 1e6,
        }
        for name in names
    }


def run(bench: Bench) -> dict[str, Any]:
    return {"construction": construction(bench), "per_call": per_call(bench)}
