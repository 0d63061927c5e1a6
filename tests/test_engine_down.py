"""The gateway without a reachable engine, and its recovery."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import zeep

from tests.conftest import SOAP_NS, Server, start_server, stop_server
from tests.sockets import EngineProxy, ScriptedEngine, SilentEngine, raw_reply

INSPECT = (
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    f'<InspectContainer xmlns="{SOAP_NS}"><container>anything</container>'
    "</InspectContainer></s:Body></s:Envelope>"
)


def soap_fault_code(server: Server) -> str:
    response = requests.post(
        server.soap,
        data=INSPECT,
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=30,
    )
    assert response.status_code == 500
    return response.text.split("<faultcode>")[1].split("</faultcode>")[0]


@pytest.fixture
def socket_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Unix socket paths are limited to about 100 bytes, so a short dir is used.
    return tmp_path_factory.mktemp("sock")


@pytest.fixture
def engine_down(socket_dir: Path) -> Iterator[tuple[Server, Path]]:
    socket_path = socket_dir / "engine.sock"
    server = start_server(socket_dir, DOCKER_HOST=f"unix://{socket_path}")
    yield server, socket_path
    stop_server(server)


def test_engine_down_then_recovers(
    engine_down: tuple[Server, Path], docker_api: object
) -> None:
    server, socket_path = engine_down

    started = time.monotonic()
    response = requests.get(f"{server.api}/containers", timeout=30)
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.json()["code"] == "engine_unavailable"
    assert soap_fault_code(server).endswith(":Server.EngineUnavailable")
    assert requests.get(server.base_url + "/healthz", timeout=5).status_code == 200
    ready = requests.get(server.base_url + "/readyz", timeout=5)
    assert ready.status_code == 503
    assert ready.json()["code"] == "engine_unavailable"
    assert requests.get(server.soap + "?wsdl", timeout=5).status_code == 200

    proxy = EngineProxy(socket_path)
    try:
        assert requests.get(server.base_url + "/readyz", timeout=30).status_code == 200
        listed = requests.get(f"{server.api}/containers", timeout=30)
        assert listed.status_code == 200, listed.text
        assert soap_fault_code(server).endswith(":Client.ContainerNotFound")
    finally:
        proxy.close()

    again = requests.get(f"{server.api}/containers", timeout=30)
    assert again.status_code == 503
    assert again.json()["code"] == "engine_unavailable"


def test_zeep_sees_engine_unavailable(engine_down: tuple[Server, Path]) -> None:
    server, _ = engine_down
    client = zeep.Client(server.soap + "?wsdl")
    service = client.create_service(f"{{{SOAP_NS}}}ContainerGateway", server.soap)
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.ListContainers()
    assert fault.value.code.endswith("Server.EngineUnavailable")


def test_engine_timeout(socket_dir: Path) -> None:
    socket_path = socket_dir / "silent.sock"
    silent = SilentEngine(socket_path)
    server = start_server(
        socket_dir, DOCKER_HOST=f"unix://{socket_path}", GATEWAY_ENGINE_TIMEOUT="1"
    )
    try:
        started = time.monotonic()
        response = requests.get(f"{server.api}/containers", timeout=30)
        elapsed = time.monotonic() - started
        fault = soap_fault_code(server)
    finally:
        stop_server(server)
        silent.close()
    assert response.status_code == 504
    assert response.json()["code"] == "engine_timeout"
    assert elapsed < 10
    assert fault.endswith(":Server.EngineTimeout")


def test_broken_engine_reply_both_protocols(socket_dir: Path) -> None:
    # An inspect that returns 200 with a body that is not JSON is the
    # engine's failure: 502 in REST and Server.EngineError in SOAP.
    socket_path = socket_dir / "scripted.sock"
    engine = ScriptedEngine(
        socket_path,
        {
            "GET /containers/anything/json": raw_reply(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6",
                b"<html>",
            ),
            "GET /containers/json": raw_reply(
                "HTTP/1.1 200 OK\r\nContent-Length: 2", b"[]"
            ),
        },
    )
    server = start_server(socket_dir, DOCKER_HOST=f"unix://{socket_path}")
    try:
        response = requests.get(f"{server.api}/containers/anything", timeout=30)
        fault = soap_fault_code(server)
    finally:
        stop_server(server)
        engine.close()
    assert response.status_code == 502
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "engine_error"
    assert fault.endswith(":Server.EngineError")
