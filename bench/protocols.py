"""The same operations as requests of each path: engine API, REST and SOAP.

Each path builds the request a plain client of that path would send. SOAP
envelopes are made by zeep from the served WSDL, so they are byte for byte
what a zeep client posts.
"""

from __future__ import annotations

import builtins
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import quote

import zeep
from lxml import etree

from bench.wire import Endpoint, Reply, Request

DIRECT, REST, SOAP = "direct", "rest", "soap"
PROTOCOLS = (DIRECT, REST, SOAP)
SOAP_NS = "urn:container-gateway:soap:v1"
SOAP_BINDING = f"{{{SOAP_NS}}}ContainerGateway"
OPERATIONS = (
    "create",
    "start",
    "inspect",
    "list",
    "logs",
    "pause",
    "unpause",
    "restart",
    "kill",
    "stop",
    "remove",
)
JSON_ACCEPT = ("Accept", "application/json")
JSON_BODY = ("Content-Type", "application/json")


@dataclass(frozen=True)
class ContainerSpec:
    """Container to create: always network mode none, never a published port."""

    image: str
    name: str
    command: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)


class Protocol(ABC):
    """Requests of one path; ``load`` is where wrk sends them."""

    name: str
    #: Status of a successful reply, by operation.
    ok: ClassVar[dict[str, int]]

    def __init__(self, client_endpoint: Endpoint, load_endpoint: Endpoint) -> None:
        self.endpoint = client_endpoint
        self.load = load_endpoint

    @abstractmethod
    def inspect(self, ref: str) -> Request: ...

    @abstractmethod
    def list(self, label: str) -> Request: ...

    @abstractmethod
    def create(self, spec: ContainerSpec) -> Request: ...

    @abstractmethod
    def start(self, ref: str) -> Request: ...

    @abstractmethod
    def stop(self, ref: str, timeout: int) -> Request: ...

    @abstractmethod
    def remove(self, ref: str) -> Request: ...

    @abstractmethod
    def restart(self, ref: str, timeout: int) -> Request: ...

    @abstractmethod
    def kill(self, ref: str, signal: str) -> Request: ...

    @abstractmethod
    def pause(self, ref: str) -> Request: ...

    @abstractmethod
    def unpause(self, ref: str) -> Request: ...

    @abstractmethod
    def logs(self, ref: str, tail: int) -> Request: ...

    @abstractmethod
    def created_id(self, reply: Reply) -> str: ...

    @abstractmethod
    def count(self, reply: Reply) -> int:
        """Return the number of containers in a list reply."""


class Direct(Protocol):
    name = DIRECT
    ok: ClassVar[dict[str, int]] = {
        "inspect": 200,
        "list": 200,
        "logs": 200,
        "create": 201,
        **dict.fromkeys(
            ("start", "stop", "restart", "kill", "pause", "unpause", "remove"), 204
        ),
    }

    def __init__(
        self, client_endpoint: Endpoint, load_endpoint: Endpoint, api_version: str
    ) -> None:
        super().__init__(client_endpoint, load_endpoint)
        self.prefix = f"/v{api_version}"
        #: Settings the gateway's create policy adds (limits), sent as well so
        #: that both paths create the same container.
        self.host_config: dict[str, object] = {}

    def inspect(self, ref: str) -> Request:
        return Request("GET", f"{self.prefix}/containers/{ref}/json", (JSON_ACCEPT,))

    def list(self, label: str) -> Request:
        filters = quote(json.dumps({"label": [label]}, separators=(",", ":")))
        target = f"{self.prefix}/containers/json?all=1&filters={filters}"
        return Request("GET", target, (JSON_ACCEPT,))

    def create(self, spec: ContainerSpec) -> Request:
        body = {
            "Image": spec.image,
            "Cmd": list(spec.command),
            "Labels": spec.labels,
            "HostConfig": {**self.host_config, "NetworkMode": "none"},
        }
        target = f"{self.prefix}/containers/create?name={quote(spec.name)}"
        return Request(
            "POST", target, (JSON_ACCEPT, JSON_BODY), json.dumps(body).encode()
        )

    def start(self, ref: str) -> Request:
        return Request("POST", f"{self.prefix}/containers/{ref}/start", (JSON_ACCEPT,))

    def stop(self, ref: str, timeout: int) -> Request:
        target = f"{self.prefix}/containers/{ref}/stop?t={timeout}"
        return Request("POST", target, (JSON_ACCEPT,))

    def remove(self, ref: str) -> Request:
        return Request("DELETE", f"{self.prefix}/containers/{ref}", (JSON_ACCEPT,))

    def _post(self, ref: str, action: str, query: str = "") -> Request:
        target = f"{self.prefix}/containers/{ref}/{action}{query}"
        return Request("POST", target, (JSON_ACCEPT,))

    def restart(self, ref: str, timeout: int) -> Request:
        return self._post(ref, "restart", f"?t={timeout}")

    def kill(self, ref: str, signal: str) -> Request:
        return self._post(ref, "kill", f"?signal={signal}")

    def pause(self, ref: str) -> Request:
        return self._post(ref, "pause")

    def unpause(self, ref: str) -> Request:
        return self._post(ref, "unpause")

    def logs(self, ref: str, tail: int) -> Request:
        target = f"{self.prefix}/containers/{ref}/logs?stdout=1&stderr=1&tail={tail}"
        return Request("GET", target, (JSON_ACCEPT,))

    def created_id(self, reply: Reply) -> str:
        return str(json.loads(reply.body)["Id"])

    def count(self, reply: Reply) -> int:
        return len(json.loads(reply.body))


class Rest(Protocol):
    name = REST
    ok: ClassVar[dict[str, int]] = {
        "inspect": 200,
        "list": 200,
        "logs": 200,
        "create": 201,
        **dict.fromkeys(("start", "stop", "restart", "kill", "pause", "unpause"), 200),
        "remove": 204,
    }
    base = "/api/v1/containers"

    def inspect(self, ref: str) -> Request:
        return Request("GET", f"{self.base}/{ref}", (JSON_ACCEPT,))

    def list(self, label: str) -> Request:
        return Request(
            "GET", f"{self.base}?all=true&label={quote(label)}", (JSON_ACCEPT,)
        )

    def create(self, spec: ContainerSpec) -> Request:
        body = {
            "image": spec.image,
            "name": spec.name,
            "command": list(spec.command),
            "labels": spec.labels,
            "network": "none",
        }
        return Request(
            "POST", self.base, (JSON_ACCEPT, JSON_BODY), json.dumps(body).encode()
        )

    def start(self, ref: str) -> Request:
        return Request("POST", f"{self.base}/{ref}/start", (JSON_ACCEPT,))

    def stop(self, ref: str, timeout: int) -> Request:
        body = json.dumps({"timeout": timeout}).encode()
        return Request(
            "POST", f"{self.base}/{ref}/stop", (JSON_ACCEPT, JSON_BODY), body
        )

    def remove(self, ref: str) -> Request:
        return Request("DELETE", f"{self.base}/{ref}", (JSON_ACCEPT,))

    def _post(self, ref: str, action: str, body: dict[str, object] | None) -> Request:
        target = f"{self.base}/{ref}/{action}"
        if body is None:
            return Request("POST", target, (JSON_ACCEPT,))
        data = json.dumps(body).encode()
        return Request("POST", target, (JSON_ACCEPT, JSON_BODY), data)

    def restart(self, ref: str, timeout: int) -> Request:
        return self._post(ref, "restart", {"timeout": timeout})

    def kill(self, ref: str, signal: str) -> Request:
        return self._post(ref, "kill", {"signal": signal})

    def pause(self, ref: str) -> Request:
        return self._post(ref, "pause", None)

    def unpause(self, ref: str) -> Request:
        return self._post(ref, "unpause", None)

    def logs(self, ref: str, tail: int) -> Request:
        return Request("GET", f"{self.base}/{ref}/logs?tail={tail}", (JSON_ACCEPT,))

    def created_id(self, reply: Reply) -> str:
        return str(json.loads(reply.body)["container_id"])

    def count(self, reply: Reply) -> int:
        return len(json.loads(reply.body)["containers"])


class Soap(Protocol):
    name = SOAP
    ok: ClassVar[dict[str, int]] = dict.fromkeys(OPERATIONS, 200)

    def __init__(self, client_endpoint: Endpoint, load_endpoint: Endpoint) -> None:
        super().__init__(client_endpoint, load_endpoint)
        base = client_endpoint.base_url
        self.client = zeep.Client(base + "/soap?wsdl")
        self.service = self.client.create_service(SOAP_BINDING, base + "/soap")

    def envelope(self, operation: str, **values: object) -> Request:
        node = self.client.create_message(self.service, operation, **values)
        body = etree.tostring(node, xml_declaration=True, encoding="utf-8")
        headers = (
            ("Content-Type", "text/xml; charset=utf-8"),
            ("SOAPAction", f'"{operation}"'),
        )
        return Request("POST", "/soap", headers, body)

    def inspect(self, ref: str) -> Request:
        return self.envelope("InspectContainer", container=ref)

    def list(self, label: str) -> Request:
        return self.envelope("ListContainers", all=True, label=[label])

    def create(self, spec: ContainerSpec) -> Request:
        labels = [{"key": key, "value": value} for key, value in spec.labels.items()]
        return self.envelope(
            "CreateContainer",
            image=spec.image,
            name=spec.name,
            command=list(spec.command),
            labels=labels,
            network="none",
        )

    def start(self, ref: str) -> Request:
        return self.envelope("StartContainer", container=ref)

    def stop(self, ref: str, timeout: int) -> Request:
        return self.envelope("StopContainer", container=ref, timeout=timeout)

    def remove(self, ref: str) -> Request:
        return self.envelope("RemoveContainer", container=ref)

    def restart(self, ref: str, timeout: int) -> Request:
        return self.envelope("RestartContainer", container=ref, timeout=timeout)

    def kill(self, ref: str, signal: str) -> Request:
        return self.envelope("KillContainer", container=ref, signal=signal)

    def pause(self, ref: str) -> Request:
        return self.envelope("PauseContainer", container=ref)

    def unpause(self, ref: str) -> Request:
        return self.envelope("UnpauseContainer", container=ref)

    def logs(self, ref: str, tail: int) -> Request:
        return self.envelope("GetContainerLogs", container=ref, tail=str(tail))

    def _ids(self, reply: Reply) -> builtins.list[str]:
        root = etree.fromstring(reply.body)
        return [node.text or "" for node in root.iter(f"{{{SOAP_NS}}}containerId")]

    def created_id(self, reply: Reply) -> str:
        return self._ids(reply)[0]

    def count(self, reply: Reply) -> int:
        return len(self._ids(reply))
