"""The OpenAPI 3.1 document of the REST API, generated from the registry.

Every schema comes from the pydantic models that the views validate
requests with and build responses from (:mod:`gateway.models`). Every
operation, status code and error code comes from :mod:`gateway.operations`,
so the document cannot drift from the code.

``python -m rest_service.openapi > docs/openapi.json`` refreshes the
committed copy, and a test fails when the two differ.
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from gateway import errors
from gateway.http_errors import PROBLEM_TYPE as BAD_HTTP_REQUEST_TYPE
from gateway.models import REFERENCE_PATTERN
from gateway.operations import OPERATIONS, Operation, rest_errors

API_PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
PROBLEM_TYPE = "application/problem+json"
#: The code of the errors that gunicorn sends itself (gateway/http_errors.py).
BAD_HTTP_REQUEST = BAD_HTTP_REQUEST_TYPE.rsplit(":", 1)[1]
JSON_TYPE = "application/json"
# A reference in a REST path cannot start with the slash a name may have.
PATH_REFERENCE = REFERENCE_PATTERN.pattern.replace("^/?", "^", 1)
CREATE_EXAMPLE: dict[str, Any] = {
    "image": "gateway-demo:latest",
    "name": "web1",
    "command": ["sleep", "600"],
    "network": "none",
    "start": True,
    "limits": {"memory": "64m", "cpus": 0.5, "pids": 64},
}


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every REST error response."""

    model_config = ConfigDict(extra="forbid")

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    request_id: str | None = None
    #: Dotted path of the request field at fault.
    field: str | None = None
    #: Every invalid field, for invalid_request.
    errors: list[FieldProblem] | None = None
    #: The methods the path allows, for method_not_allowed.
    allow: list[str] | None = None


def _schemas() -> dict[str, Any]:
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Problem, "serialization")]
    for op in OPERATIONS:
        pairs.extend((model, "validation") for model in op.request_models)
        if op.status != 204:
            pairs.append((op.response, "serialization"))
    unique = list(dict.fromkeys(pairs))
    _, top = models_json_schema(unique, ref_template=REF)
    schemas: dict[str, Any] = top["$defs"]
    return dict(sorted(schemas.items()))


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """Return *schema* without the ``null`` branch of an optional value.

    A query parameter cannot be null, and an absent one means None.
    """
    options = schema.get("anyOf")
    if options:
        non_null = [option for option in options if option.get("type") != "null"]
        if len(non_null) == 1:
            rest = {key: value for key, value in schema.items() if key != "anyOf"}
            return {**non_null[0], **rest}
    return schema


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = _without_null(
            {key: value for key, value in prop.items() if key != "title"}
        )
        if prop.get("default", 0) is None:
            del prop["default"]
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
        }
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        if prop.get("type") == "array":
            parameter["style"] = "form"
            parameter["explode"] = True
        parameter["schema"] = prop
        parameters.append(parameter)
    return parameters


def _path_parameter(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": "Container name, full id or unique id prefix.",
        "schema": {"type": "string", "pattern": PATH_REFERENCE},
    }


def _headers(status: int) -> dict[str, Any]:
    headers: dict[str, Any] = {
        "X-Request-ID": {"$ref": "#/components/headers/RequestId"}
    }
    if status == 201:
        headers["Location"] = {
            "description": "Path of the new container.",
            "required": True,
            "schema": {"type": "string"},
        }
    if status == 401:
        headers["WWW-Authenticate"] = {
            "description": "The scheme to authenticate with.",
            "schema": {"type": "string"},
        }
    if status == 405:
        headers["Allow"] = {
            "description": "The methods the path allows.",
            "schema": {"type": "string"},
        }
    return headers


def _problem_responses(op: Operation) -> dict[str, Any]:
    by_status: dict[int, list[type[errors.GatewayError]]] = {}
    for cls in rest_errors(op):
        by_status.setdefault(cls.http_status, []).append(cls)
    responses: dict[str, Any] = {}
    for status in sorted(by_status):
        classes = by_status[status]
        codes = [cls.code for cls in classes]
        responses[str(status)] = {
            "description": "; ".join(f"{cls.code}: {cls.title}" for cls in classes),
            "headers": _headers(status),
            "content": {PROBLEM_TYPE: {"schema": _problem_schema(status, codes)}},
        }
    return responses


def _problem_schema(status: int, codes: list[str]) -> dict[str, Any]:
    return {
        "allOf": [
            _ref(Problem),
            {
                "type": "object",
                "properties": {"status": {"const": status}, "code": {"enum": codes}},
            },
        ]
    }


def _uri_too_long() -> dict[str, Any]:
    """Return gunicorn's response to a request line over its limit.

    A query string can exceed the limit while every value is within the
    model's limits (32 labels of 512 characters, percent-encoded). gunicorn
    responds before the gateway runs, so the response has no X-Request-ID.
    """
    return {
        "description": f"{BAD_HTTP_REQUEST}: the request line is too long",
        "content": {PROBLEM_TYPE: {"schema": _problem_schema(414, [BAD_HTTP_REQUEST])}},
    }


def _operation(op: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "description": f"SOAP: `{op.soap_name}`.",
        "tags": ["containers"],
    }
    parameters = [_path_parameter(name) for name in op.path_params]
    if op.query is not None:
        parameters.extend(_query_parameters(op.query))
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        media: dict[str, Any] = {"schema": _ref(op.body)}
        if op.name == "create":
            media["example"] = copy.deepcopy(CREATE_EXAMPLE)
        document["requestBody"] = {
            "required": op.name == "create",
            "content": {JSON_TYPE: media},
        }
    success: dict[str, Any] = {
        "description": "Success.",
        "headers": _headers(op.status),
    }
    if op.status == 204:
        success["description"] = "Removed; no content."
    else:
        success["content"] = {JSON_TYPE: {"schema": _ref(op.response)}}
    responses = {str(op.status): success, **_problem_responses(op)}
    if op.query is not None:
        responses["414"] = _uri_too_long()
    document["responses"] = dict(sorted(responses.items()))
    return document


def build_document() -> dict[str, Any]:
    """Return the OpenAPI document of the REST API as a JSON-ready dict."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Container Gateway REST API",
            "version": "1",
            "description": (
                "Container operations on a Docker Engine. The same operations "
                "are offered as a SOAP 1.1 service, described by the WSDL at "
                "/soap?wsdl. Errors are RFC 9457 problem details with a "
                "stable `code`."
            ),
        },
        "servers": [{"url": API_PREFIX}],
        "security": [{}, {"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "headers": {
                "RequestId": {
                    "description": "The request id, also in the server log.",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Needed once the operator configures tokens.",
                }
            },
        },
    }


def render() -> str:
    """Return the document as indented JSON, as served and committed."""
    return json.dumps(build_document(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
