"""The ``earthsight`` command line: one parser, one error policy.

    earthsight tools [--json]                 earthsight models [--json] | models import FILE
    earthsight run-tool NAME --args JSON      earthsight ask "request" [--image A ...]
    earthsight run FLOW.yaml [--set k=v]      earthsight eval FILE.jsonl
    earthsight chat [--session ID]            earthsight index ARCHIVE --index NAME
    earthsight train biomass|change|water     earthsight mcp | serve

Every subcommand builds its runtime (:func:`agent.runtime.make_runtime`). Errors a user can fix
(bad arguments, missing files, unavailable tools) print one message on stderr and exit with
status 2, without a traceback (``EARTHSIGHT_DEBUG=1`` shows it); the message and status come
from :func:`agent.errors.report`, the policy every interface shares.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from agent.cli.ask import add_ask_parsers
from agent.cli.catalog import add_catalog_parsers
from agent.cli.chat import add_chat_parser
from agent.cli.index import add_index_parser
from agent.cli.output import DEFAULT_PLANNER, DEFAULT_WORKSPACE
from agent.cli.run_tool import add_run_tool_parser
from agent.cli.serve import add_serve_parsers
from agent.cli.train import add_train_parsers
from agent.cli.workflow import add_run_parser
from agent.errors import report


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``earthsight``."""
    parser = argparse.ArgumentParser(
        prog="earthsight", description="A remote-sensing analyst's agent: ask about scenes in "
        "plain language; get numbers with units, masks and vectors.")
    parser.add_argument("--version", action="version", version="earthsight 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_catalog_parsers(sub)
    add_run_tool_parser(sub)
    add_ask_parsers(sub)
    add_run_parser(sub, DEFAULT_WORKSPACE)
    add_serve_parsers(sub, DEFAULT_WORKSPACE, DEFAULT_PLANNER)
    add_index_parser(sub)
    add_train_parsers(sub)
    add_chat_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    ns = build_parser().parse_args(argv)
    try:
        status: int = ns.func(ns)
    except KeyboardInterrupt:
        sys.stderr.write("earthsight: interrupted\n")
        return 130
    except Exception as exc:  # no tracebacks for users; EARTHSIGHT_DEBUG=1 shows them
        if os.environ.get("EARTHSIGHT_DEBUG"):
            raise
        shown = report(exc)
        sys.stderr.write(f"earthsight: error: {shown.message}\n")
        return shown.exit_status
    return status


if __name__ == "__main__":
    sys.exit(main())
