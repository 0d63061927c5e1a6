"""Every REST endpoint driven by the real curl command line."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tests.conftest import Containers, Server, create_body


def curl(*args: str) -> tuple[int, dict[str, str], str]:
    """Run curl and return the status, the response headers and the body."""
    result = subprocess.run(
        ["curl", "-sS", "-D", "-", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # text mode turns the CRLF line ends into plain newlines.
    head, _, body = result.stdout.partition("\n\n")
    lines = head.split("\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers, body


def post_json(url: str, data: dict[str, Any] | None = None) -> list[str]:
    args = ["-X", "POST", url]
    if data is not None:
        args += ["-H", "Content-Type: application/json", "-d", json.dumps(data)]
    return args


def test_curl_every_endpoint(server: Server, containers: Containers) -> None:
    api = server.api
    name = containers.name("curl")
    body = create_body(name, "sh", "-c", "echo started; sleep 300")

    status, headers, text = curl(*post_json(f"{api}/containers", body))
    assert status == 201, text
    assert headers["location"].startswith("/api/v1/containers/")
    assert headers["content-type"] == "application/json"

    steps = [
        (post_json(f"{api}/containers/{name}/start"), 200, "running"),
        (post_json(f"{api}/containers/{name}/pause"), 200, "paused"),
        (post_json(f"{api}/containers/{name}/unpause"), 200, "running"),
        (post_json(f"{api}/containers/{name}/restart", {"timeout": 0}), 200, "running"),
        (
            post_json(f"{api}/containers/{name}/kill", {"signal": "SIGKILL"}),
            200,
            "exited",
        ),
        (post_json(f"{api}/containers/{name}/start"), 200, "running"),
        (post_json(f"{api}/containers/{name}/stop", {"timeout": 0}), 200, "exited"),
    ]
    for args, expected_status, state in steps:
        status, _, text = curl(*args)
        assert status == expected_status, (args, text)
        assert json.loads(text)["container"]["state"] == state, args

    status, _, text = curl(f"{api}/containers/{name}")
    assert status == 200
    assert json.loads(text)["name"] == name

    status, _, text = curl(
        "-G", f"{api}/containers", "-d", "all=true", "-d", f"name={name}"
    )
    assert status == 200
    assert [item["name"] for item in json.loads(text)["containers"]] == [name]

    status, _, text = curl("-G", f"{api}/containers/{name}/logs", "-d", "tail=all")
    assert status == 200
    assert "started" in json.loads(text)["lines"]

    status, _, text = curl("-X", "DELETE", f"{api}/containers/{name}?force=true")
    assert status == 204
    assert text == ""


def test_curl_error_is_problem(server: Server, containers: Containers) -> None:
    name = containers.name("missing")
    status, headers, text = curl(f"{server.api}/containers/{name}")
    assert status == 404
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(text)["code"] == "container_not_found"
