"""A client of the gateway's REST API (``/api/v1``), built on requests."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import requests

from clients.common import (
    DEFAULT_REQUEST_TIMEOUT,
    ApiError,
    ConnectionFailure,
    CreateSpec,
    ListFilter,
    LogsOptions,
    action_timeout,
)
from clients.wire import Exchange, RecordingSession

logger = logging.getLogger(__name__)

USER_AGENT = "container-gateway-rest-client/0.1"


def create_body(spec: CreateSpec) -> dict[str, Any]:
    """Return the JSON body of ``POST /containers`` for *spec*."""
    body: dict[str, Any] = {"image": spec.image}
    optional = {
        "name": spec.name,
        "command": spec.command or None,
        "env": spec.env or None,
        "labels": spec.labels or None,
        "working_dir": spec.working_dir,
        "network": spec.network,
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    limits = {"memory": spec.memory, "cpus": spec.cpus, "pids": spec.pids}
    limits = {key: value for key, value in limits.items() if value is not None}
    if limits:
        body["limits"] = limits
    if spec.restart_policy is not None or spec.maximum_retry_count is not None:
        policy: dict[str, Any] = {"name": spec.restart_policy or "no"}
        if spec.maximum_retry_count is not None:
            policy["maximum_retry_count"] = spec.maximum_retry_count
        body["restart_policy"] = policy
    if spec.start:
        body["start"] = True
    return body


class RestClient:
    """Container operations over REST. Each method returns the decoded JSON."""

    protocol = "rest"

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        self.api = base_url.rstrip("/") + "/api/v1"
        self.request_timeout = request_timeout
        self.session = RecordingSession()
        self.session.recording = True
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = USER_AGENT
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    @property
    def exchanges(self) -> list[Exchange]:
        return self.session.exchanges

    def close(self) -> None:
        self.session.close()

    def _url(self, ref: str, *rest: str) -> str:
        # quote() encodes every reserved character, so a reference with a
        # space or '?' stays one path segment and the gateway judges it.
        # NOTE: the gateway's router decodes %2F before matching, so a
        # reference containing '/' reaches another route (405 or 404).
        return "/".join([self.api, "containers", quote(ref, safe=""), *rest])

    def _send(
        self,
        method: str,
        url: str,
        *,
        body: dict[str, Any] | None = None,
        params: Any = None,
        timeout: float | None = None,
    ) -> requests.Response:
        try:
            response = self.session.request(
                method,
                url,
                json=body,
                params=params,
                timeout=timeout or self.request_timeout,
            )
        except requests.Timeout as exc:
            raise ConnectionFailure(
                f"no reply from {url} within {timeout or self.request_timeout:g} "
                "seconds; raise --request-timeout if the gateway is just slow"
            ) from exc
        except requests.ConnectionError as exc:
            raise ConnectionFailure(
                f"cannot connect to {url}: {exc}; check --url or GATEWAY_URL"
            ) from exc
        if response.status_code >= 400:
            raise problem_error(response)
        return response

    def _json(self, response: requests.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as exc:
            raise ApiError(
                "invalid_response",
                f"the gateway returned a body that is not JSON "
                f"(HTTP {response.status_code}, {len(response.content)} bytes)",
                http_status=response.status_code,
            ) from exc
        if not isinstance(data, dict):
            raise ApiError(
                "invalid_response",
                f"the gateway returned JSON {type(data).__name__}, not an object",
                http_status=response.status_code,
            )
        return data

    def create(self, spec: CreateSpec) -> dict[str, Any]:
        url = self.api + "/containers"
        return self._json(self._send("POST", url, body=create_body(spec)))

    def _action(
        self,
        ref: str,
        action: str,
        body: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        url = self._url(ref, action)
        return self._json(self._send("POST", url, body=body, timeout=timeout))

    def start(self, ref: str) -> dict[str, Any]:
        return self._action(ref, "start")

    def stop(self, ref: str, timeout: int | None = None) -> dict[str, Any]:
        body = None if timeout is None else {"timeout": timeout}
        wait = action_timeout(self.request_timeout, timeout)
        return self._action(ref, "stop", body, wait)

    def restart(self, ref: str, timeout: int | None = None) -> dict[str, Any]:
        body = None if timeout is None else {"timeout": timeout}
        wait = action_timeout(self.request_timeout, timeout)
        return self._action(ref, "restart", body, wait)

    def kill(self, ref: str, signal_name: str | None = None) -> dict[str, Any]:
        body = None if signal_name is None else {"signal": signal_name}
        return self._action(ref, "kill", body)

    def pause(self, ref: str) -> dict[str, Any]:
        return self._action(ref, "pause")

    def unpause(self, ref: str) -> dict[str, Any]:
        return self._action(ref, "unpause")

    def inspect(self, ref: str) -> dict[str, Any]:
        return self._json(self._send("GET", self._url(ref)))

    def list_containers(self, query: ListFilter) -> dict[str, Any]:
        params: list[tuple[str, str]] = []
        if query.include_all:
            params.append(("all", "true"))
        if query.state:
            params.append(("state", query.state))
        params += [("label", label) for label in query.labels]
        if query.name:
            params.append(("name", query.name))
        url = self.api + "/containers"
        return self._json(self._send("GET", url, params=params))

    def logs(self, ref: str, options: LogsOptions) -> dict[str, Any]:
        params: list[tuple[str, str]] = []
        if options.tail is not None:
            params.append(("tail", options.tail))
        if options.since is not None:
            params.append(("since", options.since))
        if options.timestamps:
            params.append(("timestamps", "true"))
        if options.stream is not None:
            params.append(("stream", options.stream))
        return self._json(self._send("GET", self._url(ref, "logs"), params=params))

    def remove(
        self, ref: str, *, force: bool = False, volumes: bool = False
    ) -> dict[str, Any]:
        """Remove a container.

        The gateway replies 204 with no body, so the result names the
        reference given instead of the container's id.
        """
        params: list[tuple[str, str]] = []
        if force:
            params.append(("force", "true"))
        if volumes:
            params.append(("volumes", "true"))
        self._send("DELETE", self._url(ref), params=params)
        return {"container": ref, "removed": True}


def problem_error(response: requests.Response) -> ApiError:
    """Return the :class:`ApiError` for an error response.

    The ``code`` member of RFC 9457 problem details is used when present.
    Other bodies, such as a proxy's HTML page, get the code ``http_<status>``.
    """
    status = response.status_code
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if isinstance(problem, dict) and isinstance(problem.get("code"), str):
        message = problem.get("detail") or problem.get("title") or response.reason
        field_name = problem.get("field")
        return ApiError(
            problem["code"],
            str(message),
            http_status=status,
            field_name=field_name if isinstance(field_name, str) else None,
        )
    text = response.text.strip().splitlines()
    summary = text[0][:200] if text else response.reason or "no body"
    return ApiError(f"http_{status}", summary, http_status=status)
