"""Model tasks go to GPU workers when the cluster has some (``dask worker --resources GPU=1``):
a cluster of one plain worker and one worker that advertises a GPU, on 127.0.0.1."""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any

import pytest

from specialists.runtime.cluster import DaskExecutor, Placement, model_task
from specialists.runtime.worker_models import ModelSpec
from tests.specialists.runtime.worker_fakes import load_token, use

distributed = pytest.importorskip("distributed", reason="the cluster extra is not installed")


@pytest.fixture(scope="module")
def mixed() -> Iterator[tuple[DaskExecutor, str]]:
    """A plain worker and a GPU worker (one thread each), and the GPU worker's address."""
    workers = {
        name: {"cls": distributed.Nanny,
               "options": {"nthreads": 1, "host": "127.0.0.1", "dashboard_address": None,
                           "resources": resources, "silence_logs": 40}}
        for name, resources in (("cpu", {}), ("gpu", {"GPU": 1}))}
    cluster = distributed.SpecCluster(
        scheduler={"cls": distributed.Scheduler,
                   "options": {"host": "127.0.0.1", "dashboard_address": None}},
        workers=workers, silence_logs=40)
    client = distributed.Client(cluster, set_as_default=False)
    client.wait_for_workers(2, timeout=30)
    info = client.scheduler_info()["workers"]
    gpu = next(a for a, w in info.items() if w.get("resources", {}).get("GPU"))
    ex = DaskExecutor(client, cluster, retries=0)
    yield ex, gpu
    ex.close()


def test_model_task_is_a_spec_in_items_or_args() -> None:
    spec = ModelSpec(load_token, ("m",))
    assert model_task([1, 2], (spec,))
    assert model_task([spec], ())
    assert not model_task([1, 2], ("m", 3))
    assert not model_task([], ())


def test_model_tasks_run_on_the_gpu_worker_only(mixed: tuple[DaskExecutor, str]) -> None:
    ex, gpu = mixed
    assert ex.gpu_workers() == 1
    spec = ModelSpec(load_token, ("gpu-test",))
    placement = Placement()
    found = list(ex.map(use, list(range(12)), spec, placement=placement, label="model"))
    assert [f[0] for f in found] == list(range(12))  # item order kept
    assert placement.tasks == 12
    assert placement.workers == {gpu}
    assert len({f[1] for f in found}) == 1  # one process, so the model loaded once
    assert len({f[2] for f in found}) == 1


def test_other_tasks_use_every_worker(mixed: tuple[DaskExecutor, str]) -> None:
    ex, gpu = mixed
    placement = Placement()
    slow: Any = operator.pow
    found = list(ex.map(slow, list(range(200)), 3, placement=placement, label="plain"))
    assert found == [i ** 3 for i in range(200)]
    assert len(placement.workers) == 2 and gpu in placement.workers
