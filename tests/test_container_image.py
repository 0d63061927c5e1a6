"""Build the gateway's container image and run the lifecycle against it.

The base image comes from scripts/build-base-image (cached under its tag),
the gateway image from the Dockerfile, built with the host's network so that
pip reaches the package index. The gateway container gets the settings that
compose.yaml gives it: the engine socket, a token file, audit and state
volumes and a read-only root. Unlike compose.yaml, it shares the host's
network and listens on a free loopback port. The containers it manages have
no network at all. Everything made here is removed at the end, except the
cached base image.

Slow: skip it locally with ``scripts/test -m "not slow"``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from gateway.auth import new_token, token_hash
from tests.conftest import (
    DEMO_IMAGE,
    NAME_PREFIX,
    REPO,
    SOAP_NS,
    Containers,
    create_body,
    free_port,
)

pytestmark = pytest.mark.slow

BASE_IMAGE_SCRIPT = REPO / "scripts" / "build-base-image"
# The socket's path inside the gateway container, where the Docker SDK looks.
CONTAINER_SOCKET = "/var/run/docker.sock"
# uid:gid of the image's unprivileged user (Dockerfile).
IMAGE_USER = "10001:10001"
# Where compose.yaml puts the token file, the audit log and the state.
TOKENS_PATH = "/run/secrets/gateway-tokens"
AUDIT_DIR = "/var/log/container-gateway"
AUDIT_LOG = AUDIT_DIR + "/audit.jsonl"
STATE_DIR = "/var/lib/container-gateway"
TOKEN_OWNER = "imagetest"
# Maximum seconds from docker stop's SIGTERM to the server's exit. An idle
# server exits in under one second (measured here), and an open keep-alive
# connection keeps its gthread worker alive for about two seconds more.
STOP_DEADLINE = 5.0
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"


def docker_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the docker client and return its result, whatever the exit code."""
    return subprocess.run(
        ["docker", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def engine_socket() -> str:
    """Return the host path of the engine's unix socket."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        pytest.skip(f"the gateway container needs a unix socket; DOCKER_HOST={host}")
    return host.removeprefix("unix://")


@pytest.fixture(scope="module")
def base_image() -> str:
    """The local Python base image, built once and then kept as a cache."""
    result = subprocess.run(
        ["bash", str(BASE_IMAGE_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def gateway_image(base_image: str) -> Iterator[str]:
    tag = f"container-gateway:test-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    result = docker_cli(
        "build",
        "--network",
        "host",
        "--force-rm",
        "--build-arg",
        f"BASE_IMAGE={base_image}",
        "--tag",
        tag,
        str(REPO),
        timeout=600,
    )
    elapsed = time.monotonic() - started
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        print(f"built {tag} on {base_image} in {elapsed:.1f}s")
        yield tag
    finally:
        # Removing the tag also removes its intermediate layers. The base stays.
        docker_cli("image", "rm", tag)


@dataclass(frozen=True)
class Credentials:
    """An operator token and the token file that contains its hash."""

    token: str
    path: Path


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> Credentials:
    token = new_token()
    path = tmp_path_factory.mktemp("tokens") / "gateway-tokens"
    path.write_text(f"{TOKEN_OWNER} operator sha256:{token_hash(token)}\n")
    # The container's user (uid 10001) reads it, and it contains only a hash.
    path.chmod(0o644)
    return Credentials(token, path)


@dataclass
class Gateway:
    """A gateway container serving on a loopback port of the host."""

    name: str
    base_url: str
    token: str

    @property
    def api(self) -> str:
        return self.base_url + "/api/v1"

    @property
    def soap(self) -> str:
        return self.base_url + "/soap"

    def session(self) -> requests.Session:
        """Return a session that sends the operator token."""
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def logs(self) -> str:
        result = docker_cli("logs", self.name)
        return result.stdout + result.stderr


def run_gateway(image: str, hint: str, credentials: Credentials) -> Gateway:
    """Start the image as compose.yaml does, but on the host's network."""
    socket_path = engine_socket()
    port = free_port()
    name = f"{NAME_PREFIX}gateway-{hint}-{uuid.uuid4().hex[:8]}"
    base_url = f"http://127.0.0.1:{port}"

    result = docker_cli(
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        "host",
        "--env",
        f"GATEWAY_BIND=127.0.0.1:{port}",
        "--env",
        f"GATEWAY_PUBLIC_URL={base_url}",
        "--env",
        f"GATEWAY_TOKENS_FILE={TOKENS_PATH}",
        # A unique instance label, so that it lists only its own containers.
        "--env",
        f"GATEWAY_INSTANCE={name}",
        "--volume",
        f"{credentials.path}:{TOKENS_PATH}:ro",
        # Anonymous volumes, removed with the container.
        "--volume",
        AUDIT_DIR,
        "--volume",
        STATE_DIR,
        "--volume",
        f"{socket_path}:{CONTAINER_SOCKET}",
        "--group-add",
        str(os.stat(socket_path).st_gid),
        "--read-only",
        "--tmpfs",
        "/tmp",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--health-interval",
        "1s",
        "--health-timeout",
        "5s",
        "--health-start-period",
        "10s",
        image,
    )
    gateway = Gateway(name, base_url, credentials.token)
    if result.returncode != 0:
        docker_cli("rm", "--force", "--volumes", name)
        raise RuntimeError(f"docker run failed: {result.stderr}")

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # Not listening yet, or too busy to respond within the timeout.
        with contextlib.suppress(requests.RequestException):
            if requests.get(base_url + "/healthz", timeout=2).ok:
                return gateway
        state = docker_cli("inspect", "--format", "{{.State.Status}}", name)
        if state.stdout.strip() not in ("created", "running"):
            break
        time.sleep(0.2)

    logs = gateway.logs()
    docker_cli("rm", "--force", "--volumes", name)
    raise RuntimeError(f"the gateway container exited or timed out:\n{logs}")


@pytest.fixture(scope="module")
def gateway(gateway_image: str, credentials: Credentials) -> Iterator[Gateway]:
    running = run_gateway(gateway_image, "life", credentials)
    yield running
    docker_cli("rm", "--force", "--volumes", running.name)


def test_image_metadata(gateway_image: str, base_image: str) -> None:
    result = docker_cli(
        "image", "inspect", "--format", "{{json .Config}}", gateway_image
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    labels = config["Labels"]
    assert config["User"] == IMAGE_USER
    assert config["Healthcheck"]["Test"][0] == "CMD"
    assert config["Cmd"][0] == "/opt/venv/bin/gunicorn"
    assert labels["org.opencontainers.image.title"] == "container-gateway"
    assert labels["org.opencontainers.image.base.name"] == base_image
    assert labels["org.opencontainers.image.licenses"] == "MIT"


def test_runs_unprivileged_as_pid_1(gateway: Gateway) -> None:
    ids = docker_cli("exec", gateway.name, "id", "-u")
    cmdline = docker_cli("exec", gateway.name, "cat", "/proc/1/cmdline")
    assert ids.stdout.strip() == IMAGE_USER.split(":")[0]
    assert "/opt/venv/bin/gunicorn" in cmdline.stdout.split("\0")


def test_ready_through_mounted_socket(gateway: Gateway) -> None:
    response = requests.get(gateway.base_url + "/readyz", timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["engine"] == "reachable"


def test_health_status_healthy(gateway: Gateway) -> None:
    status = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        result = docker_cli(
            "inspect", "--format", "{{.State.Health.Status}}", gateway.name
        )
        status = result.stdout.strip()
        if status != "starting":
            break
        time.sleep(0.5)
    assert status == "healthy", gateway.logs()


def test_token_required(gateway: Gateway) -> None:
    response = requests.get(f"{gateway.api}/containers", timeout=30)
    assert response.status_code == 401, response.text


def audit_records(gateway: Gateway) -> list[dict[str, str]]:
    result = docker_cli("exec", gateway.name, "cat", AUDIT_LOG)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_rest_lifecycle_in_container(
    gateway: Gateway, containers: Containers, docker_api: docker.APIClient
) -> None:
    http = gateway.session()
    name = containers.name("img-rest")
    created = http.post(
        f"{gateway.api}/containers",
        json=create_body(name, "sh", "-c", "echo ready; sleep 300"),
        timeout=30,
    )
    assert created.status_code == 201, created.text
    container_id = created.json()["container_id"]
    assert created.json()["state"] == "created"
    assert docker_api.inspect_container(name)["HostConfig"]["NetworkMode"] == "none"

    started = http.post(f"{gateway.api}/containers/{name}/start", timeout=30)
    assert started.status_code == 200, started.text
    assert started.json()["container"]["state"] == "running"

    inspected = http.get(f"{gateway.api}/containers/{name}", timeout=30)
    assert inspected.json()["container_id"] == container_id

    logs: list[str] = []
    deadline = time.monotonic() + 10
    while not logs and time.monotonic() < deadline:
        response = http.get(f"{gateway.api}/containers/{name}/logs", timeout=30)
        logs = response.json()["lines"]
    assert logs == ["ready"]

    stopped = http.post(
        f"{gateway.api}/containers/{name}/stop", json={"timeout": 1}, timeout=60
    )
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["container"]["state"] == "exited"

    removed = http.delete(f"{gateway.api}/containers/{name}", timeout=30)
    assert removed.status_code == 204
    gone = http.get(f"{gateway.api}/containers/{name}", timeout=30)
    assert gone.status_code == 404

    # The audit log lands in the volume, with the token's owner.
    done = {
        record["operation"]
        for record in audit_records(gateway)
        if record["phase"] == "end"
        and record["outcome"] == "ok"
        and record["container"] in (name, container_id)
    }
    owners = {record["owner"] for record in audit_records(gateway)}
    assert done == {"create", "start", "stop", "remove"}
    assert owners == {TOKEN_OWNER}


def test_soap_lifecycle_in_container(
    gateway: Gateway, containers: Containers, docker_api: docker.APIClient
) -> None:
    wsdl = requests.get(gateway.soap + "?wsdl", timeout=30)
    assert wsdl.status_code == 200
    address = etree.fromstring(wsdl.content).find(f".//{{{WSDL_SOAP_NS}}}address")
    assert address is not None, wsdl.text
    assert address.get("location") == gateway.soap

    client = zeep.Client(
        gateway.soap + "?wsdl", transport=Transport(session=gateway.session())
    )
    soap = client.create_service(f"{{{SOAP_NS}}}ContainerGateway", gateway.soap)
    name = containers.name("img-soap")
    created = soap.CreateContainer(
        image=DEMO_IMAGE,
        name=name,
        command=["sleep", "300"],
        network="none",
        start=True,
    )
    assert created.state == "running"
    assert docker_api.inspect_container(name)["HostConfig"]["NetworkMode"] == "none"

    inspected = soap.InspectContainer(container=name)
    assert inspected.containerId == created.containerId

    stopped = soap.StopContainer(container=name, timeout=1)
    assert stopped.container.state == "exited"

    removed = soap.RemoveContainer(container=name)
    assert removed.removed is True
    with pytest.raises(zeep.exceptions.Fault) as fault:
        soap.InspectContainer(container=name)
    assert fault.value.code.endswith("Client.ContainerNotFound")


def test_docker_stop_is_clean(gateway_image: str, credentials: Credentials) -> None:
    running = run_gateway(gateway_image, "stop", credentials)
    try:
        # An open keep-alive connection must not hold the shutdown up.
        session = running.session()
        assert session.get(running.api + "/containers", timeout=30).ok
        started = time.monotonic()
        stopped = docker_cli("stop", "--time", "10", running.name, timeout=30)
        elapsed = time.monotonic() - started
        state = docker_cli(
            "inspect", "--format", "{{.State.ExitCode}}", running.name
        ).stdout.strip()
        logs = running.logs()
        session.close()
    finally:
        docker_cli("rm", "--force", "--volumes", running.name)
    print(f"docker stop took {elapsed:.2f}s")
    assert stopped.returncode == 0, stopped.stderr
    assert state == "0", logs
    assert elapsed < STOP_DEADLINE, logs
    assert "Shutting down: Master" in logs
