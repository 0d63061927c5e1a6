"""Property-based tests of raw SOAP envelopes generated from the WSDL.

For every operation, hypothesis builds envelopes from the operation's
message schema in the committed WSDL, with valid values of every element.
Some envelopes are invalid in one place:

- text that is not of the element's XSD type;
- a value outside the enumeration or pattern, or a number outside the
  model's range;
- a required element left out, a single element repeated, or an unknown
  element;
- a body that is not well-formed XML.

Each envelope is posted raw to /soap, and the response is checked:

- it is a well-formed SOAP 1.1 envelope whose Body contains the operation's
  response or a fault, either one valid against the WSDL's schema;
- a fault's detail code is one that the registry declares for the
  operation, under that code's own fault code;
- no ``Server.*`` fault but those of an unreachable or slow engine;
- an invalid input never gets HTTP 200.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import os
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import annotated_types
import docker
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from gateway import errors
from gateway.operations import (
    OPERATIONS,
    nested_model,
    request_fields,
    soap_errors,
    soap_name,
    soap_request_names,
)
from tests.conftest import DEMO_IMAGE, REPO, SOAP_NS, Server
from tests.fuzzing import (
    FUZZ_LABEL,
    OWN_REFS,
    RUN_ID,
    ensure_own,
    operations_done,
    safe_ref,
    unlabelled_creations,
)
from tests.fuzzing import fuzz_server as run_fuzz_server

MAX_EXAMPLES = int(os.environ.get("GATEWAY_FUZZ_EXAMPLES") or 25)
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL = etree.parse(str(REPO / "wsdl" / "container_gateway.wsdl")).getroot()
SCHEMA_NODE = WSDL.find(f".//{{{XS}}}schema")


def _schema() -> Any:
    """Return the WSDL's types as a schema, with the prefixes they use."""
    root = etree.Element(
        f"{{{XS}}}schema", SCHEMA_NODE.attrib, nsmap={"xs": XS, "tns": SOAP_NS}
    )
    root.extend(copy.deepcopy(child) for child in SCHEMA_NODE)
    return etree.XMLSchema(etree.fromstring(etree.tostring(root)))


SCHEMA = _schema()
# Faults for an engine that is away, not for a request the gateway mishandled.
ALLOWED_SERVER_FAULTS = {"Server.EngineUnavailable", "Server.EngineTimeout"}
BY_CODE = {cls.code: cls for cls in errors.error_classes()}
# Elements the test sets itself on CreateContainer, for the cleanup label.
PINNED = {"labels", "network"}


Bound = tuple[str, float]


@dataclass(frozen=True)
class Elem:
    """One element declaration of a WSDL complex type."""

    name: str
    type: str
    required: bool
    repeated: bool
    nillable: bool
    #: The model's numeric limits: ("ge", 0.0) for ge=0.
    bounds: tuple[Bound, ...] = ()


@dataclass
class Node:
    """One generated element: text, nil (None) or child nodes."""

    elem: Elem | None
    name: str
    value: str | list[Node] | None


@dataclass
class Message:
    operation: str
    nodes: list[Node]
    invalid: list[str] = field(default_factory=list)


def _declarations() -> dict[str, list[Elem]]:
    types: dict[str, list[Elem]] = {}
    for node in SCHEMA_NODE.iter(f"{{{XS}}}complexType"):
        types[node.get("name")] = [
            Elem(
                name=child.get("name"),
                type=child.get("type"),
                required=child.get("minOccurs", "1") != "0",
                repeated=child.get("maxOccurs") == "unbounded",
                nillable=child.get("nillable") == "true",
            )
            for child in node.iter(f"{{{XS}}}element")
        ]
    return types


def _field_bounds(info: FieldInfo) -> tuple[Bound, ...]:
    bounds: list[Bound] = []
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            bounds.append(("ge", float(typing.cast(float, item.ge))))
        elif isinstance(item, annotated_types.Gt):
            bounds.append(("gt", float(typing.cast(float, item.gt))))
        elif isinstance(item, annotated_types.Le):
            bounds.append(("le", float(typing.cast(float, item.le))))
    return tuple(bounds)


def _with_bounds(types: dict[str, list[Elem]]) -> dict[str, list[Elem]]:
    """Attach the model's numeric range to each element, through the registry."""
    fields: dict[tuple[str, str], FieldInfo] = {}

    def walk(type_name: str, model_fields: dict[str, FieldInfo]) -> None:
        by_element = {soap_name(name): info for name, info in model_fields.items()}
        for elem in types[type_name]:
            info = by_element.get(elem.name)
            if info is None:
                continue
            fields[(type_name, elem.name)] = info
            model: type[BaseModel] | None = nested_model(info)
            if model is not None and elem.type.startswith("tns:"):
                walk(elem.type[4:], model.model_fields)

    for op in OPERATIONS:
        names = soap_request_names(op)
        walk(
            op.soap_name,
            {name: info for name, info in request_fields(op).items() if name in names},
        )
    return {
        name: [
            dataclasses.replace(elem, bounds=_field_bounds(fields[(name, elem.name)]))
            if (name, elem.name) in fields
            else elem
            for elem in elems
        ]
        for name, elems in types.items()
    }


TYPES = _with_bounds(_declarations())
SIMPLE: dict[str, tuple[list[str], list[str]]] = {
    node.get("name"): (
        [item.get("value") for item in node.iter(f"{{{XS}}}enumeration")],
        [item.get("value") for item in node.iter(f"{{{XS}}}pattern")],
    )
    for node in SCHEMA_NODE.iter(f"{{{XS}}}simpleType")
}

# Characters that XML 1.0 allows in text (no control, surrogate or
# non-character code points), plus tab and line ends.
XML_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")
) | st.sampled_from("\t\n\r")
ODD_TEXT = st.one_of(
    st.text(XML_CHARS, max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\u202eevil",
            "\ufeffbom",
            "\U0001f600",
            "<b>&amp;</b>",
            "]]>",
            "' OR 1=1 --",
            "../../etc/passwd",
            "a" * 5000,
            "-1",
            "SIGTERM",
            "x=y",
        ]
    ),
)
TYPICAL: dict[str, list[str]] = {
    "container": list(OWN_REFS),
    "image": [DEMO_IMAGE],
    "memory": ["64m", "6m", "1g", "7000000"],
    "signal": ["SIGTERM", "SIGKILL", "9", "HUP", "SIGSTOP"],
    "network": ["none"],
    "workingDir": ["/tmp", "/"],
    "command": ["sleep", "1", "sh", "-c", "echo hi"],
    "state": ["created", "running", "exited", "paused"],
    "label": [FUZZ_LABEL, f"{FUZZ_LABEL}={RUN_ID}"],
    "name": [f"cgtest-fuzz-{RUN_ID}-soap"],
    "protocol": ["tcp", "udp"],
    "hostIp": ["127.0.0.1"],
}
#: The XSD integer types in the WSDL, with their range.
INTEGER_RANGES: dict[str, tuple[int | None, int | None]] = {
    "xs:integer": (None, None),
    "xs:int": (-(2**31), 2**31 - 1),
    "xs:long": (-(2**63), 2**63 - 1),
}
BAD_INTEGERS = ["1.5", "abc", "", "1e3", "0x1F", "\u0661"]
BAD_LEXICAL: dict[str, list[str]] = {
    "xs:boolean": ["yes", "TRUE", "2", "", "on"],
    "xs:integer": BAD_INTEGERS,
    "xs:int": [*BAD_INTEGERS, str(2**31)],
    "xs:long": [*BAD_INTEGERS, str(2**63)],
    "xs:double": ["abc", "1,5", "", "0x1p3", "--1"],
    "xs:dateTime": ["yesterday", "2020-13-01T00:00:00", "2020-01-01", ""],
}


def _outside(bounds: tuple[Bound, ...], is_int: bool) -> list[str]:
    nearest = {"ge": -1.0, "gt": 0.0, "le": 1.0}
    values = [limit + nearest[kind] for kind, limit in bounds]
    return [str(int(value)) if is_int else repr(value) for value in values]


def _inside(bounds: tuple[Bound, ...]) -> tuple[float | None, float | None]:
    low = high = None
    for kind, limit in bounds:
        if kind == "ge":
            low = limit
        elif kind == "gt":
            low = limit + 0.01
        else:
            high = limit
    return low, high


def valid_text(elem: Elem) -> st.SearchStrategy[str]:
    """Return values of *elem*'s simple type, within the model's range."""
    low, high = _inside(elem.bounds)
    if elem.type == "xs:boolean":
        return st.sampled_from(["true", "false", "1", "0", " true "])
    if elem.type in INTEGER_RANGES:
        lo, hi = INTEGER_RANGES[elem.type]
        if low is not None:
            lo = int(low) if lo is None else max(lo, int(low))
        if high is not None:
            hi = int(high) if hi is None else min(hi, int(high))
        return st.integers(lo, hi).map(str)
    if elem.type == "xs:double":
        floats = st.floats(low, high, allow_nan=False, allow_infinity=False)
        return floats.map(repr)
    if elem.type == "xs:dateTime":
        return st.datetimes(
            min_value=datetime.datetime(1970, 1, 2),
            timezones=st.sampled_from([None, datetime.timezone.utc]),
        ).map(lambda value: value.isoformat())
    simple = SIMPLE.get(elem.type.removeprefix("tns:"))
    if simple and simple[0]:
        return st.sampled_from(simple[0])
    if simple and simple[1] == ["all|[0-9]+"]:
        return st.one_of(st.just("all"), st.integers(0, 10**6).map(str))
    typical = TYPICAL.get(elem.name)
    return st.one_of(st.sampled_from(typical), ODD_TEXT) if typical else ODD_TEXT


def invalid_texts(elem: Elem) -> list[str]:
    """Return values that break *elem*'s XSD type or the model's range."""
    found = list(BAD_LEXICAL.get(elem.type, []))
    found += _outside(elem.bounds, elem.type in INTEGER_RANGES)
    simple = SIMPLE.get(elem.type.removeprefix("tns:"))
    if simple and simple[0]:
        found += ["", simple[0][0].upper() + "x", "both stdout"]
    if simple and simple[1]:
        found += ["-1", "ALL", "1.5", ""]
    return found


@st.composite
def nodes_of(draw: st.DrawFn, type_name: str, depth: int = 0) -> list[Node]:
    """Draw valid child nodes for every element of a complex type."""
    nodes: list[Node] = []
    for elem in TYPES[type_name]:
        max_count = 3 if elem.repeated else 1
        count = draw(st.integers(1 if elem.required else 0, max_count))
        for _ in range(count):
            nodes.append(Node(elem, elem.name, draw(value_of(elem, depth))))
    return nodes


@st.composite
def value_of(draw: st.DrawFn, elem: Elem, depth: int) -> str | list[Node] | None:
    if elem.nillable and draw(st.integers(0, 9)) == 0:
        return None
    if elem.type.startswith("tns:") and elem.type[4:] in TYPES:
        if depth > 3:
            return []
        children: list[Node] = draw(nodes_of(elem.type[4:], depth + 1))
        return children
    text: str = draw(valid_text(elem))
    return text


def _walk(nodes: list[Node]) -> Iterator[tuple[list[Node], Node]]:
    for node in nodes:
        yield nodes, node
        if isinstance(node.value, list):
            yield from _walk(node.value)


@st.composite
def messages(draw: st.DrawFn, operation: str) -> Message:
    """Draw a message for *operation*: valid, or broken in one place."""
    message = Message(operation, draw(nodes_of(operation)))
    kind = draw(st.sampled_from(["valid", "valid", "value", "missing", "extra"]))
    spots = [
        (siblings, node)
        for siblings, node in _walk(message.nodes)
        if node.elem is not None and node.name not in PINNED
    ]
    if kind == "value":
        leaves = [
            (siblings, node)
            for siblings, node in spots
            if isinstance(node.value, str) and node.elem and invalid_texts(node.elem)
        ]
        if leaves:
            _, node = draw(st.sampled_from(leaves))
            assert node.elem is not None
            node.value = draw(st.sampled_from(invalid_texts(node.elem)))
            message.invalid.append(f"{node.name}={node.value!r}")
    elif kind == "missing":
        required = [
            (siblings, node)
            for siblings, node in spots
            if node.elem and node.elem.required
        ]
        if required:
            siblings, node = draw(st.sampled_from(required))
            siblings[:] = [item for item in siblings if item.name != node.name]
            message.invalid.append(f"{node.name} left out")
    elif kind == "extra" and spots:
        siblings, node = draw(st.sampled_from(spots))
        assert node.elem is not None
        if node.elem.repeated or draw(st.booleans()):
            siblings.append(Node(None, "unexpected", "x"))
            message.invalid.append("unknown element")
        else:
            siblings.insert(siblings.index(node), copy.deepcopy(node))
            message.invalid.append(f"{node.name} repeated")
    return message


def build(parent: Any, nodes: list[Node]) -> None:
    for node in nodes:
        child = etree.SubElement(parent, f"{{{SOAP_NS}}}{node.name}")
        if node.value is None:
            child.set(f"{{{XSI}}}nil", "true")
        elif isinstance(node.value, list):
            build(child, node.value)
        else:
            child.text = node.value


def envelope(message: Message) -> bytes:
    root = etree.Element(f"{{{ENV}}}Envelope", nsmap={"soapenv": ENV, "tns": SOAP_NS})
    body = etree.SubElement(root, f"{{{ENV}}}Body")
    build(etree.SubElement(body, f"{{{SOAP_NS}}}{message.operation}"), message.nodes)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return document


def pin_create(message: Message) -> None:
    """Give a CreateContainer the cleanup label and network mode none."""
    if message.operation != "CreateContainer":
        return
    label = [Node(None, "key", FUZZ_LABEL), Node(None, "value", RUN_ID)]
    nodes = [node for node in message.nodes if node.name != "network"]
    nodes += [Node(None, "labels", label), Node(None, "network", "none")]
    rank = {elem.name: i for i, elem in enumerate(TYPES["CreateContainer"])}
    # Back in the order of the schema's sequence; unknown elements last.
    message.nodes[:] = sorted(nodes, key=lambda node: rank.get(node.name, len(rank)))


def make_safe(message: Message, server: Server, api: docker.APIClient) -> None:
    for node in message.nodes:
        if node.name == "container" and isinstance(node.value, str):
            if node.value in OWN_REFS:
                ensure_own(server, api, node.value)
            else:
                node.value = safe_ref(node.value, api)
    pin_create(message)


@pytest.fixture(scope="module")
def fuzz_server(
    tmp_path_factory: pytest.TempPathFactory, docker_api: docker.APIClient
) -> Iterator[Server]:
    with run_fuzz_server(tmp_path_factory.mktemp("fuzz-soap"), docker_api) as server:
        yield server


def check_answer(message: Message, response: requests.Response) -> list[str]:
    """Return the problems of the response to *message*, or an empty list."""
    problems: list[str] = []
    try:
        root = etree.fromstring(response.content)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    body = root.find(f"{{{ENV}}}Body")
    if root.tag != f"{{{ENV}}}Envelope" or body is None or len(body) != 1:
        return ["not a SOAP 1.1 envelope with one Body child"]
    (content,) = body
    if content.tag == f"{{{ENV}}}Fault":
        problems += check_fault(message, content, response.status_code)
    elif content.tag == f"{{{SOAP_NS}}}{message.operation}Response":
        if response.status_code != 200:
            problems.append(f"response with HTTP {response.status_code}")
        if message.invalid:
            problems.append(f"HTTP 200 for invalid input: {message.invalid}")
        if not SCHEMA.validate(etree.ElementTree(copy.deepcopy(content))):
            problems.append(f"response breaks the WSDL: {SCHEMA.error_log}")
    else:
        problems.append(f"unexpected Body child {content.tag}")
    return problems


def check_fault(message: Message, fault: Any, status: int) -> list[str]:
    problems = []
    faultcode = (fault.findtext("faultcode") or "").split(":", 1)[-1]
    detail = fault.find(f"detail/{{{SOAP_NS}}}GatewayFault")
    code = fault.findtext(f"detail/{{{SOAP_NS}}}GatewayFault/{{{SOAP_NS}}}code")
    declared = {cls.code for cls in soap_errors_of(message.operation)}
    if status != 500:
        problems.append(f"fault with HTTP {status}")
    if faultcode.startswith("Server") and faultcode not in ALLOWED_SERVER_FAULTS:
        problems.append(f"server fault {faultcode}: {fault.findtext('faultstring')}")
    if code not in declared:
        problems.append(f"code {code!r} not declared for {message.operation}")
    elif BY_CODE[code].soap_fault != faultcode:
        problems.append(f"code {code} under fault code {faultcode}")
    if detail is None or not SCHEMA.validate(etree.ElementTree(copy.deepcopy(detail))):
        problems.append("fault detail breaks the WSDL")
    return problems


def soap_errors_of(operation: str) -> tuple[type[errors.GatewayError], ...]:
    (op,) = [op for op in OPERATIONS if op.soap_name == operation]
    return soap_errors(op)


BREAKS = [
    lambda data: data[: len(data) // 2],
    lambda data: data.replace(b"<soapenv:Body>", b"<soapenv:Body>&#0;", 1),
    lambda data: data.replace(b"</soapenv:Body>", b"<</soapenv:Body>", 1),
    lambda data: b'<!DOCTYPE x [<!ENTITY a "b">]>' + data.split(b"?>", 1)[1],
]


@pytest.mark.parametrize("operation", [op.soap_name for op in OPERATIONS])
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_soap_fuzz(
    operation: str,
    data: st.DataObject,
    fuzz_server: Server,
    docker_api: docker.APIClient,
) -> None:
    message = data.draw(messages(operation), label="message")
    make_safe(message, fuzz_server, docker_api)
    payload = envelope(message)
    if data.draw(st.integers(0, 9), label="break") == 0:
        payload = data.draw(st.sampled_from(BREAKS), label="how")(payload)
        message.invalid.append("not well-formed")
    action = data.draw(st.sampled_from([None, "", operation]), label="SOAPAction")
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action is not None:
        headers["SOAPAction"] = f'"{action}"'
    response = requests.post(
        fuzz_server.soap, data=payload, headers=headers, timeout=60
    )
    assert check_answer(message, response) == [], payload[:2000]


def test_messages_cover_types() -> None:
    # Every operation's message type is in the WSDL the generator reads.
    assert {op.soap_name for op in OPERATIONS} <= set(TYPES)


def test_fuzz_reached_engine(fuzz_server: Server) -> None:
    # Runs after the fuzz test above, on the same server.
    assert len(operations_done(fuzz_server)) >= len(OPERATIONS) // 2


def test_fuzz_created_labelled(
    fuzz_server: Server, docker_api: docker.APIClient
) -> None:
    assert unlabelled_creations(fuzz_server, docker_api) == []


NIL_ITEMS = {
    "env": [Node(None, "env", None)],
    "labels": [Node(None, "labels", None)],
    "ports": [Node(None, "ports", None)],
    "sysctls": [Node(None, "hostOptions", [Node(None, "sysctls", None)])],
}


@pytest.mark.parametrize("element", sorted(NIL_ITEMS))
def test_nil_item_is_client_fault(
    element: str, fuzz_server: Server, docker_api: docker.APIClient
) -> None:
    # The WSDL declares these repeated elements nillable, so xsi:nil is a
    # valid item; the gateway must reject or skip it, never fail on it.
    image = Node(None, "image", DEMO_IMAGE)
    message = Message("CreateContainer", [image, *NIL_ITEMS[element]])
    make_safe(message, fuzz_server, docker_api)
    response = requests.post(
        fuzz_server.soap,
        data=envelope(message),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=60,
    )
    assert check_answer(message, response) == []
