"""Unit tests of single layers: error mapping, models, log text, settings."""

from __future__ import annotations

import inspect

import docker.errors
import pytest
import requests.exceptions
import urllib3.exceptions

from gateway import errors
from gateway.config import Settings
from gateway.docker_errors import DOCKER_ERRORS, translate
from gateway.logtext import escape_line, split_lines
from gateway.models import CreateRequest, parse_memory, parse_signal
from gateway.validation import validate


def docker_error_classes() -> list[type[BaseException]]:
    return [
        cls
        for _, cls in inspect.getmembers(docker.errors, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == "docker.errors"
    ]


@pytest.mark.parametrize("cls", docker_error_classes(), ids=lambda cls: cls.__name__)
def test_docker_error_mapped(cls: type[BaseException]) -> None:
    assert cls in DOCKER_ERRORS, f"docker.errors.{cls.__name__} has no translation"


def api_error(status: int) -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = status
    return docker.errors.APIError("engine said no", response=response)


@pytest.mark.parametrize(
    ("status", "operation", "expected"),
    [
        pytest.param(404, "inspect", errors.ContainerNotFound, id="404-inspect"),
        pytest.param(404, "create", errors.ImageNotFound, id="404-create"),
        pytest.param(409, "create", errors.NameConflict, id="409-create"),
        pytest.param(409, "kill", errors.InvalidState, id="409-kill"),
        pytest.param(400, "create", errors.InvalidRequest, id="400"),
        pytest.param(500, "start", errors.EngineError, id="500"),
        pytest.param(403, "start", errors.EngineError, id="403"),
    ],
)
def test_api_error_by_status(
    status: int, operation: str, expected: type[errors.GatewayError]
) -> None:
    assert type(translate(api_error(status), operation)) is expected


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        pytest.param(
            requests.exceptions.ConnectionError(), errors.EngineUnavailable, id="conn"
        ),
        pytest.param(
            requests.exceptions.ConnectTimeout(),
            errors.EngineUnavailable,
            id="ctimeout",
        ),
        pytest.param(
            requests.exceptions.ReadTimeout(), errors.EngineTimeout, id="read"
        ),
        pytest.param(
            docker.errors.InvalidArgument("bad"), errors.InvalidRequest, id="argument"
        ),
        pytest.param(
            urllib3.exceptions.ProtocolError("Connection aborted.", OSError(111)),
            errors.EngineUnavailable,
            id="pool-refused",
        ),
        pytest.param(
            urllib3.exceptions.ConnectTimeoutError(),
            errors.EngineUnavailable,
            id="pool-ctimeout",
        ),
        pytest.param(
            urllib3.exceptions.ReadTimeoutError(None, "/containers/json", "timed out"),  # type: ignore[arg-type]
            errors.EngineTimeout,
            id="pool-read",
        ),
    ],
)
def test_transport_errors(exc: Exception, expected: type[errors.GatewayError]) -> None:
    assert type(translate(exc, "list")) is expected


def test_action_timeout_says_inspect() -> None:
    timeout = urllib3.exceptions.ReadTimeoutError(None, "/", "timed out")  # type: ignore[arg-type]
    action = translate(timeout, "stop")
    read = translate(timeout, "inspect")
    assert action is not None and read is not None
    assert "the stop may still take effect" in action.message
    assert "may still take effect" not in read.message


def test_unrelated_error_untranslated() -> None:
    assert translate(KeyError("x"), "list") is None


def test_error_codes_unique() -> None:
    classes = errors.error_classes()
    codes = [cls.code for cls in classes]
    faults = [cls.soap_fault for cls in classes]
    assert len(set(codes)) == len(codes)
    assert len(set(faults)) == len(faults)


@pytest.mark.parametrize("cls", errors.error_classes(), ids=lambda cls: cls.__name__)
def test_fault_prefix_matches_status(cls: type[errors.GatewayError]) -> None:
    expected = "Client." if cls.http_status < 500 else "Server."
    if cls in (errors.VersionMismatch, errors.MustUnderstand):
        expected = cls.soap_fault
    assert cls.soap_fault.startswith(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("256m", 256 * 1024**2, id="mebibytes"),
        pytest.param("1G", 1024**3, id="upper-unit"),
        pytest.param(6 * 1024**2, 6 * 1024**2, id="bytes"),
        pytest.param("7340032", 7340032, id="digits"),
    ],
)
def test_parse_memory(value: int | str, expected: int) -> None:
    assert parse_memory(value) == expected


@pytest.mark.parametrize("value", ["2.5G", "10x", "", "-5m", "1m", True, "1 g g"])
def test_parse_memory_rejects(value: int | str) -> None:
    with pytest.raises(ValueError):
        parse_memory(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("TERM", "SIGTERM"), ("sigkill", "SIGKILL"), (9, "9"), ("15", "15")],
)
def test_parse_signal(value: str | int, expected: str) -> None:
    assert parse_signal(value) == expected


@pytest.mark.parametrize("value", ["SIGNOPE", 0, 65, "", "9; rm"])
def test_parse_signal_rejects(value: str | int) -> None:
    with pytest.raises(ValueError):
        parse_signal(value)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({}, "image", id="missing-image"),
        pytest.param({"image": "x", "extra": 1}, "extra", id="unknown-field"),
        pytest.param({"image": "x", "command": "ls"}, "command", id="command-string"),
        pytest.param({"image": "x", "command": ["ls", 1]}, "command.1", id="cmd-int"),
        pytest.param({"image": "x", "limits": {"cpus": "1"}}, "limits.cpus", id="cpus"),
        pytest.param({"image": "x", "name": "a b"}, "name", id="name-space"),
        pytest.param({"image": "x", "working_dir": "tmp"}, "working_dir", id="dir"),
        pytest.param({"image": "x", "env": {"A=B": "1"}}, "env", id="env-name"),
        pytest.param(
            {"image": "x", "restart_policy": {"name": "sometimes"}},
            "restart_policy.name",
            id="restart",
        ),
    ],
)
def test_create_rejects_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(errors.InvalidRequest) as raised:
        validate(CreateRequest, body)
    assert raised.value.field == field


def test_escape_line() -> None:
    assert escape_line(b"a\x1b[0m\x00\xff\tz\r") == "a\\x1b[0m\\x00\\xff\tz"


def test_split_lines_bounded() -> None:
    lines, truncated, size = split_lines([b"abc\n" * 10, b"never read"], 8)
    assert lines == ["abc", "abc"]
    assert truncated is True
    assert size == 6


def test_worker_outlasts_stop() -> None:
    settings = Settings()
    assert settings.worker_timeout > settings.max_stop_timeout + settings.engine_timeout


def test_error_doc_current() -> None:
    from gateway.errordoc import USES, render
    from tests.conftest import REPO

    assert set(USES) == set(errors.error_classes())
    committed = (REPO / "docs" / "errors.md").read_text()
    assert committed == render(), (
        "docs/errors.md is stale; run: python -m gateway.errordoc > docs/errors.md"
    )
