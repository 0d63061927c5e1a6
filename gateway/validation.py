"""Validation of request data against the domain models."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gateway.errors import InvalidRequest

ModelT = TypeVar("ModelT", bound=BaseModel)


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def validate(model: type[ModelT], data: Any, *, strict: bool | None = None) -> ModelT:
    """Return *data* as *model*, or raise :class:`InvalidRequest` naming the field.

    The message lists every invalid field, so a caller can fix them at once.
    """
    try:
        return model.model_validate(data, strict=strict)
    except ValidationError as exc:
        problems = []
        for item in exc.errors(include_url=False, include_input=False):
            field = _location(item["loc"])
            message = item["msg"]
            if item["type"] == "extra_forbidden":
                message = "unknown field"
            problems.append({"field": field, "message": message})
        first = problems[0]["field"] if problems else None
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise InvalidRequest(
            f"invalid request: {summary}", field=first, errors=problems
        ) from None
