"""The protocol lab: a web page that runs one operation over REST and SOAP.

``GET /`` returns the page and ``GET /lab/<name>`` its script and style
sheet, files kept in ``assets/`` next to this module. The page itself calls
the gateway's own ``/api/v1`` and ``/soap`` endpoints with ``fetch``, so what
it shows is what went over the wire. It loads nothing from elsewhere, and its
Content-Security-Policy lets the browser enforce that.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from gateway import errors

ASSETS = Path(__file__).resolve().parent / "assets"
#: The files served under /lab/, with their media types. No other file is served.
FILES = {"lab.js": "text/javascript", "lab.css": "text/css"}
# The policy allows no inline script or style and requests to this origin
# only. It forbids form submission: the page's script handles its one form,
# so the token field cannot end up in a URL even when the script fails.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)

lab = Blueprint("lab", __name__)


def _send(name: str, mimetype: str) -> Response:
    response = send_from_directory(ASSETS, name, mimetype=mimetype, max_age=0)
    # Revalidated on every load, so that after an upgrade the browser does
    # not pair the new page with a cached old script.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@lab.get("/")
def page() -> Response:
    """Return the protocol lab page."""
    return _send("index.html", "text/html")


@lab.get("/lab/<name>")
def asset(name: str) -> Response:
    """Return the lab's script or style sheet."""
    mimetype = FILES.get(name)
    if mimetype is None:
        raise errors.RouteNotFound(
            f"lab file {name[:80]!r} not found; the lab serves {', '.join(FILES)}"
        )
    return _send(name, mimetype)
