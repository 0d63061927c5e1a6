"""Recording and printing of the HTTP exchanges behind each client call."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from lxml import etree

logger = logging.getLogger(__name__)

MASK = "****"
# Header values that carry a credential, compared in lower case.
SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie")
WSSE_PASSWORD = (
    "{http://docs.oasis-open.org/wss/2004/01/"
    "oasis-200401-wss-wssecurity-secext-1.0.xsd}Password"
)


@dataclass
class Exchange:
    """One HTTP request and its response, as sent and received."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    reason: str
    http_version: str
    response_headers: list[tuple[str, str]]
    response_body: bytes
    seconds: float

    @property
    def target(self) -> str:
        """Return the request target: the path and query of the URL."""
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.target} HTTP/1.1"

    @property
    def status_line(self) -> str:
        return f"HTTP/{self.http_version} {self.status} {self.reason}".rstrip()

    def request_head_bytes(self) -> int:
        """Return the size of the request line and headers, with CRLFs."""
        lines = [self.request_line, *(f"{k}: {v}" for k, v in self.request_headers)]
        return sum(len(line.encode("latin-1", "replace")) + 2 for line in lines) + 2

    def response_head_bytes(self) -> int:
        lines = [self.status_line, *(f"{k}: {v}" for k, v in self.response_headers)]
        return sum(len(line.encode("latin-1", "replace")) + 2 for line in lines) + 2


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes):
        return body
    # requests passes generators and files through unread, and no client
    # here sends one.
    return b"<streamed body>"


def _http_version(response: requests.Response) -> str:
    version = getattr(response.raw, "version", 11)
    return {10: "1.0", 11: "1.1", 20: "2"}.get(version, "1.1")


class RecordingSession(requests.Session):
    """A session that keeps every exchange it sends, for --show-wire and compare.

    Recording is off until :attr:`recording` is set, so the WSDL download that
    builds the SOAP client is not kept. The list grows with each call: a
    long-lived caller should clear :attr:`exchanges` after reading it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.recording = False
        self.exchanges: list[Exchange] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = super().send(request, **kwargs)
        seconds = time.perf_counter() - started
        if self.recording:
            self.exchanges.append(self._exchange(request, response, seconds))
        return response

    @staticmethod
    def _exchange(
        request: requests.PreparedRequest, response: requests.Response, seconds: float
    ) -> Exchange:
        url = request.url or ""
        host = urlsplit(url).netloc
        # urllib3 adds Host itself, so it is not among the prepared headers.
        headers = [("Host", host), *request.headers.items()]
        return Exchange(
            method=request.method or "GET",
            url=url,
            request_headers=headers,
            request_body=_body_bytes(request.body),
            status=response.status_code,
            reason=response.reason or "",
            http_version=_http_version(response),
            response_headers=list(response.headers.items()),
            response_body=response.content,
            seconds=seconds,
        )


def mask_header(name: str, value: str) -> str:
    """Return *value* with any credential in it replaced by ``****``."""
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, _, credential = value.partition(" ")
    if credential and name.lower().endswith("authorization"):
        return f"{scheme} {MASK}"
    return MASK


def pretty_body(body: bytes, content_type: str) -> str:
    """Return *body* indented if it is JSON or XML, with passwords masked."""
    if not body:
        return ""
    kind = content_type.split(";")[0].strip().lower()
    if kind.endswith("json"):
        try:
            return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        except ValueError:
            logger.debug("response body is not valid JSON; shown as text")
    elif kind.endswith("xml") or body.lstrip().startswith(b"<"):
        try:
            return _pretty_xml(body)
        except etree.XMLSyntaxError:
            logger.debug("body is not well-formed XML; shown as text")
    return body.decode("utf-8", "backslashreplace")


def _pretty_xml(body: bytes) -> str:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False)
    root = etree.fromstring(body, parser)
    for element in root.iter(WSSE_PASSWORD):
        element.text = MASK
    text: str = etree.tostring(root, pretty_print=True, encoding="unicode")
    # Serializing to str drops the XML declaration, so the original is kept.
    if body.lstrip().startswith(b"<?xml"):
        declaration = body.lstrip().split(b"?>", 1)[0] + b"?>"
        text = declaration.decode("ascii", "replace") + "\n" + text
    return text.rstrip("\n")


def format_exchange(exchange: Exchange) -> str:
    """Return the request and response as text, credentials masked."""
    request_type = _header(exchange.request_headers, "content-type")
    response_type = _header(exchange.response_headers, "content-type")
    lines = [f"> {exchange.request_line}"]
    lines += [f"> {k}: {mask_header(k, v)}" for k, v in exchange.request_headers]
    lines.append(">")
    lines += _body_lines(pretty_body(exchange.request_body, request_type), ">")
    lines.append(f"< {exchange.status_line}")
    lines += [f"< {k}: {mask_header(k, v)}" for k, v in exchange.response_headers]
    lines.append("<")
    lines += _body_lines(pretty_body(exchange.response_body, response_type), "<")
    lines.append(f"({exchange.seconds * 1000:.1f} ms)")
    return "\n".join(lines)


def _header(headers: list[tuple[str, str]], name: str) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


def _body_lines(text: str, marker: str) -> list[str]:
    return [f"{marker} {line}" for line in text.splitlines()] if text else []
