"""Visual encoders from torchvision's model families, built from a config (random weights).

Two families, both usable with downloaded torchvision weights (:func:`load_pretrained`):

* ``resnet18``: the ResNet-18 trunk up to ``stages`` residual stages (1-4). It returns the
  feature maps of the stem (stride 2) and of every kept stage (strides 4, 8, 16, 32); the last
  map, flattened, is the patch-token grid.
* ``vit``: torchvision's ``VisionTransformer`` with a small config (``patch_size``,
  ``num_layers``, ``num_heads``, ``hidden_dim``, ``mlp_dim``, fixed ``image_size``); the patch
  tokens (class token dropped) come back as one map of stride ``patch_size``.

A band-adapted stem: ``in_chans`` other than 3 replaces the first convolution; pretrained RGB
weights are then averaged over colour and repeated over the bands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from specialists.runtime.model_files import load_tensors

RESNET_CHANNELS = (64, 64, 128, 256, 512)
RESNET_STRIDES = (2, 4, 8, 16, 32)


def encoder_channels(config: dict[str, Any]) -> list[int]:
    """Channels of each feature map the encoder returns."""
    if config.get("family", "resnet18") == "vit":
        return [int(config["hidden_dim"])]
    return list(RESNET_CHANNELS[: int(config.get("stages", 2)) + 1])


def encoder_strides(config: dict[str, Any]) -> list[int]:
    """Stride (input pixels per feature pixel) of each feature map the encoder returns."""
    if config.get("family", "resnet18") == "vit":
        return [int(config["patch_size"])]
    return list(RESNET_STRIDES[: int(config.get("stages", 2)) + 1])


def build_encoder(config: dict[str, Any]) -> Any:
    """An encoder ``nn.Module``: ``forward(x) -> list of feature maps`` (B, C, h, w).

    Args:
        config: ``{"family": "resnet18", "in_chans": 3, "stages": 2}`` or ``{"family": "vit",
            "in_chans": 3, "image_size": 32, "patch_size": 8, "num_layers": 2, "num_heads": 2,
            "hidden_dim": 64, "mlp_dim": 128}``.

    Raises:
        ValueError: Unknown family or out-of-range settings.
    """
    family = config.get("family", "resnet18")
    if family == "resnet18":
        return _ResNetTrunk(int(config.get("in_chans", 3)), int(config.get("stages", 2)))
    if family == "vit":
        return _VitTokens(config)
    raise ValueError(f"unknown encoder family '{family}'; use 'resnet18' or 'vit'")


def _trunk_classes() -> tuple[Any, Any]:
    import torch
    import torchvision

    return torch, torchvision


def _ResNetTrunk(in_chans: int, stages: int) -> Any:
    torch, torchvision = _trunk_classes()
    if not 1 <= stages <= 4:
        raise ValueError(f"resnet18 stages must be 1..4 (got {stages})")
    if in_chans < 1:
        raise ValueError(f"in_chans must be >= 1 (got {in_chans})")
    nn = torch.nn

    class ResNetTrunk(nn.Module):  # type: ignore[misc,name-defined]
        """ResNet-18 stem and the first ``stages`` stages; returns every feature map."""

        def __init__(self) -> None:
            super().__init__()
            net = torchvision.models.resnet18(weights=None)
            if in_chans != 3:
                net.conv1 = nn.Conv2d(in_chans, 64, 7, 2, 3, bias=False)
            self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, \
                net.maxpool
            self.layers = nn.ModuleList([getattr(net, f"layer{i}") for i in range(1, stages + 1)])
            self.in_chans = in_chans

        def forward(self, x: Any) -> list[Any]:
            x = self.relu(self.bn1(self.conv1(x)))
            feats = [x]
            x = self.maxpool(x)
            for layer in self.layers:
                x = layer(x)
                feats.append(x)
            return feats

    return ResNetTrunk()


def _VitTokens(config: dict[str, Any]) -> Any:
    torch, torchvision = _trunk_classes()
    nn = torch.nn
    in_chans = int(config.get("in_chans", 3))
    size, patch = int(config["image_size"]), int(config["patch_size"])
    if size % patch:
        raise ValueError(f"vit image_size {size} must be a multiple of patch_size {patch}")

    class VitTokens(nn.Module):  # type: ignore[misc,name-defined]
        """torchvision VisionTransformer returning its patch tokens as a (B, D, h, w) map."""

        def __init__(self) -> None:
            super().__init__()
            self.vit = torchvision.models.VisionTransformer(
                image_size=size, patch_size=patch, num_layers=int(config["num_layers"]),
                num_heads=int(config["num_heads"]), hidden_dim=int(config["hidden_dim"]),
                mlp_dim=int(config["mlp_dim"]))
            if in_chans != 3:
                self.vit.conv_proj = nn.Conv2d(in_chans, int(config["hidden_dim"]), patch,
                                               patch)
            self.vit.heads = nn.Identity()
            self.in_chans = in_chans

        def forward(self, x: Any) -> list[Any]:
            n, _, h, w = x.shape
            tokens = self.vit._process_input(x)
            cls = self.vit.class_token.expand(n, -1, -1)
            out = self.vit.encoder(torch.cat([cls, tokens], dim=1))[:, 1:]
            return [out.transpose(1, 2).reshape(n, -1, h // patch, w // patch)]

    return VitTokens()


def load_pretrained(encoder: Any, path: str | Path) -> int:
    """Load torchvision weights (e.g. ``resnet18-f37072fd.pth``) into an encoder.

    Keys are matched by name (``vit.`` prefix for ViT); tensors of another shape are skipped,
    except the first convolution, whose RGB kernels are averaged and repeated over the bands
    of a band-adapted stem.

    Returns:
        Number of tensors loaded.

    Raises:
        ValueError: The file holds no tensor that fits the encoder.
    """

    state = load_tensors(path)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    own = encoder.state_dict()
    prefix = "vit." if any(k.startswith("vit.") for k in own) else ""
    loaded: dict[str, Any] = {}
    for key, value in state.items():
        name = prefix + key
        if key.startswith("layer") and not prefix:
            name = f"layers.{int(key[5]) - 1}{key[6:]}"
        if name not in own:
            continue
        target = own[name]
        if value.shape == target.shape:
            loaded[name] = value
        elif value.ndim == 4 and value.shape[1] == 3 and value.shape[0] == target.shape[0]:
            mean = value.mean(dim=1, keepdim=True)  # band-adapted stem
            loaded[name] = mean.repeat(1, target.shape[1], 1, 1) * 3.0 / target.shape[1]
    if not loaded:
        raise ValueError(f"{path}: no tensor fits the encoder; pass torchvision weights of the "
                         "same family (e.g. resnet18-f37072fd.pth for resnet18)")
    encoder.load_state_dict(loaded, strict=False)
    return len(loaded)
