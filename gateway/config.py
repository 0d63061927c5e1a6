"""Settings read from ``GATEWAY_*`` environment variables."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from gateway.errors import ConfigurationError

# The largest stop or restart timeout a request may ask for. The gunicorn
# worker timeout and the Docker client's read timeout are derived from it so
# that a slow stop is never cut off by either.
MAX_STOP_TIMEOUT = 300


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


def _env_str(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass(frozen=True)
class Settings:
    """Gateway settings; :meth:`from_env` reads them from the environment."""

    bind: str = "127.0.0.1:8080"
    #: Base URL that clients use to reach the gateway. The WSDL's
    #: ``soap:address`` is built from it, never from a request's Host header.
    public_url: str = "http://127.0.0.1:8080"
    #: Seconds the Docker client waits for an engine reply, on top of any stop
    #: timeout the request carries.
    engine_timeout: int = 60
    max_stop_timeout: int = MAX_STOP_TIMEOUT
    default_stop_timeout: int = 10
    #: Largest accepted request body, in bytes, for both protocols.
    max_body_bytes: int = 1024 * 1024
    #: Largest logs payload returned by one request, in bytes of text.
    max_log_bytes: int = 1024 * 1024
    #: Directory for the nonce cache shared by workers.
    state_dir: str = "/var/tmp/container-gateway"
    #: JSON-lines audit log of mutating requests; empty disables it.
    audit_log: str = ""
    #: Label value that marks the containers this gateway manages.
    instance: str = "default"
    #: Let every operation see all containers on the engine, not only this
    #: gateway's. For a classroom admin; the operator decides.
    show_unmanaged: bool = False
    #: Seconds a UsernameToken's Created time may differ from the clock.
    wsse_window: int = 300
    wsse_password_text: bool = False
    #: Whether gunicorn writes an access log line per request to stdout.
    access_log: bool = True
    #: gunicorn worker processes, one per core: the gateway is bound by its
    #: own CPU. On 2 cores, docs/benchmarks.md measured 884 REST inspects per
    #: second with 2 workers, 501 with 1 and 740 with 4.
    workers: int = os.cpu_count() or 2
    threads: int = 16
    log_level: str = "INFO"

    @property
    def bind_is_loopback(self) -> bool:
        """Return whether gunicorn listens only on loopback or a Unix socket."""
        if self.bind.startswith("unix:"):
            return True
        host = self.bind.rsplit(":", 1)[0].strip("[]")
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @property
    def soap_address(self) -> str:
        return self.public_url.rstrip("/") + "/soap"

    @property
    def worker_timeout(self) -> int:
        """Return the gunicorn worker timeout that outlasts the slowest stop."""
        return self.max_stop_timeout + self.engine_timeout + 30

    @classmethod
    def from_env(cls) -> Settings:
        bind = _env_str("GATEWAY_BIND", cls.bind)
        public_url = os.environ.get("GATEWAY_PUBLIC_URL") or f"http://{bind}"
        settings = cls(
            bind=bind,
            public_url=public_url,
            engine_timeout=_env_int("GATEWAY_ENGINE_TIMEOUT", cls.engine_timeout, 1),
            max_stop_timeout=_env_int(
                "GATEWAY_MAX_STOP_TIMEOUT", cls.max_stop_timeout, 0
            ),
            default_stop_timeout=_env_int(
                "GATEWAY_DEFAULT_STOP_TIMEOUT", cls.default_stop_timeout, 0
            ),
            max_body_bytes=_env_int("GATEWAY_MAX_BODY_BYTES", cls.max_body_bytes, 1),
            max_log_bytes=_env_int("GATEWAY_MAX_LOG_BYTES", cls.max_log_bytes, 1024),
            workers=_env_int("GATEWAY_WORKERS", cls.workers, 1),
            threads=_env_int("GATEWAY_THREADS", cls.threads, 1),
            log_level=_env_str("GATEWAY_LOG_LEVEL", cls.log_level).upper(),
            state_dir=_env_str("GATEWAY_STATE_DIR", cls.state_dir),
            access_log=_env_bool("GATEWAY_ACCESS_LOG", cls.access_log),
            audit_log=os.environ.get("GATEWAY_AUDIT_LOG", cls.audit_log),
            instance=_env_str("GATEWAY_INSTANCE", cls.instance),
            show_unmanaged=_env_bool("GATEWAY_SHOW_UNMANAGED", cls.show_unmanaged),
            wsse_window=_env_int("GATEWAY_WSSE_WINDOW", cls.wsse_window, 1),
            wsse_password_text=_env_bool(
                "GATEWAY_WSSE_PASSWORD_TEXT", cls.wsse_password_text
            ),
        )
        if settings.default_stop_timeout > settings.max_stop_timeout:
            raise ConfigurationError(
                "GATEWAY_DEFAULT_STOP_TIMEOUT must not exceed GATEWAY_MAX_STOP_TIMEOUT"
            )
        if not settings.public_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"GATEWAY_PUBLIC_URL must be an http or https URL, got {public_url!r}"
            )
        return settings


def check_exposure(settings: Settings, tokens_configured: bool) -> None:
    """Refuse a bind beyond loopback when no token protects the gateway.

    Any client that reaches the gateway controls the Docker Engine, which is root on
    the host, so an open gateway on a public address is a remote root shell.
    """
    if tokens_configured or settings.bind_is_loopback:
        return
    raise ConfigurationError(
        f"refusing to listen on {settings.bind} without API tokens: anyone who "
        "reaches the gateway would control the Docker Engine. Create a token "
        "with 'python -m gateway.auth new --owner NAME' and set "
        "GATEWAY_TOKENS_FILE (or GATEWAY_TOKENS), or bind to 127.0.0.1"
    )
