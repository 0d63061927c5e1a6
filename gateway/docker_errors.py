"""Translation of Docker SDK and transport exceptions into gateway errors.

This is the only place that looks at ``docker.errors``, ``requests`` and
``urllib3`` exceptions (the last from calls that go to the SDK's connection
pool directly, see :mod:`gateway.engine_transport`). Engine replies are
distinguished by HTTP status code and by the operation that received them,
never by the text of the engine's message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import docker.errors
import requests.exceptions
import urllib3.exceptions

from gateway import errors
from gateway.engine_transport import InvalidEngineReply

logger = logging.getLogger(__name__)

# Operations whose 404 means the image, not the container, is missing, and
# whose 409 means the name is taken rather than a state conflict.
CREATE_OPERATIONS = frozenset({"create"})
# Operations that change a container, as opposed to reading it.
ACTIONS = frozenset(
    {"create", "start", "stop", "restart", "kill", "pause", "unpause", "remove"}
)


def _api_error(exc: Exception, operation: str) -> errors.GatewayError:
    assert isinstance(exc, docker.errors.APIError)
    status = exc.status_code or 500
    message = _engine_message(exc)
    if status == 404:
        if operation in CREATE_OPERATIONS:
            return errors.ImageNotFound(message, field="image")
        return errors.ContainerNotFound(message)
    if status == 409:
        if operation in CREATE_OPERATIONS:
            return errors.NameConflict(message, field="name")
        return errors.InvalidState(message)
    if status in (401, 403):
        return errors.EngineError(f"engine rejected the request: {message}")
    if 400 <= status < 500:
        return errors.InvalidRequest(message)
    return errors.EngineError(f"engine failed ({status}): {message}")


def _engine_message(exc: docker.errors.APIError) -> str:
    explanation = exc.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    text = (explanation or "no message from the engine").strip()
    return text[:1000]


def _sdk_input_error(exc: Exception, operation: str) -> errors.GatewayError:
    return errors.InvalidRequest(f"invalid {operation} request: {exc}")


def _sdk_setup_error(exc: Exception, operation: str) -> errors.GatewayError:
    return errors.EngineUnavailable(f"cannot set up the engine client: {exc}")


def _engine_failure(exc: Exception, operation: str) -> errors.GatewayError:
    return errors.EngineError(f"engine failed during {operation}: {exc}")


def _internal(exc: Exception, operation: str) -> errors.GatewayError:
    return errors.GatewayError(f"internal error during {operation}")


def _unreachable(exc: Exception, operation: str) -> errors.GatewayError:
    return errors.EngineUnavailable(
        "container engine is not reachable; check that dockerd is running "
        "and DOCKER_HOST points at it"
    )


def _timed_out(exc: Exception, operation: str) -> errors.GatewayError:
    message = f"container engine timed out during {operation}"
    if operation in ACTIONS:
        # The request may already be with the engine, which carries it out
        # once it catches up.
        message += (
            f"; the {operation} may still take effect, so inspect the container "
            "before trying again"
        )
    return errors.EngineTimeout(message)


Translator = Callable[[Exception, str], errors.GatewayError]

#: Every exception class the Docker SDK defines, and how it is reported. A test
#: checks that each class in ``docker.errors`` has its own entry here.
DOCKER_ERRORS: dict[type[BaseException], Translator] = {
    docker.errors.APIError: _api_error,
    docker.errors.NotFound: _api_error,
    docker.errors.ImageNotFound: _api_error,
    docker.errors.InvalidArgument: _sdk_input_error,
    docker.errors.InvalidRepository: _sdk_input_error,
    docker.errors.NullResource: _sdk_input_error,
    docker.errors.InvalidVersion: _sdk_setup_error,
    docker.errors.InvalidConfigFile: _sdk_setup_error,
    docker.errors.TLSParameterError: _sdk_setup_error,
    docker.errors.MissingContextParameter: _sdk_setup_error,
    docker.errors.ContextAlreadyExists: _sdk_setup_error,
    docker.errors.ContextException: _sdk_setup_error,
    docker.errors.ContextNotFound: _sdk_setup_error,
    docker.errors.ContainerError: _engine_failure,
    docker.errors.BuildError: _engine_failure,
    docker.errors.ImageLoadError: _engine_failure,
    docker.errors.StreamParseError: _engine_failure,
    docker.errors.DeprecatedMethod: _internal,
    docker.errors.DockerException: _engine_failure,
}

#: Transport failures below the SDK. Order matters: a connect timeout is a
#: ``ConnectionError`` and a ``Timeout`` at once, and means "unreachable".
TRANSPORT_ERRORS: dict[type[BaseException], Translator] = {
    requests.exceptions.ConnectTimeout: _unreachable,
    requests.exceptions.Timeout: _timed_out,
    requests.exceptions.ConnectionError: _unreachable,
    requests.exceptions.RequestException: _engine_failure,
    urllib3.exceptions.ConnectTimeoutError: _unreachable,
    urllib3.exceptions.TimeoutError: _timed_out,
    # A refused or missing socket comes as "Connection aborted".
    urllib3.exceptions.ProtocolError: _unreachable,
    urllib3.exceptions.HTTPError: _engine_failure,
    InvalidEngineReply: _engine_failure,
}


def translate(exc: Exception, operation: str) -> errors.GatewayError | None:
    """Return the gateway error for *exc*, or ``None`` if it is not an engine one."""
    for cls in type(exc).__mro__:
        translator = DOCKER_ERRORS.get(cls) or TRANSPORT_ERRORS.get(cls)
        if translator is not None:
            return translator(exc, operation)
    return None


@contextmanager
def engine_errors(operation: str) -> Iterator[None]:
    """Raise engine and transport exceptions as gateway errors, chained."""
    try:
        yield
    except errors.GatewayError:
        raise
    except Exception as exc:
        error = translate(exc, operation)
        if error is None:
            raise
        if isinstance(error, errors.EngineError | errors.EngineUnavailable):
            logger.warning("engine %s failed: %r", operation, exc)
        raise error from exc
