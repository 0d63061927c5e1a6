"""Plain HTTP calls to the engine API over the Docker SDK client's connections.

The gateway makes some engine calls far more often than the rest: inspect
and list on every read, start, stop and remove in every lifecycle. Through
the SDK's methods each of them also builds, merges and hooks a requests
session call, which costs about as much CPU as the HTTP exchange itself.
:class:`EngineTransport` sends them straight to the urllib3 pool behind the
SDK client, and turns replies of 400 and above into the SDK's own exceptions,
so errors are translated exactly as for any other call. The same calls also
show what the SDK hides: a 304 from start or stop means that nothing changed.

The SDK keys its Unix socket pools by the whole request URL, so every
container id in a path would open a connection of its own, and the 26th
distinct URL would close the least recently used pool. The client gets one
pool for its socket instead (:class:`SocketPoolAdapter`).
"""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import quote, urlencode

import docker
import docker.errors
import requests
import urllib3
from docker.transport import UnixHTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

#: The key of the one pool kept for the engine's Unix socket.
_SOCKET_POOL = "http+docker://localhost"
#: Query values as the engine expects them. Booleans are sent as 1 or 0.
Params = dict[str, str | int | bool]


class InvalidEngineReply(Exception):
    """A reply from the engine that broke off or could not be decoded."""


class SocketPoolAdapter(UnixHTTPAdapter):
    """One connection pool for the engine's Unix socket, whatever the URL."""

    def get_connection(self, url: str, proxies: Any = None) -> Any:
        return super().get_connection(_SOCKET_POOL, proxies)


def share_socket_pool(api: docker.APIClient) -> urllib3.HTTPConnectionPool | None:
    """Give *api* one pool for its Unix socket and return it.

    Returns ``None`` when the engine is not behind a Unix socket (TCP, TLS,
    SSH or a named pipe): those keep the SDK's own adapters.
    """
    current = api.adapters.get("http+docker://")
    if not isinstance(current, UnixHTTPAdapter):
        return None
    adapter = SocketPoolAdapter(
        "http+unix://" + current.socket_path,
        timeout=current.timeout,
        max_pool_size=current.max_pool_size,
    )
    api.mount("http+docker://", adapter)
    current.close()
    pool: urllib3.HTTPConnectionPool = adapter.get_connection(_SOCKET_POOL)
    return pool


class EngineTransport:
    """JSON calls to the engine API, beside the SDK client *api*."""

    def __init__(self, api: docker.APIClient, timeout: float) -> None:
        self._api = api
        self._timeout = timeout
        self._pool = share_socket_pool(api)
        self._prefix = f"/v{api.api_version}"

    def get_json(self, path: str, params: Params | None = None) -> Any:
        """GET *path* and return the decoded JSON body."""
        _, body = self.call("GET", path, params)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise InvalidEngineReply(f"GET {path} returned no JSON: {exc}") from None

    def call(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        extra_timeout: float = 0,
    ) -> tuple[int, bytes]:
        """Send one request without a body and return the status and body.

        *path* is the API path without the version prefix, its container
        reference already checked. *extra_timeout* adds seconds to the read
        timeout, for calls that wait on the engine on purpose, such as a
        stop with a grace period.
        """
        url = self._prefix + path
        if params:
            url += "?" + urlencode({k: _query_value(v) for k, v in params.items()})
        read_timeout = self._timeout + extra_timeout
        if self._pool is None:
            reply = self._api.request(
                method, self._api.base_url + url, timeout=read_timeout
            )
            status, body = reply.status_code, reply.content
            reason, headers = reply.reason, dict(reply.headers)
        else:
            # A failure before the status line arrives means the engine could
            # not be reached; one while reading the body is a broken reply.
            raw = self._pool.urlopen(
                method,
                url,
                retries=False,
                redirect=False,
                timeout=urllib3.Timeout(connect=self._timeout, read=read_timeout),
                preload_content=False,
            )
            try:
                body = raw.read()
            except urllib3.exceptions.HTTPError as exc:
                raise InvalidEngineReply(
                    f"{method} {url}: the reply broke off: {exc}"
                ) from None
            finally:
                raw.release_conn()
            status, reason, headers = raw.status, raw.reason or "", dict(raw.headers)
        if status >= 400:
            raise _api_error(method, url, status, reason, headers, body)
        return status, body


def container_path(ref: str, action: str = "") -> str:
    """Return the API path of container *ref*, or of one of its actions."""
    path = "/containers/" + quote(ref, safe="")
    return f"{path}/{action}" if action else path


def _query_value(value: str | int | bool) -> str | int:
    if isinstance(value, bool):
        return int(value)
    return value


def _api_error(
    method: str,
    url: str,
    status: int,
    reason: str,
    headers: dict[str, str],
    body: bytes,
) -> docker.errors.APIError:
    # The SDK builds its exceptions from a requests response, so one is made
    # here from the reply. The same classes and messages come out, with the
    # text decoded by the same rules.
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response.url = url
    response.headers = CaseInsensitiveDict(headers)
    response.encoding = get_encoding_from_headers(response.headers)
    response.raw = io.BytesIO(body)
    failure = requests.exceptions.HTTPError(f"{method} {url}", response=response)
    try:
        docker.errors.create_api_error_from_http_exception(failure)
    except docker.errors.APIError as exc:
        return exc
    raise AssertionError("the SDK returned from building an API error")
