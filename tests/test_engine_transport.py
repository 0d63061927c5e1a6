"""The engine layer's own calls, over the Unix socket and over TCP.

The gateway sends inspect, list, start, stop and remove to the SDK client's
connection pool itself. These tests drive :class:`DockerEngine` against the
real engine, reached both ways, without the HTTP front ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
from tests.sockets import (
    ScriptedEngine,
    TcpEngineProxy,
    engine_socket_path,
    raw_reply,
)


@pytest.fixture(autouse=True)
def _local_operator() -> None:
    # The engine layer reads the caller, as it does inside a request.
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


def test_stale_id_names_no_foreign_container(
    unix_engine: DockerEngine, docker_api: docker.APIClient, containers: Containers
) -> None:
    # The engine takes a 64-hex reference that matches no id as a name. Once
    # the gateway's container is gone, its id may name someone else's.
    name = containers.name("stale")
    removed_one = unix_engine.create(CreateRequest.model_validate(create_body(name)))
    assert [c.container_id for c in unix_engine.list(ListQuery(all=True, name=name))]

    docker_api.remove_container(removed_one.container_id, force=True)
    containers.names.append(removed_one.container_id)
    foreign = docker_api.create_container(
        DEMO_IMAGE,
        ["sleep", "300"],
        name=removed_one.container_id,
        host_config=docker_api.create_host_config(network_mode="none"),
    )["Id"]
    docker_api.start(foreign)
    started_at = docker_api.inspect_container(foreign)["State"]["StartedAt"]

    actions = {
        "stop": lambda: unix_engine.stop(
            removed_one.container_id, StopRequest(timeout=0)
        ),
        "kill": lambda: unix_engine.kill(removed_one.container_id, KillRequest()),
        "restart": lambda: unix_engine.restart(removed_one.container_id, StopRequest()),
        "remove": lambda: unix_engine.remove(
            removed_one.container_id, RemoveRequest(force=True)
        ),
    }
    for operation, action in actions.items():
        with pytest.raises(errors.ContainerNotFound):
            action()
            pytest.fail(f"{operation} reached a container by its name")

    state = docker_api.inspect_container(foreign)["State"]
    assert state["Running"] is True
    assert state["StartedAt"] == started_at


@pytest.fixture
def scripted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ScriptedEngine, DockerEngine]]:
    # An empty list: a failed inspect looks for an ambiguous id prefix.
    empty = raw_reply("HTTP/1.1 200 OK\r\nContent-Length: 2", b"[]")
    engine_socket = ScriptedEngine(tmp_path / "engine.sock", {LIST: empty})
    monkeypatch.setenv("DOCKER_HOST", f"unix://{engine_socket.path}")
    settings = Settings(show_unmanaged=True, engine_timeout=2)
    engine = DockerEngine(settings)
    yield engine_socket, engine
    engine.api.close()
    engine_socket.close()


INSPECT = "GET /containers/c1/json"
LIST = "GET /containers/json"


@pytest.mark.parametrize(
    ("key", "reply"),
    [
        pytest.param(
            INSPECT,
            raw_reply(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6",
                b"<html>",
            ),
            id="html",
        ),
        pytest.param(
            LIST, raw_reply("HTTP/1.1 200 OK\r\nContent-Length: 0", b""), id="empty"
        ),
        pytest.param(
            INSPECT,
            raw_reply("HTTP/1.1 200 OK\r\nContent-Length: 100", b'{"Id": "c1"'),
            id="short",
        ),
        pytest.param(
            LIST,
            raw_reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked", b"zz\r\n[]\r\n"),
            id="bad-chunk",
        ),
    ],
)
def test_broken_reply_is_engine_error(
    scripted: tuple[ScriptedEngine, DockerEngine], key: str, reply: bytes
) -> None:
    engine_socket, engine = scripted
    engine_socket.replies[key] = reply
    with pytest.raises(errors.EngineError) as info:
        if key == LIST:
            engine.list(ListQuery())
        else:
            engine.inspect("c1")
    assert type(info.value) is errors.EngineError


def test_error_text_decoded_as_sdk_does(
    scripted: tuple[ScriptedEngine, DockerEngine],
) -> None:
    # Without a charset, text is ISO-8859-1 for requests and so for the SDK.
    engine_socket, engine = scripted
    body = b"conflict \xff\xfe"
    engine_socket.replies[INSPECT] = raw_reply(
        "HTTP/1.1 409 Conflict\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}",
        body,
    )
    with pytest.raises(errors.InvalidState) as info:
        engine.inspect("c1")
    assert "conflict \u00ff\u00fe" in info.value.message
