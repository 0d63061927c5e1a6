"""Measuring one call through each protocol and judging whether they agree."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from clients.common import ApiError, ContainerClient
from clients.wire import Exchange

logger = logging.getLogger(__name__)

# Members that differ between two containers made alike, or between two
# reads of one container a moment apart: ids, names, times and Docker's
# status text ("Up 2 seconds").
VOLATILE_KEYS = frozenset(
    {
        "container_id",
        "short_id",
        "name",
        "created_at",
        "started_at",
        "finished_at",
        "status",
    }
)


@dataclass(frozen=True)
class Step:
    """One call that a comparison makes through both protocols.

    With ``compare_values`` off, two successes agree when their results have
    the same shape; with it on, the stable values must be equal too.
    ``expect`` is the error code the step should end in, ``ok`` for success,
    or ``None`` for no expectation. It is reported beside agreement and does
    not change it.
    """

    label: str
    call: Callable[[ContainerClient], Any]
    compare_values: bool = True
    expect: str | None = None


@dataclass
class Outcome:
    """The result or error of one protocol for a step, and its cost on the wire."""

    protocol: str
    ok: bool
    http_status: int | None
    code: str | None
    fault_code: str | None
    message: str | None
    request_bytes: int
    response_bytes: int
    request_head_bytes: int
    response_head_bytes: int
    seconds: float
    http_seconds: float
    result: Any = None
    #: The exchanges themselves, which --show-wire prints and the JSON leaves out.
    exchanges: list[Exchange] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["exchanges"]
        return data


@dataclass
class StepReport:
    label: str
    rest: Outcome
    soap: Outcome
    agree: bool
    reason: str
    expect: str | None = None

    @property
    def as_expected(self) -> bool | None:
        """Whether both protocols ended as the step expects, or ``None`` when
        the step has no expectation."""
        if self.expect is None:
            return None
        return all(
            (outcome.code or "ok") == self.expect for outcome in (self.rest, self.soap)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.label,
            "agree": self.agree,
            "reason": self.reason,
            "expect": self.expect,
            "as_expected": self.as_expected,
            "rest": self.rest.to_json(),
            "soap": self.soap.to_json(),
        }


def measure(client: ContainerClient, step: Step) -> Outcome:
    """Run *step* through *client* and return its outcome.

    ``seconds`` is the whole call as the caller sees it, message building and
    parsing included, while ``http_seconds`` covers the HTTP exchanges alone.
    Connection failures are not outcomes: they propagate and end the run.
    """
    client.exchanges.clear()
    result: Any = None
    error: ApiError | None = None
    started = time.perf_counter()
    try:
        result = step.call(client)
    except ApiError as exc:
        error = exc
    seconds = time.perf_counter() - started
    exchanges = list(client.exchanges)
    client.exchanges.clear()
    return _outcome(client.protocol, exchanges, seconds, result, error)


def _outcome(
    protocol: str,
    exchanges: list[Exchange],
    seconds: float,
    result: Any,
    error: ApiError | None,
) -> Outcome:
    last = exchanges[-1] if exchanges else None
    return Outcome(
        protocol=protocol,
        ok=error is None,
        http_status=last.status if last else None,
        code=error.code if error else None,
        fault_code=error.fault_code if error else None,
        message=error.message if error else None,
        request_bytes=sum(len(item.request_body) for item in exchanges),
        response_bytes=sum(len(item.response_body) for item in exchanges),
        request_head_bytes=sum(item.request_head_bytes() for item in exchanges),
        response_head_bytes=sum(item.response_head_bytes() for item in exchanges),
        seconds=seconds,
        http_seconds=sum(item.seconds for item in exchanges),
        result=result,
        exchanges=exchanges,
    )


def stable_view(value: Any) -> Any:
    """Return *value* without its volatile members, recursively.

    A text ``container`` member is the reference a remove result echoes, and
    is dropped too. An object ``container`` is compared member by member.
    """
    if isinstance(value, dict):
        return {
            key: stable_view(item)
            for key, item in value.items()
            if key not in VOLATILE_KEYS
            and not (key == "container" and isinstance(item, str))
        }
    if isinstance(value, list):
        return [stable_view(item) for item in value]
    return value


def shape_of(value: Any) -> Any:
    """Return *value* with each leaf replaced by its type name."""
    if isinstance(value, dict):
        return {key: shape_of(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape_of(item) for item in value[:1]]
    return type(value).__name__


def judge(rest: Outcome, soap: Outcome, compare_values: bool) -> tuple[bool, str]:
    """Return whether two outcomes agree, and why in a few words."""
    if rest.ok != soap.ok:
        failed = rest if not rest.ok else soap
        return False, f"only {failed.protocol.upper()} failed ({failed.code})"
    if not rest.ok:
        if rest.code == soap.code:
            return True, f"both {rest.code}"
        return False, f"codes differ: {rest.code} vs {soap.code}"
    rest_view = stable_view(rest.result)
    soap_view = stable_view(soap.result)
    if compare_values:
        if rest_view == soap_view:
            return True, "same result"
        return False, "results differ: " + first_difference(rest_view, soap_view)
    if shape_of(rest_view) == shape_of(soap_view):
        return True, "same result shape"
    return False, "result shapes differ"


def first_difference(left: Any, right: Any, path: str = "") -> str:
    """Return the path and values of the first member that differs."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            if left.get(key) != right.get(key):
                return first_difference(left.get(key), right.get(key), f"{path}.{key}")
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            if a != b:
                return first_difference(a, b, f"{path}[{index}]")
    return f"{path.lstrip('.') or 'result'}: {left!r} vs {right!r}"


def compare_step(
    step: Step, rest: ContainerClient, soap: ContainerClient
) -> StepReport:
    """Run *step* through REST, then SOAP, and judge the two outcomes."""
    rest_outcome = measure(rest, step)
    soap_outcome = measure(soap, step)
    agree, reason = judge(rest_outcome, soap_outcome, step.compare_values)
    logger.debug("step %s: agree=%s (%s)", step.label, agree, reason)
    return StepReport(
        step.label, rest_outcome, soap_outcome, agree, reason, step.expect
    )
