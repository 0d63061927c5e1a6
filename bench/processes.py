"""Processes the benchmark starts (gunicorn, socat) and CPU accounting.

Every process started here listens on 127.0.0.1 only, is started in its
own session and is stopped by its own pid.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.wire import Endpoint, HttpClient, Request

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces.
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, reaped_children: bool = True) -> float:
    """Return user plus system CPU of *pid*, with its reaped children."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # Fields 14-17 of stat, counted from 1; the slice starts at field 3.
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    total = utime + stime + (cutime + cstime if reaped_children else 0)
    return total / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def find_process(command_name: str) -> int | None:
    """Return the pid of the first process whose command name matches."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm == command_name:
                return int(entry.name)
    return None


def tree_cpu(pid: int) -> float:
    """CPU of *pid*, its reaped children and its live children."""
    return cpu_seconds(pid) + sum(
        cpu_seconds(child, reaped_children=False) for child in children(pid)
    )


def _stop(process: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class GatewayServer:
    """gunicorn serving the gateway on a free loopback port."""

    process: subprocess.Popen[bytes]
    endpoint: Endpoint
    workers: int
    threads: int
    log_path: Path

    @classmethod
    def start(
        cls,
        python: str,
        repo: Path,
        workers: int,
        threads: int,
        log_dir: Path,
        extra_env: dict[str, str],
        app: str = "gateway.wsgi:app",
    ) -> GatewayServer:
        """Start gunicorn with the gateway's settings, serving *app*."""
        port = free_port()
        log_path = log_dir / f"gunicorn-{workers}x{threads}-{port}.log"
        env = {
            **os.environ,
            **extra_env,
            "GATEWAY_BIND": f"127.0.0.1:{port}",
            "GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "GATEWAY_WORKERS": str(workers),
            "GATEWAY_THREADS": str(threads),
        }
        command = [python, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [*command, app],
                cwd=repo,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = cls(process, Endpoint(port=port), workers, threads, log_path)
        try:
            server._wait_ready(deadline=time.monotonic() + 60)
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_ready(self, deadline: float) -> None:
        client = HttpClient(self.endpoint, timeout=2)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see {self.log_path}")
            try:
                if client.call(Request("GET", "/healthz")).status == 200 and (
                    len(self.worker_pids()) >= self.workers
                ):
                    client.close()
                    # Let the other workers finish importing the app.
                    time.sleep(1.0)
                    return
            except OSError:
                pass
            client.close()
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not come up; see {self.log_path}")

    @property
    def label(self) -> str:
        return f"{self.workers}x{self.threads}"

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    def cpu(self) -> float:
        return tree_cpu(self.process.pid)

    def wait_idle(self, limit: float = 60.0, busy: float = 0.1) -> float:
        """Wait until the workers use less than *busy* of a core.

        wrk stops at the end of its window, but the gateway still serves the
        requests already queued, and the next measurement must not pay for
        them. Returns the seconds waited.
        """
        start = time.monotonic()
        window = 0.25
        while time.monotonic() - start < limit:
            before = self.cpu()
            time.sleep(window)
            if self.cpu() - before < busy * window:
                break
        return time.monotonic() - start - window

    def stop(self) -> None:
        _stop(self.process)


@dataclass
class Socat:
    """Forwards a loopback TCP port to the engine's Unix socket."""

    process: subprocess.Popen[bytes]
    endpoint: Endpoint

    @classmethod
    def start(cls, socket_path: str) -> Socat:
        if shutil.which("socat") is None:
            raise RuntimeError("socat is not installed (apt-get install socat)")
        port = free_port()
        process = subprocess.Popen(
            [
                "socat",
                # nodelay: gunicorn sets TCP_NODELAY too, and without it
                # Nagle's algorithm stalls multi-write replies by 40 ms.
                f"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr,nodelay",
                f"UNIX-CONNECT:{socket_path}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        forwarder = cls(process, Endpoint(port=port))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return forwarder
            except OSError:
                time.sleep(0.05)
        forwarder.stop()
        raise RuntimeError("socat did not start listening")

    def cpu(self) -> float:
        return tree_cpu(self.process.pid)

    def stop(self) -> None:
        _stop(self.process, grace=5)


class CpuProbe:
    """CPU seconds of named process groups, read from /proc."""

    def __init__(self) -> None:
        self.groups: dict[str, Callable[[], float]] = {}

    def add(self, name: str, reader: Callable[[], float]) -> None:
        self.groups[name] = reader

    def snapshot(self) -> dict[str, float]:
        return {name: reader() for name, reader in self.groups.items()}

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {name: after[name] - before.get(name, 0.0) for name in after}
