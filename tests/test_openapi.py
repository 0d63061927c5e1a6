"""The OpenAPI document and the interactive docs, as committed and served."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from lxml import html

from gateway import errors
from gateway.models import CreateRequest
from gateway.operations import OPERATIONS, Operation, rest_errors
from rest_service.apidocs import ASSETS, STATIC
from rest_service.openapi import CREATE_EXAMPLE, Problem, build_document, render
from rest_service.problems import problem_body
from tests.conftest import REPO, Server

COMMITTED = REPO / "docs" / "openapi.json"
DOCUMENT = build_document()
IDS = [op.name for op in OPERATIONS]
URL_IN_TEXT = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)


def operation_doc(op: Operation) -> dict[str, Any]:
    document: dict[str, Any] = DOCUMENT["paths"][op.path][op.method.lower()]
    return document


def documented_codes(op: Operation) -> set[str]:
    codes: set[str] = set()
    for response in operation_doc(op)["responses"].values():
        for media in response.get("content", {}).values():
            for part in media["schema"].get("allOf", []):
                codes.update(part.get("properties", {}).get("code", {}).get("enum", []))
    return codes


def test_committed_current() -> None:
    # Refresh with: python -m rest_service.openapi > docs/openapi.json
    assert COMMITTED.read_text() == render()


def test_valid_openapi() -> None:
    schemathesis.openapi.from_dict(build_document()).validate()


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_operation_declared(op: Operation) -> None:
    assert operation_doc(op)["operationId"] == op.name


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_error_codes_declared(op: Operation) -> None:
    codes = {cls.code for cls in rest_errors(op)}
    if op.query is not None:
        codes.add("bad_http_request")
    assert documented_codes(op) == codes


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_statuses_declared(op: Operation) -> None:
    statuses = {str(cls.http_status) for cls in rest_errors(op)} | {str(op.status)}
    if op.query is not None:
        statuses.add("414")
    assert set(operation_doc(op)["responses"]) == statuses


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_query_parameters(op: Operation) -> None:
    declared = {
        parameter["name"]
        for parameter in operation_doc(op).get("parameters", [])
        if parameter["in"] == "query"
    }
    assert declared == set(op.query.model_fields if op.query else ())


def test_create_example_valid() -> None:
    assert CreateRequest.model_validate(CREATE_EXAMPLE).image == CREATE_EXAMPLE["image"]


def test_problem_model_complete() -> None:
    error = errors.InvalidRequest(
        "bad", field="name", errors=[{"field": "name", "message": "bad"}]
    )
    body = problem_body(error, "/api/v1/containers", "abc")
    assert Problem.model_validate(body).field == "name"


def test_problem_allow_member() -> None:
    error = errors.MethodNotAllowed("no", allow=["GET"])
    body = problem_body(error, "/api/v1/containers", "abc")
    assert Problem.model_validate(body).allow == ["GET"]


def test_served_document(server: Server) -> None:
    response = requests.get(server.api + "/openapi.json", timeout=10)
    assert response.content == COMMITTED.read_bytes()


def test_served_document_type(server: Server) -> None:
    response = requests.get(server.api + "/openapi.json", timeout=10)
    assert response.headers["Content-Type"] == "application/json"


@pytest.fixture(scope="module")
def docs_page(server: Server) -> requests.Response:
    return requests.get(
        server.api + "/docs", headers={"Accept": "text/html"}, timeout=10
    )


def page_urls(page: requests.Response) -> list[str]:
    tree = html.fromstring(page.content)
    urls = tree.xpath("//@src | //@href | //@data-openapi-url")
    return [str(url) for url in urls]


def test_docs_page_served(docs_page: requests.Response) -> None:
    assert docs_page.status_code == 200
    assert docs_page.headers["Content-Type"] == "text/html; charset=utf-8"


def test_docs_page_local_only(docs_page: requests.Response) -> None:
    assert URL_IN_TEXT.findall(docs_page.text) == []


def test_docs_urls_absolute_paths(docs_page: requests.Response) -> None:
    urls = page_urls(docs_page)
    assert [url for url in urls if not url.startswith("/api/v1/")] == []


def test_docs_urls_served(docs_page: requests.Response, server: Server) -> None:
    statuses = {
        url: requests.get(server.base_url + url, timeout=10).status_code
        for url in page_urls(docs_page)
    }
    assert set(statuses.values()) == {200}


def test_docs_urls_complete(docs_page: requests.Response) -> None:
    names = {url.rsplit("/", 1)[-1] for url in page_urls(docs_page)}
    assert names == {*ASSETS, "openapi.json"} - {"LICENSE", "NOTICE"}


def test_docs_csp(docs_page: requests.Response) -> None:
    policy = docs_page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy


def test_docs_script_local() -> None:
    assert URL_IN_TEXT.findall((STATIC / "docs.js").read_text()) == []


def test_docs_css_local() -> None:
    css = (STATIC / "swagger-ui" / "swagger-ui.css").read_text()
    imports = re.findall(r"@import|url\((?!\"?data:)[^)]*\)", css)
    assert imports == []


def test_license_beside_vendored() -> None:
    license_text = (STATIC / "swagger-ui" / "LICENSE").read_text()
    assert "Apache License" in license_text


def test_docs_render_offline(server: Server, tmp_path: Path) -> None:
    # No host but the gateway's loopback address resolves in this browser, so
    # the page renders only if everything it needs comes from the gateway.
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("rendering the docs page needs chromium: apt-get install chromium")
    result = subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=10000",
            "--dump-dom",
            server.api + "/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    paths = re.findall(
        r'class="opblock-summary-path" data-path="([^"]+)"', result.stdout
    )
    assert sorted(paths) == sorted(op.path for op in OPERATIONS)


def test_unknown_asset(server: Server) -> None:
    response = requests.get(server.api + "/docs/index.html", timeout=10)
    assert response.status_code == 404
