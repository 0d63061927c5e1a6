"""Payloads: bytes on the wire of every operation, in each protocol.

One container goes through every operation once per path. Totals count
the request line, headers and body as sent, and the status line, headers
and body as received, chunked framing included. Bodies are the decoded
payloads alone.
"""

from __future__ import annotations

from typing import Any

from bench.context import Bench
from bench.protocols import OPERATIONS, Protocol
from bench.wire import HttpClient, Request, expect

#: Writes ten lines, so that logs has something to return.
CHATTY = ("sh", "-c", "for i in 0 1 2 3 4 5 6 7 8 9; do echo line $i; done; sleep 3600")
LOG_TAIL = 10


def _request(protocol: Protocol, operation: str, ref: str, bench: Bench) -> Request:
    if operation == "create":
        return protocol.create(bench.engine.spec(f"bytes-{protocol.name}", CHATTY))
    if operation == "list":
        return protocol.list(bench.list_label)
    if operation == "logs":
        return protocol.logs(ref, LOG_TAIL)
    if operation in ("stop", "restart"):
        timeout_call = protocol.stop if operation == "stop" else protocol.restart
        return timeout_call(ref, 0)
    if operation == "kill":
        return protocol.kill(ref, "SIGKILL")
    request: Request = getattr(protocol, operation)(ref)
    return request


def run(bench: Bench) -> dict[str, Any]:
    """Return bytes by operation and path; ``list`` covers the current set."""
    table: dict[str, dict[str, dict[str, int]]] = {}
    for name, protocol in bench.protocols.items():
        client = HttpClient(protocol.endpoint)
        ref = ""
        # kill leaves the container stopped; start it again before stop.
        sequence = [*OPERATIONS[:-2], "start", *OPERATIONS[-2:]]
        for position, operation in enumerate(sequence):
            request = _request(protocol, operation, ref, bench)
            reply = expect(
                client.call(request),
                protocol.ok[operation],
                description=f"{name} {operation}",
            )
            if operation == "create":
                ref = protocol.created_id(reply)
            if operation == "start" and position > 1:
                continue
            table.setdefault(operation, {})[name] = {
                "request": reply.sent,
                "request_body": len(request.body),
                "response": reply.received,
                "response_body": len(reply.body),
            }
        client.close()
    return {"list_size": bench.list_size, "log_lines": LOG_TAIL, "bytes": table}
