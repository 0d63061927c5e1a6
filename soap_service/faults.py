"""Rendering of every SOAP error as a SOAP 1.1 fault carrying a stable code."""

from __future__ import annotations

import logging
import re
from typing import Any

from lxml import etree
from spyne import Fault, Unicode
from spyne.const.xml import DEFAULT_NS
from spyne.protocol.soap import Soap11

from gateway import errors
from gateway.logtext import xml_text
from gateway.requestlog import request_id
from soap_service.envelope import SOAP11_ENV
from soap_service.types import NAMESPACE, WRITTEN_TYPES
from soap_service.xmlwriter import ComplexWriter

#: WSGI environ key under which the parsed request envelope reaches Spyne.
PARSED_ENVELOPE = "gateway.soap.envelope"

logger = logging.getLogger(__name__)


class GatewayFault(Fault):
    """The ``detail`` content of every fault, as the WSDL declares it."""

    __namespace__ = NAMESPACE
    __type_name__ = "GatewayFault"

    code = Unicode(min_occurs=1)
    message = Unicode(min_occurs=1)
    field = Unicode
    requestId = Unicode


class RaisedFault(Fault):
    """A fault raised for a :class:`GatewayError`, which it keeps."""

    def __init__(self, error: errors.GatewayError) -> None:
        super().__init__(
            faultcode=error.soap_fault, faultstring=xml_text(error.message)
        )
        self.error = error


# Faults that Spyne raises itself while reading a request, by fault code.
SPYNE_FAULTS: dict[str, type[errors.GatewayError]] = {
    "Client.SchemaValidationError": errors.InvalidRequest,
    "Client.ValidationError": errors.InvalidRequest,
    "Client.InvalidInput": errors.InvalidRequest,
    "Client.ArgumentError": errors.InvalidRequest,
    "Client.XMLSyntaxError": errors.MalformedRequest,
    "Client.SoapError": errors.MalformedRequest,
    "Client.ResourceNotFound": errors.RouteNotFound,
    "Client.RequestTooLong": errors.PayloadTooLarge,
    "Client.RequestNotAllowed": errors.MethodNotAllowed,
    "Client": errors.RouteNotFound,
}


def gateway_error_of(fault: Any) -> errors.GatewayError:
    """Return the gateway error that a fault raised anywhere stands for."""
    if isinstance(fault, RaisedFault):
        return fault.error
    error_class = SPYNE_FAULTS.get(getattr(fault, "faultcode", ""))
    if error_class is None:
        # Spyne turns unexpected exceptions into a bare "Server" fault whose
        # text may hold internals, so the text is replaced.
        logger.error("SOAP request failed: %s", getattr(fault, "faultstring", fault))
        return errors.GatewayError(
            f"internal error; the server log has details under request id "
            f"{request_id()}"
        )
    message = str(getattr(fault, "faultstring", "") or error_class.title)
    if error_class is errors.RouteNotFound:
        message = f"unknown SOAP operation: {message}"
    return error_class(message[:2000])


def detail_element(error: errors.GatewayError) -> etree._Element:
    def tag(name: str) -> str:
        return f"{{{NAMESPACE}}}{name}"

    detail = etree.Element(tag("GatewayFault"), nsmap={"gw": NAMESPACE})
    etree.SubElement(detail, tag("code")).text = error.code
    etree.SubElement(detail, tag("message")).text = xml_text(error.message)
    if error.field:
        etree.SubElement(detail, tag("field")).text = error.field
    etree.SubElement(detail, tag("requestId")).text = request_id()
    return detail


def fault_envelope(error: errors.GatewayError) -> bytes:
    """Return a SOAP 1.1 envelope holding the fault for *error*.

    Used for requests rejected before Spyne reads them; Spyne renders the
    others through :class:`GatewaySoap11`, with the same ``detail``.
    """
    envelope = etree.Element(
        f"{{{SOAP11_ENV}}}Envelope", nsmap={"soap11env": SOAP11_ENV}
    )
    body = etree.SubElement(envelope, f"{{{SOAP11_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP11_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soap11env:{error.soap_fault}"
    etree.SubElement(fault, "faultstring").text = error.message
    etree.SubElement(fault, "detail").append(detail_element(error))
    document: bytes = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    return document


_EXPECTED = re.compile(r"Expected is \( \{[^}]*\}(\w+)")
_NAMESPACE = re.compile(r"\{[^}]*\}")


def schema_error(payload: etree._Element, entry: Any) -> errors.InvalidRequest:
    """Turn an XML Schema error into an invalid-request error naming the field."""
    message = _NAMESPACE.sub("", str(entry.message))
    if len(message) > 300:
        message = message[:297] + "..."
    expected = _EXPECTED.search(str(entry.message))
    field = expected.group(1) if expected else _field_at(payload, str(entry.path))
    return errors.InvalidRequest(f"invalid request: {message}", field=field or None)


def _field_at(payload: etree._Element, path: str) -> str:
    # libxml2 reports paths such as /*/*[2]/*, whose first step is the
    # operation element that was validated.
    if not path.startswith("/*/"):
        return ""
    found = payload.xpath(path[3:])
    if not found or not isinstance(found[0], etree._Element):
        return ""
    names = []
    node: etree._Element | None = found[0]
    while node is not None and node is not payload:
        names.append(etree.QName(node).localname)
        node = node.getparent()
    return ".".join(reversed(names))


class GatewaySoap11(Soap11):
    """SOAP 1.1 whose faults all carry a gateway error code in ``detail``.

    The response types of :mod:`soap_service.types` are written by
    :class:`ComplexWriter`, which gives Spyne's output in a fraction of the
    time; every other element goes through Spyne as usual.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer = ComplexWriter(self.to_unicode, WRITTEN_TYPES)

    def to_parent(
        self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: Any, *args: Any, **kw: Any
    ) -> Any:
        plan = None
        if (
            inst is not None
            and isinstance(parent, etree._Element)
            and not isinstance(inst, list | tuple | dict)
            and not self.polymorphic
        ):
            plan = self._writer.plan(cls)
        if plan is None:
            return super().to_parent(ctx, cls, inst, parent, ns, *args, **kw)
        # The element's name as Spyne's complex_to_parent chooses it.
        name = args[0] if args else kw.get("name")
        attrs = cls.Attributes
        name = attrs.sub_name or name or cls.get_type_name()
        if attrs.sub_ns not in (None, DEFAULT_NS):
            ns = attrs.sub_ns
        tag = name if ns is None else f"{{{ns}}}{name}"
        self._writer.write(ctx, plan, inst, parent, tag, super().to_parent)
        return None

    def set_validator(self, validator: Any) -> None:
        super().set_validator(validator)
        if self.validator is self.SCHEMA_VALIDATION:
            # Spyne's own check raises a fault whose text is a bytes repr and
            # names no field.
            self.validate_document = self._validate_naming_field

    def _validate_naming_field(self, payload: etree._Element) -> None:
        schema = self.validation_schema
        if schema.validate(payload):
            return
        raise RaisedFault(schema_error(payload, schema.error_log[0]))

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        # The body was parsed by soap_service.envelope with a hardened
        # parser; Spyne's own parse (and its logging of invalid bodies at
        # ERROR level) is skipped on purpose.
        ctx.in_document = (ctx.transport.req_env[PARSED_ENVELOPE], {})

    def fault_to_parent(
        self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: Any, *args: Any, **kw: Any
    ) -> Any:
        error = gateway_error_of(inst)
        fault = Fault(
            faultcode=error.soap_fault,
            faultstring=xml_text(error.message),
            detail=detail_element(error),
        )
        return super().fault_to_parent(ctx, Fault, fault, parent, ns, *args, **kw)

    def schema_validation_error_to_parent(
        self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: Any, **kw: Any
    ) -> Any:
        return self.fault_to_parent(ctx, cls, inst, parent, ns, **kw)
