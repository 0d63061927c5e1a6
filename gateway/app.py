"""The WSGI application that serves both protocols and the health checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from gateway import errors
from gateway.access import Authenticator
from gateway.audit import AuditLog
from gateway.auth import TokenStore
from gateway.bodies import read_body
from gateway.config import Settings, check_exposure
from gateway.docker_engine import DockerEngine
from gateway.engine import Engine
from gateway.lab import lab
from gateway.policy import CreatePolicy
from gateway.requestlog import (
    RequestIdMiddleware,
    StartResponse,
    WsgiApp,
    configure_logging,
)
from rest_service import api
from rest_service.apidocs import apidocs
from rest_service.problems import problem_response, register_problem_handlers
from soap_service.application import SoapEndpoint


def create_flask_app(
    settings: Settings, engine: Engine, authenticator: Authenticator
) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.merge_slashes = False
    app.extensions["engine"] = engine
    app.extensions["authenticator"] = authenticator
    app.extensions["settings"] = settings
    app.register_blueprint(api)
    app.register_blueprint(apidocs)
    app.register_blueprint(lab)
    register_problem_handlers(app)

    @app.before_request
    def bound_body() -> None:
        """Read the body once, up to the limit, before any view parses it."""
        read_body(request.environ, settings.max_body_bytes)

    @app.get("/healthz")
    def healthz() -> Response:
        """Report that the process is up, whatever the engine's state."""
        return Response(json.dumps({"status": "ok"}), mimetype="application/json")

    @app.get("/readyz")
    def readyz() -> Response:
        """Report whether the container engine responds to a ping."""
        try:
            engine.ping()
        except errors.GatewayError as exc:
            return problem_response(exc)
        return Response(
            json.dumps({"status": "ready", "engine": "reachable"}),
            mimetype="application/json",
        )

    return app


def create_app(
    settings: Settings | None = None, engine: Engine | None = None
) -> WsgiApp:
    """Build the gateway: REST under ``/api/v1``, SOAP at ``/soap``."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    tokens = TokenStore.from_env()
    check_exposure(settings, tokens.enabled)
    authenticator = Authenticator(tokens, settings)
    audit = AuditLog(Path(settings.audit_log)) if settings.audit_log else None
    engine = engine or DockerEngine(settings, CreatePolicy.from_env(), audit)
    flask_app = create_flask_app(settings, engine, authenticator)
    soap = SoapEndpoint(
        engine, settings.soap_address, settings.max_body_bytes, authenticator
    )
    dispatcher = DispatcherMiddleware(flask_app, {"/soap": soap})
    return RequestIdMiddleware(strip_trailing_slash(dispatcher))


def strip_trailing_slash(app: WsgiApp) -> WsgiApp:
    """Serve ``/api/v1/containers/`` as ``/api/v1/containers``.

    Rewriting the path, rather than redirecting, keeps a POST a POST for
    clients that would follow a redirect with a GET.
    """

    def rewrite(environ: dict[str, Any], start_response: StartResponse) -> Any:
        path = environ.get("PATH_INFO", "")
        if len(path) > 1 and path.endswith("/") and not path.endswith("//"):
            environ["PATH_INFO"] = path[:-1]
        return app(environ, start_response)

    return rewrite
