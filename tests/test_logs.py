"""Logs of hostile output come back as valid JSON and XML, bounded."""

from __future__ import annotations

import time

import pytest
import requests
import zeep
from lxml import etree

from tests.conftest import SOAP_NS, Containers, Server, create_body

# printf octal escapes: ESC [31m, NUL, a bell, a lone 0xff byte, a bare CR.
HOSTILE = r"printf 'red\033[31mtext\n\000nul\007bell\nbad\377byte\nwin\r\n\tend\n'"
EXPECTED = [
    "red\\x1b[31mtext",
    "\\x00nul\\x07bell",
    "bad\ufffdbyte",
    "win",
    "\tend",
]


def wait_for_exit(server: Server, name: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = requests.get(f"{server.api}/containers/{name}", timeout=10).json()
        if state["state"] == "exited":
            return
        time.sleep(0.1)
    raise AssertionError(f"{name} did not exit")


def soap_logs(server: Server, name: str) -> etree._Element:
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<GetContainerLogs xmlns="{SOAP_NS}"><container>{name}</container>'
        "</GetContainerLogs></s:Body></s:Envelope>"
    )
    response = requests.post(
        server.soap,
        data=envelope,
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=60,
    )
    assert response.status_code == 200, response.text[:500]
    # A strict parser: any character XML 1.0 forbids fails here.
    return etree.fromstring(response.content, etree.XMLParser(recover=False))


@pytest.fixture
def hostile(server: Server, containers: Containers) -> str:
    name = containers.name("logs")
    body = create_body(name, "sh", "-c", HOSTILE, start=True)
    assert requests.post(f"{server.api}/containers", json=body, timeout=30).ok
    wait_for_exit(server, name)
    return name


def test_rest_logs_escaped(server: Server, hostile: str) -> None:
    response = requests.get(f"{server.api}/containers/{hostile}/logs", timeout=30)
    assert response.status_code == 200
    logs = response.json()
    assert logs["lines"] == EXPECTED
    assert logs["truncated"] is False
    assert logs["size_bytes"] == sum(len(line.encode()) for line in EXPECTED)


def test_soap_logs_escaped(server: Server, hostile: str) -> None:
    root = soap_logs(server, hostile)
    lines = [element.text or "" for element in root.iter(f"{{{SOAP_NS}}}lines")]
    assert lines == EXPECTED


def test_zeep_logs_match_rest(
    server: Server, soap: zeep.proxy.ServiceProxy, hostile: str
) -> None:
    rest = requests.get(f"{server.api}/containers/{hostile}/logs", timeout=30).json()
    logs = soap.GetContainerLogs(container=hostile, timestamps=False)
    assert logs.lines == rest["lines"]
    assert logs.sizeBytes == rest["size_bytes"]


def test_logs_tail_and_stream(server: Server, containers: Containers) -> None:
    name = containers.name("tail")
    # stderr first, with a pause: the engine orders the two streams by arrival.
    script = "echo err >&2; sleep 1; echo one; echo two; echo three"
    body = create_body(name, "sh", "-c", script, start=True)
    assert requests.post(f"{server.api}/containers", json=body, timeout=30).ok
    wait_for_exit(server, name)

    def lines(**params: str) -> list[str]:
        response = requests.get(
            f"{server.api}/containers/{name}/logs", params=params, timeout=30
        )
        assert response.status_code == 200, response.text
        result: list[str] = response.json()["lines"]
        return result

    assert lines(stream="stdout") == ["one", "two", "three"]
    assert lines(stream="stderr") == ["err"]
    assert lines(tail="2") == ["two", "three"]
    assert lines(stream="stdout", tail="2") == ["two", "three"]
    assert lines(tail="4") == ["err", "one", "two", "three"]
    assert lines(tail="0") == []
    stamped = lines(stream="stdout", timestamps="true")
    assert stamped[0].endswith(" one")
    assert stamped[0][:4].isdigit()
    assert lines(since="2999-01-01T00:00:00Z") == []


def test_huge_line_truncated(server: Server, containers: Containers) -> None:
    name = containers.name("huge")
    script = "busybox head -c 3000000 /dev/zero | busybox tr '\\000' a"
    body = create_body(name, "sh", "-c", script, start=True)
    assert requests.post(f"{server.api}/containers", json=body, timeout=30).ok
    wait_for_exit(server, name)

    response = requests.get(f"{server.api}/containers/{name}/logs", timeout=60)
    logs = response.json()
    assert response.status_code == 200
    assert logs["truncated"] is True
    assert 0 < logs["size_bytes"] <= 1024 * 1024
    assert set("".join(logs["lines"])) == {"a"}

    root = soap_logs(server, name)
    assert root.findtext(f".//{{{SOAP_NS}}}truncated") == "true"


def test_running_silent_returns(server: Server, containers: Containers) -> None:
    name = containers.name("silent")
    body = create_body(name, "sleep", "300", start=True)
    assert requests.post(f"{server.api}/containers", json=body, timeout=30).ok
    started = time.monotonic()
    response = requests.get(f"{server.api}/containers/{name}/logs", timeout=30)
    assert time.monotonic() - started < 5
    assert response.json()["lines"] == []
