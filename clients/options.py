"""The subcommands and their options, the same for both protocols."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from clients.common import UsageError, parse_timestamp

STATES = ("created", "running", "paused", "restarting", "exited", "dead")
RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")
STREAMS = ("stdout", "stderr", "both")


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not key or not sep:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, value


def label_pair(text: str) -> tuple[str, str]:
    """Parse ``KEY=VALUE``, or a bare ``KEY`` for a label with an empty value."""
    key, _, value = text.partition("=")
    if not key:
        raise argparse.ArgumentTypeError(f"{text!r} has no label key")
    return key, value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def tail_count(text: str) -> str:
    if text != "all":
        non_negative_int(text)
    return text


def timestamp(text: str) -> str:
    try:
        parse_timestamp(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_ref(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "ref", metavar="CONTAINER", help="container name, id or id prefix"
    )


def add_stop_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=non_negative_int,
        metavar="SECONDS",
        help="seconds to wait after SIGTERM before SIGKILL "
        "(default: the gateway's, 10 unless configured)",
    )


def add_operation_parsers(
    parser: argparse.ArgumentParser,
    add_common: Callable[[argparse.ArgumentParser], None],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add one subcommand per operation, each with the options *add_common* adds.

    Returns the subparsers, so that a caller can add commands of its own.
    """
    subparsers = parser.add_subparsers(
        dest="operation", metavar="COMMAND", required=True
    )

    def sub(name: str, help_text: str) -> argparse.ArgumentParser:
        child = subparsers.add_parser(name, help=help_text, description=help_text)
        add_common(child)
        return child

    add_create_parser(sub("create", "create a container; options go before IMAGE"))
    add_ref(sub("start", "start a container"))

    for name, help_text in (
        ("stop", "stop a container: SIGTERM, then SIGKILL after the timeout"),
        ("restart", "restart a container, stopping it first as stop does"),
    ):
        child = sub(name, help_text)
        add_ref(child)
        add_stop_timeout(child)

    kill = sub("kill", "send a signal to a running container")
    add_ref(kill)
    kill.add_argument(
        "--signal",
        metavar="SIGNAL",
        help="signal name such as SIGTERM or TERM, or its number (default: SIGKILL)",
    )

    add_ref(sub("pause", "pause a running container"))
    add_ref(sub("unpause", "resume a paused container"))
    add_ref(sub("inspect", "show one container"))
    add_list_parser(sub("list", "list containers, running ones unless --all"))
    add_logs_parser(sub("logs", "print a container's output, without following it"))

    remove = sub("remove", "remove a container")
    add_ref(remove)
    remove.add_argument(
        "--force", action="store_true", help="remove it even if it is running"
    )
    remove.add_argument(
        "--volumes", action="store_true", help="also remove its anonymous volumes"
    )
    return subparsers


def add_create_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="container name (default: Docker picks one)")
    parser.add_argument(
        "--env",
        type=key_value,
        action="append",
        metavar="KEY=VALUE",
        help="environment variable; repeat for more",
    )
    parser.add_argument(
        "--label",
        type=label_pair,
        action="append",
        metavar="KEY=VALUE",
        help="label; repeat for more",
    )

    parser.add_argument(
        "--workdir", metavar="PATH", help="absolute working directory in the container"
    )
    parser.add_argument(
        "--memory",
        metavar="SIZE",
        help="memory limit in bytes, or with a unit b, k, m or g (e.g. 256m)",
    )
    parser.add_argument(
        "--cpus", type=float, metavar="N", help="CPU limit in CPUs, e.g. 0.5"
    )
    parser.add_argument(
        "--pids", type=positive_int, metavar="N", help="maximum number of processes"
    )

    parser.add_argument(
        "--restart-policy",
        choices=RESTART_POLICIES,
        help="when Docker restarts the container (default: no)",
    )
    parser.add_argument(
        "--max-retries",
        type=non_negative_int,
        metavar="N",
        help="restart attempts with --restart-policy on-failure",
    )

    parser.add_argument(
        "--network",
        metavar="NAME",
        help="network to attach, e.g. none (default: Docker's default network)",
    )
    parser.add_argument(
        "--start", action="store_true", help="start the container once created"
    )

    # Everything after IMAGE is the command, as in docker run.
    parser.add_argument("image", metavar="IMAGE", help="image name, e.g. busybox:1.36")
    parser.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        metavar="COMMAND",
        help="command and arguments; everything after IMAGE is passed unchanged",
    )


def add_list_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--all", action="store_true", help="include containers that are not running"
    )
    parser.add_argument("--state", choices=STATES, help="only containers in this state")
    parser.add_argument(
        "--label",
        action="append",
        metavar="KEY[=VALUE]",
        help="only containers with this label; repeat to require several",
    )
    parser.add_argument("--name", help="only containers whose name contains this text")


def add_logs_parser(parser: argparse.ArgumentParser) -> None:
    add_ref(parser)
    parser.add_argument(
        "--tail",
        type=tail_count,
        metavar="N",
        help="print only the last N lines, or all (default: all)",
    )
    parser.add_argument(
        "--since",
        type=timestamp,
        metavar="TIME",
        help="only output after this RFC 3339 time, e.g. 2024-05-01T12:00:00Z",
    )
    parser.add_argument(
        "--timestamps", action="store_true", help="prefix each line with its time"
    )
    parser.add_argument("--stream", choices=STREAMS, help="stdout, stderr or both")
