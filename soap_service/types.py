"""SOAP message types, in the WSDL's camelCase naming.

Each type mirrors a model in :mod:`gateway.models`; the converters at the
bottom are the only mapping between the two namings.
"""

from __future__ import annotations

import functools
from typing import Any

from spyne import (
    Boolean,
    ComplexModel,
    DateTime,
    Double,
    Integer32,
    Integer64,
    Unicode,
)

from gateway import models
from gateway.errors import InvalidRequest
from gateway.logtext import xml_text

NAMESPACE = "urn:container-gateway:soap:v1"


class Base(ComplexModel):
    __namespace__ = NAMESPACE


class KeyValue(Base):
    key = Unicode(min_occurs=1, nillable=False)
    value = Unicode(min_occurs=1, nillable=False)


# Sized integer types (xs:int, xs:long) let the schema reject a number with
# thousands of digits before Python converts it.
class ResourceLimits(Base):
    memory = Unicode(doc="Bytes, or a unit string such as 256m.")
    cpus = Double(doc="Number of CPUs, for example 0.5.")
    pids = Integer32(doc="Maximum number of processes.")


class RestartPolicy(Base):
    name = Unicode(values=["no", "always", "unless-stopped", "on-failure"])
    maximumRetryCount = Integer32


class PortBinding(Base):
    containerPort = Integer32(min_occurs=1, nillable=False)
    protocol = Unicode(values=["tcp", "udp", "sctp"])
    hostIp = Unicode(doc="Defaults to 127.0.0.1.")
    hostPort = Integer32(doc="0 or absent lets the engine pick.")


class ContainerLimits(Base):
    memory = Integer64
    cpus = Double
    pids = Integer64


class Container(Base):
    containerId = Unicode(min_occurs=1)
    shortId = Unicode(min_occurs=1)
    name = Unicode(min_occurs=1)
    image = Unicode(min_occurs=1)
    command = Unicode(min_occurs=1)
    state = Unicode(min_occurs=1)
    status = Unicode(min_occurs=1)
    createdAt = DateTime
    startedAt = DateTime
    finishedAt = DateTime
    exitCode = Integer32
    labels = KeyValue.customize(max_occurs="unbounded")
    limits = ContainerLimits


class ActionResult(Base):
    changed = Boolean(min_occurs=1)
    container = Container.customize(min_occurs=1)


class RemoveResult(Base):
    containerId = Unicode(min_occurs=1)
    removed = Boolean(min_occurs=1)


class Logs(Base):
    containerId = Unicode(min_occurs=1)
    lines = Unicode(max_occurs="unbounded")
    truncated = Boolean(min_occurs=1)
    sizeBytes = Integer64(min_occurs=1)


#: The response types that :class:`soap_service.xmlwriter.ComplexWriter` writes.
WRITTEN_TYPES = (Container, ActionResult, RemoveResult, Logs, KeyValue, ContainerLimits)


def key_values_to_dict(items: list[Any] | None, field: str) -> dict[str, str] | None:
    """Convert ``KeyValue`` items to a dict, rejecting repeated keys."""
    if items is None:
        return None
    result: dict[str, str] = {}
    for item in items:
        if item is None:
            raise InvalidRequest(
                f"{field}: an item is nil; leave out items without a key", field=field
            )
        if item.key in result:
            raise InvalidRequest(f"{field}: key {item.key!r} is repeated", field=field)
        result[item.key] = item.value if item.value is not None else ""
    return result


def dict_to_key_values(items: dict[str, str]) -> list[KeyValue]:
    return [_key_value(key, value) for key, value in sorted(items.items())]


@functools.lru_cache(maxsize=1024)
def _key_value(key: str, value: str) -> KeyValue:
    # Most labels repeat on every container (the gateway's own two), and
    # building a Spyne object costs more than writing it. The objects are
    # only read by the serializer, so one can serve every response.
    return KeyValue(key=xml_text(key), value=xml_text(value))


def to_soap_container(container: models.Container) -> Container:
    # Names, commands and labels come from the engine as set by anyone, and
    # may hold characters that XML cannot carry; those are escaped.
    limits = container.limits
    return Container(
        containerId=container.container_id,
        shortId=container.short_id,
        name=xml_text(container.name),
        image=xml_text(container.image),
        command=xml_text(container.command),
        state=container.state,
        status=xml_text(container.status),
        createdAt=container.created_at,
        startedAt=container.started_at,
        finishedAt=container.finished_at,
        exitCode=container.exit_code,
        labels=dict_to_key_values(container.labels),
        limits=None
        if limits is None
        else ContainerLimits(memory=limits.memory, cpus=limits.cpus, pids=limits.pids),
    )


def to_soap_action(result: models.ActionResult) -> ActionResult:
    return ActionResult(
        changed=result.changed, container=to_soap_container(result.container)
    )


def to_soap_logs(logs: models.Logs) -> Logs:
    return Logs(
        containerId=logs.container_id,
        lines=logs.lines,
        truncated=logs.truncated,
        sizeBytes=logs.size_bytes,
    )


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out omitted elements, so that the model's defaults apply."""
    return {key: value for key, value in data.items() if value is not None}
