"""CLIP-family encoders (open_clip): RemoteCLIP / GeoRSCLIP checkpoints, or random-init builds.

An architecture (``ViT-B-32``, ``ViT-L-14``, ``RN50``, or any open_clip config dict) is built
from its config with random weights, then a local checkpoint is loaded into it: a plain state
dict (RemoteCLIP), an open_clip training checkpoint (``{"state_dict": ...}``, ``module.``
prefixes; GeoRSCLIP), or EarthSight's own file (``{"arch", "config", "state_dict"}``, written by
:func:`save_checkpoint`, which also carries non-standard configs for tests and benchmarks).

Images arrive as ``(H, W, 3)`` uint8 RGB arrays already at the model's input size (callers read
rasters decimated to it); anything else is resized here (squash, so the whole footprint is
seen). Embeddings come back L2-normalised as float32 numpy arrays. torch and open_clip are
imported lazily.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specialists.runtime.atomic import atomic_path
from specialists.runtime.cache import get_or_load, model_gpu_bytes
from specialists.runtime.device import configure_threads, inference_dtype, pick_device
from specialists.runtime.model_files import ModelFileRefused, load_tensors

ARCHS = ("ViT-B-32", "ViT-L-14", "RN50")
"""Architectures with EarthSight model records (open_clip config names)."""

DEFAULT_TEMPLATES = (
    "a satellite image of {}.",
    "an aerial photo of {}.",
    "a remote sensing image of {}.",
    "an aerial image showing {}.",
    "a satellite photo of the {}.",
)
"""Prompt ensemble used when the caller gives none (each label fills ``{}``)."""

TINY_CONFIG: dict[str, Any] = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}
"""A tiny ViT CLIP (random weights only) for tests and ingest benchmarks: same code paths,
bundled BPE tokenizer, a fraction of the compute."""

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


class CheckpointError(ValueError):
    """A checkpoint cannot be loaded into the architecture (the message says why)."""


def arch_config(arch: str) -> dict[str, Any]:
    """The open_clip config dict of ``arch`` (``ViT-B-32``...).

    Raises:
        ValueError: open_clip has no such architecture.
    """
    import open_clip

    cfg = open_clip.get_model_config(arch)
    if cfg is None:
        raise ValueError(f"unknown open_clip architecture '{arch}'; EarthSight records: "
                         f"{', '.join(ARCHS)}")
    return dict(cfg)


def build_model(arch: str, config: dict[str, Any] | None = None, seed: int | None = None) -> Any:
    """An open_clip CLIP model with random weights, from ``config`` or the config of ``arch``."""
    import torch
    from open_clip.model import CLIP

    if seed is not None:
        torch.manual_seed(seed)
    cfg = dict(config if config is not None else arch_config(arch))
    cfg.pop("custom_text", None)
    model = CLIP(**cfg)
    model.eval()
    return model


def save_checkpoint(model: Any, dest: str | Path, arch: str,
                    config: dict[str, Any] | None = None) -> Path:
    """Save ``model`` as an EarthSight checkpoint (arch, config, state dict); atomic rename."""
    import torch

    dest = Path(dest)
    payload = {"arch": arch, "config": config or arch_config(arch),
               "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}}
    with atomic_path(dest) as tmp:
        torch.save(payload, tmp)
    return dest


def build_random(arch: str, dest: str | Path, config: dict[str, Any] | None = None,
                 seed: int = 0) -> Path:
    """Build ``arch`` (or ``config``) with random weights and save it to ``dest``."""
    return save_checkpoint(build_model(arch, config, seed), dest, arch, config)


def guess_arch(state: dict[str, Any]) -> str:
    """The record architecture whose tensors a plain state dict has.

    Raises:
        CheckpointError: It matches none of :data:`ARCHS`.
    """
    if "visual.attnpool.c_proj.weight" in state:
        return "RN50"
    conv = state.get("visual.conv1.weight")
    if conv is not None and tuple(conv.shape[-2:]) == (14, 14):
        return "ViT-L-14"
    if conv is not None and tuple(conv.shape[-2:]) == (32, 32):
        return "ViT-B-32"
    raise CheckpointError("cannot tell the architecture of this checkpoint (none of "
                          f"{', '.join(ARCHS)}); pass it explicitly")


def _state_dict(raw: Any) -> dict[str, Any]:
    state = raw.get("state_dict", raw) if isinstance(raw, dict) else None
    if not isinstance(state, dict):
        raise CheckpointError("not a state dict or an open_clip checkpoint")
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def read_checkpoint(path: str | Path, arch: str | None = None
                    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Read a checkpoint file: (architecture, config, state dict).

    Args:
        path: ``.pt`` / ``.pth`` file (plain state dict, open_clip or EarthSight checkpoint).
        arch: Architecture when the file does not say (default: guessed from tensor shapes).

    Raises:
        CheckpointError: Unreadable, or not a CLIP checkpoint.
    """

    try:
        raw = load_tensors(path)
    except ModelFileRefused as exc:
        raise CheckpointError(str(exc)) from exc
    except Exception as exc:
        raise CheckpointError(f"{path}: cannot be read as a torch checkpoint ({exc})") from exc
    state = _state_dict(raw)
    if isinstance(raw, dict) and isinstance(raw.get("config"), dict):
        external = _external_keys(raw["config"])
        if external:  # the architecture is built here, never fetched or loaded from elsewhere
            raise CheckpointError(
                f"{path}: its config names an outside model ({', '.join(external)}); "
                "EarthSight builds CLIP architectures only from open_clip configs, without "
                "Hugging Face or timm models")
        return str(raw.get("arch") or arch or "custom"), dict(raw["config"]), state
    name = arch or guess_arch(state)
    return name, arch_config(name), state


_EXTERNAL = ("hf_model_name", "hf_tokenizer_name", "hf_model_pretrained", "timm_model_name",
             "timm_model_pretrained")


def _external_keys(config: Any, where: str = "") -> list[str]:
    """Config keys that make open_clip fetch or load another model (a Hugging Face text tower or
    tokenizer, a timm vision tower, their pretrained weights)."""
    found: list[str] = []
    if isinstance(config, dict):
        for key, value in config.items():
            name = f"{where}.{key}" if where else str(key)
            if key in _EXTERNAL and value not in (None, "", False):
                found.append(name)
            found.extend(_external_keys(value, name))
    return found


@dataclass
class LoadedClip:
    """A CLIP model ready to encode, and what it is.

    Attributes:
        model: The open_clip ``CLIP`` module (eval mode, on ``device``).
        tokenize: Texts -> token tensor (open_clip's bundled BPE tokenizer).
        arch: Architecture name.
        device: ``cpu`` or ``cuda[:N]``.
        image_size: Input side in pixels.
        embed_dim: Embedding length.
        logit_scale: The model's learned temperature (exp of its log scale).
        weights: Checkpoint it was loaded from.
        batch: Images per forward pass that suit the device.
    """

    model: Any
    tokenize: Callable[[Sequence[str]], Any]
    arch: str
    device: str
    image_size: int
    embed_dim: int
    logit_scale: float
    weights: str
    batch: int

    def _to_tensor(self, images: Sequence[np.ndarray]) -> Any:
        import torch
        import torch.nn.functional as F

        s = self.image_size
        out = []
        for img in images:
            if img.ndim != 3 or img.shape[2] != 3:
                raise ValueError(f"images must be (H, W, 3) RGB arrays, got {img.shape}")
            t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1).float()
            if t.shape[1:] != (s, s):
                t = F.interpolate(t[None], size=(s, s), mode="bilinear", antialias=True,
                                  align_corners=False)[0]
            out.append(t)
        batch = torch.stack(out) / 255.0
        mean = torch.tensor(MEAN).view(1, 3, 1, 1)
        std = torch.tensor(STD).view(1, 3, 1, 1)
        return ((batch - mean) / std).to(self.device, inference_dtype(self.device))

    def encode_images(self, images: Sequence[np.ndarray], batch: int | None = None) -> np.ndarray:
        """L2-normalised embeddings ``(N, D)`` of RGB uint8 images, ``batch`` at a time."""
        import torch

        if not images:
            return np.zeros((0, self.embed_dim), np.float32)
        step = batch or self.batch
        parts = []
        with torch.inference_mode():
            for i in range(0, len(images), step):
                emb = self.model.encode_image(self._to_tensor(images[i:i + step]), normalize=True)
                parts.append(emb.float().cpu().numpy())
        return np.concatenate(parts).astype(np.float32)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised embeddings ``(N, D)`` of texts."""
        import torch

        with torch.inference_mode():
            tokens = self.tokenize(list(texts)).to(self.device)
            emb = self.model.encode_text(tokens, normalize=True)
        return np.asarray(emb.float().cpu().numpy(), np.float32)

    def encode_labels(self, labels: Sequence[str],
                      templates: Sequence[str] = DEFAULT_TEMPLATES) -> np.ndarray:
        """Prompt-ensemble embeddings ``(L, D)``: each label's prompts averaged, re-normalised."""
        templates = list(templates) or ["{}"]
        texts = [t.format(label) for label in labels for t in templates]
        emb = self.encode_texts(texts).reshape(len(labels), len(templates), -1).mean(axis=1)
        return normalise(emb)

    def probabilities(self, image_emb: np.ndarray, label_emb: np.ndarray) -> np.ndarray:
        """Calibrated label probabilities ``(N, L)``: softmax of logit_scale x cosine."""
        return softmax(self.logit_scale * (image_emb @ label_emb.T))


def normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.asarray(x / np.maximum(norm, 1e-12), np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, numerically stable."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True), np.float32)


def load_clip(weights: str | Path, arch: str | None = None, device: str | None = None,
              batch: int | None = None) -> LoadedClip:
    """Load a CLIP checkpoint once per process (cached per file, architecture and device).

    Args:
        weights: Local checkpoint file.
        arch: Architecture when the file does not say (default: guessed).
        device: ``cpu``, ``cuda`` or ``cuda:N`` (None: CUDA when available).
        batch: Images per forward pass (None: 64 on CUDA, 16 on CPU).

    Raises:
        CheckpointError: The file is not a checkpoint of a CLIP architecture it fits.
    """
    dev = pick_device(device)
    path = Path(weights).resolve()

    def loader() -> LoadedClip:
        import open_clip
        import torch

        logging.getLogger("root").setLevel(logging.ERROR)  # open_clip's "no pretrained" note
        name, config, state = read_checkpoint(path, arch)
        model = build_model(name, config)
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.endswith("position_ids")]
        if missing or unexpected:
            raise CheckpointError(
                f"{path} does not fit architecture {name}: {len(missing)} missing tensors "
                f"({', '.join(missing[:3])}...), {len(unexpected)} unexpected "
                f"({', '.join(list(unexpected)[:3])}...)")
        model = model.to(dev, inference_dtype(dev)).eval()
        if dev == "cpu":
            configure_threads()
        text = config.get("text_cfg", {})
        tokenizer = open_clip.tokenizer.SimpleTokenizer(
            context_length=int(text.get("context_length", 77)))
        vision = config.get("vision_cfg", {})
        size = vision.get("image_size", 224)
        with torch.no_grad():
            scale = float(model.logit_scale.exp().float().cpu())
        return LoadedClip(
            model=model, tokenize=tokenizer, arch=name, device=dev,
            image_size=int(size[0] if isinstance(size, list | tuple) else size),
            embed_dim=int(config["embed_dim"]), logit_scale=scale, weights=str(path),
            batch=batch or (64 if dev.startswith("cuda") else 16))

    loaded = get_or_load(("clip", str(path), arch, dev), loader,
                         size=lambda m: _gpu_bytes(m.model))
    if batch is not None:
        loaded.batch = batch
    return loaded


def _gpu_bytes(model: Any) -> int:

    return model_gpu_bytes(model)
