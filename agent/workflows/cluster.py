"""The scenes of a workflow batch on a Dask cluster (``EARTHSIGHT_CLUSTER``): one task a scene.

Why whole scenes can run on workers:

* A scene's run writes only into its own sub-folder of the batch workspace, a workspace of its
  own (call ids, ``manifest.jsonl`` and the ``flock`` that guards both). The caller names the
  folders (unique within the batch) before any task starts, and one task at a time runs a
  scene, so no two writers share a manifest; every file is written to a temporary name and
  renamed. The batch's summary is written by the caller, under a call id of the batch
  workspace's own lock, as in-process. (Workers must see the scenes, weights and the workspace
  at the same paths: a local cluster does; a ``tcp://`` cluster needs shared storage. Relative
  paths resolve against each worker's working directory, which is the caller's on a local
  cluster: give absolute paths to a remote one.)
* A scene task runs its tools *in the worker's process* (the scenes are the parallel work;
  a task that fanned its tiles out again would wait on the cluster it occupies), under the
  caller's settings that shape outputs (:data:`SHIPPED_SETTINGS`: tile size and overlap, data
  roots, weights folders, pixel limit): a worker computes exactly what the caller would, so
  the rows, numbers and files are identical to an in-process batch. Secrets and the worker's
  own resources (threads, device, caches) are not shipped.
* A scene that raises is an error row, the same code as in-process
  (:func:`agent.workflows.scene.run_scene`), so a broken scene is never retried. A worker that
  dies mid-scene has the scene rerun elsewhere by the scheduler (into the same folder: new call
  ids, nothing overwritten; files the lost run finished stay with their records). A scene that
  kept killing its workers is an error row and the batch goes on with the next scenes.
* Ctrl-C (or any error of the caller) cancels the scenes not yet started; a scene already
  running finishes on its worker, and its files are whole (temporary names, renamed).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Generator, Iterator, Mapping, Sequence

from agent.workflows.scene import SceneJob, SceneRow, run_scene
from specialists.runtime.cluster import CLUSTER_ENV, ClusterError, Executor, Placement

SHIPPED_SETTINGS = ("EARTHSIGHT_TILE_SIZE", "EARTHSIGHT_TILE_OVERLAP", "EARTHSIGHT_DATA",
                    "EARTHSIGHT_DATA_ROOTS", "EARTHSIGHT_WEIGHTS_DIR", "EARTHSIGHT_INDEX_DIR",
                    "EARTHSIGHT_MAX_PIXELS", "TORCH_HOME")
"""Environment settings of the caller a scene task runs under (unset ones are unset there)."""

ShippedSettings = tuple[tuple[str, str | None], ...]


def caller_settings() -> ShippedSettings:
    """This process's values of :data:`SHIPPED_SETTINGS` (None: unset), and the cluster
    setting unset (a scene task runs its tools in the worker's own process)."""
    return (*((k, os.environ.get(k)) for k in SHIPPED_SETTINGS), (CLUSTER_ENV, None))


class _Scope:
    """The environment of a worker process shared by the scene tasks running in it: tasks with
    the same settings run together; tasks with other settings wait until those are done (the
    environment is process-wide). The worker's own values come back when the last one ends."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.current: ShippedSettings | None = None
        self.users = 0
        self.saved: dict[str, str | None] = {}

    @staticmethod
    def _apply(values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    @contextlib.contextmanager
    def using(self, settings: ShippedSettings) -> Iterator[None]:
        """Run the block with ``settings`` in the environment."""
        with self.cond:
            while self.users and self.current != settings:
                self.cond.wait()
            if not self.users:
                self.saved = {k: os.environ.get(k) for k, _ in settings}
                self._apply(dict(settings))
                self.current = settings
            self.users += 1
        try:
            yield
        finally:
            with self.cond:
                self.users -= 1
                if not self.users:
                    self._apply(self.saved)
                    self.current = None
                    self.cond.notify_all()


_scope = _Scope()


def scene_task(job: SceneJob, settings: ShippedSettings) -> SceneRow:
    """On a worker: one scene's run under the caller's settings, its tools in this process."""
    with _scope.using(settings):
        return run_scene(job)


def _lost(job: SceneJob, exc: ClusterError) -> SceneRow:
    """The row of a scene whose workers kept dying."""
    return SceneRow(scene=job.scene, status="error", workspace=job.folder,
                    error=f"{os.path.basename(job.scene)}: the cluster gave it up ({exc})")


def cluster_rows(jobs: Sequence[SceneJob], ex: Executor,
                 placement: Placement) -> Generator[SceneRow, None, None]:
    """Each scene's row, in scene order, the scenes run one task each on ``ex``'s workers
    (tasks and workers added to ``placement``). Closing the iterator early cancels the scenes
    not yet started."""
    settings = caller_settings()
    start = 0
    while start < len(jobs):
        found = ex.map(scene_task, jobs[start:], settings, placement=placement, label="scene")
        with contextlib.closing(found):
            while start < len(jobs):
                try:
                    row = next(found)
                except StopIteration:  # pragma: no cover - the map yields one row a job
                    return
                except ClusterError as exc:  # this scene killed its workers: report, go on
                    row = _lost(jobs[start], exc)
                    start += 1
                    yield row
                    break  # the map is over: a new one for the scenes after it
                start += 1
                yield row
