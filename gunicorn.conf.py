"""gunicorn settings for the gateway, read from GATEWAY_* variables."""

from gunicorn import util

from gateway import http_errors
from gateway.auth import TokenStore
from gateway.config import Settings, check_exposure
from gateway.errors import ConfigurationError

http_errors.install(util)

try:
    _settings = Settings.from_env()
    # Checked here too, so that the master exits with the reason instead of
    # workers failing to boot one after another.
    check_exposure(_settings, TokenStore.from_env().enabled)
except ConfigurationError as exc:
    raise SystemExit(f"container-gateway: {exc}") from None

bind = [_settings.bind]
# Threaded workers, so that a stop waiting out its timeout occupies one thread,
# not a whole worker.
worker_class = "gthread"
workers = _settings.workers
threads = _settings.threads
# Longer than the slowest accepted stop plus the engine's own timeout.
timeout = _settings.worker_timeout
graceful_timeout = 30
keepalive = 5
# Request line and header limits well below gunicorn's defaults.
limit_request_line = 8190
limit_request_fields = 100
# The gateway's own INFO line per engine operation carries the request id;
# GATEWAY_ACCESS_LOG=false drops gunicorn's line per request (a few percent
# of each request's CPU in the benchmark).
accesslog = "-" if _settings.access_log else None
errorlog = "-"
loglevel = _settings.log_level.lower()
