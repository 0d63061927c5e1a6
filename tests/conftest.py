"""Fixtures that run the real gunicorn server against the real Docker Engine."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest
import requests
import zeep
from zeep.transports import Transport

REPO = Path(__file__).resolve().parent.parent
DEMO_IMAGE = os.environ.get("GATEWAY_DEMO_IMAGE", "gateway-demo:latest")
# Every container a test creates carries this prefix, so a crashed run's
# leftovers are easy to find: docker ps -a --filter name=cgtest-
NAME_PREFIX = "cgtest-"
SOAP_NS = "urn:container-gateway:soap:v1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A gunicorn process serving the gateway on a loopback port."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def api(self) -> str:
        return self.base_url + "/api/v1"

    @property
    def soap(self) -> str:
        return self.base_url + "/soap"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(tmp_dir: Path, **env: str) -> Server:
    """Start gunicorn with *env* added to the environment and wait until up.

    The free port is only free when it is picked, so a start that loses the
    port to another process is retried on a new one.
    """
    for _ in range(3):
        server = _launch(tmp_dir, env)
        if _wait_until_up(server):
            return server
        stop_server(server)
        if "Address already in use" not in server.log():
            break
    raise RuntimeError(f"gunicorn did not come up:\n{server.log()}")


def _launch(tmp_dir: Path, env: dict[str, str]) -> Server:
    port = free_port()
    log_path = tmp_dir / f"gunicorn-{port}.log"
    server_env = {
        **os.environ,
        "GATEWAY_BIND": f"127.0.0.1:{port}",
        "GATEWAY_WORKERS": "2",
        **env,
    }
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "gateway.wsgi:app",
            ],
            cwd=REPO,
            env=server_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    return Server(f"http://127.0.0.1:{port}", process, log_path)


def _wait_until_up(server: Server) -> bool:
    # Another server that took the port first could pass the health check,
    # so gunicorn's own log must also show it listening.
    listening = f"Listening at: {server.base_url} ({server.process.pid})"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            healthy = requests.get(server.base_url + "/healthz", timeout=1).ok
        except requests.RequestException:
            # Not listening yet, or too busy to respond within a second.
            healthy = False
        if healthy and listening in server.log():
            return True
        time.sleep(0.1)
    return False


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def docker_api() -> docker.APIClient:
    """The engine itself, for checking what the gateway did."""
    client = docker.from_env().api
    client.ping()
    client.inspect_image(DEMO_IMAGE)
    return client


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, docker_api: docker.APIClient
) -> Iterator[Server]:
    # The public URL is the default one, not the port the test server has:
    # the served WSDL must then equal the committed one byte for byte.
    running = start_server(
        tmp_path_factory.mktemp("server"), GATEWAY_PUBLIC_URL="http://127.0.0.1:8080"
    )
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def soap_client(server: Server) -> zeep.Client:
    session = requests.Session()
    return zeep.Client(
        server.soap + "?wsdl", transport=Transport(session=session, timeout=60)
    )


@pytest.fixture(scope="session")
def soap(soap_client: zeep.Client, server: Server) -> zeep.proxy.ServiceProxy:
    """The SOAP service, bound to the test server's address."""
    binding = f"{{{SOAP_NS}}}ContainerGateway"
    return soap_client.create_service(binding, server.soap)


@dataclass
class Containers:
    """Names for test containers; every one is removed after the test."""

    docker_api: docker.APIClient
    names: list[str] = field(default_factory=list)

    def name(self, hint: str = "c") -> str:
        name = f"{NAME_PREFIX}{hint}-{uuid.uuid4().hex[:8]}"
        self.names.append(name)
        return name

    def remove_all(self) -> None:
        for name in self.names:
            with contextlib.suppress(docker.errors.NotFound):
                self.docker_api.remove_container(name, force=True, v=True)


@pytest.fixture
def containers(docker_api: docker.APIClient) -> Iterator[Containers]:
    tracker = Containers(docker_api)
    yield tracker
    tracker.remove_all()


def create_body(name: str, *command: str, start: bool = False) -> dict[str, object]:
    """Return a REST create body for the demo image without networking."""
    return {
        "image": DEMO_IMAGE,
        "name": name,
        "command": list(command or ("sleep", "300")),
        "network": "none",
        "start": start,
    }
