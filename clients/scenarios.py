"""Named comparison scenarios: the full lifecycle and each error case.

A scenario names every container it may create before the request that
creates it, and removes them all when it ends, whether it passed, failed or
was interrupted. Names are ``<base>-<role>``, so a caller that picks the base
can predict every name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clients.common import (
    ApiError,
    ClientFailure,
    ContainerClient,
    CreateSpec,
    ListFilter,
    LogsOptions,
)
from clients.comparison import Step

logger = logging.getLogger(__name__)

DEFAULT_IMAGE = "gateway-demo:latest"
# Every scenario container carries this label, with the base name as value.
RUN_LABEL = "container-gateway.compare"
SLEEPER = ["sh", "-c", "echo ready; sleep 300"]


@dataclass
class Context:
    """The clients, image and container names of one scenario run."""

    base: str
    image: str
    rest: ContainerClient
    soap: ContainerClient
    #: The client that sets up and removes containers. Its calls are not
    #: measured.
    admin: ContainerClient
    names: list[str] = field(default_factory=list)

    def own(self, role: str) -> str:
        """Return the name for *role* and register it for removal."""
        name = f"{self.base}-{role}"
        if name not in self.names:
            self.names.append(name)
        return name

    def spec(self, name: str, *, start: bool = False, **extra: Any) -> CreateSpec:
        return CreateSpec(
            image=self.image,
            name=name,
            command=list(SLEEPER),
            labels={RUN_LABEL: self.base},
            network="none",
            start=start,
            **extra,
        )

    def setup(self, role: str, *, start: bool = False) -> str:
        """Create a container for *role* through the admin client."""
        name = self.own(role)
        self.admin.create(self.spec(name, start=start))
        return name


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    steps: Callable[[Context], list[Step]]
    #: Whether the scenario needs the URL of a gateway whose engine is down.
    needs_down_url: bool = False


def lifecycle_steps(ctx: Context) -> list[Step]:
    """Return the lifecycle, each protocol on a container of its own."""

    def mine(client: ContainerClient) -> str:
        return ctx.own(f"life-{client.protocol}")

    def only_mine(client: ContainerClient) -> dict[str, Any]:
        query = ListFilter(labels=[f"{RUN_LABEL}={ctx.base}"], name=mine(client))
        return client.list_containers(query)

    calls: list[tuple[str, Callable[[ContainerClient], Any]]] = [
        ("create", lambda c: c.create(ctx.spec(mine(c)))),
        ("start", lambda c: c.start(mine(c))),
        ("inspect", lambda c: c.inspect(mine(c))),
        ("pause", lambda c: c.pause(mine(c))),
        ("unpause", lambda c: c.unpause(mine(c))),
        ("list", only_mine),
        ("logs", lambda c: c.logs(mine(c), LogsOptions(tail="10"))),
        ("restart", lambda c: c.restart(mine(c), 0)),
        ("kill", lambda c: c.kill(mine(c), "SIGKILL")),
        ("stop (already stopped)", lambda c: c.stop(mine(c), 0)),
        ("remove", lambda c: c.remove(mine(c))),
    ]
    return [Step(label, call, expect="ok") for label, call in calls]


def not_found_steps(ctx: Context) -> list[Step]:
    missing = ctx.own("missing")
    code = "container_not_found"
    return [
        Step("inspect missing", lambda c: c.inspect(missing), expect=code),
        Step("start missing", lambda c: c.start(missing), expect=code),
        Step("stop missing", lambda c: c.stop(missing, 0), expect=code),
        Step("logs missing", lambda c: c.logs(missing, LogsOptions()), expect=code),
        Step("remove missing", lambda c: c.remove(missing), expect=code),
    ]


def name_conflict_steps(ctx: Context) -> list[Step]:
    taken_name = ctx.setup("taken")
    return [
        Step(
            "create taken name",
            lambda c: c.create(ctx.spec(taken_name)),
            expect="name_conflict",
        )
    ]


def invalid_state_steps(ctx: Context) -> list[Step]:
    idle = ctx.setup("idle")
    busy = ctx.setup("busy", start=True)
    code = "invalid_state"
    return [
        Step("pause created", lambda c: c.pause(idle), expect=code),
        Step("unpause created", lambda c: c.unpause(idle), expect=code),
        Step("kill created", lambda c: c.kill(idle), expect=code),
        Step("remove running", lambda c: c.remove(busy), expect=code),
    ]


def invalid_input_steps(ctx: Context) -> list[Step]:
    target = ctx.setup("input")

    def bad_memory(client: ContainerClient) -> Any:
        name = ctx.own(f"mem-{client.protocol}")
        return client.create(ctx.spec(name, memory="2.5g"))

    calls: list[tuple[str, Callable[[ContainerClient], Any]]] = [
        ("create memory 2.5g", bad_memory),
        ("kill signal SIGNOPE", lambda c: c.kill(target, "SIGNOPE")),
        ("stop timeout 100000", lambda c: c.stop(target, 100000)),
        ("inspect 'no such name'", lambda c: c.inspect("no such name")),
        ("logs tail -1", lambda c: c.logs(target, LogsOptions(tail="-1"))),
        ("list state bogus", lambda c: c.list_containers(ListFilter(state="bogus"))),
    ]
    return [Step(label, call, expect="invalid_request") for label, call in calls]


def engine_down_steps(ctx: Context) -> list[Step]:
    # No step creates anything: the admin client that removes containers
    # talks to the other gateway, which may not share this one's engine.
    missing = ctx.own("missing")
    code = "engine_unavailable"
    return [
        Step(
            "list",
            lambda c: c.list_containers(ListFilter(include_all=True)),
            expect=code,
        ),
        Step("inspect", lambda c: c.inspect(missing), expect=code),
    ]


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("lifecycle", "every operation, in order", lifecycle_steps),
        Scenario("not-found", "operations on a missing container", not_found_steps),
        Scenario("name-conflict", "create with a name in use", name_conflict_steps),
        Scenario("invalid-state", "actions the state forbids", invalid_state_steps),
        Scenario("invalid-input", "values the gateway rejects", invalid_input_steps),
        Scenario(
            "engine-down",
            "a second gateway, given by --engine-down-url, whose engine is down",
            engine_down_steps,
            needs_down_url=True,
        ),
    )
}


@dataclass
class Removal:
    name: str
    #: ``removed``, ``absent`` (nothing to remove) or ``failed``.
    status: str
    message: str = ""

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "message": self.message}


def remove_all(admin: ContainerClient, names: list[str]) -> list[Removal]:
    """Force-remove every named container and report what happened to each.

    A failure to remove one container is logged and reported, and the rest
    are still removed.
    """
    removals = []
    for name in names:
        try:
            admin.remove(name, force=True, volumes=True)
        except ApiError as exc:
            if exc.code == "container_not_found":
                removals.append(Removal(name, "absent"))
                continue
            logger.warning("removing container %s failed: %s", name, exc.describe())
            removals.append(Removal(name, "failed", exc.describe()))
            continue
        except ClientFailure as exc:
            logger.warning("removing container %s failed: %s", name, exc.describe())
            removals.append(Removal(name, "failed", exc.describe()))
            continue
        removals.append(Removal(name, "removed"))
    return removals
