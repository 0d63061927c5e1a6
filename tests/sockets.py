"""Stand-ins for an engine socket: a forwarding proxy and a silent listener."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from pathlib import Path


def engine_socket_path() -> str:
    """Return the path of the real engine's Unix socket."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        raise RuntimeError(f"tests need a Unix socket engine, DOCKER_HOST={host}")
    return host[len("unix://") :]


class UnixListener:
    """A Unix socket served by a thread until :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(16)
        self._closed = threading.Event()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self._connections.append(client)
            threading.Thread(target=self.handle, args=(client,), daemon=True).start()

    def handle(self, client: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._closed.set()
        self._server.close()
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.path.unlink(missing_ok=True)


class EngineProxy(UnixListener):
    """Forward every connection to the real engine socket."""

    def handle(self, client: socket.socket) -> None:
        _forward(client, engine_socket_path(), self._connections)


class ScriptedEngine(UnixListener):
    """Return, for each request, the raw reply set for its method and path.

    The version request gets a real-looking reply, so that the SDK client
    can be built. Any other request without a reply set gets a 404.
    """

    VERSION = b'{"ApiVersion": "1.41", "Version": "scripted"}'

    def __init__(self, path: Path, replies: dict[str, bytes]) -> None:
        self.replies = replies
        super().__init__(path)

    def handle(self, client: socket.socket) -> None:
        buffered = b""
        while not self._closed.is_set():
            try:
                data = client.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffered += data
            while b"\r\n\r\n" in buffered:
                head, buffered = buffered.split(b"\r\n\r\n", 1)
                method, target = head.split(b" ", 2)[:2]
                path = target.decode().split("?", 1)[0].split("/", 2)[-1]
                client.sendall(self._reply(f"{method.decode()} /{path}"))

    def _reply(self, key: str) -> bytes:
        if key == "GET /version":
            return _http_reply(200, self.VERSION)
        if key in self.replies:
            return self.replies[key]
        return _http_reply(
            404, b'{"message": "no reply set for ' + key.encode() + b'"}'
        )


def raw_reply(head: str, body: bytes) -> bytes:
    """Return an HTTP reply: the status line and headers in *head*, then *body*."""
    return head.encode() + b"\r\n\r\n" + body


def _http_reply(status: int, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}"
    )
    return raw_reply(head, body)


class TcpEngineProxy:
    """Serve the real engine socket on a loopback TCP port, as DOCKER_HOST=tcp://."""

    def __init__(self) -> None:
        self._engine = engine_socket_path()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._connections: list[socket.socket] = []
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self._connections.append(client)
            threading.Thread(
                target=_forward,
                args=(client, self._engine, self._connections),
                daemon=True,
            ).start()

    def close(self) -> None:
        self._server.close()
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()


def _forward(client: socket.socket, path: str, opened: list[socket.socket]) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    upstream.connect(path)
    opened.append(upstream)
    threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
    _pipe(client, upstream)


class SilentEngine(UnixListener):
    """Respond to the version request, then read requests but never respond."""

    VERSION = b'{"ApiVersion": "1.41", "Version": "silent"}'

    def handle(self, client: socket.socket) -> None:
        request = client.recv(65536)
        if b" /version " in request.split(b"\r\n", 1)[0]:
            client.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + b"Content-Length: %d\r\n\r\n" % len(self.VERSION)
                + self.VERSION
            )
        while not self._closed.is_set():
            try:
                if not client.recv(65536):
                    return
            except OSError:
                return


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
