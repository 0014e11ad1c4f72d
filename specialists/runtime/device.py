"""Device placement: CUDA when available (fp16 there), else CPU with a sane thread count.

``import ultralytics`` sets ``OMP_NUM_THREADS=1`` when it is unset, which leaves torch (and every
model in the process) single-threaded; :func:`configure_threads` sets torch's thread count
explicitly afterwards. torch is imported lazily.
"""

from __future__ import annotations

import os
from typing import Any

THREADS_ENV = "EARTHSIGHT_THREADS"


def cuda_available() -> bool:
    """True when torch sees a CUDA device."""
    import torch

    return bool(torch.cuda.is_available())


def pick_device(prefer: str | None = None) -> str:
    """The device to run on: ``prefer`` when usable, else ``cuda`` when available, else ``cpu``.

    Args:
        prefer: ``cpu``, ``cuda`` or ``cuda:N`` (None: automatic; ``EARTHSIGHT_DEVICE`` too).

    Raises:
        ValueError: ``prefer`` names CUDA but there is none, or is not a device name.
    """
    prefer = prefer or os.environ.get("EARTHSIGHT_DEVICE") or None
    if prefer is None:
        return "cuda" if cuda_available() else "cpu"
    name = prefer.strip().lower()
    if name == "cpu":
        return "cpu"
    if name == "cuda" or name.startswith("cuda:"):
        if not cuda_available():
            raise ValueError(f"device '{prefer}' asked for but torch sees no CUDA device; "
                             "use device='cpu' or leave it unset")
        return name
    raise ValueError(f"unknown device '{prefer}'; use 'cpu', 'cuda' or 'cuda:N'")


def default_threads() -> int:
    """Threads for torch on CPU: ``EARTHSIGHT_THREADS``, else every core the process may use."""
    env = os.environ.get(THREADS_ENV)
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count (call after importing ultralytics); returns it."""
    import torch

    n = threads or default_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def use_half(device: str) -> bool:
    """fp16 on CUDA only; CPU runs fp32 (never bf16: ~10x slower without hardware support)."""
    return device.startswith("cuda")


def inference_dtype(device: str) -> Any:
    """torch dtype for inference on ``device`` (float16 on CUDA, float32 on CPU)."""
    import torch

    return torch.float16 if use_half(device) else torch.float32
