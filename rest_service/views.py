"""REST views: parse the request, call the engine, render JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, json, request, url_for

from gateway import errors
from gateway.access import Authenticator, enter_request
from gateway.engine import Engine
from gateway.models import (
    CreateRequest,
    KillRequest,
    ListQuery,
    LogsQuery,
    RemoveRequest,
    StopRequest,
)
from gateway.validation import validate

api = Blueprint("api", __name__, url_prefix="/api/v1")

JSON_TYPES = ("application/json", "application/problem+json")
# Options each action accepts in its JSON body.
ACTION_BODIES: dict[str, type[StopRequest] | type[KillRequest] | None] = {
    "start": None,
    "stop": StopRequest,
    "restart": StopRequest,
    "kill": KillRequest,
    "pause": None,
    "unpause": None,
}


def engine() -> Engine:
    engine: Engine = current_app.extensions["engine"]
    return engine


def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


@api.before_app_request
def reject_encoded_slash() -> None:
    """Reject ``%2F`` in an API path before routing picks a wrong route.

    gunicorn decodes ``%2F`` before routing, so ``a%2Fb`` would match the
    ``<ref>/<action>`` route; the raw URI shows what the client sent. This
    runs for every path because a failed route match skips blueprint hooks.
    """
    raw_path = request.environ.get("RAW_URI", "").split("?", 1)[0]
    if raw_path.startswith("/api/") and "%2f" in raw_path.lower():
        raise errors.InvalidRequest(
            "container references cannot contain '/' (sent as %2F)",
            field="container",
        )


# The operation each view runs, for the role check before it runs.
VIEW_OPERATIONS = {
    "api.create_container": "create",
    "api.list_containers": "list",
    "api.inspect_container": "inspect",
    "api.container_logs": "logs",
    "api.remove_container": "remove",
}


@api.before_request
def check_request() -> None:
    """Reject clients that cannot take JSON or may not call the operation."""
    # No Accept header means any type is acceptable (RFC 9110, 12.5.1).
    accept = request.headers.get("Accept")
    if accept is not None and request.accept_mimetypes.best_match(JSON_TYPES) is None:
        raise errors.NotAcceptable(
            f"this API responds only in JSON; Accept {request.headers.get('Accept')!r} "
            "excludes application/json"
        )
    authenticator: Authenticator = current_app.extensions["authenticator"]
    principal = authenticator.authenticate(request.headers.get("Authorization"))
    enter_request(principal, "rest")
    operation = VIEW_OPERATIONS.get(request.endpoint or "")
    if operation is None and request.view_args:
        operation = request.view_args.get("action")
    if operation:
        principal.require(operation)


def json_body(*, required: bool) -> Any:
    """Return the parsed JSON body, ``{}`` when an optional body is absent."""
    raw = request.get_data(cache=False)
    if not raw.strip() and not required:
        return {}
    if request.mimetype != "application/json":
        raise errors.UnsupportedMediaType(
            f"send the request body as application/json, not "
            f"{request.mimetype or 'no content type'!r}"
        )
    if not raw.strip():
        raise errors.MalformedRequest("request body is empty; send a JSON object")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise errors.MalformedRequest(
            f"request body is not valid JSON: {exc}"
        ) from None
    except RecursionError:
        raise errors.MalformedRequest("request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise errors.MalformedRequest(
            f"request body must be a JSON object, not {type(data).__name__}"
        )
    return data


def query_args(*repeatable: str) -> dict[str, Any]:
    """Return the query string as a dict, with lists for repeatable names."""
    args: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        args[key] = values if key in repeatable else values[-1]
    return args


def reject_query() -> None:
    if request.args:
        name = next(iter(request.args))
        raise errors.InvalidRequest(
            f"unknown query parameter {name!r}; send options in the JSON body",
            field=name,
        )


@api.post("/containers")
def create_container() -> Response:
    """Create a container, and start it if asked to."""
    reject_query()
    create = validate(CreateRequest, json_body(required=True))
    container = engine().create(create)
    response = json_response(container.model_dump(mode="json"), status=201)
    response.headers["Location"] = url_for(
        ".inspect_container", ref=container.container_id
    )
    return response


@api.get("/containers")
def list_containers() -> Response:
    """List containers, running ones only unless ``all=true``."""
    query = validate(ListQuery, query_args("label"))
    containers = engine().list(query)
    return json_response(
        {"containers": [container.model_dump(mode="json") for container in containers]}
    )


@api.get("/containers/<ref>")
def inspect_container(ref: str) -> Response:
    """Return one container."""
    reject_query()
    return json_response(engine().inspect(ref).model_dump(mode="json"))


@api.post("/containers/<ref>/<action>")
def container_action(ref: str, action: str) -> Response:
    """Run a lifecycle action: start, stop, restart, kill, pause or unpause."""
    if action == "logs":
        raise errors.MethodNotAllowed(
            f"method POST is not allowed on {request.path}; read logs with GET",
            allow=["GET"],
        )
    if action not in ACTION_BODIES:
        raise errors.RouteNotFound(
            f"unknown action {action!r}; use one of {', '.join(ACTION_BODIES)}"
        )
    reject_query()
    body = json_body(required=False)
    body_model = ACTION_BODIES[action]
    target = engine()
    if body_model is None:
        if body:
            _reject_body(body)
        result = getattr(target, action)(ref)
    else:
        options = validate(body_model, body)
        result = getattr(target, action)(ref, options)
    return json_response(result.model_dump(mode="json"))


def _reject_body(body: dict[str, Any]) -> None:
    name = next(iter(body))
    raise errors.InvalidRequest(f"{name}: unknown field", field=name)


@api.get("/containers/<ref>/logs")
def container_logs(ref: str) -> Response:
    """Return a container's output as lines, never following it."""
    query = validate(LogsQuery, query_args())
    return json_response(engine().logs(ref, query).model_dump(mode="json"))


@api.delete("/containers/<ref>")
def remove_container(ref: str) -> Response:
    """Remove a container; ``force=true`` removes a running one."""
    options = validate(RemoveRequest, query_args(), strict=False)
    engine().remove(ref, options)
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response
