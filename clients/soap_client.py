"""A client of the gateway's SOAP 1.1 service, built on zeep.

The zeep client is built once from the WSDL and reused for every call. Its
service is bound to ``<base URL>/soap`` with ``create_service``, so the
client works whatever ``soap:address`` the WSDL carries. Results are turned
into the REST API's JSON shapes (snake_case names, labels as an object,
timestamps as RFC 3339 text), so both clients return the same data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import requests
import zeep
import zeep.exceptions
from zeep.helpers import serialize_object
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from clients.common import (
    DEFAULT_REQUEST_TIMEOUT,
    ApiError,
    ConnectionFailure,
    CreateSpec,
    ListFilter,
    LogsOptions,
    UsageError,
    action_timeout,
    parse_timestamp,
)
from clients.wire import Exchange, RecordingSession

logger = logging.getLogger(__name__)

NAMESPACE = "urn:container-gateway:soap:v1"
BINDING = f"{{{NAMESPACE}}}ContainerGateway"
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
# The fields that only inspect fills; list leaves the whole object out.
EMPTY_LIMITS = {"memory": None, "cpus": None, "pids": None}


def snake_case(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower()


def json_value(value: Any) -> Any:
    """Convert serialized zeep data to JSON values with snake_case keys."""
    if isinstance(value, dict):
        return {snake_case(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_value(item) for item in value]
    if isinstance(value, datetime):
        return rfc3339(value)
    return value


def rfc3339(value: datetime) -> str:
    """Return *value* as the REST API writes times: UTC as a ``Z`` suffix."""
    if value.utcoffset() == timedelta(0):
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()


def container_json(item: Any, *, listed: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = json_value(serialize_object(item))
    data["labels"] = {pair["key"]: pair["value"] for pair in data.get("labels") or []}
    if data.get("limits") is None and not listed:
        # The service sends an empty <limits/> when no limit is set, which
        # zeep reads as None. REST sends the object with null members.
        data["limits"] = dict(EMPTY_LIMITS)
    return data


def action_json(result: Any) -> dict[str, Any]:
    return {"changed": result.changed, "container": container_json(result.container)}


def fault_error(fault: zeep.exceptions.Fault) -> ApiError:
    """Return the :class:`ApiError` for a fault, code taken from its detail."""
    fault_code = (fault.code or "").rpartition(":")[2] or None
    code = field_name = None
    if fault.detail is not None:
        code = fault.detail.findtext(f".//{{{NAMESPACE}}}code")
        field_name = fault.detail.findtext(f".//{{{NAMESPACE}}}field")
    return ApiError(
        code or fault_code or "soap_fault",
        fault.message or "SOAP fault without a message",
        http_status=500,
        fault_code=fault_code,
        field_name=field_name,
    )


class SoapClient:
    """Container operations over SOAP, returning the REST API's JSON shapes."""

    protocol = "soap"

    def __init__(
        self,
        base_url: str,
        *,
        wsdl: str | None = None,
        token: str | None = None,
        wsse_user: str | None = None,
        wsse_password: str | None = None,
        wsse_digest: bool = True,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        self.address = base_url.rstrip("/") + "/soap"
        self.request_timeout = request_timeout
        self.session = RecordingSession()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.transport = Transport(
            session=self.session,
            timeout=request_timeout,
            operation_timeout=request_timeout,
        )
        wsse = None
        if wsse_user:
            # With a digest, the password itself never travels: the message
            # carries SHA-1(nonce + created + password), a nonce and a time.
            wsse = UsernameToken(wsse_user, wsse_password, use_digest=wsse_digest)
        source = wsdl or self.address + "?wsdl"
        try:
            self.client = zeep.Client(source, transport=self.transport, wsse=wsse)
        except requests.RequestException as exc:
            raise ConnectionFailure(
                f"cannot load the WSDL from {source}: {exc}; check --url or --wsdl"
            ) from exc
        except (zeep.exceptions.Error, OSError) as exc:
            raise ConnectionFailure(
                f"cannot load the WSDL from {source}: {exc}"
            ) from exc
        self.service = self.client.create_service(BINDING, self.address)
        self.session.recording = True

    @property
    def exchanges(self) -> list[Exchange]:
        return self.session.exchanges

    def close(self) -> None:
        self.session.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except zeep.exceptions.Fault as exc:
            raise fault_error(exc) from exc
        except zeep.exceptions.TransportError as exc:
            raise ApiError(
                f"http_{exc.status_code}",
                f"the service replied HTTP {exc.status_code} without a SOAP message",
                http_status=exc.status_code,
            ) from exc
        except zeep.exceptions.ValidationError as exc:
            raise UsageError(f"invalid request for the WSDL: {exc}") from exc
        except zeep.exceptions.XMLSyntaxError as exc:
            raise ApiError(
                "invalid_response",
                f"the service replied with XML that does not parse: {exc}",
                http_status=None,
            ) from exc
        except requests.Timeout as exc:
            raise ConnectionFailure(
                f"no reply from {self.address} in time; raise --request-timeout "
                "if the gateway is just slow"
            ) from exc
        except requests.ConnectionError as exc:
            raise ConnectionFailure(
                f"cannot connect to {self.address}: {exc}; check --url or GATEWAY_URL"
            ) from exc

    def _call(
        self, operation: str, read_timeout: float | None = None, /, **args: Any
    ) -> Any:
        """Call *operation*, leaving out the arguments that are ``None``."""
        method: Callable[..., Any] = getattr(self.service, operation)
        arguments = {key: value for key, value in args.items() if value is not None}
        wait = read_timeout or self.request_timeout
        with self._errors(), self.transport.settings(timeout=wait):
            return method(**arguments)

    def create(self, spec: CreateSpec) -> dict[str, Any]:
        limits = {"memory": spec.memory, "cpus": spec.cpus, "pids": spec.pids}
        policy = None
        if spec.restart_policy is not None or spec.maximum_retry_count is not None:
            policy = {
                "name": spec.restart_policy or "no",
                "maximumRetryCount": spec.maximum_retry_count,
            }
        result = self._call(
            "CreateContainer",
            image=spec.image,
            name=spec.name,
            command=spec.command or None,
            env=[{"key": k, "value": v} for k, v in spec.env.items()] or None,
            labels=[{"key": k, "value": v} for k, v in spec.labels.items()] or None,
            workingDir=spec.working_dir,
            limits=limits if any(v is not None for v in limits.values()) else None,
            restartPolicy=policy,
            network=spec.network,
            start=spec.start or None,
        )
        return container_json(result)

    def start(self, ref: str) -> dict[str, Any]:
        return action_json(self._call("StartContainer", container=ref))

    def stop(self, ref: str, timeout: int | None = None) -> dict[str, Any]:
        wait = action_timeout(self.request_timeout, timeout)
        result = self._call("StopContainer", wait, container=ref, timeout=timeout)
        return action_json(result)

    def restart(self, ref: str, timeout: int | None = None) -> dict[str, Any]:
        wait = action_timeout(self.request_timeout, timeout)
        result = self._call("RestartContainer", wait, container=ref, timeout=timeout)
        return action_json(result)

    def kill(self, ref: str, signal_name: str | None = None) -> dict[str, Any]:
        result = self._call("KillContainer", container=ref, signal=signal_name)
        return action_json(result)

    def pause(self, ref: str) -> dict[str, Any]:
        return action_json(self._call("PauseContainer", container=ref))

    def unpause(self, ref: str) -> dict[str, Any]:
        return action_json(self._call("UnpauseContainer", container=ref))

    def inspect(self, ref: str) -> dict[str, Any]:
        return container_json(self._call("InspectContainer", container=ref))

    def list_containers(self, query: ListFilter) -> dict[str, Any]:
        # "all" is the element's name in the WSDL, so it is passed by mapping.
        arguments: dict[str, Any] = {
            "all": query.include_all or None,
            "state": query.state,
            "label": query.labels or None,
            "name": query.name,
        }
        # An empty <containers/> element comes back from zeep as None.
        result = self._call("ListContainers", **arguments) or []
        return {"containers": [container_json(item, listed=True) for item in result]}

    def logs(self, ref: str, options: LogsOptions) -> dict[str, Any]:
        since = None
        if options.since is not None:
            since = parse_timestamp(options.since)
        result = self._call(
            "GetContainerLogs",
            container=ref,
            tail=options.tail,
            since=since,
            timestamps=options.timestamps or None,
            stream=options.stream,
        )
        data: dict[str, Any] = json_value(serialize_object(result))
        data["lines"] = data.get("lines") or []
        return data

    def remove(
        self, ref: str, *, force: bool = False, volumes: bool = False
    ) -> dict[str, Any]:
        result = self._call(
            "RemoveContainer",
            container=ref,
            force=force or None,
            volumes=volumes or None,
        )
        return {"container": ref, **json_value(serialize_object(result))}
