"""``python -m bench``: measure, then write docs/benchmarks.md and its plots."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

from bench import plots, report, runner
from bench.context import Options
from bench.engine import engine_socket
from bench.plan import FULL, QUICK

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "docs" / "benchmarks.md"


def _default_python() -> str:
    project = REPO / ".venv" / "bin" / "python"
    return str(project) if project.exists() else sys.executable


def _env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Measure the engine API, the gateway's REST API and its SOAP API "
            "side by side, and write a Markdown report with plots. Needs wrk, "
            "socat, matplotlib and py-spy, a Docker Engine on its Unix socket "
            "and the image gateway-demo:latest. Takes about 10 minutes, or "
            "about 3 with --quick."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="the ~3 minute plan")
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="Markdown report to write (default: docs/benchmarks.md)",
    )
    parser.add_argument(
        "--plots",
        type=Path,
        default=None,
        help="directory of the PNG files (default: bench/ beside --output)",
    )
    parser.add_argument(
        "--server-python",
        default=_default_python(),
        help="interpreter that runs gunicorn (default: the project's .venv)",
    )
    parser.add_argument(
        "--image",
        default="gateway-demo:latest",
        help="local image of the benchmark's containers; it is never pulled",
    )
    parser.add_argument(
        "--server-env",
        type=_env_pair,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the gateway servers; repeatable",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also serve the gateway at git revision REV and measure its inspect "
        "beside this one's, in the same run (for a before and after)",
    )
    parser.add_argument(
        "--raw", type=Path, help="also write the measured numbers as JSON here"
    )
    parser.add_argument(
        "--keep-workdir",
        action="store_true",
        help="keep the server logs, wrk scripts and raw profiles",
    )
    return parser.parse_args(argv)


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Leave through the clean-up code: servers stop, containers go.
    raise SystemExit(128 + signum)


def write_report(results: dict[str, Any], args: argparse.Namespace) -> Path:
    """Write the plots and the Markdown report; return the report's path."""
    output: Path = args.output
    if args.raw:
        # Written first, so that the numbers survive a failure to render them.
        args.raw.parent.mkdir(parents=True, exist_ok=True)
        args.raw.write_text(json.dumps(results, indent=1, default=str))
    plot_dir: Path = args.plots or output.parent / "bench"
    written = plots.all_plots(results, plot_dir)

    # Image links are relative to the report, wherever the plots go.
    relative = os.path.relpath(plot_dir, output.parent)
    figures = {
        key: [f"{relative}/{name}" for name in names] for key, names in written.items()
    }
    command = "python -m bench" + (" --quick" if args.quick else "")
    if args.baseline:
        command += f" --baseline {args.baseline}"
    if output.resolve() != DEFAULT_OUTPUT.resolve():
        command += f" --output {output}"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report.render(results, figures, command))
    return output


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    signal.signal(signal.SIGTERM, _terminate)
    logger = logging.getLogger("bench")

    if args.baseline is not None:
        # Checked before the run, not minutes into it.
        found = subprocess.run(
            [
                "git",
                "-C",
                str(REPO),
                "rev-parse",
                "--verify",
                "--quiet",
                f"{args.baseline}^{{commit}}",
            ],
            capture_output=True,
            text=True,
        )
        if not args.baseline or found.returncode != 0:
            print(
                f"bench: --baseline {args.baseline!r} is not a git revision of "
                f"{REPO}; give a commit, tag or branch",
                file=sys.stderr,
            )
            return 2
    plan = QUICK if args.quick else FULL
    workdir = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    options = Options(
        repo=REPO,
        workdir=workdir,
        server_python=args.server_python,
        server_env=dict(args.server_env),
        socket_path=engine_socket(),
        image=args.image,
        baseline=args.baseline,
    )
    try:
        results = runner.run(plan, options)
    finally:
        if args.keep_workdir:
            logger.info("work files kept in %s", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    output = write_report(results, args)
    logger.info("wrote %s and its plots", output)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
