"""Rendering of every REST error as RFC 9457 problem details."""

from __future__ import annotations

import logging

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from gateway import errors
from gateway.requestlog import request_id

logger = logging.getLogger(__name__)

PROBLEM_TYPE_PREFIX = "urn:container-gateway:error:"

# Werkzeug raises these for routing and body handling before a view runs.
HTTP_ERRORS: dict[int, type[errors.GatewayError]] = {
    400: errors.MalformedRequest,
    404: errors.RouteNotFound,
    405: errors.MethodNotAllowed,
    406: errors.NotAcceptable,
    413: errors.PayloadTooLarge,
    415: errors.UnsupportedMediaType,
}


def problem_body(
    error: errors.GatewayError, instance: str | None, request_ref: str
) -> dict[str, object]:
    """Return the problem details members for *error*."""
    body: dict[str, object] = {
        "type": PROBLEM_TYPE_PREFIX + error.code,
        "title": error.title,
        "status": error.http_status,
        "detail": error.message,
        "code": error.code,
        "instance": instance,
        "request_id": request_ref,
    }
    if error.field:
        body["field"] = error.field
    body.update(error.extra)
    return body


def problem_response(error: errors.GatewayError) -> Response:
    """Render *error* as an ``application/problem+json`` response."""
    body = problem_body(error, request.path if request else None, request_id())
    response = Response(
        json.dumps(body), status=error.http_status, mimetype="application/problem+json"
    )
    allowed = error.extra.get("allow")
    if allowed:
        response.headers["Allow"] = ", ".join(allowed)
    if isinstance(error, errors.Unauthorized):
        response.headers["WWW-Authenticate"] = 'Bearer realm="container-gateway"'
    if isinstance(error, errors.PayloadTooLarge):
        # The rest of an oversized body may still be unread.
        response.headers["Connection"] = "close"
    return response


def _from_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    error_class = HTTP_ERRORS.get(
        status, errors.ClientError if status < 500 else errors.GatewayError
    )
    error = error_class(_http_message(status, exc))
    if status == 405:
        error.extra["allow"] = sorted(getattr(exc, "valid_methods", None) or [])
    return problem_response(error)


def _http_message(status: int, exc: HTTPException) -> str:
    if status == 404:
        return f"no resource at {request.path}; the API lives under /api/v1"
    if status == 405:
        return f"method {request.method} is not allowed on {request.path}"
    if status == 413:
        return "request body exceeds the gateway's limit (GATEWAY_MAX_BODY_BYTES)"
    return exc.description or exc.name


def _from_gateway_error(exc: errors.GatewayError) -> Response:
    if exc.http_status >= 500:
        logger.warning("request failed: %s (%s)", exc.code, exc.message)
    return problem_response(exc)


def _from_unexpected(exc: Exception) -> Response:
    logger.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return problem_response(
        errors.GatewayError(
            "internal error; the server log has details under request id "
            + request_id()
        )
    )


def register_problem_handlers(app: Flask) -> None:
    """Make every error the app can raise render as problem details."""
    app.register_error_handler(errors.GatewayError, _from_gateway_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(Exception, _from_unexpected)
