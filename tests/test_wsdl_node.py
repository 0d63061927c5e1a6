"""The WSDL read by a second, independent consumer: node-soap on Node.js.

zeep is one WSDL reader, and a WSDL that only zeep understands is not a
contract. tests/wsdl-node pins the npm package ``soap`` in its
package-lock.json, and ``npm ci`` installs it there when node_modules is
missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from typing import Any

import pytest

from gateway.operations import BY_SOAP_NAME
from tests.conftest import DEMO_IMAGE, REPO, Containers, Server

NODE_DIR = REPO / "tests" / "wsdl-node"
COMMITTED = REPO / "wsdl" / "container_gateway.wsdl"


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("node is not installed: the second WSDL consumer needs Node.js")
    if not (NODE_DIR / "node_modules" / "soap").is_dir():
        npm = shutil.which("npm")
        assert npm is not None, "node is installed but npm is not"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=NODE_DIR,
            check=True,
            timeout=600,
            capture_output=True,
        )
    return path


def check(node: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, "check-wsdl.js", *args],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def operations(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    described: dict[str, Any] = json.loads(result.stdout)
    return described


@pytest.fixture(scope="module")
def committed(node: str) -> subprocess.CompletedProcess[str]:
    return check(node, str(COMMITTED))


@pytest.fixture(scope="module")
def served(node: str, server: Server) -> subprocess.CompletedProcess[str]:
    reference = f"cgtest-node-absent-{uuid.uuid4().hex[:8]}"
    return check(node, server.soap + "?wsdl", server.soap, reference)


def test_committed_operations(committed: subprocess.CompletedProcess[str]) -> None:
    services = operations(committed)["services"]
    assert services == {"ContainerService": {"ContainerGateway": sorted(BY_SOAP_NAME)}}


def test_committed_no_warnings(committed: subprocess.CompletedProcess[str]) -> None:
    assert committed.stderr == ""


def test_served_operations(served: subprocess.CompletedProcess[str]) -> None:
    services = operations(served)["services"]
    assert services == {"ContainerService": {"ContainerGateway": sorted(BY_SOAP_NAME)}}


def test_served_no_warnings(served: subprocess.CompletedProcess[str]) -> None:
    assert served.stderr == ""


def test_inspect_fault(served: subprocess.CompletedProcess[str]) -> None:
    fault = operations(served)["call"]["fault"]
    assert fault == {
        "status": 500,
        "faultcode": "soap11env:Client.ContainerNotFound",
        "code": "container_not_found",
    }


def test_node_soap_lifecycle(node: str, server: Server, containers: Containers) -> None:
    name = containers.name("node")
    result = subprocess.run(
        [
            node,
            "lifecycle.js",
            server.soap + "?wsdl",
            server.soap,
            name,
            DEMO_IMAGE,
        ],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr

    steps = json.loads(result.stdout)
    assert steps["create"] == "created"
    assert steps["start"] == "running"
    assert steps["inspect"] == name
    assert steps["pause"] == "paused"
    assert steps["unpause"] == "running"
    assert steps["list"] == [name]
    assert steps["logs"] == ["from-node"]
    assert steps["restart"] == "running"
    assert steps["kill"] == "exited"
    assert steps["stop"] is False
    assert steps["remove"] is True
    assert steps["fault"]["status"] == 500
    assert steps["fault"]["faultcode"].endswith("Client.ContainerNotFound")
    assert steps["fault"]["code"] == "container_not_found"
