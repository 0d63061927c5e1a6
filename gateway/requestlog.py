"""Request ids and the gateway's logging set-up."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
# A client-supplied id is echoed only if it is short and plain, so that it
# cannot forge log lines or response headers.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def request_id() -> str:
    """Return the id of the request this thread is serving, or ``-``."""
    return _request_id.get()


class RequestIdMiddleware:
    """Give each request an id, echoed in the ``X-Request-ID`` header."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        supplied = environ.get("HTTP_X_REQUEST_ID", "")
        value = supplied if _CLIENT_ID.match(supplied) else uuid.uuid4().hex

        def start_with_id(status: str, headers: list[Any], *args: Any) -> Any:
            headers.append(("X-Request-ID", value))
            return start_response(status, headers, *args)

        def serve() -> Iterable[bytes]:
            _request_id.set(value)
            return self.app(environ, start_with_id)

        # A fresh context per request: gunicorn's threads serve request after
        # request, and nothing set for one (the caller above all) may leak
        # into the next.
        return contextvars.Context().run(serve)


def configure_logging(level: str) -> None:
    """Send gateway log records to stderr, where gunicorn's own logs go."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger("gateway")
    if not root.handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name in ("rest_service", "soap_service"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
        logger.setLevel(level)
    # Spyne logs every fault with a traceback at ERROR level, client faults
    # included. The engine's INFO line per operation already records each
    # outcome, and soap_service.faults logs unexpected server faults, so
    # only Spyne's record of an exception it did not expect is kept.
    logging.getLogger("spyne.application").setLevel(logging.CRITICAL + 1)
    logging.getLogger("spyne.application.client").setLevel(logging.CRITICAL + 1)
    logging.getLogger("spyne.application.server").setLevel(logging.ERROR)
