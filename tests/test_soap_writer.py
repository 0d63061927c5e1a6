"""The SOAP response writer gives Spyne's exact output, and is used.

:class:`soap_service.xmlwriter.ComplexWriter` replaces Spyne's serializer for
the response types. These tests write the same values with both and compare
the bytes, over generated values that include absent, nil and repeated
members, text that needs escaping, and dates with and without time zones.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from spyne import Application
from spyne.protocol.soap import Soap11

from soap_service import types
from soap_service.faults import GatewaySoap11
from soap_service.service import ContainerService
from soap_service.xmlwriter import ComplexWriter, declared_type

XML_TEXT = st.text(
    st.characters(
        codec="utf-8",
        exclude_categories=("Cs", "Cc"),
        include_characters="\t\n",
    ),
    max_size=30,
)
MAYBE_TEXT = st.none() | XML_TEXT
TIMES = st.none() | st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=5))]),
)
INT32 = st.integers(-(2**31), 2**31 - 1)
INT64 = st.integers(-(2**63), 2**63 - 1)


class SpyneOnly(GatewaySoap11):
    """The gateway's protocol with every element written by Spyne."""

    def to_parent(self, *args: Any, **kwargs: Any) -> Any:
        return Soap11.to_parent(self, *args, **kwargs)


def _protocol(protocol: Soap11) -> Soap11:
    # An application binds the protocol to the service's interface.
    Application(
        [ContainerService],
        tns=types.NAMESPACE,
        name="ContainerGateway",
        in_protocol=Soap11(),
        out_protocol=protocol,
    )
    return protocol


FAST = _protocol(GatewaySoap11())
SPYNE = _protocol(SpyneOnly())


def _write(protocol: Soap11, cls: type, value: Any, name: str) -> bytes:
    parent = etree.Element(
        f"{{{types.NAMESPACE}}}Response", nsmap={"tns": types.NAMESPACE}
    )
    protocol.to_parent(None, cls, value, parent, types.NAMESPACE, name)
    return bytes(etree.tostring(parent))


def _same(cls: type, value: Any, name: str = "item") -> bytes:
    fast = _write(FAST, cls, value, name)
    assert fast == _write(SPYNE, cls, value, name)
    return fast


@st.composite
def containers(draw: st.DrawFn, required: bool = True) -> types.Container:
    text = XML_TEXT if required else MAYBE_TEXT
    labels = draw(st.none() | st.lists(st.tuples(XML_TEXT, XML_TEXT), max_size=4))
    limits = draw(
        st.none()
        | st.builds(
            types.ContainerLimits,
            memory=st.none() | INT64,
            cpus=st.none() | st.floats(allow_nan=False, allow_infinity=False),
            pids=st.none() | INT64,
        )
    )
    return types.Container(
        containerId=draw(text),
        shortId=draw(text),
        name=draw(text),
        image=draw(text),
        command=draw(text),
        state=draw(text),
        status=draw(text),
        createdAt=draw(TIMES),
        startedAt=draw(TIMES),
        finishedAt=draw(TIMES),
        exitCode=draw(st.none() | INT32),
        labels=None
        if labels is None
        else [types.KeyValue(key=k, value=v) for k, v in labels],
        limits=limits,
    )


SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(containers(required=False))
def test_container_matches_spyne(container: types.Container) -> None:
    _same(types.Container, container, "container")


@SETTINGS
@given(st.booleans(), containers())
def test_action_result_matches_spyne(changed: bool, container: types.Container) -> None:
    result = types.ActionResult(changed=changed, container=container)
    _same(types.ActionResult, result, "result")


@SETTINGS
@given(
    MAYBE_TEXT,
    st.none() | st.lists(st.none() | XML_TEXT, max_size=5),
    st.none() | st.booleans(),
    st.none() | INT64,
)
def test_logs_match_spyne(
    container_id: str | None,
    lines: list[str | None] | None,
    truncated: bool | None,
    size: int | None,
) -> None:
    logs = types.Logs(
        containerId=container_id, lines=lines, truncated=truncated, sizeBytes=size
    )
    _same(types.Logs, logs, "logs")


def test_remove_result_matches_spyne() -> None:
    _same(types.RemoveResult, types.RemoveResult(containerId="c1", removed=True))


def test_required_member_written_nil() -> None:
    # A required member without a value is a nil element, as Spyne writes it.
    written = _same(types.Container, types.Container(containerId=None), "container")
    assert (
        b'<tns:containerId xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        in written
    )
    assert b'xsi:nil="true"' in written


def test_writer_takes_response_types() -> None:
    # Without a plan the fast path would fall back to Spyne everywhere and the
    # comparisons above would compare Spyne with itself.
    for cls in types.WRITTEN_TYPES:
        assert FAST._writer.plan(cls) is not None, cls
    assert FAST._writer.plan(types.PortBinding) is None


@pytest.mark.parametrize("bad", ["\x00", "\x1b[0m", "\ud800"])
def test_invalid_xml_text_rejected_alike(bad: str) -> None:
    container = types.Container(containerId=bad)
    errors = []
    for protocol in (FAST, SPYNE):
        with pytest.raises(ValueError) as info:
            _write(protocol, types.Container, container, "container")
        errors.append(type(info.value))
    assert errors[0] is errors[1]


def test_concurrent_first_use_plans_all(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two threads compile types that share a member. The one that finds the
    # member half compiled must wait for it, not give up on its own type.
    writer = ComplexWriter(lambda cls, value: str(value), types.WRITTEN_TYPES)
    compile_member = writer._compile

    def slow_compile(cls: type) -> Any:
        if declared_type(cls) is types.KeyValue:
            time.sleep(0.2)
        return compile_member(cls)

    monkeypatch.setattr(writer, "_compile", slow_compile)
    first = threading.Thread(target=writer.plan, args=(types.Container,))
    second = threading.Thread(target=writer.plan, args=(types.ActionResult,))
    first.start()
    time.sleep(0.05)
    second.start()
    first.join()
    second.join()
    assert writer.plan(types.Container) is not None
    assert writer.plan(types.ActionResult) is not None
