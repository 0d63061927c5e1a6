"""The full container lifecycle through the REST API, against real Docker."""

from __future__ import annotations

import json
import subprocess

import docker
import requests

from tests.conftest import DEMO_IMAGE, Containers, Server, create_body


def test_rest_lifecycle(server: Server, containers: Containers) -> None:
    name = containers.name("rest")
    created = requests.post(
        f"{server.api}/containers",
        json={
            **create_body(name, "sh", "-c", "echo ready; sleep 300"),
            "env": {"GREETING": "hello"},
            "labels": {"course": "cloud"},
            "working_dir": "/tmp",
            "limits": {"memory": "64m", "cpus": 0.5, "pids": 64},
            "restart_policy": {"name": "on-failure", "maximum_retry_count": 2},
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    container_id = body["container_id"]
    assert created.headers["Location"] == f"/api/v1/containers/{container_id}"
    assert body["name"] == name
    assert body["state"] == "created"
    assert body["labels"] == {
        "course": "cloud",
        "io.container-gateway.instance": "default",
        "io.container-gateway.owner": "local",
    }
    assert body["limits"] == {"memory": 64 * 1024**2, "cpus": 0.5, "pids": 64}

    started = requests.post(f"{server.api}/containers/{name}/start", timeout=30)
    assert started.status_code == 200, started.text
    assert started.json()["changed"] is True
    assert started.json()["container"]["state"] == "running"

    again = requests.post(f"{server.api}/containers/{name}/start", timeout=30)
    assert again.status_code == 200
    assert again.json()["changed"] is False

    by_prefix = requests.get(f"{server.api}/containers/{container_id[:12]}", timeout=30)
    assert by_prefix.status_code == 200
    assert by_prefix.json()["container_id"] == container_id
    assert by_prefix.json()["started_at"] is not None

    paused = requests.post(f"{server.api}/containers/{name}/pause", timeout=30)
    assert paused.json()["container"]["state"] == "paused"
    unpaused = requests.post(f"{server.api}/containers/{name}/unpause", timeout=30)
    assert unpaused.json()["container"]["state"] == "running"

    listed = requests.get(
        f"{server.api}/containers", params={"label": "course=cloud"}, timeout=30
    )
    assert [item["name"] for item in listed.json()["containers"]] == [name]

    logs = requests.get(f"{server.api}/containers/{name}/logs", timeout=30)
    assert logs.status_code == 200
    assert logs.json()["lines"] == ["ready"]

    stopped = requests.post(
        f"{server.api}/containers/{name}/stop", json={"timeout": 1}, timeout=60
    )
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["changed"] is True
    assert stopped.json()["container"]["state"] == "exited"

    stopped_again = requests.post(f"{server.api}/containers/{name}/stop", timeout=60)
    assert stopped_again.json()["changed"] is False

    removed = requests.delete(f"{server.api}/containers/{name}", timeout=30)
    assert removed.status_code == 204
    assert removed.content == b""
    gone = requests.get(f"{server.api}/containers/{name}", timeout=30)
    assert gone.status_code == 404


def test_restart_and_kill(server: Server, containers: Containers) -> None:
    name = containers.name("kill")
    requests.post(
        f"{server.api}/containers", json=create_body(name, start=True), timeout=30
    )
    restarted = requests.post(
        f"{server.api}/containers/{name}/restart", json={"timeout": 0}, timeout=60
    )
    assert restarted.status_code == 200, restarted.text
    assert restarted.json()["container"]["state"] == "running"

    killed = requests.post(
        f"{server.api}/containers/{name}/kill", json={"signal": "KILL"}, timeout=30
    )
    assert killed.status_code == 200, killed.text
    assert killed.json()["container"]["state"] == "exited"
    assert killed.json()["container"]["exit_code"] == 137


def test_create_engine_state(
    server: Server, containers: Containers, docker_api: docker.APIClient
) -> None:
    name = containers.name("state")
    response = requests.post(
        f"{server.api}/containers",
        json={
            **create_body(name),
            "env": {"A": "1"},
            "limits": {"memory": 50331648},
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text
    info = docker_api.inspect_container(name)
    assert "A=1" in info["Config"]["Env"]
    assert info["HostConfig"]["Memory"] == 50331648
    assert info["HostConfig"]["NetworkMode"] == "none"
    assert info["Config"]["Image"] == DEMO_IMAGE


def test_list_filters(server: Server, containers: Containers) -> None:
    running = containers.name("run")
    created = containers.name("new")
    label = f"suite={running}"
    for name, start in ((running, True), (created, False)):
        body = {**create_body(name, start=start), "labels": {"suite": running}}
        assert requests.post(f"{server.api}/containers", json=body, timeout=30).ok

    def names(**params: str) -> set[str]:
        response = requests.get(
            f"{server.api}/containers", params={"label": label, **params}, timeout=30
        )
        assert response.status_code == 200, response.text
        return {item["name"] for item in response.json()["containers"]}

    assert names() == {running}
    assert names(all="true") == {running, created}
    assert names(state="created") == {created}
    assert names(all="true", name=created) == {created}


def test_curl_lifecycle(server: Server, containers: Containers) -> None:
    name = containers.name("curl")

    def curl(*args: str) -> tuple[int, str]:
        result = subprocess.run(
            ["curl", "-sS", "-w", "\n%{http_code}", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        body, _, status = result.stdout.rpartition("\n")
        return int(status), body

    status, body = curl(
        "-X",
        "POST",
        f"{server.api}/containers",
        "-H",
        "Content-Type: application/json",
        "-d",
        json.dumps(create_body(name, start=True)),
    )
    assert status == 201, body
    status, body = curl(f"{server.api}/containers/{name}")
    assert status == 200
    assert json.loads(body)["state"] == "running"
    status, body = curl(
        "-X",
        "POST",
        f"{server.api}/containers/{name}/stop",
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"timeout": 1}',
    )
    assert status == 200, body
    status, body = curl("-X", "DELETE", f"{server.api}/containers/{name}")
    assert status == 204


def test_operation_log_lines(server: Server, containers: Containers) -> None:
    name = containers.name("logged")
    created = requests.post(
        f"{server.api}/containers",
        json=create_body(name),
        headers={"X-Request-ID": "trace-" + name},
        timeout=30,
    )
    container_id = created.json()["container_id"]
    requests.get(f"{server.api}/containers/{name}-missing", timeout=30)
    log = server.log()
    assert (
        f"operation=create container={container_id} outcome=ok owner=local "
        f"request_id=trace-{name}"
    ) in log
    assert "operation=inspect container=" + name + "-missing" in log
    assert "outcome=container_not_found" in log
