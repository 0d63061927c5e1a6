"""The engine implementation over the Docker SDK's low-level API client.

Only the low-level :class:`docker.APIClient` is used: its ``containers()`` is
one ``GET /containers/json`` call, whereas the high-level ``list()`` inspects
every container one by one.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import docker

from gateway import errors
from gateway.config import Settings
from gateway.docker_errors import engine_errors
from gateway.logtext import split_lines
from gateway.models import (
    REFERENCE_PATTERN,
    ActionResult,
    Container,
    ContainerLimits,
    CreateRequest,
    KillRequest,
    ListQuery,
    Logs,
    LogsQuery,
    RemoveRequest,
    RemoveResult,
    StopRequest,
    check_reference,
)
from gateway.requestlog import request_id

logger = logging.getLogger(__name__)

# Network modes the engine knows without a network object of that name.
BUILTIN_NETWORKS = frozenset({"none", "host", "bridge", "default"})
ACTIVE_STATES = frozenset({"running", "paused", "restarting"})
_NANOS = re.compile(r"(\.\d{6})\d+")
_ZERO_TIME = "0001-01-01T00:00:00Z"


def _parse_time(value: str | int | None) -> datetime | None:
    """Parse an engine timestamp: RFC 3339 with nanoseconds, or Unix seconds."""
    if value is None or value == "" or value == _ZERO_TIME:
        return None
    if isinstance(value, int):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    text = _NANOS.sub(r"\1", value).replace("Z", "+00:00")
    return datetime.fromisoformat(text)


def _status_text(state: dict[str, Any]) -> str:
    """Describe the state in words, the way ``docker ps`` does."""
    status = state.get("Status", "")
    started = state.get("StartedAt", _ZERO_TIME)
    finished = state.get("FinishedAt", _ZERO_TIME)
    if status == "running":
        return f"Up since {started}"
    if status == "paused":
        return f"Up since {started} (Paused)"
    if status == "restarting":
        return f"Restarting ({state.get('ExitCode', 0)})"
    if status == "exited":
        return f"Exited ({state.get('ExitCode', 0)}) at {finished}"
    return str(status).capitalize()


def container_from_inspect(info: dict[str, Any]) -> Container:
    """Build the container model from ``GET /containers/{id}/json``."""
    state = info.get("State") or {}
    config = info.get("Config") or {}
    host = info.get("HostConfig") or {}
    container_id = info["Id"]
    command = " ".join([info.get("Path") or "", *(info.get("Args") or [])]).strip()
    nano_cpus = host.get("NanoCpus") or 0
    pids = host.get("PidsLimit") or 0
    return Container(
        container_id=container_id,
        short_id=container_id[:12],
        name=(info.get("Name") or "").lstrip("/"),
        image=config.get("Image") or info.get("Image", ""),
        command=command,
        state=state.get("Status", "unknown"),
        status=_status_text(state),
        created_at=_parse_time(info.get("Created")),
        started_at=_parse_time(state.get("StartedAt")),
        finished_at=_parse_time(state.get("FinishedAt")),
        exit_code=state.get("ExitCode"),
        labels=config.get("Labels") or {},
        limits=ContainerLimits(
            memory=host.get("Memory") or None,
            cpus=nano_cpus / 1e9 if nano_cpus else None,
            pids=pids if pids > 0 else None,
        ),
    )


def container_from_summary(summary: dict[str, Any]) -> Container:
    """Build the container model from one entry of ``GET /containers/json``."""
    container_id = summary["Id"]
    names = summary.get("Names") or [""]
    return Container(
        container_id=container_id,
        short_id=container_id[:12],
        name=names[0].lstrip("/"),
        image=summary.get("Image", ""),
        command=summary.get("Command", ""),
        state=summary.get("State", "unknown"),
        status=summary.get("Status", ""),
        created_at=_parse_time(summary.get("Created")),
        labels=summary.get("Labels") or {},
    )


class DockerEngine:
    """Container operations against a Docker (or Podman) Engine API.

    The SDK client is created on first use, so the gateway starts and serves
    its health endpoint and WSDL while no engine is reachable, and recovers
    once one appears.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: docker.APIClient | None = None
        self._client_lock = threading.Lock()

    @property
    def api(self) -> docker.APIClient:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self._connect()
        return self._client

    def _connect(self) -> docker.APIClient:
        # The SDK asks the engine for its API version while it is built, so
        # any failure here means that no engine could be reached.
        try:
            with engine_errors("connect"):
                client: docker.APIClient = docker.from_env(
                    timeout=self._settings.engine_timeout,
                    max_pool_size=self._settings.threads,
                ).api
        except errors.EngineError as exc:
            raise errors.EngineUnavailable(
                "container engine is not reachable; check that dockerd is running "
                "and DOCKER_HOST points at it"
            ) from exc
        return client

    @contextmanager
    def _operation(self, operation: str, ref: str | None) -> Iterator[dict[str, Any]]:
        """Log one INFO line per operation with the container id and outcome."""
        # A reference that fails validation is not logged: it may be huge or
        # hold line breaks that would forge log lines.
        shown = ref if ref and REFERENCE_PATTERN.match(ref) else "-"
        record: dict[str, Any] = {"container_id": shown, "detail": ""}
        try:
            with engine_errors(operation):
                yield record
        except errors.GatewayError as exc:
            logger.info(
                "operation=%s container=%s outcome=%s request_id=%s",
                operation,
                record["container_id"],
                exc.code,
                request_id(),
            )
            raise
        logger.info(
            "operation=%s container=%s outcome=ok%s request_id=%s",
            operation,
            record["container_id"],
            record["detail"],
            request_id(),
        )

    def _lookup(self, ref: str, record: dict[str, Any]) -> dict[str, Any]:
        """Inspect the container that *ref* names, and note its id in *record*."""
        try:
            check_reference(ref)
        except ValueError as exc:
            raise errors.InvalidRequest(str(exc), field="container") from None
        try:
            with engine_errors("lookup"):
                info: dict[str, Any] = self.api.inspect_container(ref)
        except (errors.EngineError, errors.InvalidRequest) as exc:
            # Engines disagree on the status for an id prefix that matches
            # several containers (Docker 20.10 answers 500, later ones 400),
            # so the list of matching ids decides.
            if self._matching_ids(ref) > 1:
                raise errors.AmbiguousReference(
                    f"{ref!r} is a prefix of more than one container id; "
                    "use a longer prefix, the full id or the name",
                    field="container",
                ) from exc
            raise
        record["container_id"] = info["Id"]
        return info

    def _matching_ids(self, prefix: str) -> int:
        # The engine's "id" filter resolves a prefix the same way inspect
        # does, so the ids are compared here. This runs on failed lookups only.
        with engine_errors("lookup"):
            summaries = self.api.containers(all=True, quiet=True)
        return sum(1 for summary in summaries if summary["Id"].startswith(prefix))

    def _check_timeout(self, timeout: int | None) -> int:
        if timeout is None:
            return self._settings.default_stop_timeout
        if timeout > self._settings.max_stop_timeout:
            raise errors.InvalidRequest(
                f"timeout {timeout} exceeds the maximum of "
                f"{self._settings.max_stop_timeout} seconds",
                field="timeout",
            )
        return timeout

    def _result(self, container_id: str, changed: bool) -> ActionResult:
        info = self.api.inspect_container(container_id)
        return ActionResult(changed=changed, container=container_from_inspect(info))

    def ping(self) -> None:
        with engine_errors("ping"):
            self.api.ping()

    def create(self, request: CreateRequest) -> Container:
        with self._operation("create", request.name) as record:
            if request.network and request.network not in BUILTIN_NETWORKS:
                self._check_network(request.network)
            host_config = self.api.create_host_config(
                mem_limit=request.limits.memory,
                nano_cpus=_nano_cpus(request.limits.cpus),
                pids_limit=request.limits.pids,
                restart_policy={
                    "Name": request.restart_policy.name,
                    "MaximumRetryCount": request.restart_policy.maximum_retry_count,
                },
                network_mode=request.network,
            )
            reply = self.api.create_container(
                request.image,
                command=request.command,
                name=request.name,
                environment=request.env or None,
                labels=request.labels or None,
                working_dir=request.working_dir,
                host_config=host_config,
                detach=True,
            )
            container_id = reply["Id"]
            record["container_id"] = container_id
            for warning in reply.get("Warnings") or []:
                logger.warning("engine warning on create %s: %s", container_id, warning)
            if request.start:
                self._start_or_discard(container_id)
                record["detail"] = " started=true"
            return container_from_inspect(self.api.inspect_container(container_id))

    def _check_network(self, network: str) -> None:
        try:
            self.api.inspect_network(network)
        except docker.errors.NotFound:
            raise errors.InvalidRequest(
                f"network {network!r} does not exist on the engine", field="network"
            ) from None

    def _start_or_discard(self, container_id: str) -> None:
        # A create that was asked to start and could not must not leave a
        # half-made container behind, so the container is removed again.
        try:
            with engine_errors("start"):
                self.api.start(container_id)
        except errors.GatewayError:
            try:
                self.api.remove_container(container_id, force=True, v=True)
            except Exception:
                logger.exception(
                    "could not remove %s after its start failed", container_id
                )
            raise

    def start(self, ref: str) -> ActionResult:
        with self._operation("start", ref) as record:
            info = self._lookup(ref, record)
            changed = info["State"]["Status"] != "running"
            if changed:
                self.api.start(info["Id"])
            record["detail"] = f" changed={str(changed).lower()}"
            return self._result(info["Id"], changed)

    def stop(self, ref: str, request: StopRequest) -> ActionResult:
        timeout = self._check_timeout(request.timeout)
        with self._operation("stop", ref) as record:
            info = self._lookup(ref, record)
            changed = info["State"]["Status"] in ACTIVE_STATES
            if changed:
                self.api.stop(info["Id"], timeout=timeout)
            record["detail"] = f" changed={str(changed).lower()}"
            return self._result(info["Id"], changed)

    def restart(self, ref: str, request: StopRequest) -> ActionResult:
        timeout = self._check_timeout(request.timeout)
        with self._operation("restart", ref) as record:
            info = self._lookup(ref, record)
            self.api.restart(info["Id"], timeout=timeout)
            return self._result(info["Id"], True)

    def kill(self, ref: str, request: KillRequest) -> ActionResult:
        with self._operation("kill", ref) as record:
            info = self._lookup(ref, record)
            self.api.kill(info["Id"], signal=request.signal)
            record["detail"] = f" signal={request.signal}"
            return self._result(info["Id"], True)

    def pause(self, ref: str) -> ActionResult:
        with self._operation("pause", ref) as record:
            info = self._lookup(ref, record)
            changed = info["State"]["Status"] != "paused"
            if changed:
                self.api.pause(info["Id"])
            record["detail"] = f" changed={str(changed).lower()}"
            return self._result(info["Id"], changed)

    def unpause(self, ref: str) -> ActionResult:
        with self._operation("unpause", ref) as record:
            info = self._lookup(ref, record)
            # Unpausing a running container changes nothing; any other state
            # is left to the engine, which rejects it as a conflict.
            changed = info["State"]["Status"] != "running"
            if changed:
                self.api.unpause(info["Id"])
            record["detail"] = f" changed={str(changed).lower()}"
            return self._result(info["Id"], changed)

    def inspect(self, ref: str) -> Container:
        with self._operation("inspect", ref) as record:
            info = self._lookup(ref, record)
            return container_from_inspect(info)

    def list(self, query: ListQuery) -> list[Container]:
        filters: dict[str, Any] = {}
        if query.state:
            filters["status"] = query.state
        if query.label:
            filters["label"] = list(query.label)
        if query.name:
            filters["name"] = query.name
        include_stopped = query.all or query.state not in (None, "running")
        with self._operation("list", None) as record:
            summaries = self.api.containers(all=include_stopped, filters=filters)
            record["detail"] = f" count={len(summaries)}"
            return [container_from_summary(summary) for summary in summaries]

    def logs(self, ref: str, query: LogsQuery) -> Logs:
        since = None
        if query.since is not None:
            since_time = query.since
            if since_time.tzinfo is None:
                since_time = since_time.replace(tzinfo=timezone.utc)
            since = max(int(since_time.timestamp()), 1)
        with self._operation("logs", ref) as record:
            info = self._lookup(ref, record)
            stream = self.api.logs(
                info["Id"],
                stdout=query.stream in ("stdout", "both"),
                stderr=query.stream in ("stderr", "both"),
                stream=True,
                follow=False,
                timestamps=query.timestamps,
                tail=query.tail,
                since=since,
            )
            try:
                lines, truncated, size = split_lines(
                    stream, self._settings.max_log_bytes
                )
            finally:
                stream.close()
            record["detail"] = f" lines={len(lines)} truncated={str(truncated).lower()}"
            return Logs(
                container_id=info["Id"],
                lines=lines,
                truncated=truncated,
                size_bytes=size,
            )

    def remove(self, ref: str, request: RemoveRequest) -> RemoveResult:
        with self._operation("remove", ref) as record:
            info = self._lookup(ref, record)
            self.api.remove_container(
                info["Id"], force=request.force, v=request.volumes
            )
            return RemoveResult(container_id=info["Id"])


def _nano_cpus(cpus: float | None) -> int | None:
    return None if cpus is None else round(cpus * 1e9)
