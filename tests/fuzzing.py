"""What the REST and SOAP fuzzers share: their label, their server, their guard.

Every container a fuzzer creates carries the label ``cgtest.fuzz=<run id>``
and network mode ``none``. Teardown removes containers with that label and
value only. A generated container reference that could reach a container
of someone else, by its exact name or as a prefix of its id, is replaced
before the request is sent.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import requests

from tests.conftest import DEMO_IMAGE, Server, start_server, stop_server

RUN_ID = uuid.uuid4().hex[:12]
FUZZ_LABEL = "cgtest.fuzz"
# Not hexadecimal, so the engine can only read it as a name, and no
# container has it.
ABSENT_REF = f"cgtest-fuzz-absent-{RUN_ID}"
#: This run's own containers, which the fuzzers aim actions at, one in each
#: state an action can meet.
OWN_STATES = ("running", "created", "exited", "paused")
OWN_REFS = tuple(f"cgtest-fuzz-{RUN_ID}-{state}" for state in OWN_STATES)
HEX = re.compile(r"^[0-9a-fA-F]+$")


@contextlib.contextmanager
def fuzz_server(tmp_dir: Path, docker_api: docker.APIClient) -> Iterator[Server]:
    """Run a gateway for fuzzing, and remove this run's containers afterwards."""
    # Short stop timeouts: busybox sleep as PID 1 ignores SIGTERM, and a
    # fuzzed stop would otherwise wait out the full default timeout.
    server = start_server(
        tmp_dir, GATEWAY_MAX_STOP_TIMEOUT="2", GATEWAY_DEFAULT_STOP_TIMEOUT="1"
    )
    try:
        yield server
    finally:
        stop_server(server)
        remove_fuzz_containers(docker_api)


def remove_fuzz_containers(api: docker.APIClient) -> None:
    """Remove the containers this run created, and only those."""
    label = f"{FUZZ_LABEL}={RUN_ID}"
    for summary in api.containers(all=True, filters={"label": label}):
        with contextlib.suppress(docker.errors.NotFound):
            api.remove_container(summary["Id"], force=True, v=True)


def ensure_own(server: Server, api: docker.APIClient, name: str) -> None:
    """Bring one of :data:`OWN_REFS` back to the state in its name.

    An earlier fuzzed call may have removed it or changed its state, and
    each action should meet every state. Transitions go to the engine
    directly, which is faster than the gateway, and only a container that
    should be in the created state is made again.
    """
    state = name.rsplit("-", 1)[1]
    try:
        current = api.inspect_container(name)["State"]["Status"]
    except docker.errors.NotFound:
        current = None
    if current == state:
        return
    if current is None or state == "created":
        if current is not None:
            api.remove_container(name, force=True, v=True)
        create_own(server, name)
        current = "created"
    if current == "paused":
        api.unpause(name)
        current = "running"
    if state != "created" and current != "running":
        api.start(name)
    if state == "paused":
        api.pause(name)
    elif state == "exited":
        api.kill(name)
        api.wait(name, timeout=30)


def create_own(server: Server, name: str) -> None:
    """Create one of :data:`OWN_REFS` through the gateway, so that it owns it."""
    body = {
        "image": DEMO_IMAGE,
        "name": name,
        # The shell waits in a way that a TERM interrupts, so a stop or a
        # restart ends at once instead of after its timeout.
        "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"],
        "network": "none",
        "labels": {FUZZ_LABEL: RUN_ID},
    }
    response = requests.post(f"{server.api}/containers", json=body, timeout=60)
    assert response.status_code == 201, response.text


def foreign_match(ref: str, api: docker.APIClient) -> bool:
    """Return whether *ref* could reach a container this run did not create.

    Each part between slashes counts, since a slash in a REST path moves
    the request to another route.
    """
    parts = [part.strip() for part in re.split(r"[/\\]", ref) if part.strip()]
    for summary in api.containers(all=True):
        if (summary.get("Labels") or {}).get(FUZZ_LABEL) == RUN_ID:
            continue
        names = {name.lstrip("/") for name in summary.get("Names") or []}
        for part in parts:
            prefix = HEX.match(part) and summary["Id"].startswith(part.lower())
            if part in names or prefix:
                return True
    return False


def safe_ref(ref: str, api: docker.APIClient) -> str:
    """Return *ref*, or :data:`ABSENT_REF` if it could reach a foreign container."""
    return ABSENT_REF if foreign_match(ref, api) else ref


def operations_done(server: Server) -> set[str]:
    """Return the engine operations that succeeded at least once on *server*.

    A fuzz run whose requests all fail before the engine (a token the test
    lacks, say) would pass without testing anything.
    """
    return set(re.findall(r"operation=(\w+) \S+ outcome=ok", server.log()))


def unlabelled_creations(server: Server, api: docker.APIClient) -> list[str]:
    """Return containers that *server* created without this run's label.

    Teardown removes only labelled containers, so these would be left over.
    """
    created = re.findall(r"operation=create container=(\w+) outcome=ok", server.log())
    found = []
    for container_id in created:
        try:
            labels = api.inspect_container(container_id)["Config"]["Labels"] or {}
        except docker.errors.NotFound:
            continue
        if labels.get(FUZZ_LABEL) != RUN_ID:
            found.append(container_id)
    return found
