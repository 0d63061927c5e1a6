"""Every error code through both protocols: same scenario, matching errors.

Each scenario runs once over REST and once over SOAP against the same
server. REST must respond with the status and problem ``code`` of the table,
and SOAP with HTTP 500 and the fault code of the same row, whose ``detail``
carries the same stable code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import zeep
from lxml import etree

from tests.conftest import DEMO_IMAGE, SOAP_NS, Containers, Server, create_body


@dataclass
class Case:
    """A request, as REST (method, path, JSON body) and as a SOAP call."""

    method: str
    path: str
    body: dict[str, Any] | None
    operation: str
    arguments: dict[str, Any]


Setup = Callable[[Server, Containers], Case]


def _create(server: Server, name: str, *, start: bool = False) -> dict[str, Any]:
    response = requests.post(
        f"{server.api}/containers", json=create_body(name, start=start), timeout=30
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def not_found(server: Server, containers: Containers) -> Case:
    name = containers.name("missing")
    return Case(
        "GET", f"/containers/{name}", None, "InspectContainer", {"container": name}
    )


def name_conflict(server: Server, containers: Containers) -> Case:
    name = containers.name("taken")
    _create(server, name)
    return Case(
        "POST",
        "/containers",
        create_body(name),
        "CreateContainer",
        {"image": DEMO_IMAGE, "name": name, "network": "none"},
    )


def kill_stopped(server: Server, containers: Containers) -> Case:
    name = containers.name("idle")
    _create(server, name)
    return Case(
        "POST", f"/containers/{name}/kill", None, "KillContainer", {"container": name}
    )


def pause_stopped(server: Server, containers: Containers) -> Case:
    name = containers.name("idle")
    _create(server, name)
    return Case(
        "POST", f"/containers/{name}/pause", None, "PauseContainer", {"container": name}
    )


def unpause_created(server: Server, containers: Containers) -> Case:
    name = containers.name("idle")
    _create(server, name)
    return Case(
        "POST",
        f"/containers/{name}/unpause",
        None,
        "UnpauseContainer",
        {"container": name},
    )


def remove_running(server: Server, containers: Containers) -> Case:
    name = containers.name("busy")
    _create(server, name, start=True)
    return Case(
        "DELETE", f"/containers/{name}", None, "RemoveContainer", {"container": name}
    )


def bad_memory(server: Server, containers: Containers) -> Case:
    name = containers.name("mem")
    body = {**create_body(name), "limits": {"memory": "2.5g"}}
    return Case(
        "POST",
        "/containers",
        body,
        "CreateContainer",
        {
            "image": DEMO_IMAGE,
            "name": name,
            "network": "none",
            "limits": {"memory": "2.5g"},
        },
    )


def bad_signal(server: Server, containers: Containers) -> Case:
    name = containers.name("sig")
    _create(server, name, start=True)
    return Case(
        "POST",
        f"/containers/{name}/kill",
        {"signal": "SIGNOPE"},
        "KillContainer",
        {"container": name, "signal": "SIGNOPE"},
    )


def timeout_too_long(server: Server, containers: Containers) -> Case:
    name = containers.name("slow")
    _create(server, name, start=True)
    return Case(
        "POST",
        f"/containers/{name}/stop",
        {"timeout": 100000},
        "StopContainer",
        {"container": name, "timeout": 100000},
    )


def bad_reference(server: Server, containers: Containers) -> Case:
    ref = "no such name"
    return Case(
        "GET",
        "/containers/no%20such%20name",
        None,
        "InspectContainer",
        {"container": ref},
    )


def missing_image(server: Server, containers: Containers) -> Case:
    name = containers.name("noimage")
    image = "cgtest-no-such-image:latest"
    body = {**create_body(name), "image": image}
    return Case(
        "POST",
        "/containers",
        body,
        "CreateContainer",
        {"image": image, "name": name, "network": "none"},
    )


def ambiguous_prefix(server: Server, containers: Containers) -> Case:
    # Among 17 ids, two share their first hex digit, which then matches both.
    seen: dict[str, str] = {}
    for _ in range(17):
        container_id = _create(server, containers.name("amb"))["container_id"]
        if container_id[0] in seen:
            prefix = container_id[0]
            return Case(
                "GET",
                f"/containers/{prefix}",
                None,
                "InspectContainer",
                {"container": prefix},
            )
        seen[container_id[0]] = container_id
    raise AssertionError("17 hex ids cannot all start with different digits")


# scenario, REST status, problem code, SOAP fault code
PARITY = [
    pytest.param(
        not_found,
        404,
        "container_not_found",
        "Client.ContainerNotFound",
        id="not-found",
    ),
    pytest.param(
        name_conflict, 409, "name_conflict", "Client.NameConflict", id="name-conflict"
    ),
    pytest.param(
        kill_stopped, 409, "invalid_state", "Client.InvalidState", id="kill-stopped"
    ),
    pytest.param(
        pause_stopped, 409, "invalid_state", "Client.InvalidState", id="pause-stopped"
    ),
    pytest.param(
        unpause_created,
        409,
        "invalid_state",
        "Client.InvalidState",
        id="unpause-created",
    ),
    pytest.param(
        remove_running, 409, "invalid_state", "Client.InvalidState", id="remove-running"
    ),
    pytest.param(
        bad_memory, 400, "invalid_request", "Client.InvalidRequest", id="bad-memory"
    ),
    pytest.param(
        bad_signal, 400, "invalid_request", "Client.InvalidRequest", id="bad-signal"
    ),
    pytest.param(
        timeout_too_long,
        400,
        "invalid_request",
        "Client.InvalidRequest",
        id="timeout-too-long",
    ),
    pytest.param(
        bad_reference,
        400,
        "invalid_request",
        "Client.InvalidRequest",
        id="bad-reference",
    ),
    pytest.param(
        missing_image,
        404,
        "image_not_found",
        "Client.ImageNotFound",
        id="image-not-found",
    ),
    pytest.param(
        ambiguous_prefix,
        400,
        "ambiguous_reference",
        "Client.AmbiguousReference",
        id="ambiguous-prefix",
    ),
]


@pytest.mark.parametrize(("setup", "status", "code", "fault"), PARITY)
def test_rest_error(
    server: Server,
    containers: Containers,
    setup: Setup,
    status: int,
    code: str,
    fault: str,
) -> None:
    case = setup(server, containers)
    response = requests.request(
        case.method, server.api + case.path, json=case.body, timeout=30
    )
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["type"].endswith(code)
    assert problem["detail"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize(("setup", "status", "code", "fault"), PARITY)
def test_soap_fault(
    server: Server,
    soap: zeep.proxy.ServiceProxy,
    containers: Containers,
    setup: Setup,
    status: int,
    code: str,
    fault: str,
) -> None:
    case = setup(server, containers)
    with pytest.raises(zeep.exceptions.Fault) as raised:
        getattr(soap, case.operation)(**case.arguments)
    assert raised.value.code.split(":")[-1] == fault
    assert raised.value.message
    detail = raised.value.detail
    assert detail is not None
    assert detail.findtext(f"{{{SOAP_NS}}}GatewayFault/{{{SOAP_NS}}}code") == code


def test_soap_fault_status(server: Server, containers: Containers) -> None:
    name = containers.name("missing")
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<InspectContainer xmlns="{SOAP_NS}"><container>{name}</container>'
        "</InspectContainer></s:Body></s:Envelope>"
    )
    response = requests.post(
        server.soap,
        data=envelope,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        timeout=30,
    )
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    fault = root.find(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault")
    assert fault is not None
    assert fault.findtext("faultcode", "").endswith(":Client.ContainerNotFound")
    assert name in fault.findtext("faultstring", "")
