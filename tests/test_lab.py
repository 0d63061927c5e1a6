"""The protocol lab page at ``/``, in headless Chromium against the live server.

The browser tests drive Debian's chromium (``/usr/bin/chromium``) with
Playwright for Python and skip, saying which is missing, without either.
They run the lifecycle and the error examples through the page, then run
the curl commands and Python snippets that the page offers for copying.

Screenshots go to the test's temporary directory; with
``GATEWAY_LAB_SCREENSHOTS=1`` they refresh ``docs/lab-lifecycle.png`` and
``docs/lab-error.png`` instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docker
import pytest
import requests

from tests.conftest import REPO, Containers, Server, start_server, stop_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1440, "height": 1000}
TOKEN = "lab-" + uuid.uuid4().hex
Base = Callable[[str], str]


def screenshot_path(tmp_path: Path, name: str) -> Path:
    if os.environ.get("GATEWAY_LAB_SCREENSHOTS") == "1":
        return REPO / "docs" / name
    return tmp_path / name


# ---- Served files, no browser needed ----


def test_page_served_as_html(server: Server) -> None:
    response = requests.get(server.base_url + "/", timeout=10)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_page_sets_content_policy(server: Server) -> None:
    response = requests.get(server.base_url + "/", timeout=10)
    assert "connect-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("name", "kind"), [("lab.js", "text/javascript"), ("lab.css", "text/css")]
)
def test_lab_asset_served(server: Server, name: str, kind: str) -> None:
    response = requests.get(f"{server.base_url}/lab/{name}", timeout=10)
    assert response.headers["Content-Type"] == f"{kind}; charset=utf-8"


def test_unknown_asset_not_found(server: Server) -> None:
    response = requests.get(server.base_url + "/lab/index.html", timeout=10)
    assert response.json()["code"] == "not_found"


def test_page_links_local() -> None:
    page = (REPO / "gateway" / "lab" / "assets" / "index.html").read_text()
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert [link for link in links if "//" in link] == []


# ---- Browser fixtures and helpers ----


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need {CHROMIUM}: apt-get install chromium")
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="browser tests need Playwright for Python: pip install playwright",
    )
    with sync_api.sync_playwright() as playwright:
        launched: Browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def open_lab(browser: Browser, server: Server, problems: list[str]) -> Page:
    context = browser.new_context(viewport=VIEWPORT)
    context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=server.base_url
    )
    page = context.new_page()

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            problems.append(message.text)

    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", console)
    page.goto(server.base_url + "/")
    page.locator("#list-status:not(:empty)").wait_for()
    return page


@pytest.fixture
def lab(browser: Browser, server: Server) -> Iterator[Page]:
    problems: list[str] = []
    page = open_lab(browser, server, problems)
    yield page
    page.context.close()
    assert problems == [], "script errors or CSP violations on the page"


@pytest.fixture
def bases(containers: Containers, docker_api: docker.APIClient) -> Iterator[Base]:
    """Yield a maker of base names, then remove every container named after one.

    The page makes ``<base>-rest`` and ``<base>-soap``, and the examples
    ``<base>-taken-rest`` and the like.
    """
    issued: list[str] = []

    def base(hint: str) -> str:
        name = containers.name(hint)
        issued.append(name)
        return name

    yield base
    for name in issued:
        for found in docker_api.containers(all=True, filters={"name": name}):
            with contextlib.suppress(docker.errors.NotFound):
                docker_api.remove_container(found["Id"], force=True, v=True)


def runs(page: Page) -> int:
    return int(page.get_attribute("#results", "data-runs") or "0")


def wait_runs(page: Page, count: int) -> None:
    page.locator(f'#results[data-runs="{count}"][aria-busy="false"]').wait_for()


def run(page: Page, op: str, **fields: str | bool) -> None:
    """Pick *op*, fill in *fields* (by element id) and run it."""
    page.select_option("#op", op)
    for key, value in fields.items():
        selector = "#" + key.replace("_", "-")
        if isinstance(value, bool):
            page.set_checked(selector, value)
        else:
            page.fill(selector, value)
    count = runs(page) + 1
    page.click("#run")
    wait_runs(page, count)


def text(page: Page, element_id: str) -> str:
    return page.text_content("#" + element_id) or ""


def status(page: Page, side: str) -> int:
    return int(text(page, side + "-status").split()[0])


def state(page: Page, name: str) -> str:
    return page.inner_text(f'#container-table tr[data-name="{name}"] td.state')


def engine_state(docker_api: docker.APIClient, name: str) -> str:
    found: str = docker_api.inspect_container(name)["State"]["Status"]
    return found


def shell(command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


def python(source: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


# ---- The lifecycle ----

# Operation, its fields, REST status, SOAP status, state afterwards.
LIFECYCLE: list[tuple[str, dict[str, Any], int, int, str | None]] = [
    ("create", {}, 201, 200, "created"),
    ("start", {}, 200, 200, "running"),
    ("pause", {}, 200, 200, "paused"),
    ("unpause", {}, 200, 200, "running"),
    ("stop", {"timeout": "2"}, 200, 200, "exited"),
    ("restart", {"timeout": "2"}, 200, 200, "running"),
    ("logs", {"tail": "5"}, 200, 200, "running"),
    ("inspect", {}, 200, 200, "running"),
    ("kill", {}, 200, 200, "exited"),
    ("list", {"name_filter": ""}, 200, 200, "exited"),
    ("remove", {"force": True}, 204, 200, None),
]


def test_lifecycle_through_page(
    lab: Page, bases: Base, docker_api: docker.APIClient, tmp_path: Path
) -> None:
    base = bases("lab")
    lab.fill("#base", base)
    lab.fill("#list-filter", base)
    for op, fields, rest_status, soap_status, after in LIFECYCLE:
        run(lab, op, **fields)
        assert status(lab, "rest") == rest_status, op
        assert status(lab, "soap") == soap_status, op
        assert lab.get_attribute("#verdict", "data-agree") == "true", op
        if op == "create":
            lab.screenshot(
                path=screenshot_path(tmp_path, "lab-lifecycle.png"), full_page=True
            )
        for side in ("rest", "soap"):
            name = f"{base}-{side}"
            if after is None:
                assert lab.locator(f'tr[data-name="{name}"]').count() == 0, op
                assert docker_api.containers(all=True, filters={"name": name}) == []
            else:
                assert state(lab, name) == after, op
                assert engine_state(docker_api, name) == after, op


def test_create_exchange_shown(lab: Page, bases: Base) -> None:
    base = bases("lab")
    run(lab, "create", base=base)
    body = text(lab, "soap-request").split("\n\n", 1)[1]
    assert text(lab, "rest-request").startswith("POST /api/v1/containers HTTP/1.1")
    assert f"<gw:name>{base}-soap</gw:name>" in body
    assert text(lab, "soap-sent") == f"{len(body.encode())} bytes of body"
    assert text(lab, "rest-curl").startswith("curl ")


def test_response_bytes_counted(lab: Page, bases: Base, server: Server) -> None:
    base = bases("lab")
    run(lab, "create", base=base)
    run(lab, "inspect")
    size = len(requests.get(f"{server.api}/containers/{base}-rest", timeout=10).content)
    assert text(lab, "rest-received") == f"{size} bytes of body"


def test_container_logs_shown(lab: Page, bases: Base) -> None:
    run(lab, "create", base=bases("lab"), start=True)
    run(lab, "logs")
    assert "ready" in text(lab, "soap-response")


# ---- Error examples ----

# Example, REST status, SOAP fault code, the stable code of both.
EXAMPLES = [
    ("not-found", 404, "Client.ContainerNotFound", "container_not_found"),
    ("name-conflict", 409, "Client.NameConflict", "name_conflict"),
    ("invalid-state", 409, "Client.InvalidState", "invalid_state"),
    ("invalid-input", 400, "Client.InvalidRequest", "invalid_request"),
]


def run_example(page: Page, prefix: str, example: str) -> None:
    page.fill("#prefix", prefix)
    page.fill("#list-filter", prefix)
    # The click handler marks the results busy before it returns, so this
    # waits for the example's last step, set-up included.
    page.click(f'[data-example="{example}"]')
    page.locator('#results[aria-busy="false"]').wait_for()


@pytest.mark.parametrize(
    ("example", "rest_status", "fault", "code"), EXAMPLES, ids=[e[0] for e in EXAMPLES]
)
def test_error_example_codes_agree(
    lab: Page,
    bases: Base,
    tmp_path: Path,
    example: str,
    rest_status: int,
    fault: str,
    code: str,
) -> None:
    run_example(lab, bases("ex"), example)
    if example == "name-conflict":
        lab.screenshot(path=screenshot_path(tmp_path, "lab-error.png"), full_page=True)
    assert status(lab, "rest") == rest_status
    assert text(lab, "rest-code") == code
    assert status(lab, "soap") == 500
    assert text(lab, "soap-fault") == "soap11env:" + fault
    assert text(lab, "soap-code") == code
    assert lab.get_attribute("#verdict", "data-agree") == "true"


def test_example_setup_listed(lab: Page, bases: Base) -> None:
    run_example(lab, bases("ex"), "name-conflict")
    second = lab.inner_text("#history-table tbody tr:nth-child(2)")
    assert "create (set-up)" in second


# ---- Copying ----


def test_copied_curl_runs(lab: Page, bases: Base, docker_api: docker.APIClient) -> None:
    base = bases("curl")
    run(lab, "create", base=base)
    lab.click('[data-copy="rest-curl"]')
    rest = text(lab, "rest-curl")
    lab.click('[data-copy="soap-curl"]')
    soap = text(lab, "soap-curl")
    assert lab.evaluate("navigator.clipboard.readText()") == soap
    # Removed, so that the copied create commands can make them again.
    for side in ("rest", "soap"):
        docker_api.remove_container(f"{base}-{side}", force=True)
    assert shell(rest).stdout.startswith("HTTP/1.1 201")
    assert shell(soap).stdout.startswith("HTTP/1.1 200")
    assert engine_state(docker_api, f"{base}-rest") == "created"
    assert engine_state(docker_api, f"{base}-soap") == "created"


def test_python_snippets_run(lab: Page, bases: Base) -> None:
    run(lab, "create", base=bases("py"))
    run(lab, "inspect")
    rest = python(text(lab, "rest-python"))
    soap = python(text(lab, "soap-python"))
    assert rest.stdout.startswith("200 OK"), rest.stderr
    assert "'state': 'created'" in soap.stdout, soap.stderr


def test_zeep_snippet_fault(lab: Page, bases: Base) -> None:
    run_example(lab, bases("py"), "not-found")
    soap = python(text(lab, "soap-python"))
    assert soap.stdout.splitlines()[-1] == "container_not_found", soap.stderr


# ---- Keyboard ----


def focused(page: Page) -> str:
    found: str = page.evaluate("document.activeElement.id")
    return found


def test_tab_order_and_focus(lab: Page) -> None:
    order = []
    for _ in range(5):
        lab.keyboard.press("Tab")
        order.append(focused(lab))
    outline = lab.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert order == ["skip", "token", "op", "base", "suffix"]
    assert outline == "solid"


def test_run_with_keyboard(lab: Page) -> None:
    lab.focus("#op")
    lab.keyboard.type("list")
    for _ in range(20):
        if focused(lab) == "run":
            break
        lab.keyboard.press("Tab")
    lab.keyboard.press("Enter")
    wait_runs(lab, 1)
    assert text(lab, "rest-request").startswith("GET /api/v1/containers?all=true")
    assert lab.locator("#base").is_hidden()


# ---- Credentials ----


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("lab-secure")
    running = start_server(
        directory,
        GATEWAY_TOKENS=f"lab:operator:{TOKEN}",
        GATEWAY_STATE_DIR=str(directory / "state"),
        GATEWAY_INSTANCE="lab-" + uuid.uuid4().hex[:8],
    )
    yield running
    stop_server(running)


@pytest.fixture
def secured_lab(browser: Browser, secured: Server) -> Iterator[Page]:
    problems: list[str] = []
    page = open_lab(browser, secured, problems)
    yield page
    page.context.close()
    assert problems == [], "script errors or CSP violations on the page"


def test_missing_token_unauthorized(secured_lab: Page) -> None:
    run(secured_lab, "list")
    assert status(secured_lab, "rest") == 401
    assert text(secured_lab, "soap-code") == "unauthorized"
    assert secured_lab.get_attribute("#verdict", "data-agree") == "true"


def test_token_in_memory_only(secured_lab: Page) -> None:
    secured_lab.fill("#token", TOKEN)
    run(secured_lab, "list")
    secured_lab.press("#token", "Enter")
    stored = secured_lab.evaluate("localStorage.length + sessionStorage.length")
    assert secured_lab.get_attribute("#verdict", "data-agree") == "true"
    assert TOKEN not in secured_lab.content()
    assert TOKEN not in secured_lab.url
    assert stored == 0
    assert secured_lab.context.cookies() == []


def test_token_snippets_run(secured_lab: Page, bases: Base) -> None:
    secured_lab.fill("#token", TOKEN)
    run(secured_lab, "create", base=bases("token"))
    run(secured_lab, "inspect")
    rest = shell(text(secured_lab, "rest-curl"), GATEWAY_TOKEN=TOKEN)
    soap = python(text(secured_lab, "soap-python"), GATEWAY_TOKEN=TOKEN)
    assert rest.stdout.startswith("HTTP/1.1 200")
    assert "'state': 'created'" in soap.stdout, soap.stderr
