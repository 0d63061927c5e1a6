"""Containers the benchmark needs, made and removed over the engine's socket.

Every container carries the run's label, network mode ``none`` and no
published port, and is removed when the run ends. Containers of an earlier
run whose process is gone are removed at start.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import quote

from bench.protocols import ContainerSpec, Direct
from bench.wire import Endpoint, HttpClient, Request, expect

RUN_LABEL = "gateway-bench.run"
PID_LABEL = "gateway-bench.pid"
LIST_LABEL = "gateway-bench.list"
SLEEP = ("sleep", "3600")
#: A process that ignores SIGTERM, so a stop waits out its whole timeout.
IGNORES_TERM = ("sh", "-c", "trap '' TERM; while true; do sleep 1; done")
T = TypeVar("T")


def engine_socket() -> str:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        raise SystemExit(
            f"DOCKER_HOST={host}: the benchmark needs the engine's Unix socket"
        )
    return host[len("unix://") :]


class Engine:
    """The engine API over its Unix socket, for set-up and clean-up."""

    def __init__(self, socket_path: str, image: str) -> None:
        self.socket_path = socket_path
        self.endpoint = Endpoint(unix_path=socket_path)
        self.image = image
        self.run_id = uuid.uuid4().hex[:8]
        self._local = threading.local()
        self.version: dict[str, Any] = self.get("/version")
        self.api_version = str(self.version["ApiVersion"])
        self.direct = Direct(self.endpoint, self.endpoint, self.api_version)
        self.get(f"/images/{quote(image, safe='')}/json")
        self._serial = 0
        self._serial_lock = threading.Lock()
        #: Labels the gateway puts on the containers it creates; fixtures
        #: made here carry them too, so that the gateway serves them.
        self.managed: dict[str, str] = {}

    @property
    def client(self) -> HttpClient:
        client: HttpClient | None = getattr(self._local, "client", None)
        if client is None:
            client = HttpClient(self.endpoint)
            self._local.client = client
        return client

    def get(self, target: str) -> Any:
        reply = expect(
            self.client.call(Request("GET", target)), 200, description=target
        )
        return json.loads(reply.body)

    def labels(self, **extra: str) -> dict[str, str]:
        return {RUN_LABEL: self.run_id, PID_LABEL: str(os.getpid()), **extra}

    def name(self, hint: str) -> str:
        with self._serial_lock:
            self._serial += 1
            return f"cgbench-{self.run_id}-{hint}-{self._serial}"

    def spec(
        self,
        hint: str,
        command: tuple[str, ...] = SLEEP,
        labels: dict[str, str] | None = None,
    ) -> ContainerSpec:
        all_labels = self.labels(**(labels or {}))
        return ContainerSpec(self.image, self.name(hint), command, all_labels)

    def create(self, spec: ContainerSpec, start: bool = False) -> str:
        spec = replace(spec, labels={**spec.labels, **self.managed})
        reply = self.client.call(self.direct.create(spec))
        container_id = self.direct.created_id(expect(reply, 201, description="create"))
        if start:
            self.start(container_id)
        return container_id

    def start(self, container_id: str) -> None:
        reply = self.client.call(self.direct.start(container_id))
        # 304: the container was running already.
        expect(reply, 204, 304, description="start")

    def create_many(
        self, specs: list[ContainerSpec], concurrency: int = 8
    ) -> list[str]:
        return parallel(self.create, specs, concurrency)

    def inspect(self, container_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(self.direct.inspect(container_id).target)
        return result

    def ids(self, label: str) -> list[str]:
        reply = self.client.call(self.direct.list(label))
        return [
            item["Id"]
            for item in json.loads(expect(reply, 200, description="list").body)
        ]

    def remove(self, container_id: str) -> None:
        target = f"{self.direct.prefix}/containers/{container_id}?force=1&v=1"
        reply = self.client.call(Request("DELETE", target))
        expect(reply, 204, 404, description=f"remove {container_id[:12]}")

    def remove_labelled(self, label: str, concurrency: int = 8) -> int:
        ids = self.ids(label)
        parallel(self.remove, ids, concurrency)
        return len(ids)

    def remove_run(self) -> int:
        return self.remove_labelled(f"{RUN_LABEL}={self.run_id}")

    def sweep_stale(self) -> int:
        """Remove containers of earlier runs whose benchmark process is gone."""
        stale = []
        for item in json.loads(self.client.call(self.direct.list(RUN_LABEL)).body):
            labels = item.get("Labels") or {}
            owner = labels.get(PID_LABEL, "")
            if not owner.isdigit() or not _alive(int(owner)):
                stale.append(item["Id"])
        parallel(self.remove, stale, 8)
        return len(stale)

    def wait_state(self, container_id: str, state: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.inspect(container_id)["State"]["Status"] == state:
                return True
            time.sleep(0.1)
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def parallel(
    function: Callable[[Any], T], items: Iterable[Any], concurrency: int
) -> list[T]:
    """Map *function* over *items* with at most *concurrency* threads."""
    items = list(items)
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
        return list(pool.map(function, items))
