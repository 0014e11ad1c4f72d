"""Progress events of an agent run, and a rich renderer for the terminal.

The graph emits a :class:`ProgressEvent` when it has a plan, when a step starts, as a long step
advances (the tools' ``(stage, done, total)`` callback) and when a step finishes or is
skipped. Anything callable with one event can listen; :class:`RichProgress` draws progress bars
(or plain lines when stderr is not a terminal).

A tool whose tiles run on a Dask cluster (``EARTHSIGHT_CLUSTER``) reports them from the caller's
thread as their results arrive, so ``done/total`` counts the tiles of a pass over all workers.
A listener may be called from a thread other than the one that made it (a server's run
thread): :class:`RichProgress` draws one event at a time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tools.core.artifacts import ClusterRun

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
        cluster: Where a finished step's tiles ran (step_finish; None: in this process or
            not known).
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
    cluster: ClusterRun | None = None


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


def where_text(run: ClusterRun | None) -> str:
    """Where a step's tiles ran, for people: ``12 tasks on 2 workers of tcp://...``; "" when
    it ran in this process."""
    if run is None:
        return ""
    workers = len(run.workers)
    return (f"{run.tasks} task{'s' if run.tasks != 1 else ''} on {workers} "
            f"worker{'s' if workers != 1 else ''} of {run.scheduler}")


def clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on) of a duration."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    return (f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours
            else f"{rest // 60}:{rest % 60:02d}")


class RichProgress:
    """Render progress events on stderr so that a run never looks hung.

    On a terminal: one live bar per running step and an overall bar (``step i/n`` and the
    time elapsed). Elsewhere (a pipe, a log file, CI): plain lines instead of bars — one when a
    planned step starts, then at most one per ``interval`` seconds per step with its stage,
    ``done/total`` and the time elapsed, and always the line of a stage that reaches its
    total. Either way each finished or skipped step is one line (with where its tiles ran when
    a cluster ran them); a failed step's error is not repeated there (the answer printed
    afterwards says why, once). Events may come from any thread; they are drawn one at a time.

    Use it as a context manager and pass the instance as the progress listener.

    Args:
        console: A ``rich.console.Console``; default: a new one on stderr.
        interval: Seconds between two plain progress lines of one step.
        clock_fn: Monotonic time source (tests).
    """

    def __init__(self, console: Any | None = None, *, interval: float = 5.0,
                 clock_fn: Callable[[], float] = time.monotonic) -> None:
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
        self.live = bool(self.console.is_terminal)
        self.interval = interval
        self._now = clock_fn
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), console=self.console, transient=True,
            disable=not self.live,
        )
        self._tasks: dict[str, Any] = {}
        self._overall: Any | None = None
        self._started: float | None = None
        self._count = 0
        self._finished = 0
        self._last_line: dict[str, float] = {}
        self._planned = False
        self._lock = threading.RLock()

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._progress.stop()

    @property
    def elapsed(self) -> float:
        """Seconds since the first event."""
        return 0.0 if self._started is None else self._now() - self._started

    def _begin(self, count: int) -> None:
        """Start the overall count (the first event) or widen it to ``count`` steps."""
        if self._started is None:
            self._started = self._now()
        self._count = max(self._count, count)
        if not self.live:
            return
        if self._overall is None and self._count > 1:  # one step: its own bar says it all
            self._overall = self._progress.add_task("steps", total=self._count)
        if self._overall is not None:
            self._progress.update(self._overall, total=self._count, completed=self._finished)

    def _print(self, text: str) -> None:
        self.console.print(text, highlight=False, soft_wrap=True)

    def __call__(self, event: ProgressEvent) -> None:
        """Draw one event (one at a time, whatever thread it comes from)."""
        with self._lock:
            self._draw(event)

    def _draw(self, event: ProgressEvent) -> None:
        if event.kind == "plan":  # a new request (a chat's next turn): count afresh
            self._started, self._count, self._finished = None, 0, 0
            self._planned = True
            if self._overall is not None:
                self._progress.reset(self._overall, description="steps")
        self._begin(event.count)
        label = _short(f"[{event.index}/{event.count}] {event.step} {event.tool}")
        if event.kind == "plan":
            self._print(f"[bold]Plan:[/bold] {_short(event.message, 300)}")
        elif event.kind == "step_start":
            self._tasks[event.step or ""] = self._progress.add_task(label, total=None)
            if self.live and self._overall is not None:
                self._progress.update(self._overall,
                                      description=f"step {event.index}/{event.count}")
            elif self._planned:  # a lone tool call: its progress lines say it runs
                self._last_line[event.step or ""] = self._now()
                self._print(f"… {label} started ({clock(self.elapsed)} elapsed)")
        elif event.kind == "step_progress":
            self._advance(event, label)
        elif event.kind in ("step_finish", "step_skip"):
            self._finish(event, label)

    def _advance(self, event: ProgressEvent, label: str) -> None:
        total = event.total if event.total > 0 else None
        if self.live:
            task = self._tasks.get(event.step or "")
            if task is not None:
                self._progress.update(task, description=f"{label}: {_short(event.stage, 40)}",
                                      completed=event.done, total=total)
            return
        now = self._now()
        last = total is not None and event.done >= total  # a stage done: always said
        if not last and now - self._last_line.get(event.step or "", float("-inf")) \
                < self.interval:
            return
        self._last_line[event.step or ""] = now
        share = f" ({100 * event.done / total:.0f} %)" if total else ""
        amount = f"{event.done}/{total}" if total else f"{event.done}"
        self._print(f"… {label}: {_short(event.stage, 40)} {amount}{share} "
                    f"({clock(self.elapsed)} elapsed)")

    def _finish(self, event: ProgressEvent, label: str) -> None:
        task = self._tasks.pop(event.step or "", None)
        if task is not None:
            self._progress.remove_task(task)
        self._last_line.pop(event.step or "", None)
        self._finished += 1
        if self._overall is not None:
            self._progress.update(self._overall, completed=self._finished)
        took = f"{event.seconds:.1f} s, " if event.seconds is not None else ""
        where = where_text(event.cluster)
        times = f"({took}{clock(self.elapsed)} elapsed{'; ' + _short(where) if where else ''})"
        if event.kind == "step_skip":
            self._print(f"[yellow]–[/yellow] {label} skipped {times}")
        elif event.status == "ok":
            said = f": {_short(event.message)}" if event.message else ""
            self._print(f"[green]✓[/green] {label} {times}{said}")
        else:  # the error itself is shown once, by the answer or the error line
            self._print(f"[red]✗[/red] {label} failed {times}")
