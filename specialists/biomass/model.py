"""Above-ground-biomass regression head over visual patch tokens (REO-VLM style).

A patch of ``patch_px`` x ``patch_px`` pixels goes through a torchvision encoder
(:mod:`specialists.runtime.encoders`); its last feature map, flattened, is a grid of patch tokens.
An MLP-Mixer head mixes the tokens (token-mixing MLP across token positions, channel-mixing MLP
across features), pools them and predicts the patch's AGB in Mg/ha and its log-variance
(Mg/ha)²: a float and its uncertainty, never text-parsed numbers.

Input scaling (per-band mean and standard deviation) and target scaling live in the model's
buffers, so a model takes raw pixel values and returns Mg/ha. torch is imported lazily.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from specialists.runtime import checkpoint
from specialists.runtime.encoders import build_encoder, encoder_channels, encoder_strides

MODEL_NAME = "agb-mixer"
TARGET_UNITS = "Mg/ha"
LOGVAR_RANGE = (-12.0, 8.0)
"""Clamp of the predicted log-variance (standardised units)."""


def default_config(in_chans: int = 3, patch_px: int = 32, family: str = "resnet18",
                   small: bool = False, stages: int = 2) -> dict[str, Any]:
    """Architecture config: encoder, Mixer head, patch size.

    Args:
        in_chans: Input bands.
        patch_px: Patch side in pixels (a multiple of the encoder's stride).
        family: ``resnet18`` or ``vit``.
        small: Narrow head (tests).
        stages: ResNet stages kept (1: stride 4, 64 channels; 2: stride 8, 128 channels).
    """
    if family == "vit":
        encoder: dict[str, Any] = {"family": "vit", "in_chans": in_chans, "image_size": patch_px,
                                   "patch_size": 8, "num_layers": 2, "num_heads": 2,
                                   "hidden_dim": 64, "mlp_dim": 128}
    else:
        encoder = {"family": "resnet18", "in_chans": in_chans, "stages": stages}
    head = ({"dim": 32, "depth": 1, "token_hidden": 16, "channel_hidden": 64} if small
            else {"dim": 64, "depth": 2, "token_hidden": 32, "channel_hidden": 128})
    return {"encoder": encoder, "head": head, "patch_px": patch_px}


def token_grid(config: dict[str, Any]) -> int:
    """Number of patch tokens per patch."""
    stride = encoder_strides(config["encoder"])[-1]
    patch = int(config["patch_px"])
    if patch % stride:
        raise ValueError(f"patch_px {patch} must be a multiple of the encoder stride {stride}")
    return (patch // stride) ** 2


def build_model(config: dict[str, Any]) -> Any:
    """The AGB model (encoder + Mixer head) with random weights.

    ``model(x)`` takes raw pixels (B, bands, patch_px, patch_px) and returns
    ``(mean_mg_ha, logvar)`` with ``logvar`` the log-variance in (Mg/ha)².
    """
    import torch

    nn = torch.nn
    head_cfg = config["head"]
    tokens = token_grid(config)
    channels = encoder_channels(config["encoder"])[-1]
    in_chans = int(config["encoder"].get("in_chans", 3))

    class MixerBlock(nn.Module):
        """Token mixing across positions, then channel mixing across features."""

        def __init__(self, n: int, dim: int, token_hidden: int, channel_hidden: int) -> None:
            super().__init__()
            self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
            self.tokens = nn.Sequential(nn.Linear(n, token_hidden), nn.GELU(),
                                        nn.Linear(token_hidden, n))
            self.channels = nn.Sequential(nn.Linear(dim, channel_hidden), nn.GELU(),
                                          nn.Linear(channel_hidden, dim))

        def forward(self, x: Any) -> Any:
            x = x + self.tokens(self.norm1(x).transpose(1, 2)).transpose(1, 2)
            return x + self.channels(self.norm2(x))

    class BiomassNet(nn.Module):
        """Encoder -> patch tokens -> Mixer head -> (AGB Mg/ha, log-variance)."""

        in_mean: Any
        in_std: Any
        y_mean: Any
        y_std: Any

        def __init__(self) -> None:
            super().__init__()
            dim = int(head_cfg["dim"])
            self.encoder = build_encoder(config["encoder"])
            self.proj = nn.Linear(channels, dim)
            self.blocks = nn.Sequential(*[
                MixerBlock(tokens, dim, int(head_cfg["token_hidden"]),
                           int(head_cfg["channel_hidden"])) for _ in range(int(head_cfg["depth"]))])
            self.norm = nn.LayerNorm(dim)
            self.out = nn.Linear(dim, 2)
            self.register_buffer("in_mean", torch.zeros(in_chans))
            self.register_buffer("in_std", torch.ones(in_chans))
            self.register_buffer("y_mean", torch.zeros(()))
            self.register_buffer("y_std", torch.ones(()))

        def standardised(self, x: Any) -> tuple[Any, Any]:
            """Mean and log-variance in standardised target units."""
            x = (x - self.in_mean[None, :, None, None]) / self.in_std[None, :, None, None]
            fmap = self.encoder(x)[-1]
            tok = self.proj(fmap.flatten(2).transpose(1, 2))
            pooled = self.norm(self.blocks(tok)).mean(dim=1)
            mu, logvar = self.out(pooled).unbind(dim=1)
            return mu, logvar.clamp(*LOGVAR_RANGE)

        def forward(self, x: Any) -> tuple[Any, Any]:
            mu, logvar = self.standardised(x)
            return (mu * self.y_std + self.y_mean,
                    logvar + 2.0 * torch.log(self.y_std))

    return BiomassNet()


def gaussian_loss(mu: Any, logvar: Any, y: Any) -> Any:
    """Gaussian negative log-likelihood plus squared error (standardised units).

    The squared-error term keeps the mean learning while the variance is still poor.
    """
    nll = 0.5 * (logvar + (y - mu) ** 2 * (-logvar).exp())
    return (nll + 0.5 * (y - mu) ** 2).mean()


def predict_patches(model: Any, patches: np.ndarray, batch: int = 64,
                    device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """AGB mean and standard deviation (both Mg/ha) of each patch.

    Args:
        model: A model from :func:`build_model` / :func:`load_model`.
        patches: Raw pixels (N, bands, patch_px, patch_px).
        batch: Patches per forward pass.
        device: torch device.

    Returns:
        ``(mean, sd)``, float32 arrays of N values in Mg/ha.
    """
    import torch

    model.eval()
    means, sds = [], []
    with torch.no_grad():
        for i in range(0, len(patches), batch):
            x = torch.from_numpy(np.ascontiguousarray(patches[i:i + batch], dtype=np.float32))
            mu, logvar = model(x.to(device))
            means.append(mu.float().cpu().numpy())
            sds.append((0.5 * logvar.float()).exp().cpu().numpy())
    if not means:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    return (np.concatenate(means).astype(np.float32), np.concatenate(sds).astype(np.float32))


def save_model(model: Any, path: str | Path, config: dict[str, Any],
               meta: dict[str, Any]) -> Path:
    """Save weights and metadata (architecture, bands, gsd_m, target units, metrics)."""
    return checkpoint.save_model(model, path, MODEL_NAME, config, meta, TARGET_UNITS)


def load_model(path: str | Path, device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """Rebuild the AGB head from a weights file's architecture config and load its weights.

    Raises:
        specialists.runtime.checkpoint.CheckpointError: Not AGB head weights, or they do not fit.
    """
    return checkpoint.load_model(path, MODEL_NAME, build_model, device)


def r2_score(y: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination (1 = perfect; NaN for constant targets)."""
    ss_res = float(((y - pred) ** 2).sum())
    ss_tot = float(((y - y.mean()) ** 2).sum())
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else math.nan
