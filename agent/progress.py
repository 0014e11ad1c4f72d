"""Progress events of an agent run, and a rich renderer for the terminal.

The graph emits a :class:`ProgressEvent` when it has a plan, when a step starts, as a long step
advances (the tools' ``(stage, done, total)`` callback) and when a step finishes or is
skipped. Anything callable with one event can listen; :class:`RichProgress` draws progress bars.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

EventKind = Literal["plan", "step_start", "step_progress", "step_finish", "step_skip"]


@dataclass(frozen=True)
class ProgressEvent:
    """One thing that happened during a run.

    Attributes:
        kind: plan, step_start, step_progress, step_finish or step_skip.
        step: Plan step id (s1, s2, ...); None for plan events.
        tool: Tool name of the step.
        index: 1-based position of the step in the plan.
        count: Number of steps in the plan.
        stage: What a running tool is doing (step_progress).
        done: Work units done so far (step_progress).
        total: Work units in all (step_progress; 0 when unknown).
        status: ok, failed or skipped (step_finish / step_skip).
        message: Summary, error or skip reason.
        seconds: Wall time of a finished step.
    """

    kind: EventKind
    step: str | None = None
    tool: str | None = None
    index: int = 0
    count: int = 0
    stage: str = ""
    done: int = 0
    total: int = 0
    status: str = ""
    message: str = ""
    seconds: float | None = None


AgentProgress = Callable[[ProgressEvent], None]
"""A listener of progress events."""


def ignore_progress(event: ProgressEvent) -> None:
    """The listener that does nothing."""
    return None


def _short(text: str, limit: int = 110) -> str:
    """One line of at most ``limit`` characters, escaped for rich markup."""
    from rich.markup import escape

    text = " ".join(text.split())
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


class RichProgress:
    """Render progress events as rich progress bars (one per running step) on stderr.

    Finished and skipped steps are printed as one line each; the live bars are drawn only when
    the console is a terminal.

    Use it as a context manager and pass the instance as the progress listener.

    Args:
        console: A ``rich.console.Console``; default: a new one on stderr.
    """

    def __init__(self, console: Any | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = console if console is not None else Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), console=self.console, transient=True,
            disable=not self.console.is_terminal,
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._progress.stop()

    def __call__(self, event: ProgressEvent) -> None:
        """Draw one event."""
        label = _short(f"[{event.index}/{event.count}] {event.step} {event.tool}")
        if event.kind == "plan":
            self.console.print(f"[bold]Plan:[/bold] {_short(event.message, 300)}",
                               highlight=False, soft_wrap=True)
        elif event.kind == "step_start":
            self._tasks[event.step or ""] = self._progress.add_task(label, total=None)
        elif event.kind == "step_progress":
            task = self._tasks.get(event.step or "")
            if task is not None:
                total = event.total if event.total > 0 else None
                self._progress.update(task, description=f"{label}: {_short(event.stage, 40)}",
                                      completed=event.done, total=total)
        elif event.kind == "step_finish":
            task = self._tasks.pop(event.step or "", None)
            if task is not None:
                self._progress.remove_task(task)
            took = f" ({event.seconds:.1f} s)" if event.seconds is not None else ""
            if event.status == "ok":
                self.console.print(f"[green]✓[/green] {label}{took}: {_short(event.message)}",
                                   highlight=False, soft_wrap=True)
            else:
                self.console.print(f"[red]✗[/red] {label}{took}: {_short(event.message)}",
                                   highlight=False, soft_wrap=True)
        elif event.kind == "step_skip":
            self.console.print(f"[yellow]–[/yellow] {label} skipped: {_short(event.message)}",
                               highlight=False, soft_wrap=True)
