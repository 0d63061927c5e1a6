"""Side-by-side comparison of REST and SOAP: ``cg-compare`` or
``python -m clients.compare``.

``cg-compare scenario lifecycle not-found`` runs named scenarios, and
``cg-compare inspect web`` runs one operation, with the same options as the
clients, through both protocols against the same gateway.
"""

from __future__ import annotations

import argparse
import logging
import sys
import uuid
from collections.abc import Sequence
from typing import Any

from clients.cli import add_global_options, call_operation, configure_logging
from clients.common import (
    EXIT_API_ERROR,
    EXIT_DISAGREE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ClientFailure,
    ContainerClient,
)
from clients.compare_report import (
    RunReport,
    render_markdown,
    render_text,
    report_json,
)
from clients.compare_run import run_scenarios, run_step
from clients.comparison import Step
from clients.options import add_operation_parsers
from clients.render import Output
from clients.rest_client import RestClient
from clients.scenarios import DEFAULT_IMAGE, SCENARIOS
from clients.soap_client import SoapClient

logger = logging.getLogger(__name__)

READ_ONLY = ("inspect", "list", "logs")
EPILOG = (
    "A command that changes a container runs twice on it, REST first, so the "
    "SOAP call sees the state the REST call left; scenarios give each protocol "
    "a container of its own instead. create with --name NAME makes NAME-rest "
    "and NAME-soap and keeps them. Exit status: 0 all outcomes agree, 4 some "
    "disagree, 1 a scenario's set-up failed, 2 invalid command line, 3 gateway "
    "unreachable, 130 interrupted."
)


def add_compare_options(parser: argparse.ArgumentParser, top: bool) -> None:
    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--markdown",
        action="store_true",
        default=default(False),
        help="print the comparison as Markdown tables",
    )
    parser.add_argument(
        "--image",
        default=default(DEFAULT_IMAGE),
        help="image of the containers that scenarios create "
        f"(default: {DEFAULT_IMAGE})",
    )
    parser.add_argument(
        "--name-base",
        metavar="NAME",
        default=default(None),
        help="prefix of the names of scenario containers, which are NAME-ROLE "
        "(default: cgcmp- and 8 random hex digits)",
    )
    parser.add_argument(
        "--engine-down-url",
        metavar="URL",
        default=default(None),
        help="base URL of a second gateway whose engine is down, for the "
        "engine-down scenario",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cg-compare",
        description="Run operations through REST and SOAP and compare the outcomes.",
        epilog=EPILOG,
    )
    add_global_options(parser, top=True)
    add_compare_options(parser, True)

    def add_common(sub: argparse.ArgumentParser) -> None:
        add_global_options(sub, top=False)
        add_compare_options(sub, False)

    subparsers = add_operation_parsers(parser, add_common)
    names = ", ".join(f"{s.name} ({s.description})" for s in SCENARIOS.values())
    scenario = subparsers.add_parser(
        "scenario",
        help="run named scenarios",
        description=f"Run named scenarios: {names}. 'all' runs every scenario "
        "except engine-down, which runs only when named.",
    )
    add_common(scenario)
    scenario.add_argument(
        "scenarios",
        nargs="+",
        metavar="NAME",
        choices=[*SCENARIOS, "all"],
        help="scenario names, or all",
    )
    return parser


def scenario_names(
    args: argparse.Namespace, parser: argparse.ArgumentParser
) -> list[str]:
    names: list[str] = []
    for name in args.scenarios:
        chosen = (
            [s for s in SCENARIOS if s != "engine-down"] if name == "all" else [name]
        )
        names += [item for item in chosen if item not in names]
    if "engine-down" in names and not args.engine_down_url:
        parser.error("the engine-down scenario needs --engine-down-url URL")
    return names


def operation_step(args: argparse.Namespace) -> Step:
    """Return the step that runs the command line's operation."""
    operation = args.operation
    if operation == "create" and args.name:
        base = args.name

        def create(client: ContainerClient) -> Any:
            named = argparse.Namespace(
                **{**vars(args), "name": f"{base}-{client.protocol}"}
            )
            return call_operation(client, named)

        return Step("create", create, compare_values=False)
    return Step(
        operation,
        lambda client: call_operation(client, args),
        compare_values=operation in READ_ONLY,
    )


def make_clients(args: argparse.Namespace, url: str) -> tuple[RestClient, SoapClient]:
    rest = RestClient(url, token=args.token, request_timeout=args.request_timeout)
    soap = SoapClient(url, token=args.token, request_timeout=args.request_timeout)
    return rest, soap


def execute(
    args: argparse.Namespace, parser: argparse.ArgumentParser, out: Output
) -> list[RunReport]:
    if args.operation != "scenario":
        rest, soap = make_clients(args, args.url)
        report = RunReport(args.operation, "one operation, REST then SOAP")
        report.steps.append(run_step(operation_step(args), rest, soap, out, args))
        return [report]
    names = scenario_names(args, parser)
    base = args.name_base or f"cgcmp-{uuid.uuid4().hex[:8]}"
    return run_scenarios(names, base, args, out, make_clients)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.json and args.markdown:
        parser.error("choose one of --json and --markdown")
    configure_logging(args.verbose)
    out = Output()
    try:
        reports = execute(args, parser, out)
    except ClientFailure as exc:
        out.error(exc.describe())
        return exc.exit_status
    except KeyboardInterrupt:
        out.error("interrupted")
        return EXIT_INTERRUPTED
    if args.json:
        out.json(report_json(args.url, reports))
    elif args.markdown:
        render_markdown(out, reports)
    else:
        render_text(out, reports)
    if any(report.error for report in reports):
        return EXIT_API_ERROR
    if not all(report.agree for report in reports):
        return EXIT_DISAGREE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
