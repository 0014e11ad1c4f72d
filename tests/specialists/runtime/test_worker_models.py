"""Per-worker models: a ModelSpec names a module-level loader (never a closure); each process
loads a spec once and reuses it; on a 2-worker LocalCluster the plugin loads it once per worker
(in parallel, before any task, idempotently), 40 tasks reuse it without loading again, the
plugin's teardown drops it, and a loader's refusal reaches the caller as its own error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from specialists.runtime.cluster import DaskExecutor, executor, shutdown
from specialists.runtime.worker_models import (
    MAX_PLUGINS,
    PLUGIN_PREFIX,
    ModelSpec,
    ensure_models,
    forget,
    load_counts,
    worker_model,
)
from tests.specialists.runtime import worker_fakes


def test_spec_names_a_module_level_loader() -> None:
    with pytest.raises(ValueError, match="module-level"):
        ModelSpec(lambda: 1)
    with pytest.raises(TypeError):
        ModelSpec(worker_fakes.load_token, ([1],))  # type: ignore[arg-type]
    a = ModelSpec(worker_fakes.load_token, ("a",))
    assert a.name.startswith(PLUGIN_PREFIX) and len(a.name) == len(PLUGIN_PREFIX) + 16
    assert a.name == ModelSpec(worker_fakes.load_token, ("a",)).name
    assert a.name != ModelSpec(worker_fakes.load_token, ("b",)).name


def test_in_process_loads_once_until_forgotten() -> None:
    spec = ModelSpec(worker_fakes.load_token, ("here",))
    before = load_counts().get(spec.name, 0)
    first = worker_model(spec)
    assert all(worker_model(spec) is first for _ in range(5))
    assert load_counts()[spec.name] == before + 1
    forget(spec)
    assert worker_model(spec)["token"] != first["token"]
    assert load_counts()[spec.name] == before + 2
    forget(spec)


@pytest.fixture(scope="module")
def local2() -> Iterator[DaskExecutor]:
    """A 2-worker LocalCluster on 127.0.0.1 (one thread per worker), shared by the module."""
    pytest.importorskip("distributed", reason="the cluster extra is not installed")
    ex = executor("local:2")
    assert isinstance(ex, DaskExecutor)
    yield ex
    shutdown()


def _loads(ex: DaskExecutor, spec: ModelSpec) -> dict[str, int]:
    return {w: c.get(spec.name, 0) for w, c in ex.client.run(load_counts).items()}


def test_each_worker_loads_once_across_many_tasks(local2: DaskExecutor) -> None:
    spec = ModelSpec(worker_fakes.load_token, ("many",))
    workers = set(local2.client.scheduler_info()["workers"])
    assert len(workers) == 2 and set(_loads(local2, spec).values()) == {0}
    assert ensure_models(local2.client, [spec]) == [spec.name]
    assert _loads(local2, spec) == dict.fromkeys(workers, 1)  # loaded before any task
    ensure_models(local2.client, [spec])  # idempotent: no second load
    results = list(local2.map(worker_fakes.use, list(range(40)), spec))
    assert [r[0] for r in results] == list(range(40))
    tokens: dict[int, set[str]] = {}
    for _, pid, token, _threads in results:
        tokens.setdefault(pid, set()).add(token)
    assert len(tokens) == 2 and all(len(t) == 1 for t in tokens.values())  # one model a worker
    assert {r[3] for r in results} == {"1"}  # the plugin set one thread a worker
    assert _loads(local2, spec) == dict.fromkeys(workers, 1)
    local2.client.unregister_worker_plugin(spec.name)  # teardown drops the model
    again = list(local2.map(worker_fakes.use, [0, 1, 2, 3], spec))
    assert not {r[2] for r in again} & set().union(*tokens.values())
    assert sum(_loads(local2, spec).values()) >= 3


def test_a_refused_model_is_the_loaders_error(local2: DaskExecutor) -> None:
    spec = ModelSpec(worker_fakes.refuse, ("bad.pt",))
    with pytest.raises(ValueError, match=r"bad\.pt: refused"):
        ensure_models(local2.client, [spec])


def test_failed_and_old_models_leave_no_plugin(local2: DaskExecutor) -> None:
    bad = ModelSpec(worker_fakes.refuse, ("gone.pt",))
    with pytest.raises(ValueError, match=r"gone\.pt: refused"):
        ensure_models(local2.client, [bad])

    def plugins() -> set[str]:
        found: dict[str, list[str]] = local2.client.run(
            lambda dask_worker: sorted(dask_worker.plugins))
        return {n for names in found.values() for n in names if n.startswith(PLUGIN_PREFIX)}

    assert bad.name not in plugins()
    specs = [ModelSpec(worker_fakes.load_token, (f"m{i}",)) for i in range(MAX_PLUGINS + 2)]
    for spec in specs:
        ensure_models(local2.client, [spec])
    assert {s.name for s in specs[-MAX_PLUGINS:]} <= plugins()
    assert not {s.name for s in specs[:2]} & plugins()
