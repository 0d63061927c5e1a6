"""Checks on an incoming SOAP request, and the one parse of its body.

The body is parsed here, once, with a parser that loads no DTD, resolves no
entity and opens no file or connection. Spyne is then handed the parsed
tree, so no later step parses the same bytes with other settings.
"""

from __future__ import annotations

from lxml import etree
from werkzeug.http import parse_options_header

from gateway import errors

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_TYPE = "text/xml"
SOAP12_TYPE = "application/soap+xml"
UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def _parser() -> etree.XMLParser:
    # A new parser per request: lxml parsers are not safe to share across
    # threads. huge_tree stays off, so libxml2 keeps its limits on nesting
    # depth (256) and on the size of a single text node.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        collect_ids=False,
    )


def check_content_type(content_type: str | None) -> None:
    """Accept only SOAP 1.1's ``text/xml`` in UTF-8."""
    mimetype, options = parse_options_header(content_type or "")
    mimetype = mimetype.lower()
    if mimetype == SOAP12_TYPE:
        raise errors.VersionMismatch(
            "this is a SOAP 1.1 endpoint; send text/xml with a SOAP 1.1 envelope"
        )
    if mimetype != SOAP11_TYPE:
        shown = content_type[:80] if content_type else "no Content-Type"
        raise errors.UnsupportedMediaType(
            f"SOAP 1.1 requests must be sent as text/xml, not {shown!r}"
        )
    charset = options.get("charset", "utf-8").strip().lower()
    if charset not in UTF8_NAMES:
        raise errors.UnsupportedMediaType(
            f"charset {charset[:40]!r} is not supported; send UTF-8"
        )


def parse_envelope(body: bytes) -> etree._Element:
    """Parse and check a SOAP 1.1 envelope, returning its root element."""
    if not body.strip():
        raise errors.MalformedRequest("request body is empty; send a SOAP envelope")
    # Checked on the raw bytes first, so that a DTD is never even parsed.
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise errors.MalformedRequest(
            "document type declarations are not allowed in SOAP messages"
        )
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.MalformedRequest(
            f"request body is not valid UTF-8 at byte {exc.start}"
        ) from None
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise errors.MalformedRequest(
            f"request body is not well-formed XML: {exc}"
        ) from None

    _check_document(root)
    _check_envelope(root)
    return root


def _check_document(root: etree._Element) -> None:
    tree = root.getroottree()
    docinfo = tree.docinfo
    # A UTF-16 or UTF-32 body would hide a DOCTYPE from the byte check above.
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise errors.MalformedRequest(
            "document type declarations are not allowed in SOAP messages"
        )
    encoding = (docinfo.encoding or "utf-8").lower()
    if encoding not in UTF8_NAMES:
        raise errors.MalformedRequest(
            f"XML declaration names encoding {encoding!r}; send UTF-8"
        )
    if root.getprevious() is not None or root.getnext() is not None:
        raise errors.MalformedRequest(
            "processing instructions are not allowed in SOAP messages"
        )
    for node in root.iter(etree.PI, etree.Entity):
        kind = (
            "processing instructions"
            if isinstance(node, etree._ProcessingInstruction)
            else "entity references"
        )
        raise errors.MalformedRequest(f"{kind} are not allowed in SOAP messages")


def _check_envelope(root: etree._Element) -> None:
    name = etree.QName(root)
    if name.localname == "Envelope" and name.namespace == SOAP12_ENV:
        raise errors.VersionMismatch(
            "this is a SOAP 1.1 endpoint; the envelope uses the SOAP 1.2 namespace"
        )
    if name.localname != "Envelope" or name.namespace != SOAP11_ENV:
        raise errors.VersionMismatch(
            f"root element must be {{{SOAP11_ENV}}}Envelope, not {root.tag[:120]}"
        )
    body = root.find(f"{{{SOAP11_ENV}}}Body")
    if body is None:
        raise errors.MalformedRequest("SOAP envelope has no Body")
    if len(body) == 0:
        raise errors.MalformedRequest("SOAP Body is empty; put the operation in it")
    if len(body) > 1:
        raise errors.MalformedRequest("SOAP Body must hold exactly one operation")


def operation_name(root: etree._Element) -> str:
    body = root.find(f"{{{SOAP11_ENV}}}Body")
    assert body is not None
    return etree.QName(body[0]).localname


def check_soap_action(soap_action: str | None, operation: str) -> None:
    """Reject a ``SOAPAction`` header that names another operation.

    The Body decides which operation runs. An empty or absent header is
    accepted; a header naming a different operation is an error rather than
    being ignored, so a client cannot believe it called something else.
    """
    if soap_action is None:
        return
    action = soap_action.strip().strip('"')
    if action and action.rsplit("/", 1)[-1].rsplit("#", 1)[-1] != operation:
        raise errors.InvalidRequest(
            f"SOAPAction {action[:120]!r} does not match the operation in the "
            f"Body, {operation!r}",
            field="SOAPAction",
        )
