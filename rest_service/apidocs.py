"""The OpenAPI document and the interactive API docs, served by the gateway.

``GET /api/v1/openapi.json`` returns the document that
:mod:`rest_service.openapi` generates. ``GET /api/v1/docs`` is a Swagger UI
page whose scripts and styles are files vendored in ``static/swagger-ui``
(the npm package ``swagger-ui-dist``), so the page works without internet
access and loads nothing from elsewhere; its Content-Security-Policy lets
the browser enforce that.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, Response, send_from_directory, url_for
from markupsafe import escape

from gateway import errors
from rest_service.openapi import API_PREFIX, render

STATIC = Path(__file__).resolve().parent / "static"
VENDORED = STATIC / "swagger-ui"
#: Files the docs page may load, and the directory each is served from.
ASSETS: dict[str, Path] = {
    "swagger-ui-bundle.js": VENDORED,
    "swagger-ui.css": VENDORED,
    "favicon-32x32.png": VENDORED,
    "favicon-16x16.png": VENDORED,
    "LICENSE": VENDORED,
    "NOTICE": VENDORED,
    "docs.js": STATIC,
}
# Swagger UI sets inline style attributes. Scripts, images and requests
# must come from the gateway itself.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

apidocs = Blueprint("apidocs", __name__, url_prefix=API_PREFIX)


@cache
def document() -> bytes:
    return render().encode()


@apidocs.get("/openapi.json")
def openapi_json() -> Response:
    """Return the OpenAPI 3.1 document of this API."""
    return Response(document(), mimetype="application/json")


@apidocs.get("/docs")
def docs_page() -> Response:
    """Return the Swagger UI page for the OpenAPI document."""

    def asset(name: str) -> str:
        return str(escape(url_for(".docs_asset", name=name)))

    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Container Gateway REST API</title>
<link rel="stylesheet" href="{asset("swagger-ui.css")}">
<link rel="icon" type="image/png" sizes="32x32" href="{asset("favicon-32x32.png")}">
<link rel="icon" type="image/png" sizes="16x16" href="{asset("favicon-16x16.png")}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(url_for(".openapi_json"))}"></div>
<script src="{asset("swagger-ui-bundle.js")}"></script>
<script src="{asset("docs.js")}"></script>
</body>
</html>
"""
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@apidocs.get("/docs/<name>")
def docs_asset(name: str) -> Response:
    """Return one of the docs page's files. No other file is served."""
    folder = ASSETS.get(name)
    if folder is None:
        raise errors.RouteNotFound(
            f"docs file {name[:80]!r} not found; the page is at {API_PREFIX}/docs"
        )
    response = send_from_directory(folder, name, max_age=3600)
    if name in ("LICENSE", "NOTICE"):
        response.mimetype = "text/plain"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
