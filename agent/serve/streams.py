"""A run streamed as NDJSON: one job slot, a worker thread, progress lines, one last line.

Both the one-shot ``/sessions/{id}/ask`` and the session turns of ``/sessions/{id}/chat`` run
through :func:`run_streamed`, so the slot, the error line and the redaction are decided once.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.responses import StreamingResponse

from agent.errors import BusyError, report
from agent.progress import ProgressEvent
from agent.runtime import Runtime
from agent.serve.payloads import to_jsonable
from agent.serve.redact import Redactor
from agent.serve.sessions import fail

Progress = Callable[[ProgressEvent], None]
Work = Callable[[Progress], dict[str, Any]]


def run_streamed(runtime: Runtime, redact: Redactor, name: str, work: Work, *,
                 prepare: Callable[[], None] | None = None,
                 done: Callable[[], None] | None = None) -> StreamingResponse:
    """Take a job slot (429 when all are busy), run ``prepare`` (errors answer at once), then
    ``work(progress)`` in a worker thread; stream ``{"event": "progress", ...}`` lines and
    ``work``'s result as the last line (or ``{"event": "error", "status", "message"}``).

    ``done`` runs once when the run is over, or at once when it never started (it releases
    what the caller holds, e.g. a session's turn lock). Every line goes through ``redact``.
    """
    events: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def progress(event: ProgressEvent) -> None:
        events.put({"event": "progress", **event.__dict__})

    def thread() -> None:
        try:
            events.put(work(progress))
        except Exception as exc:  # streamed to the client as the last line
            shown = report(exc)
            events.put({"event": "error", "status": shown.http_status,
                        "message": shown.message})
        finally:
            runtime.limiter.release()
            if done is not None:
                done()
            events.put(None)

    try:
        if not runtime.limiter.try_acquire():
            raise fail(BusyError(f"all {runtime.limiter.max_jobs} job slots are busy"), redact)
        try:
            if prepare is not None:
                prepare()
            threading.Thread(target=thread, name=name, daemon=True).start()
        except BaseException:
            runtime.limiter.release()
            raise
    except BaseException:
        if done is not None:
            done()
        raise

    def lines() -> Iterator[str]:
        while (item := events.get()) is not None:
            yield json.dumps(redact(to_jsonable(item))) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")
