"""Tile progress of a run on a 2-worker Dask LocalCluster (``EARTHSIGHT_CLUSTER=local:2``,
127.0.0.1) reaches the HTTP NDJSON streams and the map page.

``map_water`` on a real Sentinel-2 scene from $EARTHSIGHT_DATA, cut into 128 px tiles (16
tiles): the ``/ask`` and ``/chat`` streams carry one ``step_progress`` line per tile and pass,
counting 1..16 over both workers (the caller reports each tile as its result arrives), and the
step's result record names the scheduler, the 32 tasks (16 tiles x 2 passes) and both workers.
In headless Chromium the map page's live turn shows ``water mask n/16`` for every n while the
turn streams.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")

from agent.serve import http_api
from specialists.runtime.cluster import DaskExecutor
from tests.agent.api_client import TOKEN
from tests.agent.progress_scene import PASSES, SCENE, tiles
from tests.agent.serve.browser import browser, free_port, live_server

WORKSPACE = "<workspace>/"

pytestmark = pytest.mark.realdata


def stream(client: Any, url: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The NDJSON lines of a streamed run (progress lines first, one last line)."""
    response = client.post(url, json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    events = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    assert all(e["event"] == "progress" for e in events[:-1]), events
    return events


def counts(events: list[dict[str, Any]], step: str) -> dict[str, list[tuple[int, int]]]:
    """``(done, total)`` of the step's progress lines, by stage, in stream order."""
    out: dict[str, list[tuple[int, int]]] = {}
    for e in events:
        if e["event"] == "progress" and e["kind"] == "step_progress" and e["step"] == step:
            out.setdefault(e["stage"], []).append((e["done"], e["total"]))
    return out


def counted_over_tiles(events: list[dict[str, Any]], n: int) -> None:
    """Every tile pass of s1 counts 1..n of n, in order; the step then finishes ok."""
    stages = counts(events, "s1")
    for stage in PASSES:
        assert stages.get(stage) == [(i, n) for i in range(1, n + 1)], (stage, stages)
    kinds = [e["kind"] for e in events[:-1]]
    assert kinds[0] == "plan" and kinds[1] == "step_start" and kinds[-1] == "step_finish"
    finish = events[-2]
    assert finish["step"] == "s1" and finish["status"] == "ok", finish


def ran_on(record: dict[str, Any], local2: DaskExecutor, n: int) -> None:
    """The result record says: this scheduler, one task per tile per pass, both workers."""
    assert record["call"]["tool"] == "map_water"
    run = record["result"]["cluster"]
    assert run["scheduler"] == local2.scheduler
    assert run["tasks"] == n * len(PASSES)
    workers = set(local2.client.scheduler_info()["workers"])
    assert len(workers) == 2 and set(run["workers"]) == workers


def result_record(client: Any, session: str, name: str) -> dict[str, Any]:
    """A workspace file (a result record) read through the files route."""
    response = client.get(f"/sessions/{session}/files/{name}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_ask_stream_counts_tiles_over_both_workers(client: Any, session: str, data_dir: Path,
                                                   cluster: DaskExecutor) -> None:
    n = tiles(data_dir)
    assert n == 16
    events = stream(client, f"/sessions/{session}/ask",
                    {"request": "how much water is there", "images": [SCENE]})
    last = events[-1]
    assert last["event"] == "result" and last["ok"], last
    counted_over_tiles(events, n)
    step = last["result"]["steps"][0]
    assert step["tool"] == "map_water", step
    record = result_record(client, session, step["result_path"].removeprefix(WORKSPACE))
    ran_on(record, cluster, n)
    finish = next(e for e in events if e.get("kind") == "step_finish")
    assert finish["cluster"] == record["result"]["cluster"]  # where the tiles ran, streamed
    assert step["cluster"] == record["result"]["cluster"]  # and kept in the step's result


def test_chat_stream_counts_tiles_over_both_workers(client: Any, session: str, data_dir: Path,
                                                    cluster: DaskExecutor) -> None:
    n = tiles(data_dir)
    events = stream(client, f"/sessions/{session}/chat",
                    {"message": "how much water is there", "images": [SCENE]})
    last = events[-1]
    assert last["event"] == "turn" and last["turn"]["status"] == "done", last
    counted_over_tiles(events, n)
    call = next(x["call_id"] for x in last["turn"]["numbers"] if x["name"] == "water_area")
    record = result_record(client, session, f"{call}-s1_map_water.json")
    ran_on(record, cluster, n)
    [step] = last["turn"]["steps"]  # a reloaded page shows where the tiles ran
    assert step["cluster"] == record["result"]["cluster"]


# every step-count element the live turn ever shows, read from the added nodes (renders
# replace the turn list; a detached node keeps its text)
WATCH = """() => {
  window.__counts = [];
  new MutationObserver((records) => {
    for (const r of records) for (const node of r.addedNodes) {
      if (!(node instanceof Element)) continue;
      for (const c of node.querySelectorAll("[data-testid=step-count]")) {
        window.__counts.push({ step: c.closest("li").dataset.step, stage: c.dataset.stage,
                               done: Number(c.dataset.done), total: Number(c.dataset.total),
                               text: c.textContent });
      }
    }
  }).observe(document.getElementById("turns"), { childList: true, subtree: true });
}"""


@pytest.fixture
def served(tmp_path: Path, cluster: DaskExecutor) -> Iterator[str]:
    """The real app on a free loopback port (uvicorn in a thread of this process)."""
    port = free_port()
    app = http_api.create_app(tmp_path / "sessions", token=TOKEN, max_jobs=2,
                              host="127.0.0.1", port=port)
    with live_server(app, port) as url:
        yield url


@pytest.mark.browser
@pytest.mark.slow
def test_map_page_shows_tiles_done_over_both_workers(served: str, data_dir: Path) -> None:
    n = tiles(data_dir)
    with browser() as b:
        page = b.page
        page.goto(f"{served}/map#token={TOKEN}")
        b.wait("() => window.earthsight && earthsight.ready && earthsight.loggedIn", 30)
        page.locator(f'[data-testid=scene-option][data-path="{SCENE}"] input').check()
        page.evaluate(WATCH)
        page.get_by_test_id("ask-input").fill("how much water is there")
        page.get_by_test_id("ask-button").click()
        turn = b.wait("() => !earthsight.busy && earthsight.lastTurn", 60)
        assert turn["status"] == "done" and not b.state("errors"), (turn, b.state("errors"))
        shown = page.evaluate("() => window.__counts")
        for stage in PASSES:
            seen = [(c["done"], c["total"]) for c in shown
                    if c["step"] == "s1" and c["stage"] == stage]
            # each n/N appears (consecutive renders of one count collapse to one)
            assert [k for i, k in enumerate(seen) if i == 0 or seen[i - 1] != k] == [
                (i, n) for i in range(1, n + 1)], (stage, shown)
            assert any(c["text"].strip().endswith(f"{stage} {n}/{n}") for c in shown), shown
        assert "step_progress" in b.state("lastStream")
        where = page.get_by_test_id("plan-step-where")  # the finished turn's step
        assert where.count() == 1 and where.inner_text().strip() == f"· {2 * n} tasks on 2 workers"
        assert not b.blocked and not b.page_errors, (b.blocked, b.page_errors)
