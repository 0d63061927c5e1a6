"""The gateway's one exception tree, shared by both protocols.

Every error a request can end in is a :class:`GatewayError`. Each class
carries a stable ``code`` (the ``code`` member of REST problem details and the
``code`` element of a SOAP fault's ``detail``), the HTTP status of the REST
response, and the SOAP 1.1 fault code::

    GatewayError                 500  internal_error       Server.InternalError
    +-- ConfigurationError       500  configuration_error  Server.Configuration
    +-- ClientError              400  bad_request          Client.BadRequest
    |   +-- Unauthorized         401  unauthorized         Client.Authentication
    |   +-- Forbidden            403  forbidden            Client.Forbidden
    |   +-- PolicyViolation      403  policy_violation     Client.PolicyViolation
    |   +-- InvalidRequest       400  invalid_request      Client.InvalidRequest
    |   +-- MalformedRequest     400  malformed_request    Client.MalformedRequest
    |   +-- AmbiguousReference   400  ambiguous_reference  Client.AmbiguousReference
    |   +-- ContainerNotFound    404  container_not_found  Client.ContainerNotFound
    |   +-- ImageNotFound        404  image_not_found      Client.ImageNotFound
    |   +-- RouteNotFound        404  not_found            Client.NotFound
    |   +-- MethodNotAllowed     405  method_not_allowed   Client.MethodNotAllowed
    |   +-- NotAcceptable        406  not_acceptable       Client.NotAcceptable
    |   +-- NameConflict         409  name_conflict        Client.NameConflict
    |   +-- InvalidState         409  invalid_state        Client.InvalidState
    |   +-- PayloadTooLarge      413  payload_too_large    Client.PayloadTooLarge
    |   +-- UnsupportedMediaType 415  unsupported_media_type
    |   |                                                  Client.UnsupportedMediaType
    |   +-- VersionMismatch      400  version_mismatch     VersionMismatch
    |   +-- MustUnderstand       400  must_understand      MustUnderstand
    |   +-- BadHttpRequest       400  bad_http_request     Client.BadHttpRequest
    +-- EngineError              502  engine_error         Server.EngineError
    +-- EngineUnavailable        503  engine_unavailable   Server.EngineUnavailable
    +-- EngineTimeout            504  engine_timeout       Server.EngineTimeout

SOAP faults always travel with HTTP status 500, as SOAP 1.1 over HTTP
requires; the HTTP status above is what the REST API sends.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GatewayError(Exception):
    """Root of every error the gateway reports to a caller."""

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500
    soap_fault: ClassVar[str] = "Server.InternalError"
    title: ClassVar[str] = "Internal server error"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        #: Dotted path of the request field at fault, when one is.
        self.field = field
        #: Further members for the problem details and the fault detail.
        self.extra = extra

    def __str__(self) -> str:
        return self.message


class ConfigurationError(GatewayError):
    code = "configuration_error"
    soap_fault = "Server.Configuration"
    title = "Invalid gateway configuration"


class ClientError(GatewayError):
    """A request the caller has to change before it can succeed."""

    code = "bad_request"
    http_status = 400
    soap_fault = "Client.BadRequest"
    title = "Bad request"


class Unauthorized(ClientError):
    code = "unauthorized"
    http_status = 401
    soap_fault = "Client.Authentication"
    title = "Missing or invalid credentials"


class Forbidden(ClientError):
    code = "forbidden"
    http_status = 403
    soap_fault = "Client.Forbidden"
    title = "Not allowed for this token"


class PolicyViolation(ClientError):
    """A create option that the gateway's create policy does not allow."""

    code = "policy_violation"
    http_status = 403
    soap_fault = "Client.PolicyViolation"
    title = "Refused by the create policy"


class InvalidRequest(ClientError):
    code = "invalid_request"
    soap_fault = "Client.InvalidRequest"
    title = "Invalid request"


class MalformedRequest(ClientError):
    code = "malformed_request"
    soap_fault = "Client.MalformedRequest"
    title = "Malformed request body"


class AmbiguousReference(ClientError):
    code = "ambiguous_reference"
    soap_fault = "Client.AmbiguousReference"
    title = "Container reference matches more than one container"


class ContainerNotFound(ClientError):
    code = "container_not_found"
    http_status = 404
    soap_fault = "Client.ContainerNotFound"
    title = "Container not found"


class ImageNotFound(ClientError):
    code = "image_not_found"
    http_status = 404
    soap_fault = "Client.ImageNotFound"
    title = "Image not found on the engine"


class RouteNotFound(ClientError):
    code = "not_found"
    http_status = 404
    soap_fault = "Client.NotFound"
    title = "No such resource"


class MethodNotAllowed(ClientError):
    code = "method_not_allowed"
    http_status = 405
    soap_fault = "Client.MethodNotAllowed"
    title = "Method not allowed"


class NotAcceptable(ClientError):
    code = "not_acceptable"
    http_status = 406
    soap_fault = "Client.NotAcceptable"
    title = "No acceptable representation"


class NameConflict(ClientError):
    code = "name_conflict"
    http_status = 409
    soap_fault = "Client.NameConflict"
    title = "Container name already in use"


class InvalidState(ClientError):
    code = "invalid_state"
    http_status = 409
    soap_fault = "Client.InvalidState"
    title = "Operation not allowed in the container's state"


class PayloadTooLarge(ClientError):
    code = "payload_too_large"
    http_status = 413
    soap_fault = "Client.PayloadTooLarge"
    title = "Request body too large"


class UnsupportedMediaType(ClientError):
    code = "unsupported_media_type"
    http_status = 415
    soap_fault = "Client.UnsupportedMediaType"
    title = "Unsupported media type"


class VersionMismatch(ClientError):
    """A SOAP 1.2 message sent to the SOAP 1.1 endpoint.

    SOAP 1.1 defines ``VersionMismatch`` as a fault code of its own, next to
    ``Client`` and ``Server``.
    """

    code = "version_mismatch"
    soap_fault = "VersionMismatch"
    title = "SOAP version mismatch"


class MustUnderstand(ClientError):
    """A SOAP header marked mustUnderstand that the service does not process."""

    code = "must_understand"
    soap_fault = "MustUnderstand"
    title = "SOAP header not understood"


class BadHttpRequest(ClientError):
    """An HTTP request that the server could not parse (rejected by gunicorn itself)."""

    code = "bad_http_request"
    soap_fault = "Client.BadHttpRequest"
    title = "Malformed HTTP request"


class EngineError(GatewayError):
    """The engine failed the request for a reason of its own."""

    code = "engine_error"
    http_status = 502
    soap_fault = "Server.EngineError"
    title = "Container engine error"


class EngineUnavailable(GatewayError):
    code = "engine_unavailable"
    http_status = 503
    soap_fault = "Server.EngineUnavailable"
    title = "Container engine unavailable"


class EngineTimeout(GatewayError):
    code = "engine_timeout"
    http_status = 504
    soap_fault = "Server.EngineTimeout"
    title = "Container engine timed out"


def error_classes() -> list[type[GatewayError]]:
    """Return every concrete error class, root included, in tree order."""
    found: list[type[GatewayError]] = []
    pending: list[type[GatewayError]] = [GatewayError]
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
