"""Command line of the REST client: ``cg-rest`` or ``python -m clients.rest``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from clients.cli import build_parser, run
from clients.rest_client import RestClient


def make_client(args: argparse.Namespace) -> RestClient:
    return RestClient(args.url, token=args.token, request_timeout=args.request_timeout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(
        "cg-rest", "Manage containers through the gateway's REST API (/api/v1)."
    )
    return run(argv, parser, make_client)


if __name__ == "__main__":
    sys.exit(main())
