"""The command line that both protocol clients share: parser and dispatch."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from clients.common import (
    DEFAULT_REQUEST_TIMEOUT,
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ClientFailure,
    ContainerClient,
    CreateSpec,
    ListFilter,
    LogsOptions,
    env_token,
    env_url,
)
from clients.options import add_operation_parsers
from clients.render import (
    Output,
    render_action,
    render_container,
    render_list,
    render_logs,
    render_removed,
)
from clients.wire import format_exchange

logger = logging.getLogger(__name__)

ClientFactory = Callable[[argparse.Namespace], ContainerClient]
Renderer = Callable[[Output, dict[str, Any]], None]
EPILOG = (
    "exit status: 0 success, 1 error returned by the gateway, 2 invalid "
    "command line, 3 gateway unreachable or timed out, 130 interrupted, 141 "
    "output pipe closed"
)


def add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Add the options every subcommand accepts, before or after its name.

    On the subcommand parsers the defaults are suppressed, so a value given
    before the subcommand is not reset by the subcommand's default.
    """

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--url",
        default=default(env_url()),
        help="base URL of the gateway, without /api/v1 or /soap "
        "(default: $GATEWAY_URL or http://127.0.0.1:8080)",
    )
    parser.add_argument(
        "--token",
        default=default(env_token()),
        help="bearer token sent in the Authorization header, only if set "
        "(default: $GATEWAY_TOKEN); masked in --show-wire output",
    )
    parser.add_argument(
        "--request-timeout",
        type=positive_float,
        metavar="SECONDS",
        default=default(DEFAULT_REQUEST_TIMEOUT),
        help="seconds to wait for the gateway's reply (default: 30). Stop and "
        "restart add their --timeout, or 300 seconds when it is not given",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print the result as JSON in the REST API's field names",
    )
    parser.add_argument(
        "--show-wire",
        action="store_true",
        default=default(False),
        help="print each HTTP request and response to stderr, credentials masked",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=default(False),
        help="log debug messages to stderr",
    )


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def build_parser(
    prog: str,
    description: str,
    extra_options: Callable[[argparse.ArgumentParser, bool], None] | None = None,
) -> argparse.ArgumentParser:
    """Return the parser with every operation as a subcommand."""
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=EPILOG)
    add_global_options(parser, top=True)
    if extra_options:
        extra_options(parser, True)

    def add_common(sub: argparse.ArgumentParser) -> None:
        add_global_options(sub, top=False)
        if extra_options:
            extra_options(sub, False)

    add_operation_parsers(parser, add_common)
    return parser


def call_operation(client: ContainerClient, args: argparse.Namespace) -> Any:
    """Run the subcommand in *args* and return its decoded result."""
    operation = args.operation
    if operation == "create":
        return client.create(create_spec(args))
    if operation in ("start", "pause", "unpause", "inspect"):
        method: Callable[[str], Any] = getattr(client, operation)
        return method(args.ref)
    if operation == "stop":
        return client.stop(args.ref, args.timeout)
    if operation == "restart":
        return client.restart(args.ref, args.timeout)
    if operation == "kill":
        return client.kill(args.ref, args.signal)
    if operation == "list":
        query = ListFilter(args.all, args.state, args.label or [], args.name)
        return client.list_containers(query)
    if operation == "logs":
        options = LogsOptions(args.tail, args.since, args.timestamps, args.stream)
        return client.logs(args.ref, options)
    if operation == "remove":
        return client.remove(args.ref, force=args.force, volumes=args.volumes)
    raise AssertionError(f"no handler for subcommand {operation!r}")


def create_spec(args: argparse.Namespace) -> CreateSpec:
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    return CreateSpec(
        image=args.image,
        name=args.name,
        command=command,
        env=dict(args.env or []),
        labels=dict(args.label or []),
        working_dir=args.workdir,
        memory=args.memory,
        cpus=args.cpus,
        pids=args.pids,
        restart_policy=args.restart_policy,
        maximum_retry_count=args.max_retries,
        network=args.network,
        start=args.start,
    )


RENDERERS: dict[str, Renderer] = {
    "create": render_container,
    "inspect": render_container,
    "list": render_list,
    "logs": render_logs,
    "remove": render_removed,
}


def progress_message(args: argparse.Namespace) -> str:
    target = getattr(args, "ref", None) or getattr(args, "image", "")
    return f"{args.operation} {target}".strip() + " ..."


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # zeep logs whole SOAP envelopes at DEBUG, WS-Security password included.
    logging.getLogger("zeep").setLevel(logging.INFO)


def run(
    argv: Sequence[str] | None,
    parser: argparse.ArgumentParser,
    make_client: ClientFactory,
    out: Output | None = None,
) -> int:
    """Parse *argv*, run one operation and print its result.

    Returns the exit status.
    """
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    out = out or Output()
    client: ContainerClient | None = None
    try:
        client = make_client(args)
        with out.spinner(progress_message(args)):
            result = call_operation(client, args)
    except ClientFailure as exc:
        show_wire(out, client, args.show_wire)
        out.error(exc.describe())
        return exc.exit_status
    except KeyboardInterrupt:
        out.error("interrupted")
        return EXIT_INTERRUPTED
    finally:
        if client is not None:
            client.close()
    show_wire(out, client, args.show_wire)
    try:
        if args.json:
            out.json(result)
        else:
            RENDERERS.get(args.operation, render_action)(out, result)
        out.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as a shell tool would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return EXIT_OK


def show_wire(out: Output, client: ContainerClient | None, enabled: bool) -> None:
    if not enabled or client is None:
        return
    for exchange in client.exchanges:
        out.note(format_exchange(exchange))
