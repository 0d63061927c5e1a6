"""The engine implementation over the Docker SDK's low-level API client.

Only the low-level :class:`docker.APIClient` is used: its ``containers()`` is
one ``GET /containers/json`` call, whereas the high-level ``list()`` inspects
every container one by one.
"""

from __future__ import annotations

import logging
import re
import shlex
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import docker
from docker.utils import convert_filters

from gateway import errors
from gateway.access import current_principal, current_protocol
from gateway.audit import AuditLog
from gateway.auth import READ_OPERATIONS
from gateway.config import Settings
from gateway.docker_errors import engine_errors
from gateway.engine_transport import EngineTransport, container_path
from gateway.logtext import split_lines
from gateway.models import (
    REFERENCE_PATTERN,
    RESERVED_LABEL_PREFIX,
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
from gateway.policy import CreatePolicy
from gateway.requestlog import request_id

logger = logging.getLogger(__name__)

#: Labels on every container the gateway creates.
INSTANCE_LABEL = RESERVED_LABEL_PREFIX + "instance"
OWNER_LABEL = RESERVED_LABEL_PREFIX + "owner"
# Network modes that need no network object of that name on the engine.
BUILTIN_NETWORKS = frozenset({"none", "host", "bridge", "default"})
NOT_MODIFIED = 304
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
    # Quoted like the engine's list call quotes it, so that inspect and list
    # show the same text for one container.
    command = shlex.join([info.get("Path") or "", *(info.get("Args") or [])])
    command = command.removeprefix("'' ")
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

    def __init__(
        self,
        settings: Settings,
        policy: CreatePolicy | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self._settings = settings
        self._policy = policy or CreatePolicy()
        self._audit = audit
        self._client: docker.APIClient | None = None
        self._transport: EngineTransport | None = None
        self._client_lock = threading.Lock()
        #: Label filter that selects this gateway's containers, or None when
        #: the operator lets every container on the engine be seen.
        self._managed: str | None = None
        if not settings.show_unmanaged:
            self._managed = f"{INSTANCE_LABEL}={settings.instance}"

    @property
    def api(self) -> docker.APIClient:
        """The SDK client, for the calls that :attr:`http` does not make."""
        self._ensure_client()
        assert self._client is not None
        return self._client

    @property
    def http(self) -> EngineTransport:
        """Plain calls over the SDK client's connections, for the frequent ones."""
        self._ensure_client()
        assert self._transport is not None
        return self._transport

    def _ensure_client(self) -> None:
        if self._transport is None:
            with self._client_lock:
                if self._transport is None:
                    client = self._connect()
                    self._client = client
                    self._transport = EngineTransport(
                        client, self._settings.engine_timeout
                    )

    def _connect(self) -> docker.APIClient:
        # The SDK requests the engine's API version while it is built, so any
        # failure here means that no engine could be reached.
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
        # requests reads proxy and certificate settings from the environment
        # on every call otherwise, a measurable share of each inspect. The
        # engine is a local socket or a DOCKER_HOST that the SDK configures.
        # NOTE: an engine reached over TCP through an HTTP proxy set only in
        # the environment is no longer proxied.
        client.trust_env = False
        return client

    @contextmanager
    def _operation(self, operation: str, ref: str | None) -> Iterator[dict[str, Any]]:
        """Log one INFO line per operation with the container id and outcome."""
        # A reference that fails validation is not logged: it may be huge or
        # hold line breaks that would forge log lines.
        shown = ref if ref and REFERENCE_PATTERN.match(ref) else "-"
        record: dict[str, Any] = {"container_id": shown, "detail": ""}
        principal = current_principal()
        audited = self._audit is not None and operation not in READ_OPERATIONS
        if audited:
            self._audit_record("begin", operation, shown, "-")
        try:
            with engine_errors(operation):
                yield record
        except errors.GatewayError as exc:
            if audited:
                self._audit_record("end", operation, record["container_id"], exc.code)
            logger.info(
                "operation=%s container=%s outcome=%s request_id=%s",
                operation,
                record["container_id"],
                exc.code,
                request_id(),
            )
            raise
        if audited:
            self._audit_record("end", operation, record["container_id"], "ok")
        logger.info(
            "operation=%s container=%s outcome=ok%s owner=%s request_id=%s",
            operation,
            record["container_id"],
            record["detail"],
            principal.owner,
            request_id(),
        )

    def _audit_record(
        self, phase: str, operation: str, container_id: str, outcome: str
    ) -> None:
        assert self._audit is not None
        self._audit.record(
            phase=phase,
            owner=current_principal().owner,
            protocol=current_protocol(),
            operation=operation,
            container=container_id,
            outcome=outcome,
            request_id=request_id(),
        )

    def _lookup(self, ref: str, record: dict[str, Any]) -> dict[str, Any]:
        """Inspect the container that *ref* names, and note its id in *record*."""
        try:
            check_reference(ref)
        except ValueError as exc:
            raise errors.InvalidRequest(str(exc), field="container") from None
        try:
            with engine_errors("lookup"):
                info: dict[str, Any] = self._inspect(ref)
        except (errors.EngineError, errors.InvalidRequest) as exc:
            # Engines disagree on the status for an id prefix that matches
            # several containers (Docker 20.10 returns 500, later ones 400),
            # so the list of matching ids decides. Only this gateway's
            # containers count: a prefix shared with another container on
            # the host still names the one container this gateway has.
            matches = self._matching_ids(ref)
            if len(matches) > 1:
                raise errors.AmbiguousReference(
                    f"{ref!r} is a prefix of more than one container id; "
                    "use a longer prefix, the full id or the name",
                    field="container",
                ) from exc
            if not matches:
                raise
            with engine_errors("lookup"):
                info = self._inspect(matches[0])
        if not self._is_managed(info):
            # Other containers on the host, the gateway's own included, are
            # reported exactly like containers that do not exist.
            raise errors.ContainerNotFound(f"No such container: {ref}")
        record["container_id"] = info["Id"]
        return info

    def _resolve(self, ref: str, record: dict[str, Any]) -> str:
        """Return the full id of the gateway's container that *ref* names.

        Every action looks the container up first, even by a full id that was
        seen before. The engine takes a 64-hex reference that matches no id
        as a name, so an id whose container is gone could name another
        instance's container.
        """
        container_id: str = self._lookup(ref, record)["Id"]
        return container_id

    def _inspect(self, ref: str) -> dict[str, Any]:
        info: dict[str, Any] = self.http.get_json(container_path(ref, "json"))
        return info

    def _summaries(self, filters: dict[str, Any], all: bool) -> list[dict[str, Any]]:
        params: dict[str, str | int | bool] = {"all": all}
        if filters:
            params["filters"] = convert_filters(filters)
        summaries: list[dict[str, Any]] = self.http.get_json("/containers/json", params)
        return summaries

    def _is_managed(self, info: dict[str, Any]) -> bool:
        if self._managed is None:
            return True
        labels = (info.get("Config") or {}).get("Labels") or {}
        return bool(labels.get(INSTANCE_LABEL) == self._settings.instance)

    def _matching_ids(self, prefix: str) -> list[str]:
        # The engine's "id" filter resolves a prefix the same way inspect
        # does, so the ids are compared here. This runs on failed lookups only.
        filters = {"label": [self._managed]} if self._managed else {}
        with engine_errors("lookup"):
            summaries = self._summaries(filters, all=True)
        return [s["Id"] for s in summaries if s["Id"].startswith(prefix)]

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
        info = self._inspect(container_id)
        return ActionResult(changed=changed, container=container_from_inspect(info))

    def ping(self) -> None:
        with engine_errors("ping"):
            self.api.ping()

    def create(self, request: CreateRequest) -> Container:
        with self._operation("create", request.name) as record:
            request = self._policy.apply(request)
            if request.network and request.network not in BUILTIN_NETWORKS:
                self._check_network(request.network)
            labels = {
                **request.labels,
                INSTANCE_LABEL: self._settings.instance,
                OWNER_LABEL: current_principal().owner,
            }
            reply = self.api.create_container(
                request.image,
                command=request.command,
                name=request.name,
                environment=request.env or None,
                labels=labels,
                working_dir=request.working_dir,
                ports=[(p.container_port, p.protocol) for p in request.ports] or None,
                host_config=self._host_config(request),
                detach=True,
            )
            container_id = reply["Id"]
            record["container_id"] = container_id
            for warning in reply.get("Warnings") or []:
                logger.warning("engine warning on create %s: %s", container_id, warning)
            if request.start:
                self._start_or_discard(container_id)
                record["detail"] = " started=true"
            return container_from_inspect(self._inspect(container_id))

    def _host_config(self, request: CreateRequest) -> dict[str, Any]:
        # Built field by field from the checked request: nothing the caller
        # sent reaches the engine unless it is named here.
        bindings = {
            f"{p.container_port}/{p.protocol}": (p.host_ip, p.host_port or None)
            for p in request.ports
        }
        host_config: dict[str, Any] = self.api.create_host_config(
            mem_limit=request.limits.memory,
            nano_cpus=_nano_cpus(request.limits.cpus),
            pids_limit=request.limits.pids,
            restart_policy={
                "Name": request.restart_policy.name,
                "MaximumRetryCount": request.restart_policy.maximum_retry_count,
            },
            network_mode=request.network,
            port_bindings=bindings or None,
            ipc_mode=request.ipc_mode,
            security_opt=list(request.security_opt) or None,
            runtime=request.runtime,
        )
        return host_config

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

    # Start and stop let the engine decide whether anything changes. It
    # returns 304 when the container is already running, or already stopped.

    def start(self, ref: str) -> ActionResult:
        with self._operation("start", ref) as record:
            container_id = self._resolve(ref, record)
            status, _ = self.http.call("POST", container_path(container_id, "start"))
            changed = status != NOT_MODIFIED
            record["detail"] = f" changed={str(changed).lower()}"
            return self._result(container_id, changed)

    def stop(self, ref: str, request: StopRequest) -> ActionResult:
        timeout = self._check_timeout(request.timeout)
        with self._operation("stop", ref) as record:
            container_id = self._resolve(ref, record)
            status, _ = self.http.call(
                "POST",
                container_path(container_id, "stop"),
                {"t": timeout},
                extra_timeout=timeout,
            )
            changed = status != NOT_MODIFIED
            record["detail"] = f" changed={str(changed).lower()}"
            return self._result(container_id, changed)

    def restart(self, ref: str, request: StopRequest) -> ActionResult:
        timeout = self._check_timeout(request.timeout)
        with self._operation("restart", ref) as record:
            container_id = self._resolve(ref, record)
            self.api.restart(container_id, timeout=timeout)
            return self._result(container_id, True)

    def kill(self, ref: str, request: KillRequest) -> ActionResult:
        with self._operation("kill", ref) as record:
            container_id = self._resolve(ref, record)
            self.api.kill(container_id, signal=request.signal)
            record["detail"] = f" signal={request.signal}"
            return self._result(container_id, True)

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
            # Unpausing a running container changes nothing. Any other state
            # than paused is a conflict, checked here because Docker 20.10
            # returns a 500 for it rather than a 409.
            state = info["State"]["Status"]
            if state not in ("running", "paused"):
                raise errors.InvalidState(
                    f"container {info['Id'][:12]} is {state}, not paused; "
                    "only a paused container can be unpaused"
                )
            changed = state == "paused"
            if changed:
                self.api.unpause(info["Id"])
            record["detail"] = f" changed={str(changed).lower()}"
            return self._result(info["Id"], changed)

    def inspect(self, ref: str) -> Container:
        with self._operation("inspect", ref) as record:
            info = self._lookup(ref, record)
            return container_from_inspect(info)

    def list(self, query: ListQuery) -> list[Container]:
        labels = [self._managed] if self._managed else []
        labels.extend(query.label)
        filters: dict[str, Any] = {"label": labels} if labels else {}
        if query.state:
            filters["status"] = query.state
        if query.name:
            filters["name"] = query.name
        include_stopped = query.all or query.state not in (None, "running")
        with self._operation("list", None) as record:
            summaries = self._summaries(filters, all=include_stopped)
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
            container_id = self._resolve(ref, record)
            self.http.call(
                "DELETE",
                container_path(container_id),
                {"force": request.force, "v": request.volumes},
            )
            return RemoveResult(container_id=container_id)


def _nano_cpus(cpus: float | None) -> int | None:
    return None if cpus is None else round(cpus * 1e9)
