"""Generate the error reference in docs/errors.md from the error tree.

``python -m gateway.errordoc > docs/errors.md`` refreshes it; a test fails
when the committed page and the error classes disagree.
"""

from __future__ import annotations

import json
import sys

from lxml import etree

from gateway import errors

HEADER = """\
# Error reference

Every error has a stable code. The REST API sends it as the `code` member of
an `application/problem+json` body (RFC 9457) with the HTTP status below. The
SOAP service sends a SOAP 1.1 fault with HTTP status 500, the fault code below
in `faultcode`, and the same stable code in `detail/GatewayFault/code`.

Caller errors have `Client.*` fault codes: change the request and retry.
`Server.*` faults are the gateway's or the engine's problem.

"""

USES = {
    errors.GatewayError: "An unexpected failure; the log has the request id.",
    errors.ConfigurationError: "The gateway's settings are invalid.",
    errors.ClientError: "A request error with no more specific code.",
    errors.Unauthorized: "No credentials, or a token that is not configured.",
    errors.Forbidden: "The token's role does not allow the operation.",
    errors.PolicyViolation: "A create option the create policy refuses.",
    errors.InvalidRequest: "A field is missing, of the wrong type or out of range.",
    errors.MalformedRequest: "The body is not valid JSON or XML.",
    errors.AmbiguousReference: "An id prefix matches more than one container.",
    errors.ContainerNotFound: "No container has that name, id or id prefix.",
    errors.ImageNotFound: "The image is not on the engine; the gateway never pulls.",
    errors.RouteNotFound: "No such path (REST) or operation (SOAP).",
    errors.MethodNotAllowed: "The path exists but not for this HTTP method.",
    errors.NotAcceptable: "The Accept header excludes JSON.",
    errors.NameConflict: "Another container already has that name.",
    errors.InvalidState: "Kill or pause a stopped container, remove a running one.",
    errors.PayloadTooLarge: "The body exceeds GATEWAY_MAX_BODY_BYTES.",
    errors.UnsupportedMediaType: "The body is not sent as application/json.",
    errors.VersionMismatch: "A SOAP 1.2 envelope was sent to this SOAP 1.1 service.",
    errors.MustUnderstand: "A SOAP header marked mustUnderstand is not processed.",
    errors.BadHttpRequest: "gunicorn could not parse the HTTP request itself.",
    errors.EngineError: "The engine failed the request for a reason of its own.",
    errors.EngineUnavailable: "The engine's socket is missing or refuses connections.",
    errors.EngineTimeout: (
        "The engine did not respond within GATEWAY_ENGINE_TIMEOUT. An action "
        "may still take effect later: inspect the container before retrying."
    ),
}


EXAMPLE_MESSAGES = {
    errors.InvalidRequest: "invalid request: limits.memory: Value error, memory "
    "'2.5g' is not a whole number with an optional unit b, k, m or g",
    errors.ContainerNotFound: "No such container: web1",
    errors.ImageNotFound: "No such image: nginx:latest",
    errors.NameConflict: 'Conflict. The container name "/web1" is already in use',
    errors.InvalidState: "Cannot kill container: web1: Container web1 is not running",
    errors.AmbiguousReference: "'4' is a prefix of more than one container id; "
    "use a longer prefix, the full id or the name",
    errors.EngineUnavailable: "container engine is not reachable; check that "
    "dockerd is running and DOCKER_HOST points at it",
}


def _examples(cls: type[errors.GatewayError]) -> str:
    # Rendered by the same functions that build real responses. They live in
    # the protocol packages, which depend on this one, hence the late import.
    from rest_service.problems import problem_body
    from soap_service.faults import fault_envelope

    error = cls(EXAMPLE_MESSAGES.get(cls, cls.title))
    problem = problem_body(error, "/api/v1/containers/web1", "9f1c2d")
    fault = etree.tostring(
        etree.fromstring(fault_envelope(error)), pretty_print=True
    ).decode()
    fault = fault.replace(">-<", ">9f1c2d<")
    return (
        f"### `{cls.code}`\n\n"
        f"REST, HTTP {cls.http_status}, `application/problem+json`:\n\n"
        f"```json\n{json.dumps(problem, indent=2)}\n```\n\n"
        "SOAP, HTTP 500 (or the HTTP status for size, method and media type "
        "errors):\n\n"
        f"```xml\n{fault}```\n"
    )


def render() -> str:
    """Return the Markdown page for every class in the error tree."""
    rows = [
        "| code | HTTP status (REST) | SOAP fault code | when |",
        "|---|---|---|---|",
    ]
    for cls in errors.error_classes():
        rows.append(
            f"| `{cls.code}` | {cls.http_status} | `{cls.soap_fault}` "
            f"| {USES.get(cls, cls.title)} |"
        )
    examples = [_examples(cls) for cls in errors.error_classes()]
    return HEADER + "\n".join(rows) + "\n\n## Examples\n\n" + "\n".join(examples)


if __name__ == "__main__":
    sys.stdout.write(render())
