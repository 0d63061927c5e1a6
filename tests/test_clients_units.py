"""The clients' pure helpers: masking, wire format, agreement and tables."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from clients.common import CreateSpec, UsageError, parse_timestamp
from clients.comparison import Outcome, judge, stable_view
from clients.render import plain_table, text_value
from clients.rest_client import create_body
from clients.soap_client import container_json, rfc3339, snake_case
from clients.wire import Exchange, format_exchange, mask_header, pretty_body

WSSE = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
)
ENVELOPE = (
    '<?xml version="1.0"?>'
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
    f'<s:Header><wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken>'
    "<wsse:Username>alice</wsse:Username><wsse:Password>hunter2</wsse:Password>"
    "</wsse:UsernameToken></wsse:Security></s:Header>"
    "<s:Body><Ping/></s:Body></s:Envelope>"
).encode()


def outcome(protocol: str, *, code: str | None = None, result: Any = None) -> Outcome:
    return Outcome(
        protocol=protocol,
        ok=code is None,
        http_status=200 if code is None else 404,
        code=code,
        fault_code=None,
        message=None,
        request_bytes=0,
        response_bytes=0,
        request_head_bytes=0,
        response_head_bytes=0,
        seconds=0.0,
        http_seconds=0.0,
        result=result,
    )


def test_mask_header_keeps_scheme() -> None:
    assert mask_header("Authorization", "Bearer s3cret") == "Bearer ****"
    assert mask_header("Cookie", "session=abc") == "****"
    assert mask_header("Accept", "application/json") == "application/json"


def test_pretty_body_masks_wsse_password() -> None:
    text = pretty_body(ENVELOPE, "text/xml; charset=utf-8")
    assert "hunter2" not in text
    assert "<wsse:Password>****</wsse:Password>" in text
    assert "<wsse:Username>alice</wsse:Username>" in text
    assert text.startswith('<?xml version="1.0"?>\n<s:Envelope')


def test_pretty_body_indents_json() -> None:
    text = pretty_body(b'{"a": {"b": 1}}', "application/problem+json")
    assert text == '{\n  "a": {\n    "b": 1\n  }\n}'


def test_pretty_body_keeps_invalid_json() -> None:
    assert pretty_body(b"{not json", "application/json") == "{not json"


def test_format_exchange_lines() -> None:
    exchange = Exchange(
        method="GET",
        url="http://127.0.0.1:1/api/v1/containers?all=true",
        request_headers=[("Host", "127.0.0.1:1"), ("Authorization", "Bearer tok")],
        request_body=b"",
        status=404,
        reason="NOT FOUND",
        http_version="1.1",
        response_headers=[("Content-Type", "application/problem+json")],
        response_body=b'{"code": "container_not_found"}',
        seconds=0.0123,
    )
    lines = format_exchange(exchange).splitlines()
    assert lines[0] == "> GET /api/v1/containers?all=true HTTP/1.1"
    assert "> Authorization: Bearer ****" in lines
    assert "< HTTP/1.1 404 NOT FOUND" in lines
    assert '<   "code": "container_not_found"' in lines
    assert "tok" not in format_exchange(exchange).replace("Host", "")
    assert lines[-1] == "(12.3 ms)"


def test_judge_same_error_code_agrees() -> None:
    agree, reason = judge(
        outcome("rest", code="invalid_state"),
        outcome("soap", code="invalid_state"),
        compare_values=True,
    )
    assert agree
    assert reason == "both invalid_state"


def test_judge_different_codes_disagree() -> None:
    agree, reason = judge(
        outcome("rest", code="invalid_state"),
        outcome("soap", code="engine_error"),
        compare_values=True,
    )
    assert not agree
    assert "invalid_state vs engine_error" in reason


def test_judge_one_failure_disagrees() -> None:
    agree, reason = judge(
        outcome("rest", result={}), outcome("soap", code="x"), compare_values=True
    )
    assert not agree
    assert reason == "only SOAP failed (x)"


def test_judge_ignores_volatile_members() -> None:
    rest = {"changed": True, "container": {"name": "a-rest", "state": "running"}}
    soap = {"changed": True, "container": {"name": "a-soap", "state": "running"}}
    agree, _ = judge(
        outcome("rest", result=rest), outcome("soap", result=soap), compare_values=True
    )
    assert agree


def test_judge_reports_first_difference() -> None:
    rest = {"changed": True, "container": {"state": "running", "exit_code": 0}}
    soap = {"changed": True, "container": {"state": "exited", "exit_code": 0}}
    agree, reason = judge(
        outcome("rest", result=rest), outcome("soap", result=soap), compare_values=True
    )
    assert not agree
    assert reason == "results differ: container.state: 'running' vs 'exited'"


def test_judge_shape_only() -> None:
    agree, reason = judge(
        outcome("rest", result={"changed": True}),
        outcome("soap", result={"changed": False}),
        compare_values=False,
    )
    assert agree
    assert reason == "same result shape"


def test_stable_view_drops_ids_and_times() -> None:
    data = {"container_id": "abc", "created_at": "t", "labels": {"a": "b"}}
    assert stable_view(data) == {"labels": {"a": "b"}}


def test_create_body_minimal() -> None:
    assert create_body(CreateSpec(image="busybox")) == {"image": "busybox"}


def test_create_body_full() -> None:
    spec = CreateSpec(
        image="busybox",
        name="web",
        command=["sleep", "1"],
        env={"A": "1"},
        labels={"k": ""},
        working_dir="/tmp",
        memory="64m",
        cpus=0.5,
        pids=10,
        restart_policy="on-failure",
        maximum_retry_count=2,
        network="none",
        start=True,
    )
    assert create_body(spec) == {
        "image": "busybox",
        "name": "web",
        "command": ["sleep", "1"],
        "env": {"A": "1"},
        "labels": {"k": ""},
        "working_dir": "/tmp",
        "network": "none",
        "limits": {"memory": "64m", "cpus": 0.5, "pids": 10},
        "restart_policy": {"name": "on-failure", "maximum_retry_count": 2},
        "start": True,
    }


def test_snake_case_names() -> None:
    assert snake_case("containerId") == "container_id"
    assert snake_case("maximumRetryCount") == "maximum_retry_count"
    assert snake_case("state") == "state"


def test_rfc3339_utc_uses_z() -> None:
    when = datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=timezone.utc)
    assert rfc3339(when) == "2024-05-01T12:00:00.250000Z"
    offset = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert rfc3339(offset) == "2024-05-01T12:00:00+02:00"


def test_container_json_fills_rest_shape() -> None:
    soap = {
        "containerId": "abc",
        "labels": [{"key": "a", "value": "b"}],
        "limits": None,
        "exitCode": 0,
    }
    assert container_json(soap) == {
        "container_id": "abc",
        "labels": {"a": "b"},
        "limits": {"memory": None, "cpus": None, "pids": None},
        "exit_code": 0,
    }
    assert container_json(soap, listed=True)["limits"] is None


def test_parse_timestamp_accepts_z() -> None:
    assert parse_timestamp("2024-05-01T12:00:00Z").tzinfo == timezone.utc


def test_parse_timestamp_rejects_text() -> None:
    with pytest.raises(UsageError, match="RFC 3339"):
        parse_timestamp("yesterday")


def test_plain_table_aligns_columns() -> None:
    text = plain_table(["A", "LONG"], [["xyz", "1"], ["", "22"]])
    assert text.splitlines() == ["A    LONG", "xyz  1", "     22"]


def test_text_value_forms() -> None:
    assert text_value(None) == "-"
    assert text_value(True) == "yes"
    assert text_value({"memory": 5, "cpus": None}) == "memory=5"
    assert text_value({}) == "-"


def test_stable_view_drops_remove_reference() -> None:
    assert stable_view({"container": "web-rest", "removed": True}) == {"removed": True}
