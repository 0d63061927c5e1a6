"""Settings, exit statuses, errors and request data shared by both clients."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from clients.wire import Exchange

DEFAULT_URL = "http://127.0.0.1:8080"
# Seconds to wait for the gateway's reply. Stop and restart add their own
# timeout on top, because the gateway waits that long before it replies.
DEFAULT_REQUEST_TIMEOUT = 30.0

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_CONNECTION = 3
# Only compare returns this: every call worked, but the protocols disagreed.
EXIT_DISAGREE = 4
EXIT_INTERRUPTED = 130
# 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe.
EXIT_BROKEN_PIPE = 141


def env_url() -> str:
    return os.environ.get("GATEWAY_URL") or DEFAULT_URL


def env_token() -> str | None:
    return os.environ.get("GATEWAY_TOKEN") or None


class ClientFailure(Exception):
    """Base of the errors that end a command with a non-zero exit status."""

    exit_status = EXIT_API_ERROR

    def describe(self) -> str:
        """Return the one-line form that the command lines print."""
        return str(self)


class ApiError(ClientFailure):
    """An error that the gateway returned, with its stable error code.

    ``fault_code`` is the SOAP fault code without its namespace prefix
    (``Client.ContainerNotFound``) and is ``None`` for REST.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int | None,
        fault_code: str | None = None,
        field_name: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.fault_code = fault_code
        self.field_name = field_name

    def describe(self) -> str:
        """Return the one-line form that the command lines print."""
        where = f" (field {self.field_name})" if self.field_name else ""
        origin = self.fault_code or f"HTTP {self.http_status}"
        return f"{self.code}: {self.message}{where} [{origin}]"


class ConnectionFailure(ClientFailure):
    """The gateway could not be reached, or did not reply in time."""

    exit_status = EXIT_CONNECTION


class UsageError(ClientFailure):
    """A command-line value that the client rejects before sending anything."""

    exit_status = EXIT_USAGE


@dataclass(frozen=True)
class CreateSpec:
    """The options of a create request, in the REST API's field names."""

    image: str
    name: str | None = None
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    memory: str | None = None
    cpus: float | None = None
    pids: int | None = None
    restart_policy: str | None = None
    maximum_retry_count: int | None = None
    network: str | None = None
    start: bool = False


@dataclass(frozen=True)
class ListFilter:
    include_all: bool = False
    state: str | None = None
    labels: list[str] = field(default_factory=list)
    name: str | None = None


@dataclass(frozen=True)
class LogsOptions:
    tail: str | None = None
    since: str | None = None
    timestamps: bool = False
    stream: str | None = None


class ContainerClient(Protocol):
    """The operations that both protocol clients offer.

    Every method returns the REST API's JSON shape, decoded, and raises
    :class:`ApiError` or :class:`ConnectionFailure`.
    """

    protocol: str

    @property
    def exchanges(self) -> list[Exchange]:
        """The HTTP exchanges recorded since the caller last cleared them."""

    def create(self, spec: CreateSpec) -> dict[str, Any]: ...
    def start(self, ref: str) -> dict[str, Any]: ...
    def stop(self, ref: str, timeout: int | None = None) -> dict[str, Any]: ...
    def restart(self, ref: str, timeout: int | None = None) -> dict[str, Any]: ...
    def kill(self, ref: str, signal_name: str | None = None) -> dict[str, Any]: ...
    def pause(self, ref: str) -> dict[str, Any]: ...
    def unpause(self, ref: str) -> dict[str, Any]: ...
    def inspect(self, ref: str) -> dict[str, Any]: ...
    def list_containers(self, query: ListFilter) -> dict[str, Any]: ...
    def logs(self, ref: str, options: LogsOptions) -> dict[str, Any]: ...
    def remove(
        self, ref: str, *, force: bool = False, volumes: bool = False
    ) -> dict[str, Any]: ...
    def close(self) -> None: ...


def action_timeout(request_timeout: float, stop_timeout: int | None) -> float:
    """Return the read timeout for a call that may wait *stop_timeout* seconds.

    Without an explicit stop timeout the gateway applies its own default
    (10 seconds unless ``GATEWAY_DEFAULT_STOP_TIMEOUT`` changes it), which is
    covered by adding the allowed maximum of 300 seconds.
    """
    # NOTE: 300 is the gateway's default GATEWAY_MAX_STOP_TIMEOUT. A server
    # configured with a larger maximum needs a larger --request-timeout.
    wait = 300 if stop_timeout is None else stop_timeout
    return request_timeout + wait


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 time such as ``2024-05-01T12:00:00Z``."""
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--since {text!r} is not an RFC 3339 time such as 2024-05-01T12:00:00Z"
        ) from None
