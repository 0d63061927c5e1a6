"""Invalid create input through both protocols, against the live server.

Each case is sent once as a REST body and once as a SOAP CreateContainer
message. Both must reject it as ``invalid_request`` naming the field (REST
400 with ``field``, SOAP ``Client.InvalidRequest`` with
``detail/GatewayFault/field``), never with a REST 5xx or a ``Server`` fault,
and the engine must hold no container of that name afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import docker
import pytest
import requests
from lxml import etree

from tests.conftest import DEMO_IMAGE, SOAP_NS, Containers, Server, create_body

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# The order of CreateContainer's elements in the WSDL's xs:sequence.
SOAP_ORDER = (
    "image",
    "name",
    "command",
    "env",
    "labels",
    "workingDir",
    "limits",
    "restartPolicy",
    "network",
    "start",
)


class Raw(str):
    """XML inserted into a SOAP message without escaping."""


@dataclass(frozen=True)
class BadInput:
    """One invalid create input, as REST members and as SOAP elements."""

    rest: dict[str, Any]
    soap: dict[str, Any]
    #: The field the error must name, in JSON naming.
    field: str
    #: Expected SOAP fault, when SOAP cannot carry the input as a value.
    soap_fault: str = "Client.InvalidRequest"


CASES = [
    pytest.param(
        BadInput(
            {"limits": {"memory": "2.5G"}},
            {"limits": {"memory": "2.5G"}},
            "limits.memory",
        ),
        id="memory-decimal",
    ),
    pytest.param(
        BadInput(
            {"limits": {"memory": "-1"}}, {"limits": {"memory": "-1"}}, "limits.memory"
        ),
        id="memory-negative",
    ),
    pytest.param(
        BadInput(
            {"limits": {"memory": "10x"}},
            {"limits": {"memory": "10x"}},
            "limits.memory",
        ),
        id="memory-unknown-unit",
    ),
    pytest.param(
        BadInput(
            {"limits": {"memory": 1}}, {"limits": {"memory": "1"}}, "limits.memory"
        ),
        id="memory-below-minimum",
    ),
    pytest.param(
        BadInput({"limits": {"cpus": 0}}, {"limits": {"cpus": "0"}}, "limits.cpus"),
        id="cpus-zero",
    ),
    pytest.param(
        BadInput({"limits": {"cpus": -1}}, {"limits": {"cpus": "-1"}}, "limits.cpus"),
        id="cpus-negative",
    ),
    pytest.param(
        BadInput(
            {"limits": {"cpus": 100000}}, {"limits": {"cpus": "100000"}}, "limits.cpus"
        ),
        id="cpus-too-many",
    ),
    pytest.param(
        # Docker's smallest CPU limit is 0.01; 0.001 fails only at start.
        BadInput(
            {"limits": {"cpus": 0.001}}, {"limits": {"cpus": "0.001"}}, "limits.cpus"
        ),
        id="cpus-below-engine-minimum",
    ),
    pytest.param(
        # 1e-10 CPUs is 0 NanoCpus, which the engine reads as no limit at all.
        BadInput(
            {"limits": {"cpus": 1e-10}}, {"limits": {"cpus": "1e-10"}}, "limits.cpus"
        ),
        id="cpus-rounds-to-zero",
    ),
    pytest.param(
        BadInput({"limits": {"pids": 0}}, {"limits": {"pids": "0"}}, "limits.pids"),
        id="pids-zero",
    ),
    pytest.param(
        BadInput(
            {"restart_policy": {"name": "sometimes"}},
            {"restartPolicy": {"name": "sometimes"}},
            "restart_policy.name",
        ),
        id="restart-policy-unknown",
    ),
    pytest.param(
        BadInput(
            {"restart_policy": {"name": "always", "maximum_retry_count": 3}},
            {"restartPolicy": {"name": "always", "maximumRetryCount": "3"}},
            "restart_policy",
        ),
        id="retry-count-without-on-failure",
    ),
    pytest.param(
        BadInput(
            {"command": "sleep 300"},
            {"command": Raw("<command><arg>sleep</arg></command>")},
            "command",
        ),
        id="command-not-list",
    ),
    pytest.param(
        BadInput(
            {"command": ["sleep", 300]},
            {"command": Raw('<command>sleep</command><command xsi:nil="true"/>')},
            "command",
        ),
        id="command-not-strings",
    ),
    pytest.param(
        BadInput({"env": {"A=B": "c"}}, {"env": {"key": "A=B", "value": "c"}}, "env"),
        id="env-name-equals",
    ),
    pytest.param(
        # XML 1.0 cannot carry U+0000 even as &#0;, so SOAP receives a message
        # that is not well-formed.
        BadInput(
            {"env": {"A": "x\x00y"}},
            {"env": Raw("<env><key>A</key><value>x&#0;y</value></env>")},
            "env",
            soap_fault="Client.MalformedRequest",
        ),
        id="env-value-nul",
    ),
    pytest.param(
        BadInput(
            {"labels": {"a": "x\x00y"}},
            {"labels": Raw("<labels><key>a</key><value>x&#0;y</value></labels>")},
            "labels",
            soap_fault="Client.MalformedRequest",
        ),
        id="label-value-nul",
    ),
    pytest.param(
        BadInput(
            {"command": ["sleep", "3\x000"]},
            {"command": Raw("<command>sleep</command><command>3&#0;0</command>")},
            "command",
            soap_fault="Client.MalformedRequest",
        ),
        id="command-nul",
    ),
    pytest.param(
        BadInput({"name": "{name}/x"}, {"name": "{name}/x"}, "name"),
        id="name-slash",
    ),
    pytest.param(
        BadInput(
            {"image": "gateway demo:latest"}, {"image": "gateway demo:latest"}, "image"
        ),
        id="image-spaces",
    ),
    pytest.param(
        BadInput(
            {"network": "cgtest-no-such-network"},
            {"network": "cgtest-no-such-network"},
            "network",
        ),
        id="network-missing",
    ),
]


def snake_case(path: str) -> str:
    """Convert a SOAP field path (``restartPolicy.name``) to JSON naming."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", path).lower()


def names_field(actual: str | None, expected: str) -> bool:
    """Check that *actual* is *expected*, or a path inside it, in either naming."""
    normalized = snake_case(actual or "")
    return normalized == expected or normalized.startswith(expected + ".")


def with_name(value: Any, name: str) -> Any:
    """Replace ``{name}`` in string values with the test container's name."""
    if isinstance(value, Raw):
        return value
    if isinstance(value, str):
        return value.replace("{name}", name)
    if isinstance(value, dict):
        return {key: with_name(item, name) for key, item in value.items()}
    return value


def to_xml(tag: str, value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        inner = "".join(to_xml(key, item) for key, item in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, list):
        return "".join(to_xml(tag, item) for item in value)
    return f"<{tag}>{escape(str(value))}</{tag}>"


def soap_create(elements: dict[str, Any]) -> bytes:
    children = "".join(
        to_xml(tag, elements[tag]) for tag in SOAP_ORDER if tag in elements
    )
    return (
        f'<s:Envelope xmlns:s="{SOAP11_ENV}" xmlns:xsi="{XSI}"><s:Body>'
        f'<CreateContainer xmlns="{SOAP_NS}">{children}</CreateContainer>'
        "</s:Body></s:Envelope>"
    ).encode()


def send_rest(server: Server, name: str, case: BadInput) -> tuple[int, str, Any]:
    body = {**create_body(name), **with_name(case.rest, name)}
    response = requests.post(f"{server.api}/containers", json=body, timeout=30)
    content_type = response.headers.get("Content-Type", "")
    return response.status_code, content_type, response.json()


def send_soap(server: Server, name: str, case: BadInput) -> tuple[int, str, Any]:
    elements = {
        "image": DEMO_IMAGE,
        "name": name,
        "command": ["sleep", "300"],
        "network": "none",
        **with_name(case.soap, name),
    }
    response = requests.post(
        server.soap,
        data=soap_create(elements),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=30,
    )
    content_type = response.headers.get("Content-Type", "")
    return response.status_code, content_type, etree.fromstring(response.content)


def fault_text(envelope: Any, path: str) -> str:
    fault = f"{{{SOAP11_ENV}}}Body/{{{SOAP11_ENV}}}Fault"
    return envelope.findtext(f"{fault}/{path}") or ""


def detail_text(envelope: Any, name: str) -> str:
    return fault_text(envelope, f"detail/{{{SOAP_NS}}}GatewayFault/{{{SOAP_NS}}}{name}")


@pytest.mark.parametrize("case", CASES)
def test_rest_create_rejected(
    server: Server,
    containers: Containers,
    docker_api: docker.APIClient,
    case: BadInput,
) -> None:
    name = containers.name("bad")
    status, content_type, problem = send_rest(server, name, case)
    assert status == 400
    assert content_type == "application/problem+json"
    assert problem["code"] == "invalid_request"
    assert names_field(problem.get("field"), case.field)
    assert docker_api.containers(all=True, filters={"name": name}) == []


@pytest.mark.parametrize("case", CASES)
def test_soap_create_rejected(
    server: Server,
    containers: Containers,
    docker_api: docker.APIClient,
    case: BadInput,
) -> None:
    name = containers.name("bad")
    status, content_type, envelope = send_soap(server, name, case)
    assert status == 500
    assert content_type.startswith("text/xml")
    assert fault_text(envelope, "faultcode").rpartition(":")[2] == case.soap_fault
    if case.soap_fault == "Client.InvalidRequest":
        assert detail_text(envelope, "code") == "invalid_request"
        assert names_field(detail_text(envelope, "field"), case.field)
    assert docker_api.containers(all=True, filters={"name": name}) == []
