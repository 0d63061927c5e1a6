"""Both protocols against the one registry of operations.

The REST routes, the SOAP service and the committed WSDL are checked
against :mod:`gateway.operations`: an operation, a field (nested ones
included) or an error code that exists in one protocol and not the other
fails here. Field names are compared through the registry's one mapping,
:func:`gateway.operations.soap_name`.
"""

from __future__ import annotations

import datetime
import re
import typing

import pytest
from flask import Flask
from lxml import etree
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from werkzeug.routing import MapAdapter

from gateway import errors
from gateway.models import ActionResult
from gateway.operations import (
    BY_NAME,
    BY_SOAP_NAME,
    OPERATIONS,
    SOAP_GROUPS,
    SOAP_REQUEST_ERRORS,
    Operation,
    SoapShape,
    json_name,
    nested_model,
    operation_errors,
    request_fields,
    rest_errors,
    soap_errors,
    soap_name,
    soap_request_names,
    soap_shape,
)
from rest_service.problems import problem_body
from rest_service.views import ACTION_BODIES, api
from soap_service.faults import SPYNE_FAULTS, fault_envelope
from soap_service.service import ContainerService
from tests.conftest import REPO, SOAP_NS

XS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL = etree.parse(str(REPO / "wsdl" / "container_gateway.wsdl")).getroot()
COMPLEX = {node.get("name"): node for node in WSDL.iter(f"{{{XS}}}complexType")}
SIMPLE = {node.get("name"): node for node in WSDL.iter(f"{{{XS}}}simpleType")}
IDS = [op.name for op in OPERATIONS]
INTEGER_TYPES = {"integer", "int", "long", "short", "byte"}
SCALAR_TYPES: dict[object, str] = {
    bool: "boolean",
    int: "integer",
    float: "double",
    datetime.datetime: "dateTime",
}


def elements(type_name: str) -> dict[str, etree._Element]:
    """Return the child elements of a WSDL complex type by name."""
    sequence = COMPLEX[type_name].find(f"{{{XS}}}sequence")
    assert sequence is not None
    return {node.get("name"): node for node in sequence.iter(f"{{{XS}}}element")}


def local_type(element: etree._Element) -> str:
    return str(element.get("type")).split(":", 1)[1]


def xsd_base(element: etree._Element) -> str:
    """Return the XSD built-in type of a simple element, through restrictions.

    Bounded integer types (int, long) count as integer: the model's range,
    not the XSD type, sets the limits.
    """
    name = local_type(element)
    if name in SIMPLE:
        restriction = SIMPLE[name].find(f"{{{XS}}}restriction")
        assert restriction is not None
        name = str(restriction.get("base")).split(":", 1)[1]
    return "integer" if name in INTEGER_TYPES else name


def scalar_type(field: FieldInfo) -> str:
    """Return the XSD type a scalar field travels as: unions travel as text."""
    annotation = field.annotation
    if typing.get_origin(annotation) in (typing.Union, type(int | None)):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = members[0] if len(members) == 1 else str
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is list:
        return scalar_type(FieldInfo.from_annotation(typing.get_args(annotation)[0]))
    return SCALAR_TYPES.get(annotation, "string")


def mismatches(
    fields: dict[str, FieldInfo],
    type_name: str,
    where: str,
    names: dict[str, str] | None = None,
    groups: tuple[str, ...] = (),
) -> list[str]:
    """Compare pydantic fields with a WSDL complex type, nested ones included.

    *names* gives the element of a field where it is not :func:`soap_name`.
    *groups* are elements that a separate test checks (:data:`SOAP_GROUPS`).
    """
    names = names or {}
    found = {
        name: node for name, node in elements(type_name).items() if name not in groups
    }
    expected = {
        names.get(name) or soap_name(name): (name, field)
        for name, field in fields.items()
    }
    problems = [
        f"{where}.{name}: in one protocol only"
        for name in sorted(set(found) ^ set(expected))
    ]
    for name in sorted(set(found) & set(expected)):
        json, field = expected[name]
        problems += field_mismatches(field, found[name], f"{where}.{json}")
    return problems


def field_mismatches(
    field: FieldInfo, element: etree._Element, where: str
) -> list[str]:
    shape = soap_shape(field)
    repeated = element.get("maxOccurs") == "unbounded"
    model = nested_model(field)
    if shape is SoapShape.KEY_VALUES:
        if local_type(element) != "KeyValue" or not repeated:
            return [f"{where}: a JSON object must be repeated KeyValue elements"]
        return []
    if shape is SoapShape.COMPLEX and model is not None:
        return mismatches(model.model_fields, local_type(element), where)
    if shape is SoapShape.COMPLEX_LIST and model is not None:
        item_type = local_type(element)
        if not repeated:
            # An array type wraps the items: one element, repeated.
            (item,) = elements(item_type).values()
            if item.get("maxOccurs") != "unbounded":
                return [f"{where}: a list must be a repeated element"]
            item_type = local_type(item)
        return mismatches(model.model_fields, item_type, where)
    if repeated != (shape is SoapShape.LIST):
        return [f"{where}: repeated in one protocol only"]
    if xsd_base(element) != scalar_type(field):
        return [f"{where}: {scalar_type(field)} in JSON, {xsd_base(element)} in SOAP"]
    return []


def test_soap_service_operations() -> None:
    assert set(ContainerService.public_methods) == set(BY_SOAP_NAME)


def test_wsdl_operations() -> None:
    port_type = WSDL.find(f"{{{WSDL_NS}}}portType")
    assert port_type is not None
    names = {op.get("name") for op in port_type.iter(f"{{{WSDL_NS}}}operation")}
    assert names == set(BY_SOAP_NAME)


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_wsdl_declares_fault(op: Operation) -> None:
    port_type = WSDL.find(f"{{{WSDL_NS}}}portType")
    assert port_type is not None
    operation = port_type.find(f"{{{WSDL_NS}}}operation[@name='{op.soap_name}']")
    assert operation is not None
    faults = operation.findall(f"{{{WSDL_NS}}}fault")
    assert [fault.get("name") for fault in faults] == ["GatewayFault"]


@pytest.fixture(scope="module")
def routes() -> MapAdapter:
    app = Flask(__name__)
    app.url_map.merge_slashes = False
    app.register_blueprint(api)
    return app.url_map.bind("localhost")


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_rest_route(op: Operation, routes: MapAdapter) -> None:
    endpoint, args = routes.match("/api/v1" + op.path.format(ref="web1"), op.method)
    expected = {
        "create": "api.create_container",
        "list": "api.list_containers",
        "inspect": "api.inspect_container",
        "logs": "api.container_logs",
        "remove": "api.remove_container",
    }.get(op.name, "api.container_action")
    assert endpoint == expected
    assert args.get("ref", "web1") == "web1"


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_action_body(op: Operation) -> None:
    if op.name in ACTION_BODIES:
        assert ACTION_BODIES[op.name] is op.body


def test_routes_registered(routes: MapAdapter) -> None:
    # Every REST route is an operation of the registry. The one route for
    # all actions is checked against the action names in the next test.
    declared = {(op.method, "/api/v1" + op.path) for op in OPERATIONS}
    served = {
        (method, re.sub(r"<(\w+)>", r"{\1}", rule.rule))
        for rule in routes.map.iter_rules()
        if rule.endpoint.startswith("api.") and "<action>" not in rule.rule
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert served - declared == set()


def test_actions_registered() -> None:
    actions = {op.name for op in OPERATIONS if op.response is ActionResult}
    assert set(ACTION_BODIES) == actions


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_soap_request_fields(op: Operation) -> None:
    names = soap_request_names(op)
    fields = {
        name: field for name, field in request_fields(op).items() if name in names
    }
    groups = tuple(SOAP_GROUPS.get(op.name, {}))
    assert mismatches(fields, op.soap_name, op.soap_name, names, groups) == []


GROUPS = [
    (BY_NAME[name], group, members)
    for name, groups in SOAP_GROUPS.items()
    for group, members in groups.items()
]


@pytest.mark.parametrize(("op", "group", "members"), GROUPS)
def test_soap_group_fields(op: Operation, group: str, members: tuple[str, ...]) -> None:
    fields = {name: request_fields(op)[name] for name in members}
    (element,) = [
        node for name, node in elements(op.soap_name).items() if name == group
    ]
    assert mismatches(fields, local_type(element), f"{op.soap_name}.{group}") == []


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_soap_response_fields(op: Operation) -> None:
    (result,) = elements(op.soap_name + "Response").values()
    assert result.get("name") == op.soap_result
    fields = op.response.model_fields
    if set(fields) == {op.soap_result}:
        problems = field_mismatches(fields[op.soap_result], result, op.name)
    else:
        problems = mismatches(fields, local_type(result), op.name)
    assert problems == []


def all_field_names(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    for field in model.model_fields.values():
        nested = nested_model(field)
        if nested is not None:
            names |= all_field_names(nested)
    return names


MODEL_FIELDS = sorted(
    set().union(
        *(
            all_field_names(model)
            for op in OPERATIONS
            for model in (*op.request_models, op.response)
        )
    )
)


@pytest.mark.parametrize("name", MODEL_FIELDS)
def test_name_round_trip(name: str) -> None:
    assert json_name(soap_name(name)) == name


@pytest.mark.parametrize(
    ("json", "soap"),
    [
        ("working_dir", "workingDir"),
        ("restart_policy", "restartPolicy"),
        ("maximum_retry_count", "maximumRetryCount"),
        ("container_id", "containerId"),
        ("all", "all"),
    ],
)
def test_soap_name(json: str, soap: str) -> None:
    assert soap_name(json) == soap


def test_path_parameter_name() -> None:
    assert soap_name("ref", path_parameter=True) == "container"


def test_path_parameter_round_trip() -> None:
    assert json_name("container", path_parameter=True) == "ref"


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_errors_in_both(op: Operation) -> None:
    shared = set(rest_errors(op)) & set(soap_errors(op))
    assert shared >= set(operation_errors(op))


def test_protocol_only_errors() -> None:
    rest = {cls.code for op in OPERATIONS for cls in rest_errors(op)}
    soap = {cls.code for op in OPERATIONS for cls in soap_errors(op)}
    # Content negotiation exists in REST only. A SOAP 1.2 envelope, an unknown
    # SOAP operation and a GET without ?wsdl are errors of SOAP only.
    assert (rest - soap, soap - rest) == (
        {"not_acceptable"},
        {"version_mismatch", "not_found", "method_not_allowed"},
    )


def test_spyne_faults_declared() -> None:
    assert set(SPYNE_FAULTS.values()) <= set(SOAP_REQUEST_ERRORS)


ALL_ERRORS = sorted(
    {cls for op in OPERATIONS for cls in (*rest_errors(op), *soap_errors(op))},
    key=lambda cls: cls.code,
)


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=[cls.code for cls in ALL_ERRORS])
def test_same_code_both_ways(cls: type[errors.GatewayError]) -> None:
    error = cls("example")
    fault = etree.fromstring(fault_envelope(error))
    faultcode = fault.findtext(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault/faultcode")
    detail_code = fault.findtext(f".//{{{SOAP_NS}}}code")
    assert problem_body(error, None, "-")["code"] == cls.code
    assert faultcode == "soap11env:" + cls.soap_fault
    assert detail_code == cls.code
