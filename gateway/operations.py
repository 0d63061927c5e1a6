"""The domain operations, declared once for both protocols.

Each :class:`Operation` describes one engine call as the REST API and the
SOAP service offer it. It names the SOAP operation, the HTTP method and
path, the models that validate the input and the model of the result. It
also gives the HTTP status of success and the errors the call can raise.
The OpenAPI document is generated from this registry, and tests check the
REST routes and the WSDL against it, so an operation, a field or an error
code cannot exist in one protocol only.

Field names follow each protocol's convention: snake_case in JSON and
camelCase in the WSDL. :func:`soap_name` is the one mapping between the
two, and :func:`soap_shape` gives the form of a JSON value in SOAP (a JSON
object of strings, such as ``env``, is a list of ``KeyValue`` elements).
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from enum import Enum

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from gateway import errors
from gateway.models import (
    ActionResult,
    Container,
    CreateRequest,
    KillRequest,
    ListQuery,
    Logs,
    LogsQuery,
    RemoveRequest,
    RemoveResult,
    StopRequest,
)

ErrorClass = type[errors.GatewayError]


class ContainerList(BaseModel):
    """The REST response of list; SOAP returns the same items as an array."""

    containers: list[Container]


@dataclass(frozen=True)
class Operation:
    """One domain operation as both protocols expose it."""

    #: The engine method, also the operationId in the OpenAPI document.
    name: str
    soap_name: str
    method: str
    #: Path under ``/api/v1``, with ``{ref}`` for the container reference.
    path: str
    summary: str
    #: Result model. The REST response has no body when *status* is 204.
    response: type[BaseModel]
    status: int
    #: Errors the operation itself can raise, in both protocols.
    errors: tuple[ErrorClass, ...]
    #: The JSON body (REST) and the message elements (SOAP).
    body: type[BaseModel] | None = None
    #: The query string (REST) and the message elements (SOAP).
    query: type[BaseModel] | None = None
    #: The element of the SOAP response that carries the result.
    soap_result: str = "result"
    #: Whether REST reads a JSON body, even when none is declared.
    reads_body: bool = False

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)}", self.path))

    @property
    def request_models(self) -> tuple[type[BaseModel], ...]:
        return tuple(model for model in (self.body, self.query) if model is not None)

    @property
    def mutating(self) -> bool:
        return self.method != "GET"


#: Errors that any request can raise: the engine's and the gateway's own.
ENGINE_ERRORS: tuple[ErrorClass, ...] = (
    errors.GatewayError,
    errors.EngineError,
    errors.EngineUnavailable,
    errors.EngineTimeout,
)
#: A missing or unknown token, on every operation once tokens are configured.
AUTH_ERRORS: tuple[ErrorClass, ...] = (errors.Unauthorized,)
#: A reader token calling an operation that changes a container.
ROLE_ERRORS: tuple[ErrorClass, ...] = (errors.Forbidden,)
#: REST errors about the HTTP request rather than the operation.
REST_REQUEST_ERRORS: tuple[ErrorClass, ...] = (
    errors.NotAcceptable,
    errors.PayloadTooLarge,
)
#: REST errors of a JSON body, for the operations that read one.
REST_BODY_ERRORS: tuple[ErrorClass, ...] = (
    errors.MalformedRequest,
    errors.UnsupportedMediaType,
)
#: SOAP errors about the HTTP request or the envelope, for every operation.
SOAP_REQUEST_ERRORS: tuple[ErrorClass, ...] = (
    errors.InvalidRequest,
    errors.MalformedRequest,
    errors.RouteNotFound,
    errors.MethodNotAllowed,
    errors.PayloadTooLarge,
    errors.UnsupportedMediaType,
    errors.VersionMismatch,
)

_LOOKUP = (
    errors.InvalidRequest,
    errors.AmbiguousReference,
    errors.ContainerNotFound,
)
_ACTION = (*_LOOKUP, errors.InvalidState)


def _action(name: str, summary: str, body: type[BaseModel] | None = None) -> Operation:
    return Operation(
        name=name,
        soap_name=f"{name.capitalize()}Container",
        method="POST",
        path=f"/containers/{{ref}}/{name}",
        summary=summary,
        response=ActionResult,
        status=200,
        errors=_ACTION,
        body=body,
        reads_body=True,
    )


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        name="create",
        soap_name="CreateContainer",
        method="POST",
        path="/containers",
        summary="Create a container, and start it if asked to",
        response=Container,
        status=201,
        errors=(
            errors.InvalidRequest,
            errors.ImageNotFound,
            errors.NameConflict,
            errors.PolicyViolation,
            # A create request with start=true also reports the start's errors.
            errors.InvalidState,
        ),
        body=CreateRequest,
        soap_result="container",
        reads_body=True,
    ),
    Operation(
        name="list",
        soap_name="ListContainers",
        method="GET",
        path="/containers",
        summary="List containers, running ones unless all is true",
        response=ContainerList,
        status=200,
        errors=(errors.InvalidRequest,),
        query=ListQuery,
        soap_result="containers",
    ),
    Operation(
        name="inspect",
        soap_name="InspectContainer",
        method="GET",
        path="/containers/{ref}",
        summary="Inspect one container",
        response=Container,
        status=200,
        errors=_LOOKUP,
        soap_result="container",
    ),
    _action("start", "Start a container; a running one is left as it is"),
    _action("stop", "Stop a container, SIGKILL after the timeout", StopRequest),
    _action("restart", "Restart a container", StopRequest),
    _action("kill", "Send a signal to a running container", KillRequest),
    _action("pause", "Pause a running container"),
    _action("unpause", "Unpause a paused container"),
    Operation(
        name="logs",
        soap_name="GetContainerLogs",
        method="GET",
        path="/containers/{ref}/logs",
        summary="Read a container's output as lines, never following it",
        response=Logs,
        status=200,
        errors=_LOOKUP,
        query=LogsQuery,
        soap_result="logs",
    ),
    Operation(
        name="remove",
        soap_name="RemoveContainer",
        method="DELETE",
        path="/containers/{ref}",
        summary="Remove a container; force removes a running one",
        response=RemoveResult,
        status=204,
        errors=_ACTION,
        query=RemoveRequest,
    ),
)

BY_NAME: dict[str, Operation] = {op.name: op for op in OPERATIONS}
BY_SOAP_NAME: dict[str, Operation] = {op.soap_name: op for op in OPERATIONS}


def _in_tree_order(found: set[ErrorClass]) -> tuple[ErrorClass, ...]:
    return tuple(cls for cls in errors.error_classes() if cls in found)


def operation_errors(op: Operation) -> tuple[ErrorClass, ...]:
    """Return the errors *op* can raise in either protocol, in tree order."""
    found = {*op.errors, *ENGINE_ERRORS, *AUTH_ERRORS}
    if op.mutating:
        found.update(ROLE_ERRORS)
    return _in_tree_order(found)


def rest_errors(op: Operation) -> tuple[ErrorClass, ...]:
    """Return every error the REST API can respond to *op* with."""
    found = {*operation_errors(op), *REST_REQUEST_ERRORS}
    if op.reads_body:
        found.update(REST_BODY_ERRORS)
    return _in_tree_order(found)


def soap_errors(op: Operation) -> tuple[ErrorClass, ...]:
    """Return every error the SOAP service can respond to *op* with."""
    return _in_tree_order({*operation_errors(op), *SOAP_REQUEST_ERRORS})


#: The SOAP element of each REST path parameter. The container reference in
#: the path is the ``container`` element.
PATH_PARAMETERS: dict[str, str] = {"ref": "container"}


def soap_name(json_name: str, *, path_parameter: bool = False) -> str:
    """Return the WSDL element name of a JSON field or REST parameter."""
    if path_parameter:
        return PATH_PARAMETERS[json_name]
    head, *rest = json_name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def json_name(element: str, *, path_parameter: bool = False) -> str:
    """Return the JSON name of a WSDL element: the inverse of :func:`soap_name`."""
    if path_parameter:
        (name,) = [key for key, soap in PATH_PARAMETERS.items() if soap == element]
        return name
    return re.sub(r"[A-Z]", lambda match: "_" + match.group().lower(), element)


#: JSON fields that SOAP carries inside one group element, by operation and
#: group. The host options of create are in a ``hostOptions`` element.
SOAP_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "create": {
        "hostOptions": (
            "privileged",
            "cap_add",
            "devices",
            "binds",
            "volumes_from",
            "pid_mode",
            "ipc_mode",
            "userns_mode",
            "security_opt",
            "sysctls",
            "cgroup_parent",
            "runtime",
        )
    }
}


def soap_request_names(op: Operation) -> dict[str, str]:
    """Return the SOAP element of each input of *op*, by its JSON name.

    Fields of a :data:`SOAP_GROUPS` group are left out, because the group
    element contains them.
    """
    names = {name: soap_name(name, path_parameter=True) for name in op.path_params}
    grouped = {
        name for group in SOAP_GROUPS.get(op.name, {}).values() for name in group
    }
    for model in op.request_models:
        names.update(
            (name, soap_name(name))
            for name in model.model_fields
            if name not in grouped
        )
    return names


class SoapShape(str, Enum):
    """The form of one JSON value in a SOAP message."""

    #: One element with a simple value.
    SCALAR = "scalar"
    #: One element per item (``maxOccurs="unbounded"``).
    LIST = "list"
    #: One ``KeyValue`` element per entry of a JSON object of strings.
    KEY_VALUES = "key_values"
    #: One element whose children are the nested model's fields.
    COMPLEX = "complex"
    #: A list of nested models: one element per item, or an array element.
    COMPLEX_LIST = "complex_list"


def _unwrap_optional(annotation: object) -> object:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return _unwrap_optional(members[0])
    if typing.get_origin(annotation) is typing.Annotated:
        return _unwrap_optional(typing.get_args(annotation)[0])
    return annotation


def nested_model(field: FieldInfo) -> type[BaseModel] | None:
    """Return the model a field contains, alone or as list items, if any."""
    annotation = _unwrap_optional(field.annotation)
    if typing.get_origin(annotation) is list:
        annotation = _unwrap_optional(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def soap_shape(field: FieldInfo) -> SoapShape:
    """Return how the value of a pydantic *field* is carried in SOAP."""
    annotation = _unwrap_optional(field.annotation)
    origin = typing.get_origin(annotation)
    if origin is dict:
        return SoapShape.KEY_VALUES
    if origin is list:
        if nested_model(field) is not None:
            return SoapShape.COMPLEX_LIST
        return SoapShape.LIST
    if nested_model(field) is not None:
        return SoapShape.COMPLEX
    return SoapShape.SCALAR


def request_fields(op: Operation) -> dict[str, FieldInfo]:
    """Return every input of *op* by JSON name: path, query and body."""
    fields = {name: FieldInfo.from_annotation(str) for name in op.path_params}
    for model in op.request_models:
        fields.update(model.model_fields)
    return fields
