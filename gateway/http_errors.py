"""Problem details for the errors gunicorn handles before the app runs.

gunicorn responds to a request line that is too long, a malformed header or a
bad chunk size itself, with a small HTML page. The gateway promises JSON for
every error, so :func:`install` replaces gunicorn's writer of those pages.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from gateway.errors import BadHttpRequest

PROBLEM_TYPE = "urn:container-gateway:error:" + BadHttpRequest.code


def write_problem(sock: socket.socket, status: int, reason: str, message: str) -> None:
    """Send an ``application/problem+json`` response and close the connection."""
    from gunicorn import util

    body = json.dumps(
        {
            "type": PROBLEM_TYPE,
            "title": reason,
            "status": status,
            "detail": message[:500],
            "code": BadHttpRequest.code,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


def install(util_module: Any) -> None:
    """Make gunicorn's worker send problem details instead of HTML."""
    # gunicorn's workers call util.write_error through the module attribute
    # (gunicorn 22 to 27), so replacing the attribute is enough.
    util_module.write_error = write_problem
