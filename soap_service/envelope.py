"""Checks on an incoming SOAP request, and the one parse of its body.

The body is parsed here, once, with a parser that loads no DTD, resolves no
entity and opens no file or connection. Spyne is then handed the parsed
tree, so no later step parses the same bytes with other settings.
"""

from __future__ import annotations

import re

from lxml import etree
from werkzeug.http import parse_options_header

from gateway import errors

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
SOAP11_TYPE = "text/xml"
SOAP12_TYPE = "application/soap+xml"
WSSE_SECURITY = (
    "{http://docs.oasis-open.org/wss/2004/01/"
    "oasis-200401-wss-wssecurity-secext-1.0.xsd}Security"
)
_DECLARED_ENCODING = re.compile(r"""\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


# Bounds on the parsed tree, checked before Spyne validates it: the schema
# validator keeps an error per offending node, so a body of many thousand
# attributes or elements would cost hundreds of megabytes there. The largest
# valid request (a create with 256 env entries and 256 labels) has about 1,600
# elements and no attributes beyond namespace declarations.
MAX_ELEMENTS = 4000
MAX_ATTRIBUTES = 16
MAX_NAMESPACES = 32


class _RefuseResolver(etree.Resolver):
    """Resolve every external entity, DTD or schema to nothing."""

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        return self.resolve_empty(context)


def _parser() -> etree.XMLParser:
    # A new parser per request: lxml parsers are not safe to share across
    # threads. huge_tree stays off, so libxml2 keeps its limits on nesting
    # depth (256) and on the size of a single text node. The encoding is
    # fixed to UTF-8, whatever the XML declaration claims.
    parser = etree.XMLParser(
        encoding="utf-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        collect_ids=False,
    )
    parser.resolvers.add(_RefuseResolver())
    return parser


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
    # UTF-16 and UTF-32 put NUL bytes beside every ASCII character, and
    # without a byte order mark such a body can pass for UTF-8 and hide a
    # DOCTYPE from the check below. XML 1.0 allows no NUL in any encoding.
    if b"\x00" in body:
        raise errors.MalformedRequest(
            "request body contains NUL bytes; send the envelope in UTF-8"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.MalformedRequest(
            f"request body is not valid UTF-8 at byte {exc.start}"
        ) from None
    declared = _DECLARED_ENCODING.match(text)
    if declared and declared.group(1).lower() not in UTF8_NAMES:
        raise errors.MalformedRequest(
            f"XML declaration names encoding {declared.group(1)[:40]!r}; send UTF-8"
        )
    # Checked before parsing, so that a DTD is never even read.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise errors.MalformedRequest(
            "document type declarations are not allowed in SOAP messages"
        )
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise errors.MalformedRequest(
            f"request body is not well-formed XML: {exc}"
        ) from None

    _check_document(root)
    _check_size(root)
    _check_envelope(root)
    return root


def _check_size(root: etree._Element) -> None:
    for count, element in enumerate(root.iter(), 1):
        if count > MAX_ELEMENTS:
            raise errors.MalformedRequest(
                f"SOAP message has more than {MAX_ELEMENTS} elements"
            )
        if len(element.attrib) > MAX_ATTRIBUTES:
            raise errors.MalformedRequest(
                f"element {etree.QName(element).localname[:60]!r} has more than "
                f"{MAX_ATTRIBUTES} attributes"
            )
        if len(element.nsmap) > MAX_NAMESPACES:
            raise errors.MalformedRequest(
                f"SOAP message declares more than {MAX_NAMESPACES} namespaces"
            )


def _check_document(root: etree._Element) -> None:
    tree = root.getroottree()
    docinfo = tree.docinfo
    # A UTF-16 or UTF-32 body would hide a DOCTYPE from the byte check above.
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise errors.MalformedRequest(
            "document type declarations are not allowed in SOAP messages"
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
    _check_headers(root)
    body = root.find(f"{{{SOAP11_ENV}}}Body")
    if body is None:
        raise errors.MalformedRequest("SOAP envelope has no Body")
    if len(body) == 0:
        raise errors.MalformedRequest("SOAP Body is empty; put the operation in it")
    if len(body) > 1:
        raise errors.MalformedRequest("SOAP Body must hold exactly one operation")


def _check_headers(root: etree._Element) -> None:
    """Fault on a mandatory header this service does not process.

    SOAP 1.1 section 4.2.3: a header block with mustUnderstand="1" that the
    receiver does not understand must end in a MustUnderstand fault. The
    only header block this service processes is WS-Security.
    """
    header = root.find(f"{{{SOAP11_ENV}}}Header")
    if header is None:
        return
    for block in header:
        if not isinstance(block.tag, str):
            continue
        flag = block.get(f"{{{SOAP11_ENV}}}mustUnderstand", "0").strip()
        if flag in ("1", "true") and block.tag != WSSE_SECURITY:
            raise errors.MustUnderstand(
                f"header {block.tag[:160]} is marked mustUnderstand, and this "
                "service does not process it"
            )


def operation_name(root: etree._Element) -> str:
    body = root.find(f"{{{SOAP11_ENV}}}Body")
    assert body is not None
    return etree.QName(body[0]).localname


def check_soap_action(soap_action: str | None, operation: str) -> None:
    """Reject a ``SOAPAction`` header that names another operation.

    The Body decides which operation runs. An empty or absent header is
    accepted. A header naming a different operation is an error rather than
    ignored, so that a client cannot believe it called something else.
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
