"""The SOAP endpoint as a WSGI application, with its WSDL built once."""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

import spyne.const
from lxml import etree
from spyne import Application
from spyne.interface.wsdl import Wsdl11
from spyne.server.wsgi import WsgiApplication

from gateway import errors
from gateway.access import Authenticator, enter_request
from gateway.bodies import read_body
from gateway.engine import Engine
from gateway.operations import BY_SOAP_NAME
from gateway.requestlog import StartResponse
from soap_service.envelope import (
    check_content_type,
    check_soap_action,
    operation_name,
    parse_envelope,
)
from soap_service.faults import PARSED_ENVELOPE, GatewaySoap11, fault_envelope
from soap_service.service import ContainerService
from soap_service.types import NAMESPACE
from soap_service.wssecurity import username_token

SERVICE_NAME = "ContainerGateway"

# Spyne runs a full gc.collect() when a request ends, at most once a second
# per process (spyne/context.py, MethodContext.close, Spyne 2.14), so that
# file descriptors of attachments close early. This service has no file
# attachments. With the gateway loaded, one collection took 36 to 40 ms and
# held the GIL, which stalls REST requests on the same worker too (profile in
# docs/performance.md). Python's own generational collector still runs.
spyne.const.MIN_GC_INTERVAL = float("inf")
# The domain operation of each SOAP operation, for the role check.
DOMAIN_OPERATIONS = {soap: op.name for soap, op in BY_SOAP_NAME.items()}


class HttpLevelError(Exception):
    """An error about the HTTP exchange rather than the SOAP message.

    It is still sent as a fault envelope, but with the error's own
    HTTP status (404, 405, 413 or 415) instead of 500.
    """

    def __init__(self, error: errors.GatewayError) -> None:
        super().__init__(error.message)
        self.error = error
        self.status = error.http_status


def build_application(engine: Engine | None = None) -> Application:
    application = Application(
        [ContainerService],
        tns=NAMESPACE,
        name=SERVICE_NAME,
        in_protocol=GatewaySoap11(validator="lxml"),
        out_protocol=GatewaySoap11(),
    )
    application.engine = engine
    return application


def build_wsdl(soap_address: str) -> bytes:
    """Return the WSDL document with *soap_address* as the service address."""
    # Wrapping the application in a WSGI server sets the SOAP-over-HTTP
    # transport URI that the WSDL binding declares.
    application = WsgiApplication(build_application()).app
    wsdl = Wsdl11(application.interface)
    wsdl.build_interface_document(soap_address)
    # Indented, so that the committed copy in wsdl/ reads and diffs well.
    root = etree.fromstring(wsdl.get_interface_document())
    _sort_schema(root)
    _declare_security(root)
    document: bytes = etree.tostring(
        root, pretty_print=True, xml_declaration=True, encoding="UTF-8"
    )
    return document


WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSP_NS = "http://schemas.xmlsoap.org/ws/2004/09/policy"
SP_NS = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
WSU_NS = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
)
AUTH_DOC = (
    "Authentication, when the gateway has API tokens: send the HTTP header "
    "'Authorization: Bearer <token>', or a WS-Security UsernameToken with "
    "PasswordDigest, a Nonce and a Created time, whose username is the "
    "token's owner and whose password is the SOAP password that "
    "'python -m gateway.auth new' prints. Failures are Client.Authentication "
    "and Client.Forbidden faults."
)


def _declare_security(root: etree._Element) -> None:
    """Describe the optional WS-Security UsernameToken in the WSDL.

    A WS-SecurityPolicy assertion on the binding describes the header to
    policy-aware tools, and a wsdl:documentation element to people.
    The empty alternative covers bearer tokens and a gateway with no tokens.
    """
    policy = etree.Element(
        f"{{{WSP_NS}}}Policy",
        {f"{{{WSU_NS}}}Id": "UsernameTokenPolicy"},
        nsmap={"wsp": WSP_NS, "sp": SP_NS, "wsu": WSU_NS},
    )
    choice = etree.SubElement(policy, f"{{{WSP_NS}}}ExactlyOne")
    with_token = etree.SubElement(choice, f"{{{WSP_NS}}}All")
    supporting = etree.SubElement(with_token, f"{{{SP_NS}}}SupportingTokens")
    token = etree.SubElement(
        etree.SubElement(supporting, f"{{{WSP_NS}}}Policy"),
        f"{{{SP_NS}}}UsernameToken",
        {f"{{{SP_NS}}}IncludeToken": (f"{SP_NS}/IncludeToken/AlwaysToRecipient")},
    )
    etree.SubElement(
        etree.SubElement(token, f"{{{WSP_NS}}}Policy"), f"{{{SP_NS}}}HashPassword"
    )
    etree.SubElement(choice, f"{{{WSP_NS}}}All")
    root.insert(0, policy)

    binding = root.find(f"{{{WSDL_NS}}}binding")
    if binding is not None:
        binding.insert(
            0,
            etree.Element(f"{{{WSP_NS}}}PolicyReference", URI="#UsernameTokenPolicy"),
        )
    service = root.find(f"{{{WSDL_NS}}}service")
    if service is not None:
        documentation = etree.Element(f"{{{WSDL_NS}}}documentation")
        documentation.text = AUTH_DOC
        service.insert(0, documentation)


def _sort_schema(root: etree._Element) -> None:
    """Order schema declarations by kind and name.

    Spyne emits them in an order that varies with Python's hash seed, and
    the served WSDL must be byte-for-byte the same in every process.
    """
    kinds = {"simpleType": 0, "complexType": 1, "element": 2}
    for schema in root.iter("{http://www.w3.org/2001/XMLSchema}schema"):
        children = list(schema)
        imports = [
            child for child in children if etree.QName(child).localname == "import"
        ]
        declarations = [child for child in children if child not in imports]
        declarations.sort(
            key=lambda child: (
                kinds.get(etree.QName(child).localname, 3),
                child.get("name", ""),
            )
        )
        schema[:] = imports + declarations


class SoapEndpoint:
    """Serve the WSDL on ``GET ?wsdl`` and SOAP messages on ``POST``.

    The WSDL is built at start-up from the configured public URL, so its
    ``soap:address`` never depends on the Host header of a request. Every
    request is checked here before it reaches Spyne: method, content type,
    body size, XML safety, envelope version and SOAPAction.
    """

    def __init__(
        self,
        engine: Engine,
        soap_address: str,
        max_body_bytes: int,
        authenticator: Authenticator,
    ) -> None:
        self.wsdl = build_wsdl(soap_address)
        self.soap = WsgiApplication(build_application(engine))
        self.max_body_bytes = max_body_bytes
        self.operations = frozenset(ContainerService.public_methods)
        self.authenticator = authenticator

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            return self._dispatch(environ, start_response)
        except HttpLevelError as exc:
            return self._fault(exc.error, start_response, exc.status)
        except errors.GatewayError as exc:
            # Faults about the SOAP message travel with HTTP 500, as SOAP 1.1
            # over HTTP (and the WS-I Basic Profile) requires.
            return self._fault(exc, start_response, 500)

    def _dispatch(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if path not in ("", "/"):
            raise HttpLevelError(
                errors.RouteNotFound(
                    f"no SOAP endpoint at /soap{path[:120]}; post to /soap"
                )
            )
        if method in ("GET", "HEAD"):
            if environ.get("QUERY_STRING", "").lower() != "wsdl":
                raise HttpLevelError(
                    errors.MethodNotAllowed(
                        "send SOAP requests with POST; the WSDL is at GET /soap?wsdl",
                        allow=["GET", "HEAD", "POST"],
                    )
                )
            return self._send_wsdl(method, start_response)
        if method != "POST":
            raise HttpLevelError(
                errors.MethodNotAllowed(
                    f"method {method[:20]} is not allowed; send SOAP requests "
                    "with POST",
                    allow=["GET", "HEAD", "POST"],
                )
            )

        try:
            check_content_type(environ.get("CONTENT_TYPE"))
            body = read_body(environ, self.max_body_bytes)
        except (errors.UnsupportedMediaType, errors.PayloadTooLarge) as exc:
            raise HttpLevelError(exc) from exc
        root = parse_envelope(body)
        operation = operation_name(root)
        if operation not in self.operations:
            raise errors.RouteNotFound(
                f"unknown SOAP operation {operation[:120]!r}; the WSDL at "
                "/soap?wsdl lists the operations"
            )
        check_soap_action(environ.get("HTTP_SOAPACTION"), operation)
        principal = self.authenticator.authenticate(
            environ.get("HTTP_AUTHORIZATION"), username_token(root)
        )
        enter_request(principal, "soap")
        principal.require(DOMAIN_OPERATIONS[operation])
        environ[PARSED_ENVELOPE] = root
        result: Iterable[bytes] = self.soap(environ, start_response)
        return result

    def _send_wsdl(self, method: str, start_response: StartResponse) -> list[bytes]:
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/xml; charset=utf-8"),
                ("Content-Length", str(len(self.wsdl))),
            ],
        )
        return [] if method == "HEAD" else [self.wsdl]

    def _fault(
        self, error: errors.GatewayError, start_response: StartResponse, status: int
    ) -> list[bytes]:
        body = fault_envelope(error)
        headers = [
            ("Content-Type", "text/xml; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        allowed = error.extra.get("allow")
        if allowed:
            headers.append(("Allow", ", ".join(allowed)))
        if isinstance(error, errors.PayloadTooLarge):
            headers.append(("Connection", "close"))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]
