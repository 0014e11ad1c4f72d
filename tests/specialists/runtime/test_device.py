"""Device choice, thread count and inference dtype."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from specialists.runtime.device import (  # noqa: E402
    configure_threads,
    default_threads,
    inference_dtype,
    pick_device,
    use_half,
)


def test_pick_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EARTHSIGHT_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device() == expected
    assert pick_device("CPU") == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            pick_device("cuda")


def test_threads_and_dtype(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARTHSIGHT_THREADS", "1")
    assert default_threads() == 1
    before = torch.get_num_threads()
    try:
        assert configure_threads() == 1 and torch.get_num_threads() == 1
        assert configure_threads(2) == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert inference_dtype("cpu") == torch.float32 and not use_half("cpu")
    assert inference_dtype("cuda:0") == torch.float16 and use_half("cuda")
