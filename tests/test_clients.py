"""The command-line clients and the comparison, as subprocesses, against the
live gateway and the real Docker Engine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import docker
import pytest

from tests.conftest import (
    DEMO_IMAGE,
    REPO,
    Containers,
    Server,
    free_port,
    start_server,
    stop_server,
)

PROTOCOLS = ["rest", "soap"]
TOKEN = "cgtest-secret-token"
WSSE_PASSWORD = "cgtest-wsse-password"


def client_env() -> dict[str, str]:
    """Return the environment without client settings that the caller may have."""
    env = dict(os.environ)
    for name in (
        "GATEWAY_URL",
        "GATEWAY_TOKEN",
        "GATEWAY_WSSE_USER",
        "GATEWAY_WSSE_PASSWORD",
    ):
        env.pop(name, None)
    return env


def run_cli(
    module: str, url: str, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"clients.{module}", "--url", url, *args],
        cwd=REPO,
        env=client_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_json(module: str, url: str, *args: str) -> Any:
    """Run a client command with --json; it must succeed and print JSON."""
    done = run_cli(module, url, "--json", *args)
    assert done.returncode == 0, f"{module} {args} failed: {done.stderr}"
    return json.loads(done.stdout)


def create_args(name: str, *command: str) -> list[str]:
    return [
        "create",
        "--name",
        name,
        "--network",
        "none",
        "--label",
        "course=cloud",
        "--env",
        "GREETING=hello",
        "--memory",
        "64m",
        DEMO_IMAGE,
        *(command or ("sh", "-c", "echo ready; sleep 300")),
    ]


@pytest.mark.parametrize("module", PROTOCOLS)
def test_cli_lifecycle(server: Server, containers: Containers, module: str) -> None:
    url = server.base_url
    name = containers.name(f"cli{module}")

    created = run_json(module, url, *create_args(name))
    assert created["name"] == name
    assert created["state"] == "created"
    assert created["labels"]["course"] == "cloud"
    assert created["limits"]["memory"] == 64 * 1024**2

    started = run_json(module, url, "start", name)
    assert started["changed"] is True
    assert started["container"]["state"] == "running"
    inspected = run_json(module, url, "inspect", created["container_id"][:12])
    assert inspected["container_id"] == created["container_id"]
    assert run_json(module, url, "pause", name)["container"]["state"] == "paused"
    assert run_json(module, url, "unpause", name)["container"]["state"] == "running"

    listed = run_json(module, url, "list", "--label", "course=cloud", "--name", name)
    assert [item["name"] for item in listed["containers"]] == [name]
    logs = run_json(module, url, "logs", name, "--tail", "10")
    assert logs["lines"] == ["ready"]
    assert logs["truncated"] is False

    restarted = run_json(module, url, "restart", name, "--timeout", "0")
    assert restarted["container"]["state"] == "running"
    killed = run_json(module, url, "kill", name, "--signal", "SIGKILL")
    assert killed["container"]["exit_code"] == 137
    stopped = run_json(module, url, "stop", name, "--timeout", "0")
    assert stopped["changed"] is False
    assert stopped["container"]["state"] == "exited"

    removed = run_json(module, url, "remove", name)
    assert removed["removed"] is True
    assert removed["container"] == name
    after_remove = run_cli(module, url, "inspect", name)
    assert after_remove.returncode == 1
    assert "container_not_found" in after_remove.stderr


def test_json_outputs_match(server: Server, containers: Containers) -> None:
    url = server.base_url
    name = containers.name("match")
    run_json("rest", url, *create_args(name, "sleep", "300"))

    # A created container does not change between two reads, so the two
    # protocols must print the same JSON, byte for byte once parsed.
    for args in (
        ["inspect", name],
        ["list", "--all", "--name", name],
        ["logs", name],
    ):
        rest = run_json("rest", url, *args)
        soap = run_json("soap", url, *args)
        assert rest == soap, f"{args} differs between REST and SOAP"


def test_default_output_is_plain(server: Server, containers: Containers) -> None:
    name = containers.name("plain")
    run_json("rest", server.base_url, *create_args(name, "sleep", "300"))
    for module in PROTOCOLS:
        done = run_cli(module, server.base_url, "list", "--all", "--name", name)
        assert done.returncode == 0, done.stderr
        header, row = done.stdout.splitlines()
        columns = ["SHORT", "ID", "NAME", "IMAGE", "STATE", "STATUS", "CREATED", "AT"]
        assert header.split() == columns
        assert name in row.split()
        assert "\x1b[" not in done.stdout
        inspected = run_cli(module, server.base_url, "inspect", name)
        assert f"name:         {name}" in inspected.stdout.splitlines()


@pytest.mark.parametrize(
    ("module", "origin"),
    [("rest", "[HTTP 404]"), ("soap", "[Client.ContainerNotFound]")],
)
def test_error_prints_code(
    server: Server, containers: Containers, module: str, origin: str
) -> None:
    name = containers.name("missing")
    done = run_cli(module, server.base_url, "inspect", name)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: container_not_found: ")
    assert lines[0].endswith(origin)


@pytest.mark.parametrize("module", PROTOCOLS)
def test_usage_error_exits_2(module: str) -> None:
    done = run_cli(module, "http://127.0.0.1:9", "create", "--env", "NOEQUALS", "x")
    assert done.returncode == 2
    assert "is not KEY=VALUE" in done.stderr


@pytest.mark.parametrize("module", PROTOCOLS)
def test_unreachable_gateway_exits_3(module: str) -> None:
    # Nothing listens on a port that was just free on loopback.
    url = f"http://127.0.0.1:{free_port()}"
    done = run_cli(module, url, "list", timeout=60)
    assert done.returncode == 3
    assert done.stderr.startswith("error: cannot ")
    assert url in done.stderr


@pytest.mark.parametrize(
    ("module", "request_line", "status_line"),
    [
        ("rest", "> GET /api/v1/containers/{name} HTTP/1.1", "< HTTP/1.1 404"),
        ("soap", "> POST /soap HTTP/1.1", "< HTTP/1.1 500"),
    ],
)
def test_show_wire_masks_credentials(
    server: Server,
    containers: Containers,
    module: str,
    request_line: str,
    status_line: str,
) -> None:
    name = containers.name("wire")
    args = ["--show-wire", "--token", TOKEN]
    if module == "soap":
        args += ["--wsse-user", "alice", "--wsse-password", WSSE_PASSWORD]
        args.append("--no-wsse-digest")
    done = run_cli(module, server.base_url, *args, "inspect", name)
    assert done.returncode == 1
    wire = done.stderr.splitlines()
    assert request_line.format(name=name) in wire
    assert any(line.startswith(status_line) for line in wire), done.stderr
    assert "> Authorization: Bearer ****" in wire
    assert TOKEN not in done.stderr
    assert WSSE_PASSWORD not in done.stderr
    if module == "soap":
        assert any("<wsse:Password" in line and "****" in line for line in wire)
        assert any("<tns:code>container_not_found</tns:code>" in line for line in wire)
    else:
        assert '<   "code": "container_not_found",' in wire


def test_show_wire_keeps_json_stdout(server: Server) -> None:
    done = run_cli("soap", server.base_url, "--show-wire", "--json", "list")
    assert done.returncode == 0, done.stderr
    assert "containers" in json.loads(done.stdout)
    assert "> POST /soap HTTP/1.1" in done.stderr.splitlines()


def compare_json(server: Server, base: str, *scenarios: str) -> dict[str, Any]:
    done = run_cli(
        "compare",
        server.base_url,
        "--json",
        "--name-base",
        base,
        "scenario",
        *scenarios,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def assert_no_containers(docker_api: docker.APIClient, base: str) -> None:
    left = docker_api.containers(all=True, filters={"name": base})
    assert [item["Names"] for item in left] == []


def test_compare_lifecycle_agrees(
    server: Server, containers: Containers, docker_api: docker.APIClient
) -> None:
    base = containers.name("cmp")
    containers.names += [f"{base}-life-rest", f"{base}-life-soap"]
    report = compare_json(server, base, "lifecycle")

    assert report["agree"] is True
    (run,) = report["runs"]
    assert run["name"] == "lifecycle"
    assert run["error"] is None
    steps = [step["step"] for step in run["steps"]]
    assert steps[:2] == ["create", "start"]
    assert steps[-1] == "remove"
    assert all(step["agree"] for step in run["steps"]), run["steps"]
    assert all(step["as_expected"] for step in run["steps"])
    create = run["steps"][0]
    assert create["rest"]["http_status"] == 201
    assert create["soap"]["http_status"] == 200
    assert create["rest"]["request_bytes"] > 0
    assert create["soap"]["response_bytes"] > create["rest"]["response_bytes"]
    names = {item["name"] for item in run["containers"]}
    assert names == {f"{base}-life-rest", f"{base}-life-soap"}
    assert {item["status"] for item in run["containers"]} <= {"removed", "absent"}
    assert_no_containers(docker_api, base)


def test_compare_name_conflict_agrees(
    server: Server, containers: Containers, docker_api: docker.APIClient
) -> None:
    base = containers.name("cmp")
    containers.names.append(f"{base}-taken")
    report = compare_json(server, base, "name-conflict")

    assert report["agree"] is True
    (step,) = report["runs"][0]["steps"]
    assert step["rest"]["http_status"] == 409
    assert step["rest"]["code"] == "name_conflict"
    assert step["soap"]["http_status"] == 500
    assert step["soap"]["fault_code"] == "Client.NameConflict"
    assert step["soap"]["code"] == "name_conflict"
    assert report["runs"][0]["containers"] == [
        {"name": f"{base}-taken", "status": "removed", "message": ""}
    ]
    assert_no_containers(docker_api, base)


def test_compare_operation_markdown(server: Server, containers: Containers) -> None:
    name = containers.name("missing")
    done = run_cli("compare", server.base_url, "--markdown", "inspect", name)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "### inspect: one operation, REST then SOAP"
    assert lines[2].startswith("| step | REST HTTP | REST problem code |")
    row = lines[4].split(" | ")
    assert row[1:5] == ["404", "container_not_found", "500", "Client.ContainerNotFound"]
    assert row[-1] == "yes |"


def test_compare_engine_down_needs_url(server: Server) -> None:
    done = run_cli("compare", server.base_url, "scenario", "engine-down")
    assert done.returncode == 2
    assert "--engine-down-url" in done.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_compare_interrupt_removes_containers(
    server: Server,
    containers: Containers,
    docker_api: docker.APIClient,
    signum: signal.Signals,
) -> None:
    base = containers.name("int")
    containers.names += [f"{base}-life-rest", f"{base}-life-soap"]
    command = [sys.executable, "-m", "clients.compare", "--url", server.base_url]
    command += ["--name-base", base, "scenario", "lifecycle"]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=client_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not docker_api.containers(all=True, filters={"name": base}):
            assert process.poll() is None, "compare ended before creating anything"
            assert time.monotonic() < deadline, "no scenario container appeared"
            time.sleep(0.02)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stdout + stderr
    assert "error: interrupted" in stderr
    assert f"container {base}-life-rest: removed" in stderr
    assert f"container {base}-life-soap: removed" in stderr
    assert_no_containers(docker_api, base)


def test_compare_engine_down_agrees(
    server: Server, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The second gateway's engine socket is a path where nothing listens.
    socket_dir = tmp_path_factory.mktemp("down")
    down = start_server(socket_dir, DOCKER_HOST=f"unix://{socket_dir}/engine.sock")
    try:
        done = run_cli(
            "compare",
            server.base_url,
            "--json",
            "--engine-down-url",
            down.base_url,
            "scenario",
            "engine-down",
        )
    finally:
        stop_server(down)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    steps = report["runs"][0]["steps"]
    assert [step["step"] for step in steps] == ["list", "inspect"]
    for step in steps:
        assert step["agree"] is True
        assert step["rest"]["http_status"] == 503
        assert step["rest"]["code"] == "engine_unavailable"
        assert step["soap"]["fault_code"] == "Server.EngineUnavailable"
