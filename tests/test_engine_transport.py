"""The engine layer's own calls, over the Unix socket and over TCP.

The gateway sends inspect, list, start, stop and remove to the SDK client's
connection pool itself; these tests drive :class:`DockerEngine` against the
real engine, reached both ways, without the HTTP front ends.
"""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest

from gateway import errors
from gateway.access import enter_request
from gateway.auth import LOCAL_OPERATOR
from gateway.config import Settings
from gateway.docker_engine import DockerEngine
from gateway.engine_transport import SocketPoolAdapter
from gateway.models import (
    CreateRequest,
    KillRequest,
    ListQuery,
    RemoveRequest,
    StopRequest,
)
from tests.conftest import DEMO_IMAGE, Containers, create_body
from tests.sockets import TcpEngineProxy, engine_socket_path


@pytest.fixture(autouse=True)
def _local_operator() -> None:
    # The engine layer asks for the caller, as it does inside a request.
    enter_request(LOCAL_OPERATOR, "rest")


@pytest.fixture
def tcp_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[DockerEngine]:
    proxy = TcpEngineProxy()
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{proxy.port}")
    engine = DockerEngine(Settings())
    yield engine
    engine.api.close()
    proxy.close()


@pytest.fixture
def unix_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[DockerEngine]:
    monkeypatch.setenv("DOCKER_HOST", "unix://" + engine_socket_path())
    engine = DockerEngine(Settings())
    yield engine
    engine.api.close()


def _lifecycle(engine: DockerEngine, containers: Containers) -> str:
    name = containers.name("transport")
    created = engine.create(CreateRequest.model_validate(create_body(name)))
    assert created.state == "created"
    started = engine.start(name)
    assert (started.changed, started.container.state) == (True, "running")
    assert engine.start(created.container_id).changed is False
    assert engine.inspect(name).state == "running"
    listed = engine.list(ListQuery(name=name))
    assert [c.container_id for c in listed] == [created.container_id]
    stopped = engine.stop(created.container_id, StopRequest(timeout=0))
    assert (stopped.changed, stopped.container.state) == (True, "exited")
    assert engine.stop(name, StopRequest(timeout=0)).changed is False
    removed = engine.remove(created.container_id, RemoveRequest())
    assert removed.container_id == created.container_id
    with pytest.raises(errors.ContainerNotFound):
        engine.inspect(created.container_id)
    return created.container_id


def test_lifecycle_over_unix_socket(
    unix_engine: DockerEngine, containers: Containers
) -> None:
    for _ in range(3):
        _lifecycle(unix_engine, containers)
    # One pool serves every path; the SDK alone keeps one per distinct URL.
    adapter = unix_engine.api.adapters["http+docker://"]
    assert isinstance(adapter, SocketPoolAdapter)
    assert len(adapter.pools) == 1


def test_lifecycle_over_tcp(tcp_engine: DockerEngine, containers: Containers) -> None:
    _lifecycle(tcp_engine, containers)
    assert not isinstance(
        tcp_engine.api.adapters.get("http+docker://"), SocketPoolAdapter
    )


@pytest.mark.parametrize("transport", ["unix_engine", "tcp_engine"])
def test_engine_errors_translate(
    transport: str, request: pytest.FixtureRequest, containers: Containers
) -> None:
    engine: DockerEngine = request.getfixturevalue(transport)
    name = containers.name("transport-err")
    engine.create(CreateRequest.model_validate(create_body(name, start=True)))
    with pytest.raises(errors.ContainerNotFound):
        engine.stop("cgtest-no-such-container", StopRequest(timeout=0))
    with pytest.raises(errors.InvalidState):
        # A running container is not removed without force.
        engine.remove(name, RemoveRequest())
    assert engine.inspect(name).state == "running"


def test_known_id_keeps_ownership(
    unix_engine: DockerEngine, docker_api: docker.APIClient, containers: Containers
) -> None:
    # A full id skips the inspect only when this gateway has seen it on one
    # of its own containers; any other full id is looked up and refused.
    name = containers.name("foreign")
    foreign = docker_api.create_container(
        DEMO_IMAGE,
        ["sleep", "300"],
        name=name,
        host_config=docker_api.create_host_config(network_mode="none"),
    )["Id"]
    docker_api.start(foreign)
    for action in (
        lambda: unix_engine.stop(foreign, StopRequest(timeout=0)),
        lambda: unix_engine.remove(foreign, RemoveRequest(force=True)),
        lambda: unix_engine.kill(foreign, KillRequest()),
    ):
        with pytest.raises(errors.ContainerNotFound):
            action()
    assert docker_api.inspect_container(foreign)["State"]["Running"] is True
