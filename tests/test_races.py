"""Concurrent requests on one container: no server errors, nothing half-made."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import docker
import pytest
import requests
import zeep

from tests.conftest import DEMO_IMAGE, Containers, Server, create_body

CLIENTS = 8


def test_rest_create_same_name(
    server: Server, containers: Containers, docker_api: docker.APIClient
) -> None:
    name = containers.name("race")

    def create(_: int) -> int:
        response = requests.post(
            f"{server.api}/containers", json=create_body(name), timeout=60
        )
        if response.status_code == 409:
            assert response.json()["code"] == "name_conflict"
        return response.status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = Counter(pool.map(create, range(CLIENTS)))
    assert statuses == {201: 1, 409: CLIENTS - 1}
    assert len(docker_api.containers(all=True, filters={"name": f"^/{name}$"})) == 1


def test_soap_create_same_name(
    server: Server,
    soap: zeep.proxy.ServiceProxy,
    containers: Containers,
    docker_api: docker.APIClient,
) -> None:
    name = containers.name("race")

    def create(_: int) -> str:
        try:
            soap.CreateContainer(image=DEMO_IMAGE, name=name, network="none")
        except zeep.exceptions.Fault as fault:
            return str(fault.code).split(":")[-1]
        return "created"

    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = Counter(pool.map(create, range(CLIENTS)))
    assert outcomes == {"created": 1, "Client.NameConflict": CLIENTS - 1}
    assert len(docker_api.containers(all=True, filters={"name": f"^/{name}$"})) == 1


def test_concurrent_force_remove(server: Server, containers: Containers) -> None:
    name = containers.name("remove")
    body = create_body(name, start=True)
    assert requests.post(f"{server.api}/containers", json=body, timeout=30).ok

    def remove(_: int) -> tuple[int, str]:
        response = requests.delete(
            f"{server.api}/containers/{name}", params={"force": "true"}, timeout=60
        )
        code = "" if response.status_code == 204 else response.json()["code"]
        return response.status_code, code

    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(remove, range(CLIENTS)))
    statuses = Counter(status for status, _ in outcomes)
    assert statuses[204] == 1
    assert set(statuses) <= {204, 404, 409}, outcomes
    codes = {code for _, code in outcomes if code}
    assert codes <= {"container_not_found", "invalid_state"}


def test_list_during_churn(server: Server, containers: Containers) -> None:
    stop = threading.Event()
    label = containers.name("churn")
    failures: list[str] = []

    def churn() -> None:
        while not stop.is_set():
            name = containers.name("churn")
            body = {**create_body(name, start=True), "labels": {"churn": label}}
            requests.post(f"{server.api}/containers", json=body, timeout=30)
            requests.delete(
                f"{server.api}/containers/{name}",
                params={"force": "true"},
                timeout=30,
            )

    workers = [threading.Thread(target=churn) for _ in range(3)]
    for worker in workers:
        worker.start()
    lists = 0
    deadline = time.monotonic() + 5
    try:
        while time.monotonic() < deadline:
            response = requests.get(
                f"{server.api}/containers", params={"all": "true"}, timeout=30
            )
            lists += 1
            if response.status_code != 200:
                failures.append(response.text)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    assert failures == []
    assert lists > 10


@pytest.mark.parametrize("operation", ["inspect", "logs"])
def test_read_removed_container(
    server: Server, containers: Containers, operation: str
) -> None:
    name = containers.name("gone")
    assert requests.post(
        f"{server.api}/containers", json=create_body(name), timeout=30
    ).ok
    assert requests.delete(f"{server.api}/containers/{name}", timeout=30).ok
    path = f"/containers/{name}" + ("/logs" if operation == "logs" else "")
    response = requests.get(server.api + path, timeout=30)
    assert response.status_code == 404
    assert response.json()["code"] == "container_not_found"
