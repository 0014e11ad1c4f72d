"""``earthsight chat``: an interactive analysis session that remembers (rich terminal loop).

    earthsight chat [--session ID] [--workspace DIR] [--image FILE ...] [--yes]
                    [--planner offline|llm] [--backend B --model M --base-url URL]

The session is checkpointed in ``<workspace>/sessions.sqlite`` (thread = session id) after
every step: quit, crash or kill it, and ``earthsight chat --session ID`` continues, including a
pending approval. Lines starting with ``/`` are commands: ``/image FILE ...`` sets the scenes,
``/history`` lists the turns, ``/quit`` leaves. Heavy steps ask first unless ``--yes``.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.markup import escape
from rich.prompt import Confirm

from agent.cli.llm_options import add_llm_options, llm_options
from agent.cli.output import DEFAULT_PLANNER, DEFAULT_WORKSPACE, console
from agent.progress import RichProgress
from agent.runtime import make_runtime
from agent.session.session import Outcome, Session

HELP = ("Ask about your scenes in plain language. Follow-ups work: 'now only the ones bigger "
        "than 200 m²', 'same for the second image', 'export that as GeoJSON'.\n"
        "Commands: /image FILE ... (set the scenes), /history, /resume (finish an interrupted "
        "turn), /help, /quit")


def _show(console: Any, outcome: Any) -> None:
    if outcome.answer:
        console.print(escape(outcome.answer), soft_wrap=True)


def _approve(console: Any, session: Any, outcome: Any) -> Any:
    """Ask about pending heavy steps until the turn finishes."""
    while outcome.waiting is not None:
        console.print(f"[yellow]{escape(outcome.waiting.get('question', 'Approve?'))}[/yellow]")
        for line in outcome.waiting.get("estimates", []):
            console.print(f"  • {escape(line)}")
        try:
            yes = Confirm.ask("Run them?", console=console, default=False)
        except EOFError:
            yes = False
        outcome = session.resume(yes)
    return outcome


def _history(console: Any, session: Any) -> None:
    turns = list(session.values().get("turns", []))
    left = session.interrupted()
    if left is not None:
        turns.append(left)
    if not turns:
        console.print("No turns yet.")
    for index, turn in enumerate(turns, start=1):
        tools = ", ".join(s["tool"] for s in turn.get("steps", [])) or "nothing ran"
        flag = " [yellow](interrupted)[/yellow]" if turn.get("status") == "interrupted" else ""
        console.print(f"{index}. {escape(turn['request'])}  [dim]({escape(tools)})[/dim]{flag}")


def cmd_chat(ns: argparse.Namespace) -> int:
    """Run the interactive session loop until /quit or end of input."""
    out = console()
    runtime = make_runtime(ns.workspace, planner=ns.planner, llm=llm_options(ns))
    images: list[str] | None = ns.image or None
    with RichProgress() as bars:
        session = Session.from_runtime(runtime, ns.session, auto_approve=ns.yes,
                                       progress=bars)
    values = session.values()
    turns = len(values.get("turns", []))
    state = "resumed" if values else "new"
    out.print(f"[bold]EarthSight[/bold] session [cyan]{escape(ns.session)}[/cyan] ({state}, "
              f"{turns} turn(s)); workspace {escape(str(session.workspace))}. /help for help.")
    left = session.interrupted()
    if left is not None:
        done = ", ".join(f"{s['id']} {s['tool']}" for s in left["steps"]) or "none"
        out.print(f"[yellow]The last turn was interrupted:[/yellow] {escape(left['request'])} "
                  f"(finished steps: {escape(done)}). /resume finishes it; a new question "
                  "leaves it as interrupted.")
    try:
        if session.waiting() is not None:
            out.print("The last turn was waiting for your approval.")
            _show(out, _approve(out, session, Outcome(waiting=session.waiting())))
        while True:
            try:
                line = out.input("[bold green]you>[/bold green] ").strip()
            except EOFError:
                break
            if not line:
                continue
            if line in ("/quit", "/exit", "/q"):
                break
            if line == "/help":
                out.print(HELP)
                continue
            if line == "/history":
                _history(out, session)
                continue
            if line == "/resume":
                if session.interrupted() is None:
                    out.print("Nothing to resume.")
                else:
                    _show(out, _approve(out, session, session.finish()))
                continue
            if line.startswith("/image"):
                images = line.split()[1:] or None
                out.print(f"scenes: {escape(', '.join(images or []) or 'none')}")
                continue
            outcome = session.ask(line, images)
            images = None  # later turns keep the session's scenes
            _show(out, _approve(out, session, outcome))
    finally:
        session.close()
    return 0


def add_chat_parser(sub: Any) -> None:
    """Add the ``chat`` subcommand to the ``earthsight`` subparsers."""
    p = sub.add_parser("chat", help="interactive analysis session (persisted; follow-ups)")
    p.add_argument("--session", default="default", help="session id; reuse it to resume")
    p.add_argument("--workspace", default=DEFAULT_WORKSPACE,
                   help=f"outputs and sessions.sqlite (./{DEFAULT_WORKSPACE})")
    p.add_argument("--image", action="extend", nargs="+", metavar="FILE",
                   help="scene file(s) of the first turn")
    p.add_argument("--yes", action="store_true", help="run heavy steps without asking")
    p.add_argument("--planner", default=DEFAULT_PLANNER, help="planner name (offline, llm)")
    add_llm_options(p)
    p.set_defaults(func=cmd_chat)
