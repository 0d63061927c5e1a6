"""Minimal apps that return the gateway's inspect reply without doing its work.

gunicorn serves each of them with the gateway's own settings, so that the
benchmark can show what the server and each framework cost on their own:

- ``wsgi_app``: a bare WSGI callable that returns the REST reply's bytes;
- ``flask_app``: one Flask route that returns the same bytes;
- ``spyne_app``: a Spyne service with the gateway's ``InspectContainer``
  operation, types and reply writer, returning the same container.

None of them calls the engine. The reply is read at import from the JSON file
that ``BENCH_FRAMEWORK_REPLY`` names: the body of a REST inspect of the
benchmark's container.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import spyne.const
from flask import Flask, Response
from spyne import Application, ServiceBase, rpc
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from gateway.models import Container
from soap_service import types
from soap_service.application import SERVICE_NAME
from soap_service.faults import GatewaySoap11
from soap_service.service import Ref

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

REPLY = Path(os.environ["BENCH_FRAMEWORK_REPLY"]).read_bytes()
CONTAINER = types.to_soap_container(Container.model_validate_json(REPLY))
JSON_HEADERS = [
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(REPLY))),
]
# As in the gateway: Spyne's per-request garbage collection is turned off.
spyne.const.MIN_GC_INTERVAL = float("inf")


def wsgi_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Return the REST reply for every request, the readiness check included."""
    start_response("200 OK", JSON_HEADERS)
    return [REPLY]


flask_app = Flask(__name__)


@flask_app.get("/healthz")
def healthz() -> Response:
    return Response(b"ok", mimetype="text/plain")


@flask_app.get("/api/v1/containers/<ref>")
def inspect_container(ref: str) -> Response:
    return Response(REPLY, mimetype="application/json")


class FixedService(ServiceBase):
    @rpc(Ref, _returns=types.Container, _out_variable_name="container")
    def InspectContainer(ctx: Any, container: str) -> types.Container:
        return CONTAINER


_soap = WsgiApplication(
    Application(
        [FixedService],
        tns=types.NAMESPACE,
        name=SERVICE_NAME,
        in_protocol=Soap11(validator="lxml"),
        # The gateway's protocol, so that replies are written as its are.
        out_protocol=GatewaySoap11(),
    )
)
spyne_app = DispatcherMiddleware(flask_app, {"/soap": _soap})
