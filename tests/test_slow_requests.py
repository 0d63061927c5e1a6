"""A slow stop occupies one thread only, and SIGTERM lets requests finish."""

from __future__ import annotations

import signal
import statistics
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import Containers, Server, create_body, start_server, stop_server

# busybox sh as PID 1 ignores SIGTERM once trapped, so only SIGKILL ends it.
STUBBORN = ("sh", "-c", "trap '' TERM; while true; do sleep 1; done")


def create_stubborn(server: Server, name: str) -> None:
    body = create_body(name, *STUBBORN, start=True)
    response = requests.post(f"{server.api}/containers", json=body, timeout=30)
    assert response.status_code == 201, response.text


def test_slow_stop_keeps_serving(server: Server, containers: Containers) -> None:
    name = containers.name("stubborn")
    other = containers.name("other")
    create_stubborn(server, name)
    assert requests.post(
        f"{server.api}/containers", json=create_body(other), timeout=30
    ).ok

    result: dict[str, object] = {}

    def slow_stop() -> None:
        started = time.monotonic()
        response = requests.post(
            f"{server.api}/containers/{name}/stop", json={"timeout": 6}, timeout=120
        )
        result["status"] = response.status_code
        result["seconds"] = time.monotonic() - started
        result["state"] = response.json()["container"]["state"]

    stopper = threading.Thread(target=slow_stop)
    stopper.start()
    time.sleep(0.5)
    latencies = []
    while stopper.is_alive():
        started = time.monotonic()
        response = requests.get(f"{server.api}/containers/{other}", timeout=30)
        latencies.append(time.monotonic() - started)
        assert response.status_code == 200
        time.sleep(0.1)
    stopper.join()

    assert result["status"] == 200
    assert result["state"] == "exited"
    assert isinstance(result["seconds"], float)
    assert result["seconds"] >= 5
    assert len(latencies) > 10
    # Inspects kept succeeding while the stop waited out its timeout.
    assert statistics.median(latencies) < 1


def test_sigterm_finishes_in_flight(
    tmp_path: Path, containers: Containers, server: Server
) -> None:
    name = containers.name("term")
    create_stubborn(server, name)
    own = start_server(tmp_path)
    result: dict[str, int] = {}

    def slow_stop() -> None:
        response = requests.post(
            f"{own.api}/containers/{name}/stop", json={"timeout": 3}, timeout=60
        )
        result["status"] = response.status_code

    stopper = threading.Thread(target=slow_stop)
    try:
        stopper.start()
        time.sleep(1)
        own.process.send_signal(signal.SIGTERM)
        stopper.join(timeout=60)
        exit_code = own.process.wait(timeout=60)
    finally:
        stop_server(own)
    assert result.get("status") == 200
    assert exit_code == 0


@pytest.mark.parametrize("timeout", [301, 10**9])
def test_stop_timeout_rejected_fast(
    server: Server, containers: Containers, timeout: int
) -> None:
    name = containers.name("limit")
    create_stubborn(server, name)
    started = time.monotonic()
    response = requests.post(
        f"{server.api}/containers/{name}/stop", json={"timeout": timeout}, timeout=30
    )
    assert time.monotonic() - started < 2
    assert response.status_code == 400
    assert response.json()["field"] == "timeout"
    state = requests.get(f"{server.api}/containers/{name}", timeout=30).json()
    assert state["state"] == "running"
