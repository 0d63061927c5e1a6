"""Fuzz the REST API with schemathesis, from its own OpenAPI document.

Every operation gets a bounded number of generated requests, valid and
invalid, against a live gunicorn and the real engine. No response may have
a 5xx status (502, 503 and 504 included). Each must have a documented
status code, content type and headers, and match the documented schema, so
problem details must carry a code documented for that operation and status.

Created containers get the fuzz label and network ``none``, and references
that could reach someone else's container are replaced (tests/fuzzing.py).
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from typing import Any

import docker
import hypothesis
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from gateway.operations import OPERATIONS
from rest_service.openapi import build_document
from tests.conftest import DEMO_IMAGE, Server
from tests.fuzzing import (
    FUZZ_LABEL,
    OWN_REFS,
    RUN_ID,
    ensure_own,
    operations_done,
    safe_ref,
    unlabelled_creations,
)
from tests.fuzzing import fuzz_server as run_fuzz_server

# Examples per operation. Raise it for a deeper run with GATEWAY_FUZZ_EXAMPLES.
MAX_EXAMPLES = int(os.environ.get("GATEWAY_FUZZ_EXAMPLES") or 25)

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20260101,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "database": "none",
        },
        "phases": {
            "examples": {"enabled": True},
            "fuzzing": {"enabled": True},
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
        },
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
            "response_headers_conformance": {"enabled": True},
        },
        "request-timeout": 30,
    }
)
schema = schemathesis.openapi.from_dict(build_document(), config=CONFIG)


@pytest.fixture(scope="module")
def fuzz_server(
    tmp_path_factory: pytest.TempPathFactory, docker_api: docker.APIClient
) -> Iterator[Server]:
    with run_fuzz_server(tmp_path_factory.mktemp("fuzz-rest"), docker_api) as server:
        yield server


def aim(case: Any, server: Server, api: docker.APIClient) -> None:
    """Aim two thirds of references at this run's containers, half the
    creates at the demo image.

    Random references and images almost never exist, so the actions would
    only ever meet 404. The choice depends on the generated value alone,
    so a failing example replays the same way.
    """
    parameters = case.path_parameters or {}
    ref = parameters.get("ref")
    if isinstance(ref, str):
        choice = zlib.crc32(ref.encode()) % (len(OWN_REFS) + 1)
        if choice < len(OWN_REFS):
            ensure_own(server, api, OWN_REFS[choice])
            parameters["ref"] = OWN_REFS[choice]
    body = case.body
    creating = case.path == "/containers" and isinstance(body, dict)
    if creating and "image" in body and zlib.crc32(repr(body["image"]).encode()) % 2:
        # A new dict: the body may be the document's own example object.
        case.body = {**body, "image": DEMO_IMAGE}


def make_safe(case: Any, api: docker.APIClient) -> None:
    """Label and isolate created containers, and keep off other containers."""
    parameters = case.path_parameters or {}
    ref = parameters.get("ref")
    if isinstance(ref, str):
        parameters["ref"] = safe_ref(ref, api)
    creating = case.method == "POST" and case.path == "/containers"
    if creating and isinstance(case.body, dict):
        labels = case.body.get("labels")
        labels = labels if isinstance(labels, dict) else {}
        labels = {**labels, FUZZ_LABEL: RUN_ID}
        case.body = {**case.body, "labels": labels, "network": "none"}


@schema.parametrize()
@hypothesis.settings(deadline=None)
def test_rest_fuzz(
    case: Any, fuzz_server: Server, docker_api: docker.APIClient
) -> None:
    aim(case, fuzz_server, docker_api)
    make_safe(case, docker_api)
    case.call_and_validate(base_url=fuzz_server.api, timeout=30)


def test_fuzz_reached_engine(fuzz_server: Server) -> None:
    # Runs after the fuzz test above, on the same server.
    assert len(operations_done(fuzz_server)) >= len(OPERATIONS) // 2


def test_fuzz_created_labelled(
    fuzz_server: Server, docker_api: docker.APIClient
) -> None:
    assert unlabelled_creations(fuzz_server, docker_api) == []
