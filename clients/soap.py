"""Command line of the SOAP client: ``cg-soap`` or ``python -m clients.soap``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from clients.cli import build_parser, run
from clients.soap_client import SoapClient


def add_soap_options(parser: argparse.ArgumentParser, top: bool) -> None:
    """Add the options only the SOAP client has; see ``add_global_options``."""

    def default(value: Any) -> Any:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--wsdl",
        metavar="URL_OR_PATH",
        default=default(None),
        help="where to read the WSDL, e.g. wsdl/container_gateway.wsdl "
        "(default: the gateway's /soap?wsdl)",
    )
    parser.add_argument(
        "--wsse-user",
        metavar="NAME",
        default=default(os.environ.get("GATEWAY_WSSE_USER") or None),
        help="WS-Security UsernameToken user, sent only if set "
        "(default: $GATEWAY_WSSE_USER)",
    )
    parser.add_argument(
        "--wsse-password",
        metavar="PASSWORD",
        default=default(os.environ.get("GATEWAY_WSSE_PASSWORD") or None),
        help="WS-Security password for --wsse-user "
        "(default: $GATEWAY_WSSE_PASSWORD); masked in --show-wire output",
    )
    parser.add_argument(
        "--wsse-digest",
        action=argparse.BooleanOptionalAction,
        default=default(True),
        help="send the password as a PasswordDigest with a nonce and a creation "
        "time (default), or with --no-wsse-digest as PasswordText",
    )


def make_client(args: argparse.Namespace) -> SoapClient:
    return SoapClient(
        args.url,
        wsdl=args.wsdl,
        token=args.token,
        wsse_user=args.wsse_user,
        wsse_password=args.wsse_password,
        wsse_digest=args.wsse_digest,
        request_timeout=args.request_timeout,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(
        "cg-soap",
        "Manage containers through the gateway's SOAP 1.1 service (/soap).",
        add_soap_options,
    )
    return run(argv, parser, make_client)


if __name__ == "__main__":
    sys.exit(main())
