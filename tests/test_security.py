"""Authentication, roles, ownership and the audit log, on a live server."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import docker
import pytest
import requests
import zeep
from zeep.wsse.username import UsernameToken

from gateway.auth import soap_password
from tests.conftest import (
    DEMO_IMAGE,
    REPO,
    SOAP_NS,
    Containers,
    Server,
    create_body,
    start_server,
    stop_server,
)

OPERATOR_TOKEN = "operator-" + uuid.uuid4().hex
READER_TOKEN = "reader-" + uuid.uuid4().hex
WSSE = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
)
WSU = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
)
DIGEST = (
    "http://docs.oasis-open.org/wss/2004/01/"
    "oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
)


@dataclass
class SecureServer:
    server: Server
    audit_log: Path

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureServer]:
    directory = tmp_path_factory.mktemp("secure")
    audit_log = directory / "audit.jsonl"
    server = start_server(
        directory,
        GATEWAY_TOKENS=f"alice:operator:{OPERATOR_TOKEN},bob:reader:{READER_TOKEN}",
        GATEWAY_AUDIT_LOG=str(audit_log),
        GATEWAY_STATE_DIR=str(directory / "state"),
        GATEWAY_INSTANCE="secure-" + uuid.uuid4().hex[:8],
    )
    yield SecureServer(server, audit_log)
    stop_server(server)


def soap_envelope(operation: str, body: str, header: str = "") -> str:
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<s:Header>{header}</s:Header><s:Body>"
        f'<{operation} xmlns="{SOAP_NS}">{body}</{operation}>'
        "</s:Body></s:Envelope>"
    )


def digest_header(
    username: str, token: str, nonce: bytes, created: str, text: bool = False
) -> str:
    password = soap_password(token)
    if text:
        value, kind = password, DIGEST.replace("PasswordDigest", "PasswordText")
    else:
        raw = nonce + created.encode() + password.encode()
        value, kind = base64.b64encode(hashlib.sha1(raw).digest()).decode(), DIGEST
    return (
        f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"><wsse:UsernameToken>'
        f"<wsse:Username>{username}</wsse:Username>"
        f'<wsse:Password Type="{kind}">{value}</wsse:Password>'
        f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
        f"<wsu:Created>{created}</wsu:Created>"
        "</wsse:UsernameToken></wsse:Security>"
    )


def post_soap(server: Server, envelope: str, **headers: str) -> requests.Response:
    return requests.post(
        server.soap,
        data=envelope.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", **headers},
        timeout=30,
    )


def fault_code(response: requests.Response) -> str:
    assert response.status_code == 500, response.text[:300]
    return response.text.split("<faultcode>")[1].split("</faultcode>")[0]


def now_created(offset: timedelta = timedelta()) -> str:
    moment = datetime.now(timezone.utc) + offset
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing"),
        pytest.param("Bearer wrong-token", id="wrong"),
        pytest.param(f"Basic {OPERATOR_TOKEN}", id="basic-scheme"),
        pytest.param("Bearer", id="empty"),
    ],
)
def test_rest_rejects_credentials(
    secure: SecureServer, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.get(
        f"{secure.server.api}/containers", headers=headers, timeout=30
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_health_and_wsdl_open(secure: SecureServer) -> None:
    assert requests.get(secure.server.base_url + "/healthz", timeout=10).ok
    assert requests.get(secure.server.soap + "?wsdl", timeout=10).ok


def test_reader_reads_only(secure: SecureServer, containers: Containers) -> None:
    api = secure.server.api
    reader = secure.headers(READER_TOKEN)
    operator = secure.headers(OPERATOR_TOKEN)
    name = containers.name("owned")
    created = requests.post(
        f"{api}/containers", json=create_body(name), headers=operator, timeout=30
    )
    assert created.status_code == 201, created.text
    assert created.json()["labels"]["io.container-gateway.owner"] == "alice"

    assert requests.get(f"{api}/containers", headers=reader, timeout=30).ok
    assert requests.get(f"{api}/containers/{name}", headers=reader, timeout=30).ok
    logs = requests.get(f"{api}/containers/{name}/logs", headers=reader, timeout=30)
    assert logs.ok
    refused = [
        requests.post(f"{api}/containers/{name}/start", headers=reader, timeout=30),
        requests.delete(f"{api}/containers/{name}", headers=reader, timeout=30),
        requests.post(
            f"{api}/containers", json=create_body(name), headers=reader, timeout=30
        ),
    ]
    for response in refused:
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


def test_soap_requires_credentials(secure: SecureServer) -> None:
    response = post_soap(secure.server, soap_envelope("ListContainers", ""))
    assert fault_code(response).endswith(":Client.Authentication")


def test_soap_bearer(secure: SecureServer) -> None:
    response = post_soap(
        secure.server,
        soap_envelope("ListContainers", ""),
        Authorization=f"Bearer {OPERATOR_TOKEN}",
    )
    assert response.status_code == 200, response.text[:300]


def test_zeep_username_token(secure: SecureServer, containers: Containers) -> None:
    client = zeep.Client(
        secure.server.soap + "?wsdl",
        wsse=UsernameToken("alice", soap_password(OPERATOR_TOKEN), use_digest=True),
    )
    service = client.create_service(
        f"{{{SOAP_NS}}}ContainerGateway", secure.server.soap
    )
    name = containers.name("wsse")
    created = service.CreateContainer(image=DEMO_IMAGE, name=name, network="none")
    assert created.name == name
    # Each call gets a fresh nonce, so a second call passes the replay check.
    assert service.InspectContainer(container=name).name == name


def test_soap_reader_forbidden(secure: SecureServer) -> None:
    header = digest_header("bob", READER_TOKEN, os.urandom(16), now_created())
    body = f"<image>{DEMO_IMAGE}</image><network>none</network>"
    response = post_soap(secure.server, soap_envelope("CreateContainer", body, header))
    assert fault_code(response).endswith(":Client.Forbidden")


def test_soap_nonce_replay(secure: SecureServer) -> None:
    header = digest_header("alice", OPERATOR_TOKEN, os.urandom(16), now_created())
    envelope = soap_envelope("ListContainers", "", header)
    first = post_soap(secure.server, envelope)
    assert first.status_code == 200, first.text[:300]
    # Several replays, so that other workers see the nonce too.
    for _ in range(4):
        replay = post_soap(secure.server, envelope)
        assert fault_code(replay).endswith(":Client.Authentication")


@pytest.mark.parametrize(
    "offset",
    [
        pytest.param(timedelta(minutes=-10), id="expired"),
        pytest.param(timedelta(minutes=10), id="future"),
    ],
)
def test_soap_created_window(secure: SecureServer, offset: timedelta) -> None:
    header = digest_header("alice", OPERATOR_TOKEN, os.urandom(16), now_created(offset))
    response = post_soap(secure.server, soap_envelope("ListContainers", "", header))
    assert fault_code(response).endswith(":Client.Authentication")


@pytest.mark.parametrize(
    ("username", "token", "text"),
    [
        pytest.param("alice", "not-the-token", False, id="wrong-password"),
        pytest.param("mallory", OPERATOR_TOKEN, False, id="unknown-user"),
        pytest.param("alice", OPERATOR_TOKEN, True, id="password-text-disabled"),
    ],
)
def test_soap_rejects_token(
    secure: SecureServer, username: str, token: str, text: bool
) -> None:
    header = digest_header(username, token, os.urandom(16), now_created(), text=text)
    response = post_soap(secure.server, soap_envelope("ListContainers", "", header))
    assert fault_code(response).endswith(":Client.Authentication")


OPERATIONS = [
    pytest.param("GET", "", "InspectContainer", id="inspect"),
    pytest.param("GET", "/logs", "GetContainerLogs", id="logs"),
    pytest.param("POST", "/start", "StartContainer", id="start"),
    pytest.param("POST", "/stop", "StopContainer", id="stop"),
    pytest.param("POST", "/restart", "RestartContainer", id="restart"),
    pytest.param("POST", "/kill", "KillContainer", id="kill"),
    pytest.param("POST", "/pause", "PauseContainer", id="pause"),
    pytest.param("POST", "/unpause", "UnpauseContainer", id="unpause"),
    pytest.param("DELETE", "", "RemoveContainer", id="remove"),
]


@pytest.fixture
def foreign(
    docker_api: docker.APIClient, containers: Containers
) -> Iterator[dict[str, str]]:
    """A running container made directly on the engine, with no gateway label."""
    name = containers.name("foreign")
    reply = docker_api.create_container(
        DEMO_IMAGE,
        command=["sleep", "300"],
        name=name,
        host_config=docker_api.create_host_config(network_mode="none"),
    )
    docker_api.start(reply["Id"])
    yield {"name": name, "id": reply["Id"]}


@pytest.mark.parametrize(("method", "suffix", "operation"), OPERATIONS)
def test_foreign_hidden_rest(
    secure: SecureServer,
    foreign: dict[str, str],
    docker_api: docker.APIClient,
    method: str,
    suffix: str,
    operation: str,
) -> None:
    for ref in (foreign["name"], foreign["id"], foreign["id"][:12]):
        response = requests.request(
            method,
            f"{secure.server.api}/containers/{ref}{suffix}",
            headers=secure.headers(OPERATOR_TOKEN),
            timeout=30,
        )
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "container_not_found"
    assert docker_api.inspect_container(foreign["id"])["State"]["Running"] is True


@pytest.mark.parametrize(("method", "suffix", "operation"), OPERATIONS)
def test_foreign_hidden_soap(
    secure: SecureServer,
    foreign: dict[str, str],
    docker_api: docker.APIClient,
    method: str,
    suffix: str,
    operation: str,
) -> None:
    envelope = soap_envelope(operation, f"<container>{foreign['name']}</container>")
    response = post_soap(
        secure.server, envelope, Authorization=f"Bearer {OPERATOR_TOKEN}"
    )
    assert fault_code(response).endswith(":Client.ContainerNotFound")
    assert docker_api.inspect_container(foreign["id"])["State"]["Running"] is True


def test_foreign_not_listed(secure: SecureServer, foreign: dict[str, str]) -> None:
    response = requests.get(
        f"{secure.server.api}/containers",
        params={"all": "true"},
        headers=secure.headers(OPERATOR_TOKEN),
        timeout=30,
    )
    names = {item["name"] for item in response.json()["containers"]}
    assert foreign["name"] not in names


def test_other_instance_hidden(
    secure: SecureServer, server: Server, containers: Containers
) -> None:
    name = containers.name("default")
    assert requests.post(
        f"{server.api}/containers", json=create_body(name), timeout=30
    ).ok
    response = requests.get(
        f"{secure.server.api}/containers/{name}",
        headers=secure.headers(OPERATOR_TOKEN),
        timeout=30,
    )
    assert response.status_code == 404


def test_audit_log(secure: SecureServer, containers: Containers) -> None:
    api = secure.server.api
    operator = secure.headers(OPERATOR_TOKEN)
    name = containers.name("audit")
    created = requests.post(
        f"{api}/containers", json=create_body(name), headers=operator, timeout=30
    )
    container_id = created.json()["container_id"]
    requests.delete(f"{api}/containers/{name}", headers=operator, timeout=30)
    requests.post(f"{api}/containers/{name}/start", headers=operator, timeout=30)

    text = secure.audit_log.read_text()
    records = [json.loads(line) for line in text.splitlines()]
    mine = [r for r in records if r["container"] in (name, container_id)]
    phases = [(r["operation"], r["phase"], r["outcome"]) for r in mine]
    assert ("create", "begin", "-") in phases
    assert ("create", "end", "ok") in phases
    assert ("remove", "end", "ok") in phases
    assert ("start", "end", "container_not_found") in phases
    assert {r["owner"] for r in mine} == {"alice"}
    assert {r["protocol"] for r in mine} == {"rest"}
    assert all(r["request_id"] not in ("", "-") for r in mine)
    assert OPERATOR_TOKEN not in text
    assert soap_password(OPERATOR_TOKEN) not in text


def test_public_bind_refused(tmp_path: Path) -> None:
    # 192.0.2.1 is a documentation address: even if the check were missing,
    # binding to it fails, so nothing ever listens beyond loopback.
    env = {key: value for key, value in os.environ.items() if key != "GATEWAY_TOKENS"}
    env.update(GATEWAY_BIND="192.0.2.1:8080", GATEWAY_STATE_DIR=str(tmp_path))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "gateway.wsgi:app",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "refusing to listen on 192.0.2.1:8080 without API tokens" in result.stderr
    assert "python -m gateway.auth new" in result.stderr


def test_wsdl_declares_username_token(secure: SecureServer) -> None:
    from lxml import etree

    wsdl = etree.fromstring(
        requests.get(secure.server.soap + "?wsdl", timeout=10).content
    )
    sp = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
    wsp = "http://schemas.xmlsoap.org/ws/2004/09/policy"
    wsdl_ns = "http://schemas.xmlsoap.org/wsdl/"
    assert (
        wsdl.find(f".//{{{sp}}}UsernameToken/{{{wsp}}}Policy/{{{sp}}}HashPassword")
        is not None
    )
    reference = wsdl.find(f"{{{wsdl_ns}}}binding/{{{wsp}}}PolicyReference")
    assert reference is not None
    assert reference.get("URI") == "#UsernameTokenPolicy"
    documentation = wsdl.findtext(f"{{{wsdl_ns}}}service/{{{wsdl_ns}}}documentation")
    assert "UsernameToken" in documentation
