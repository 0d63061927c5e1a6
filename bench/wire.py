"""A small HTTP/1.1 client that counts the bytes it sends and receives.

The same client talks to the engine's Unix socket and to the gateway's TCP
port, so the three paths are timed with identical client code. Counting
happens on the socket, so the numbers are the bytes on the wire: request
line, headers and body, and the same for the response.
"""

from __future__ import annotations

import http.client
import io
import socket
import time
from dataclasses import dataclass, field
from typing import Any

#: Reconnect before a request when the connection was idle this long, since
#: the gateway's gunicorn closes idle keep-alive connections after 5 s.
IDLE_RECONNECT = 2.0


@dataclass(frozen=True)
class Request:
    """One HTTP request, ready to send with the client or to wrk."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float
    sent: int
    received: int
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Endpoint:
    """A loopback TCP port or a Unix socket path."""

    port: int = 0
    unix_path: str | None = None
    host: str = "127.0.0.1"

    @property
    def base_url(self) -> str:
        if self.unix_path is not None:
            raise ValueError("a Unix socket endpoint has no URL")
        return f"http://{self.host}:{self.port}"

    def describe(self) -> str:
        return f"unix:{self.unix_path}" if self.unix_path else self.base_url


class _CountingReader(io.RawIOBase):
    def __init__(self, owner: CountingSocket) -> None:
        self.owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self.owner.sock.recv_into(buffer)
        self.owner.received += count
        return count


class CountingSocket:
    """A connected socket that counts bytes in both directions."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sent = 0
        self.received = 0

    def sendall(self, data: bytes, flags: int = 0) -> None:
        self.sent += len(data)
        self.sock.sendall(data, flags)

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_CountingReader(self))

    def close(self) -> None:
        self.sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class _Connection(http.client.HTTPConnection):
    def __init__(self, endpoint: Endpoint, timeout: float) -> None:
        super().__init__(endpoint.host, endpoint.port or None, timeout=timeout)
        self.endpoint = endpoint
        self.counter: CountingSocket | None = None

    def connect(self) -> None:
        if self.endpoint.unix_path is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            sock.connect(self.endpoint.unix_path)
            self.sock = sock
        else:
            super().connect()
        self.counter = CountingSocket(self.sock)
        self.sock = self.counter


class HttpClient:
    """One keep-alive connection; not shared between threads."""

    def __init__(self, endpoint: Endpoint, timeout: float = 120.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self._conn: _Connection | None = None
        self._last_use = 0.0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> _Connection:
        if (
            self._conn is not None
            and time.monotonic() - self._last_use > IDLE_RECONNECT
        ):
            self.close()
        if self._conn is None:
            self._conn = _Connection(self.endpoint, self.timeout)
        return self._conn

    def call(self, request: Request) -> Reply:
        """Send *request* and read the whole reply."""
        try:
            return self._call_once(request)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # A keep-alive connection the server had just closed; only a GET
            # is safe to send again.
            self.close()
            if request.method != "GET":
                raise
            return self._call_once(request)

    def _call_once(self, request: Request) -> Reply:
        conn = self._connection()
        start = time.perf_counter()
        sent_before = conn.counter.sent if conn.counter else 0
        received_before = conn.counter.received if conn.counter else 0
        try:
            conn.request(
                request.method,
                request.target,
                body=request.body or None,
                headers=dict(request.headers),
            )
            response = conn.getresponse()
            body = response.read()
        except BaseException:
            self.close()
            raise
        seconds = time.perf_counter() - start
        self._last_use = time.monotonic()
        assert conn.counter is not None
        reply = Reply(
            status=response.status,
            body=body,
            seconds=seconds,
            sent=conn.counter.sent - sent_before,
            received=conn.counter.received - received_before,
            headers=list(response.getheaders()),
        )
        if response.will_close:
            self.close()
        return reply


class CallFailed(RuntimeError):
    """A reply whose status was not the one expected."""


def expect(reply: Reply, *statuses: int, description: str) -> Reply:
    """Return *reply*, or raise :class:`CallFailed` if its status is unexpected."""
    if reply.status not in statuses:
        text = reply.body[:400].decode("utf-8", "replace")
        raise CallFailed(
            f"{description}: HTTP {reply.status}, expected {statuses}: {text}"
        )
    return reply
