"""SOAP 1.1 envelope, header and typing edge cases against the live server.

A rejected request must get a fault in a SOAP 1.1 envelope, and never an
HTML page, a ``Server`` fault or a 200. A few tests check requests that must
succeed: an empty or matching SOAPAction, ``?WSDL`` in any case, and a
chunked body that splits multi-byte UTF-8 characters.
"""

from __future__ import annotations

import http.client
import re
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import docker
import pytest
import requests
from lxml import etree

from tests.conftest import DEMO_IMAGE, SOAP_NS, Containers, Server

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TEXT_XML = {"Content-Type": "text/xml; charset=utf-8"}
MAX_SECONDS = 1.0
# A name no test container has, so that ListContainers succeeds with no work.
ABSENT = "cgtest-absent-name"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def post_soap(server: Server, body: bytes, headers: dict[str, str]) -> Reply:
    started = time.monotonic()
    response = requests.post(server.soap, data=body, headers=headers, timeout=10)
    return Reply(
        response.status_code,
        {name.lower(): value for name, value in response.headers.items()},
        response.content,
        time.monotonic() - started,
    )


def envelope(operation: str, namespace: str = SOAP11_ENV, header: str = "") -> str:
    return (
        f'<s:Envelope xmlns:s="{namespace}" xmlns:xsi="{XSI}">{header}'
        f"<s:Body>{operation}</s:Body></s:Envelope>"
    )


def operation(name: str, children: str = "") -> str:
    return f'<{name} xmlns="{SOAP_NS}">{children}</{name}>'


def inspect(container: str = "cgtest-absent") -> str:
    return envelope(
        operation("InspectContainer", f"<container>{container}</container>")
    )


def list_absent() -> str:
    return envelope(operation("ListContainers", f"<name>{ABSENT}</name>"))


def parse_reply(body: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(body, parser)


def fault_part(envelope_root: etree._Element, name: str) -> str:
    fault = f"{{{SOAP11_ENV}}}Body/{{{SOAP11_ENV}}}Fault"
    return envelope_root.findtext(f"{fault}/{name}") or ""


def detail_part(envelope_root: etree._Element, name: str) -> str:
    path = f"detail/{{{SOAP_NS}}}GatewayFault/{{{SOAP_NS}}}{name}"
    return fault_part(envelope_root, path)


def snake_case(field: str) -> str:
    """Convert a SOAP field path (``restartPolicy.name``) to JSON naming."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", field).lower()


def names_field(actual: str, expected: str) -> bool:
    """Check that *actual* is *expected* or a path inside it, in either naming."""
    normalized = snake_case(actual)
    return normalized == expected or normalized.startswith(expected + ".")


def assert_fault(reply: Reply, status: int, fault: str) -> etree._Element:
    assert reply.seconds < MAX_SECONDS
    assert reply.status == status
    assert reply.content_type.startswith("text/xml")
    assert b"<html" not in reply.body.lower()
    root = parse_reply(reply.body)
    assert root.tag == f"{{{SOAP11_ENV}}}Envelope"
    assert fault_part(root, "faultcode").rpartition(":")[2] == fault
    assert detail_part(root, "code") != ""
    return root


def typed(name: str, children: str) -> bytes:
    return envelope(operation(name, children)).encode()


REJECTED = [
    pytest.param(
        TEXT_XML,
        envelope(operation("InspectContainer", "<container>x</container>"), SOAP12_ENV),
        500,
        "VersionMismatch",
        id="soap12-envelope",
    ),
    pytest.param(
        {"Content-Type": "application/soap+xml; charset=utf-8"},
        inspect(),
        500,
        "VersionMismatch",
        id="soap12-content-type",
    ),
    pytest.param(
        {"Content-Type": 'application/soap+xml; action="InspectContainer"'},
        envelope(operation("InspectContainer", "<container>x</container>"), SOAP12_ENV),
        500,
        "VersionMismatch",
        id="soap12-envelope-and-content-type",
    ),
    pytest.param(
        TEXT_XML,
        envelope(operation("InspectContainer", "<container>x</container>"), "urn:x"),
        500,
        "VersionMismatch",
        id="envelope-unknown-namespace",
    ),
    pytest.param(
        TEXT_XML,
        envelope(operation("FormatDisk", "<container>x</container>")),
        500,
        "Client.NotFound",
        id="unknown-operation",
    ),
    pytest.param(TEXT_XML, "", 500, "Client.MalformedRequest", id="empty-body"),
    pytest.param(
        TEXT_XML, " \r\n\t ", 500, "Client.MalformedRequest", id="whitespace-body"
    ),
    pytest.param(TEXT_XML, "hello", 500, "Client.MalformedRequest", id="not-xml"),
    pytest.param(
        TEXT_XML, envelope(""), 500, "Client.MalformedRequest", id="body-no-child"
    ),
    pytest.param(
        TEXT_XML,
        f'<s:Envelope xmlns:s="{SOAP11_ENV}"/>',
        500,
        "Client.MalformedRequest",
        id="no-body",
    ),
    pytest.param(
        TEXT_XML,
        envelope(
            operation("InspectContainer", "<container>x</container>")
            + operation("RemoveContainer", "<container>x</container>")
        ),
        500,
        "Client.MalformedRequest",
        id="two-operations",
    ),
    pytest.param(
        {}, inspect(), 415, "Client.UnsupportedMediaType", id="no-content-type"
    ),
    pytest.param(
        {"Content-Type": "application/json"},
        inspect(),
        415,
        "Client.UnsupportedMediaType",
        id="json-content-type",
    ),
    pytest.param(
        {"Content-Type": "text/xml; charset=iso-8859-1"},
        inspect(),
        415,
        "Client.UnsupportedMediaType",
        id="charset-iso-8859-1",
    ),
    pytest.param(
        TEXT_XML,
        '<?xml version="1.0" encoding="ISO-8859-1"?>' + inspect(),
        500,
        "Client.MalformedRequest",
        id="declared-iso-8859-1",
    ),
    pytest.param(
        TEXT_XML,
        inspect().encode().replace(b"cgtest-absent", b"caf\xe9"),
        500,
        "Client.MalformedRequest",
        id="non-utf-8-byte",
    ),
    pytest.param(
        {**TEXT_XML, "SOAPAction": '"RemoveContainer"'},
        inspect(),
        500,
        "Client.InvalidRequest",
        id="soap-action-mismatch",
    ),
    pytest.param(
        TEXT_XML,
        envelope(
            operation("ListContainers", f"<name>{ABSENT}</name>"),
            header='<s:Header><t:Token xmlns:t="urn:token" s:mustUnderstand="1">'
            "secret</t:Token></s:Header>",
        ),
        500,
        "MustUnderstand",
        id="must-understand-header",
    ),
]


@pytest.mark.parametrize(("headers", "body", "status", "fault"), REJECTED)
def test_envelope_rejected(
    server: Server,
    headers: dict[str, str],
    body: str | bytes,
    status: int,
    fault: str,
) -> None:
    data = body.encode() if isinstance(body, str) else body
    assert_fault(post_soap(server, data, headers), status, fault)


# Operation, its children and the field (in JSON naming) the fault must name.
INVALID_VALUES = [
    pytest.param("InspectContainer", "", "container", id="omitted-required"),
    pytest.param(
        "InspectContainer",
        '<container xsi:nil="true"/>',
        "container",
        id="nil-required",
    ),
    pytest.param("InspectContainer", "<container/>", "container", id="empty-required"),
    pytest.param(
        "InspectContainer",
        "<container>x</container><force>true</force>",
        "force",
        id="unknown-element",
    ),
    pytest.param(
        "StopContainer",
        "<container>x</container><timeout>abc</timeout>",
        "timeout",
        id="timeout-abc",
    ),
    pytest.param(
        "StopContainer",
        "<container>x</container><timeout>-1</timeout>",
        "timeout",
        id="timeout-negative",
    ),
    pytest.param(
        "StopContainer",
        f"<container>x</container><timeout>{'9' * 5000}</timeout>",
        "timeout",
        id="timeout-5000-digits",
    ),
    pytest.param(
        "CreateContainer",
        f"<image>{DEMO_IMAGE}</image><network>none</network><start>maybe</start>",
        "start",
        id="start-maybe",
    ),
    pytest.param(
        "CreateContainer",
        f"<image>{DEMO_IMAGE}</image><limits><cpus>NaN</cpus></limits>"
        "<network>none</network>",
        "limits.cpus",
        id="cpus-nan",
    ),
    pytest.param(
        "CreateContainer",
        f"<image>{DEMO_IMAGE}</image><limits><cpus>abc</cpus></limits>"
        "<network>none</network>",
        "limits.cpus",
        id="cpus-abc",
    ),
    pytest.param("ListContainers", "<all>yes</all>", "all", id="all-yes"),
    pytest.param(
        "GetContainerLogs",
        "<container>x</container><tail>-5</tail>",
        "tail",
        id="tail-negative",
    ),
    pytest.param(
        "GetContainerLogs",
        f"<container>x</container><tail>{'9' * 5000}</tail>",
        "tail",
        id="tail-5000-digits",
    ),
    pytest.param(
        "GetContainerLogs",
        "<container>x</container><since>yesterday</since>",
        "since",
        id="since-not-a-date",
    ),
    pytest.param(
        "RemoveContainer",
        "<container>x</container><force>maybe</force>",
        "force",
        id="force-maybe",
    ),
]


@pytest.mark.parametrize(("name", "children", "field"), INVALID_VALUES)
def test_invalid_value_names_field(
    server: Server, name: str, children: str, field: str
) -> None:
    reply = post_soap(server, typed(name, children), TEXT_XML)
    root = assert_fault(reply, 500, "Client.InvalidRequest")
    assert names_field(detail_part(root, "field"), field)


@pytest.mark.parametrize(("name", "children", "field"), INVALID_VALUES)
def test_invalid_value_message_text(
    server: Server, name: str, children: str, field: str
) -> None:
    reply = post_soap(server, typed(name, children), TEXT_XML)
    root = assert_fault(reply, 500, "Client.InvalidRequest")
    message = fault_part(root, "faultstring")
    # A Python bytes literal in the message means a raw parser error leaked.
    assert not message.startswith(("b'", 'b"'))


def test_soap_action_mismatch_names_header(server: Server) -> None:
    reply = post_soap(server, inspect().encode(), {**TEXT_XML, "SOAPAction": "Kill"})
    root = assert_fault(reply, 500, "Client.InvalidRequest")
    assert detail_part(root, "field") == "SOAPAction"


@pytest.mark.parametrize(
    "soap_action",
    [
        pytest.param('""', id="quoted-empty"),
        pytest.param("", id="empty"),
        pytest.param('"ListContainers"', id="operation-name"),
        pytest.param(f"{SOAP_NS}#ListContainers", id="namespaced"),
    ],
)
def test_soap_action_accepted(server: Server, soap_action: str) -> None:
    headers = {**TEXT_XML, "SOAPAction": soap_action}
    reply = post_soap(server, list_absent().encode(), headers)
    assert reply.status == 200
    root = parse_reply(reply.body)
    assert fault_part(root, "faultcode") == ""


@pytest.mark.parametrize("query", ["wsdl", "WSDL", "Wsdl"])
def test_wsdl_query_any_case(server: Server, query: str) -> None:
    response = requests.get(f"{server.soap}?{query}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert parse_reply(response.content).tag == f"{{{WSDL_NS}}}definitions"


@pytest.mark.parametrize(
    "accept",
    [
        pytest.param("text/html,application/xhtml+xml,*/*;q=0.8", id="browser"),
        pytest.param("*/*", id="any"),
    ],
)
def test_get_without_wsdl(server: Server, accept: str) -> None:
    started = time.monotonic()
    response = requests.get(server.soap, headers={"Accept": accept}, timeout=10)
    reply = Reply(
        response.status_code,
        {name.lower(): value for name, value in response.headers.items()},
        response.content,
        time.monotonic() - started,
    )
    assert_fault(reply, 405, "Client.MethodNotAllowed")
    assert "POST" in reply.headers.get("allow", "")


def test_chunked_split_utf8_label(
    server: Server, containers: Containers, docker_api: docker.APIClient
) -> None:
    name = containers.name("utf8")
    value = "é€😀"
    body = envelope(
        operation(
            "CreateContainer",
            f"<image>{DEMO_IMAGE}</image><name>{name}</name>"
            "<command>sleep</command><command>300</command>"
            f"<labels><key>word</key><value>{value}</value></labels>"
            "<network>none</network>",
        )
    ).encode()

    # One chunk per byte of the value, so every multi-byte character is split.
    start = body.index(value.encode())
    end = start + len(value.encode())
    chunks = [body[:start]] + [body[i : i + 1] for i in range(start, end)]
    chunks.append(body[end:])

    address = urlsplit(server.base_url)
    connection = http.client.HTTPConnection(
        address.hostname or "127.0.0.1", address.port, timeout=30
    )
    try:
        connection.request(
            "POST", "/soap", body=iter(chunks), headers=TEXT_XML, encode_chunked=True
        )
        response = connection.getresponse()
        content = response.read()
    finally:
        connection.close()

    assert response.status == 200
    root = parse_reply(content)
    labels = {
        item.findtext(f"{{{SOAP_NS}}}key"): item.findtext(f"{{{SOAP_NS}}}value")
        for item in root.iter(f"{{{SOAP_NS}}}labels")
    }
    assert labels.get("word") == value
    assert docker_api.inspect_container(name)["Config"]["Labels"]["word"] == value


def raw_exchange(server: Server, request: bytes) -> tuple[bytes, bytes]:
    """Send *request* as is and return the response head and body."""
    address = urlsplit(server.base_url)
    with socket.create_connection(
        (address.hostname or "127.0.0.1", address.port or 80), timeout=10
    ) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return head, body


def test_invalid_chunk_size_fault(server: Server) -> None:
    started = time.monotonic()
    head, body = raw_exchange(
        server,
        b"POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n",
    )
    status_line, _, header_block = head.partition(b"\r\n")
    headers = {}
    for line in header_block.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(": ")
        headers[name.lower()] = value
    reply = Reply(
        int(status_line.split()[1]), headers, body, time.monotonic() - started
    )
    assert reply.status in (400, 500)
    assert reply.content_type.startswith("text/xml")
    root = parse_reply(reply.body)
    assert root.tag == f"{{{SOAP11_ENV}}}Envelope"
    assert fault_part(root, "faultcode").rpartition(":")[2].startswith("Client.")
