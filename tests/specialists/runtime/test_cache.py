"""The process-wide LRU model cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from specialists.runtime import cache


@pytest.fixture(autouse=True)
def empty() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_loads_once_and_evicts_lru() -> None:
    calls: list[str] = []

    def loader(name: str) -> object:
        def load() -> str:
            calls.append(name)
            return name
        return load

    def size(model: object) -> int:
        return 40

    assert cache.get_or_load("a", loader("a"), 100, size) == "a"
    assert cache.get_or_load("a", loader("a"), 100, size) == "a"
    cache.get_or_load("b", loader("b"), 100, size)
    cache.get_or_load("a", loader("a"), 100, size)  # a is now most recent
    cache.get_or_load("c", loader("c"), 100, size)  # 120 bytes > 100: b goes
    assert calls == ["a", "b", "c"]
    assert cache.cached_keys() == ["a", "c"]


def test_cpu_models_cost_no_gpu_bytes() -> None:
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(4, 4)
    assert cache.model_gpu_bytes(model) == 0
    assert cache.get_or_load("m", lambda: model, gpu_bytes_budget=0) is model
