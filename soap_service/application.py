"""The SOAP endpoint as a WSGI application, with its WSDL built once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree
from spyne import Application
from spyne.interface.wsdl import Wsdl11
from spyne.server.wsgi import WsgiApplication

from gateway.engine import Engine
from gateway.requestlog import StartResponse
from soap_service.faults import GatewaySoap11
from soap_service.service import ContainerService
from soap_service.types import NAMESPACE

SERVICE_NAME = "ContainerGateway"


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
    document: bytes = etree.tostring(
        root, pretty_print=True, xml_declaration=True, encoding="UTF-8"
    )
    return document


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
    ``soap:address`` never depends on the Host header of a request.
    """

    def __init__(self, engine: Engine, soap_address: str) -> None:
        self.wsdl = build_wsdl(soap_address)
        self.soap = WsgiApplication(build_application(engine))

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        query = environ.get("QUERY_STRING", "")
        if method in ("GET", "HEAD") and query.lower() == "wsdl":
            start_response(
                "200 OK",
                [
                    ("Content-Type", "text/xml; charset=utf-8"),
                    ("Content-Length", str(len(self.wsdl))),
                ],
            )
            return [] if method == "HEAD" else [self.wsdl]
        result: Iterable[bytes] = self.soap(environ, start_response)
        return result
