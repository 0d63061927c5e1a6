"""The engine interface that both protocol adapters call."""

from __future__ import annotations

from typing import Protocol

from gateway.models import (
    ActionResult,
    Container,
    CreateRequest,
    KillRequest,
    ListQuery,
    Logs,
    LogsQuery,
    RemoveRequest,
    RemoveResult,
    StopRequest,
)


class Engine(Protocol):
    """Container operations with the same meaning in every protocol.

    A ``ref`` is a container name, full id or unique id prefix. Every method
    raises :class:`gateway.errors.GatewayError` subclasses only.
    """

    def ping(self) -> None: ...

    def create(self, request: CreateRequest) -> Container: ...

    def start(self, ref: str) -> ActionResult: ...

    def stop(self, ref: str, request: StopRequest) -> ActionResult: ...

    def restart(self, ref: str, request: StopRequest) -> ActionResult: ...

    def kill(self, ref: str, request: KillRequest) -> ActionResult: ...

    def pause(self, ref: str) -> ActionResult: ...

    def unpause(self, ref: str) -> ActionResult: ...

    def inspect(self, ref: str) -> Container: ...

    def list(self, query: ListQuery) -> list[Container]: ...

    def logs(self, ref: str, query: LogsQuery) -> Logs: ...

    def remove(self, ref: str, request: RemoveRequest) -> RemoveResult: ...
