"""A description of the machine and the software the run used."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

#: Paths of the code the gateway's server runs, for the commit in the report.
GATEWAY_CODE = ("gateway", "rest_service", "soap_service", "gunicorn.conf.py")


def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _output(command: list[str], starts: str = "") -> str:
    """Return the first line of the command's output that begins with *starts*."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    for line in (done.stdout + done.stderr).splitlines():
        if line.strip() and line.startswith(starts):
            return line.strip()
    return "unknown"


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def gateway_version(repo: Path) -> str:
    """Return the commit the gateway ran from, noting uncommitted changes."""
    commit = _output(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"])
    changed = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--", *GATEWAY_CODE],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.strip()
    return commit + (" with uncommitted changes" if changed else "")


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def describe(
    server_python: str, engine_version: dict[str, Any], repo: Path
) -> dict[str, str]:
    memory_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    memory = f"{int(memory_kb) / 1024**2:.1f} GiB" if memory_kb.isdigit() else "?"
    server_versions = _output(
        [
            server_python,
            "-c",
            "import sys; from importlib.metadata import version as v; "
            "print(sys.version.split()[0], v('gunicorn'), v('flask'), "
            "v('spyne'), v('pydantic'))",
        ]
    ).split()
    names = ("Python", "gunicorn", "Flask", "Spyne", "pydantic")
    server = dict(zip(names, server_versions, strict=False))
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "gateway": gateway_version(repo),
        "cpu": _first("/proc/cpuinfo", "model name"),
        "cores": str(os.cpu_count()),
        "memory": memory,
        "kernel": f"{platform.system()} {platform.release()}",
        "os": _os_name(),
        "bench_python": platform.python_version(),
        "server_python": server.get("Python", "unknown"),
        "gunicorn": server.get("gunicorn", "unknown"),
        "flask": server.get("Flask", "unknown"),
        "spyne": server.get("Spyne", "unknown"),
        "pydantic": server.get("pydantic", "unknown"),
        "docker": (
            f"{engine_version.get('Version', '?')} "
            f"(API {engine_version.get('ApiVersion', '?')})"
        ),
        "wrk": _output(["wrk", "-v"], "wrk").split(" [")[0],
        "socat": _output(["socat", "-V"], "socat version").split(" on ")[0],
        "load_start": load_average(),
    }
