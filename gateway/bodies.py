"""Bounded reading of request bodies, shared by both protocols.

Each body is read once, up to the configured limit, before any parser reads
it. A body over the limit is drained (up to :data:`DRAIN_LIMIT`) before the
413 response is sent. Closing a socket that still has unread data makes the
kernel reset the connection, so the client would never receive the response.
"""

from __future__ import annotations

import io
import logging
import time
from typing import Any

from gateway.errors import MalformedRequest, PayloadTooLarge

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
#: Bytes read and discarded from an oversized body before the response.
DRAIN_LIMIT = 32 * 1024 * 1024
DRAIN_SECONDS = 5.0


def _content_length(environ: dict[str, Any]) -> int | None:
    raw = environ.get("CONTENT_LENGTH") or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise MalformedRequest(f"Content-Length {raw[:40]!r} is not a number")
    return int(raw)


def _drain(stream: Any, budget: int) -> None:
    deadline = time.monotonic() + DRAIN_SECONDS
    while budget > 0 and time.monotonic() < deadline:
        chunk = _read(stream, min(CHUNK, budget))
        if not chunk:
            return
        budget -= len(chunk)


def _read(stream: Any, size: int) -> bytes:
    try:
        chunk: bytes = stream.read(size)
    except Exception as exc:
        # The server's reader raises its own exception types for a malformed
        # chunked encoding or a body cut short; to the caller it is one thing.
        logger.warning("request body could not be read: %r", exc)
        raise MalformedRequest(
            f"request body could not be read: {type(exc).__name__}"
        ) from exc
    return chunk


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """Read the whole body, or raise :class:`PayloadTooLarge` past *limit*.

    The environ is left with a fresh ``wsgi.input`` over the bytes read, so
    that frameworks below read the same, already bounded, body.
    """
    stream = environ["wsgi.input"]
    declared = _content_length(environ)
    too_large = PayloadTooLarge(
        f"request body exceeds the limit of {limit} bytes (GATEWAY_MAX_BODY_BYTES)"
    )
    if declared is not None and declared > limit:
        if declared <= DRAIN_LIMIT:
            _drain(stream, declared)
        raise too_large

    buffer = bytearray()
    want = limit + 1 if declared is None else declared
    while len(buffer) < want:
        chunk = _read(stream, min(CHUNK, want - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    if len(buffer) > limit:
        _drain(stream, DRAIN_LIMIT)
        raise too_large

    body = bytes(buffer)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    return body
