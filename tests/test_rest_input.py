"""Malformed, mistyped and oversized REST input against the live server.

Every rejected request must get ``application/problem+json`` with the
documented status and ``code`` within a second, and never an HTML page or a
500. Requests that HTTP clients would normalize or refuse to send (dot
segments, encoded slashes, invalid header lines, no Accept header) go over a
raw socket.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import docker
import pytest
import requests

from tests.conftest import REPO, Containers, Server, create_body

PROBLEM_JSON = "application/problem+json"
JSON_HEADERS = {"Content-Type": "application/json"}
MAX_SECONDS = 1.0
MIB = 1024 * 1024
#: The server fixture keeps the default GATEWAY_MAX_BODY_BYTES of 1 MiB.
BODY_LIMIT = MIB
ABSENT = "cgtest-absent-ref"


def documented_codes() -> set[str]:
    """Return the error codes in the table of docs/errors.md."""
    text = (REPO / "docs" / "errors.md").read_text()
    return set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))


@dataclass
class RawReply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def raw_exchange(server: Server, request: bytes) -> RawReply:
    """Send *request* unchanged over a new connection and read the reply."""
    address = urlsplit(server.base_url)
    started = time.monotonic()
    with socket.create_connection(
        (address.hostname or "127.0.0.1", address.port or 80), timeout=10
    ) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, _, header_block = head.partition(b"\r\n")
    headers = {}
    for line in header_block.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(": ")
        headers[name.lower()] = value
    return RawReply(
        int(status_line.split()[1]), headers, body, time.monotonic() - started
    )


def raw_request(method: str, target: str, *headers: str, body: bytes = b"") -> bytes:
    """Build an HTTP/1.1 request that closes its connection."""
    lines = [
        f"{method} {target} HTTP/1.1",
        "Host: 127.0.0.1",
        "Connection: close",
        *headers,
    ]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def send_body(
    server: Server, path: str, body: bytes | Iterable[bytes], content_type: str
) -> RawReply:
    """POST *body* with http.client: bytes with Content-Length, else chunked."""
    address = urlsplit(server.base_url)
    connection = http.client.HTTPConnection(
        address.hostname or "127.0.0.1", address.port, timeout=10
    )
    started = time.monotonic()
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": content_type},
            encode_chunked=not isinstance(body, bytes),
        )
        response = connection.getresponse()
        content = response.read()
    finally:
        connection.close()
    headers = {name.lower(): value for name, value in response.getheaders()}
    return RawReply(response.status, headers, content, time.monotonic() - started)


def assert_problem(response: requests.Response, status: int, code: str) -> Any:
    assert response.status_code == status
    assert response.headers.get("Content-Type") == PROBLEM_JSON
    problem = response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert response.elapsed.total_seconds() < MAX_SECONDS
    return problem


def assert_raw_problem(reply: RawReply, status: int, code: str) -> Any:
    assert reply.seconds < MAX_SECONDS
    assert reply.status == status
    assert reply.content_type == PROBLEM_JSON
    problem = json.loads(reply.body)
    assert problem["code"] == code
    return problem


def names_field(actual: str | None, expected: str) -> bool:
    """Check that *actual* is *expected* or a path inside it (``command.0``)."""
    return actual == expected or (actual or "").startswith(expected + ".")


def post_json(server: Server, path: str, body: str | bytes) -> requests.Response:
    data = body.encode() if isinstance(body, str) else body
    return requests.post(server.api + path, data=data, headers=JSON_HEADERS, timeout=10)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("/containers", "{bad", id="malformed"),
        pytest.param("/containers", '{"image": "gate', id="truncated"),
        pytest.param("/containers", "", id="empty"),
        pytest.param("/containers", " \r\n ", id="whitespace"),
        pytest.param("/containers", b'{"image": "\xff"}', id="not-utf-8"),
        pytest.param("/containers", '{"a": 1} {"b": 2}', id="two-documents"),
        pytest.param(
            "/containers", '{"limits": {"pids": ' + "9" * 5000 + "}}", id="huge-int"
        ),
        pytest.param(f"/containers/{ABSENT}/stop", "{bad", id="action-malformed"),
    ],
)
def test_bad_json_rejected(server: Server, path: str, body: str | bytes) -> None:
    assert_problem(post_json(server, path, body), 400, "malformed_request")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("[]", id="array"),
        pytest.param('"text"', id="string"),
        pytest.param("5", id="number"),
        pytest.param("null", id="null"),
        pytest.param("true", id="boolean"),
    ],
)
def test_non_object_body_rejected(server: Server, body: str) -> None:
    response = post_json(server, "/containers", body)
    assert response.status_code == 400
    assert response.headers.get("Content-Type") == PROBLEM_JSON
    # docs/errors.md defines malformed_request as a body that is not valid
    # JSON and invalid_request as a field of the wrong type, so either fits.
    assert response.json()["code"] in ("malformed_request", "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("[" * 100_000 + "]" * 100_000, id="arrays"),
        pytest.param('{"a": ' * 50_000 + "1" + "}" * 50_000, id="objects"),
        pytest.param(
            '{"image": "x", "labels": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001,
            id="inside-field",
        ),
    ],
)
def test_deep_json_rejected(server: Server, body: str) -> None:
    assert_problem(post_json(server, "/containers", body), 400, "malformed_request")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        pytest.param("/containers", {"bogus": 1}, "bogus", id="create"),
        pytest.param(
            "/containers", {"limits": {"bogus": 1}}, "limits.bogus", id="create-limits"
        ),
        pytest.param(
            "/containers",
            {"restart_policy": {"name": "no", "bogus": 1}},
            "restart_policy.bogus",
            id="create-restart-policy",
        ),
        pytest.param(f"/containers/{ABSENT}/stop", {"bogus": 1}, "bogus", id="stop"),
        pytest.param(f"/containers/{ABSENT}/kill", {"bogus": 1}, "bogus", id="kill"),
        pytest.param(f"/containers/{ABSENT}/start", {"bogus": 1}, "bogus", id="start"),
    ],
)
def test_unknown_field_rejected(
    server: Server,
    containers: Containers,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    if path == "/containers":
        body = {**create_body(containers.name("unknown")), **body}
    problem = assert_problem(
        post_json(server, path, json.dumps(body)), 400, "invalid_request"
    )
    assert problem["field"] == field
    assert field in problem["detail"]


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("text/plain", id="text"),
        pytest.param("application/x-www-form-urlencoded", id="form"),
        pytest.param("application/xml", id="xml"),
        pytest.param("multipart/form-data; boundary=x", id="multipart"),
    ],
)
def test_wrong_content_type(
    server: Server, containers: Containers, content_type: str
) -> None:
    response = requests.post(
        f"{server.api}/containers",
        data=json.dumps(create_body(containers.name("ctype"))),
        headers={"Content-Type": content_type},
        timeout=10,
    )
    assert_problem(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/containers", id="list"),
        pytest.param("GET", f"/containers/{ABSENT}", id="inspect"),
        pytest.param("POST", "/containers", id="create"),
    ],
)
@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml", "application/json;q=0"]
)
def test_unacceptable_accept(
    server: Server, method: str, path: str, accept: str
) -> None:
    response = requests.request(
        method,
        server.api + path,
        data=b"{}",
        headers={**JSON_HEADERS, "Accept": accept},
        timeout=10,
    )
    assert_problem(response, 406, "not_acceptable")


@pytest.mark.parametrize(
    "accept",
    [
        pytest.param(None, id="absent"),
        pytest.param("*/*", id="any"),
        pytest.param("application/*", id="application-any"),
        pytest.param("text/html, application/json;q=0.5", id="json-second"),
    ],
)
def test_acceptable_accept(server: Server, accept: str | None) -> None:
    headers = [] if accept is None else [f"Accept: {accept}"]
    reply = raw_exchange(server, raw_request("GET", "/api/v1/containers", *headers))
    assert reply.status == 200
    assert reply.content_type == "application/json"


@pytest.mark.parametrize(
    "path", ["/containers", f"/containers/{ABSENT}/stop"], ids=["create", "stop"]
)
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_body_answered(server: Server, path: str, chunked: bool) -> None:
    body = b'{"image": "' + b"x" * (3 * MIB) + b'"}'
    assert len(body) > BODY_LIMIT
    if chunked:
        chunks = (
            body[offset : offset + 65536] for offset in range(0, len(body), 65536)
        )
        reply = send_body(server, "/api/v1" + path, chunks, "application/json")
    else:
        reply = send_body(server, "/api/v1" + path, body, "application/json")
    assert_raw_problem(reply, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        pytest.param("PUT", "/containers", "POST", id="put-collection"),
        pytest.param("DELETE", "/containers", "GET", id="delete-collection"),
        pytest.param("PATCH", f"/containers/{ABSENT}", "DELETE", id="patch-container"),
        pytest.param("PUT", f"/containers/{ABSENT}", "GET", id="put-container"),
        pytest.param("GET", f"/containers/{ABSENT}/stop", "POST", id="get-action"),
        pytest.param("POST", f"/containers/{ABSENT}/logs", "GET", id="post-logs"),
    ],
)
def test_wrong_method(server: Server, method: str, path: str, allowed: str) -> None:
    response = requests.request(method, server.api + path, timeout=10)
    assert_problem(response, 405, "method_not_allowed")
    allow = [item.strip() for item in response.headers.get("Allow", "").split(",")]
    assert allowed in allow


def test_trailing_slash_create(
    server: Server, containers: Containers, docker_api: docker.APIClient
) -> None:
    name = containers.name("slash")
    response = requests.post(
        f"{server.api}/containers/",
        json=create_body(name),
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 201
    assert response.json()["name"] == name
    assert docker_api.containers(all=True, filters={"name": name}) != []


def test_trailing_slash_action(server: Server, containers: Containers) -> None:
    name = containers.name("slash")
    created = requests.post(
        f"{server.api}/containers", json=create_body(name), timeout=30
    )
    assert created.status_code == 201
    response = requests.post(
        f"{server.api}/containers/{name}/start/", allow_redirects=False, timeout=30
    )
    assert response.status_code == 200
    assert response.json()["container"]["state"] == "running"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", "/containers/", None, id="list"),
        pytest.param("GET", f"/containers/{ABSENT}/", None, id="inspect"),
        pytest.param("POST", "/containers/", {"bogus": 1}, id="create-invalid"),
        pytest.param("POST", f"/containers/{ABSENT}/stop/", {}, id="stop"),
    ],
)
def test_trailing_slash_same_answer(
    server: Server, method: str, path: str, body: dict[str, Any] | None
) -> None:
    with_slash = requests.request(
        method, server.api + path, json=body, allow_redirects=False, timeout=10
    )
    without = requests.request(
        method, server.api + path.rstrip("/"), json=body, timeout=10
    )
    assert with_slash.status_code == without.status_code
    assert with_slash.headers.get("Content-Type") == without.headers.get("Content-Type")
    assert "Location" not in with_slash.headers


@pytest.mark.parametrize(
    ("method", "target"),
    [
        pytest.param("GET", "/api/v1/containers/a%2Fb", id="encoded-slash"),
        pytest.param("GET", "/api/v1/containers/a%2fb", id="encoded-slash-lower"),
        pytest.param("DELETE", "/api/v1/containers/a%2Fb", id="delete-encoded-slash"),
        pytest.param("POST", "/api/v1/containers/a%2Fb/stop", id="stop-encoded-slash"),
        pytest.param("GET", "/api/v1/containers/..", id="dot-dot"),
        pytest.param("GET", "/api/v1/containers/.", id="dot"),
        pytest.param("GET", "/api/v1/containers/%2E%2E", id="encoded-dot-dot"),
        pytest.param("POST", "/api/v1/containers/../stop", id="stop-dot-dot"),
        pytest.param("GET", "/api/v1/containers/a%20b", id="space"),
        pytest.param("GET", "/api/v1/containers/a+b", id="plus"),
        pytest.param("GET", "/api/v1/containers/%00", id="nul"),
        pytest.param("GET", "/api/v1/containers/caf%C3%A9", id="non-ascii"),
        pytest.param("GET", "/api/v1/containers/%FF%FE", id="not-utf-8"),
        pytest.param("GET", "/api/v1/containers/" + "a" * 300, id="too-long"),
    ],
)
def test_bad_reference_rejected(server: Server, method: str, target: str) -> None:
    request = raw_request(method, target, "Accept: application/json")
    assert_raw_problem(raw_exchange(server, request), 400, "invalid_request")


@pytest.mark.parametrize(
    "url_suffix",
    [
        pytest.param("/containers/" + "a" * (3 * MIB), id="path"),
        pytest.param("/containers?name=" + "a" * (3 * MIB), id="query"),
    ],
)
def test_huge_request_line_json(server: Server, url_suffix: str) -> None:
    response = requests.get(server.api + url_suffix, timeout=10)
    assert response.status_code == 414
    assert response.headers.get("Content-Type") == PROBLEM_JSON
    assert b"<html" not in response.content.lower()
    assert response.json()["status"] == 414


# Requests gunicorn rejects itself, before the gateway's code runs, except
# for the chunk size, which fails while the gateway reads the body.
HTTP_LEVEL = [
    pytest.param(
        raw_request("GET", "/api/v1/containers", "Bad Header: x"),
        400,
        id="header-name-space",
    ),
    pytest.param(
        raw_request("GET", "/api/v1/containers", "Bad\x01Header: x"),
        400,
        id="header-name-control",
    ),
    pytest.param(
        raw_request("GET", "/api/v1/containers", "X-Long: " + "a" * 10_000),
        431,
        id="header-too-long",
    ),
    pytest.param(
        raw_request("GET", "/api/v1/containers", *[f"X-{i}: a" for i in range(200)]),
        431,
        id="too-many-headers",
    ),
    pytest.param(
        raw_request(
            "POST",
            "/api/v1/containers",
            "Content-Type: application/json",
            "Content-Length: abc",
        ),
        400,
        id="content-length-not-number",
    ),
    pytest.param(b"GARBAGE\r\n\r\n", 400, id="request-line"),
    pytest.param(
        raw_request("GET", "/api/v1/containers/a b"), 400, id="space-in-target"
    ),
    pytest.param(
        raw_request(
            "POST",
            "/api/v1/containers",
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
        )
        + b"zz\r\n",
        400,
        id="chunk-size",
    ),
]


@pytest.mark.parametrize(("request_bytes", "status"), HTTP_LEVEL)
def test_http_error_json(server: Server, request_bytes: bytes, status: int) -> None:
    reply = raw_exchange(server, request_bytes)
    assert reply.seconds < MAX_SECONDS
    assert reply.status == status
    assert reply.content_type == PROBLEM_JSON
    assert b"<html" not in reply.body.lower()
    assert json.loads(reply.body)["status"] == status


@pytest.mark.parametrize(("request_bytes", "status"), HTTP_LEVEL)
def test_http_error_code_documented(
    server: Server, request_bytes: bytes, status: int
) -> None:
    reply = raw_exchange(server, request_bytes)
    assert reply.content_type == PROBLEM_JSON
    assert json.loads(reply.body)["code"] in documented_codes()


# Each create body below is merged into a valid one. Fields use JSON naming.
WRONG_TYPES = [
    pytest.param("POST", "/containers", '{"name": "café"}', "name", id="name-cafe"),
    pytest.param(
        "POST", "/containers", '{"name": "名前"}', "name", id="name-non-latin"
    ),
    pytest.param("POST", "/containers", '{"name": 5}', "name", id="name-number"),
    pytest.param("POST", "/containers", '{"image": 5}', "image", id="image-number"),
    pytest.param(
        "POST", "/containers", '{"command": [1]}', "command", id="command-number"
    ),
    pytest.param(
        "POST",
        "/containers",
        '{"command": "sleep 300"}',
        "command",
        id="command-string",
    ),
    pytest.param("POST", "/containers", '{"env": {"A": 1}}', "env", id="env-number"),
    pytest.param(
        "POST", "/containers", '{"labels": {"a": true}}', "labels", id="label-boolean"
    ),
    pytest.param(
        "POST", "/containers", '{"start": "true"}', "start", id="start-string"
    ),
    pytest.param(
        "POST",
        "/containers",
        '{"limits": {"cpus": "0.5"}}',
        "limits.cpus",
        id="cpus-string",
    ),
    pytest.param(
        "POST",
        "/containers",
        '{"limits": {"cpus": NaN}}',
        "limits.cpus",
        id="cpus-nan",
    ),
    pytest.param(
        "POST",
        "/containers",
        '{"limits": {"pids": "5"}}',
        "limits.pids",
        id="pids-string",
    ),
    pytest.param(
        "POST", "/containers", '{"limits": "64m"}', "limits", id="limits-string"
    ),
    pytest.param(
        "POST",
        f"/containers/{ABSENT}/stop",
        '{"timeout": "5"}',
        "timeout",
        id="timeout-string",
    ),
    pytest.param(
        "POST",
        f"/containers/{ABSENT}/stop",
        '{"timeout": 1.5}',
        "timeout",
        id="timeout-float",
    ),
    pytest.param(
        "POST",
        f"/containers/{ABSENT}/stop",
        '{"timeout": true}',
        "timeout",
        id="timeout-boolean",
    ),
    pytest.param(
        "POST",
        f"/containers/{ABSENT}/kill",
        '{"signal": [9]}',
        "signal",
        id="signal-list",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), WRONG_TYPES)
def test_wrong_type_rejected(
    server: Server,
    containers: Containers,
    docker_api: docker.APIClient,
    method: str,
    path: str,
    body: str,
    field: str,
) -> None:
    name = containers.name("type")
    if path == "/containers":
        # Appended members win over the valid ones: Python's json keeps the
        # last of repeated keys.
        members = json.dumps(create_body(name))[:-1]
        body = members + ", " + body[1:]
    response = requests.request(
        method,
        server.api + path,
        data=body.encode(),
        headers=JSON_HEADERS,
        timeout=10,
    )
    problem = assert_problem(response, 400, "invalid_request")
    assert names_field(problem.get("field"), field)
    assert field in problem["detail"]
    assert docker_api.containers(all=True, filters={"name": name}) == []


@pytest.mark.parametrize(
    ("method", "target", "field"),
    [
        pytest.param("GET", "/containers?bogus=1", "bogus", id="list-unknown"),
        pytest.param("GET", f"/containers/{ABSENT}?bogus=1", "bogus", id="inspect"),
        pytest.param("GET", f"/containers/{ABSENT}/logs?bogus=1", "bogus", id="logs"),
        pytest.param("DELETE", f"/containers/{ABSENT}?bogus=1", "bogus", id="remove"),
        pytest.param("POST", f"/containers/{ABSENT}/stop?bogus=1", "bogus", id="stop"),
        pytest.param("POST", "/containers?bogus=1", "bogus", id="create"),
        pytest.param("GET", "/containers?all=maybe", "all", id="all-maybe"),
        pytest.param("GET", "/containers?state=sleeping", "state", id="state"),
        pytest.param("GET", f"/containers/{ABSENT}/logs?tail=-1", "tail", id="tail"),
        pytest.param(
            "GET", f"/containers/{ABSENT}/logs?since=yesterday", "since", id="since"
        ),
        pytest.param(
            "DELETE", f"/containers/{ABSENT}?force=maybe", "force", id="force-maybe"
        ),
    ],
)
def test_bad_query_rejected(
    server: Server,
    containers: Containers,
    docker_api: docker.APIClient,
    method: str,
    target: str,
    field: str,
) -> None:
    name = containers.name("query")
    body = None
    if method == "POST" and target.startswith("/containers?"):
        body = create_body(name)
    response = requests.request(method, server.api + target, json=body, timeout=10)
    problem = assert_problem(response, 400, "invalid_request")
    assert names_field(problem.get("field"), field)
    assert field in problem["detail"]
    assert docker_api.containers(all=True, filters={"name": name}) == []
