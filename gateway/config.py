"""Settings read from ``GATEWAY_*`` environment variables."""

from __future__ import annotations

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
    workers: int = 2
    threads: int = 16
    log_level: str = "INFO"

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
