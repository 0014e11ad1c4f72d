"""Segment Anything (SAM ViT-B/L/H, MobileSAM ViT-T): loading, one embedding per image window,
batched box and point prompts, automatic masks.

The architecture is read from the checkpoint itself (embedding width, depth, heads, windowed
and global attention blocks, image size, decoder sizes), so the official ``sam_vit_*.pth``
files, MobileSAM's ``mobile_sam.pt`` and small test checkpoints all load through the same
path. torch, segment_anything and mobile_sam are imported only when a model is loaded.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from specialists.runtime.model_files import ModelFileRefused, load_tensors
from specialists.segmentation.sam_tiles import crop_piece

_VIT_NAMES = {(768, 12): "vit_b", (1024, 24): "vit_l", (1280, 32): "vit_h"}
BOX_BATCH = 16
"""Box / point prompts decoded at once (each full-window mask is float32 while upsampled)."""


class SamLoadError(ValueError):
    """A weights file exists but is not a SAM checkpoint this code can build."""


@dataclass(frozen=True)
class SamArch:
    """What a SAM checkpoint's tensors say about its architecture.

    Attributes:
        encoder: ``vit`` (SAM's ViT) or ``tiny_vit`` (MobileSAM).
        embed_dim: Encoder width (ViT only).
        depth: Encoder blocks (ViT only).
        num_heads: Encoder attention heads (ViT only).
        global_attn: Indexes of the encoder's global-attention blocks (ViT only).
        window_size: Windowed-attention side in patches (ViT only).
        mlp_ratio: Encoder MLP width over embed_dim (ViT only).
        patch_size: Patch side in pixels.
        img_size: Model input side in pixels (longest side after resizing).
        prompt_dim: Prompt / mask-decoder width.
        mask_in_chans: Mask-prompt encoder channels.
        decoder_depth: Two-way transformer layers.
        decoder_mlp: Two-way transformer MLP width.
        iou_hidden: IoU head width.
        iou_depth: IoU head layers.
        multimask: Masks per ambiguous prompt.
    """

    encoder: str
    embed_dim: int = 0
    depth: int = 0
    num_heads: int = 0
    global_attn: tuple[int, ...] = ()
    window_size: int = 0
    mlp_ratio: float = 4.0
    patch_size: int = 16
    img_size: int = 1024
    prompt_dim: int = 256
    mask_in_chans: int = 16
    decoder_depth: int = 2
    decoder_mlp: int = 2048
    iou_hidden: int = 256
    iou_depth: int = 3
    multimask: int = 3

    @property
    def name(self) -> str:
        """``vit_b`` / ``vit_l`` / ``vit_h`` / ``vit_t``, else a description of the ViT."""
        if self.encoder == "tiny_vit":
            return "vit_t"
        known = _VIT_NAMES.get((self.embed_dim, self.depth))
        if known and self.img_size == 1024:
            return known
        return f"vit(dim={self.embed_dim}, depth={self.depth}, input={self.img_size}px)"


def _count(state: dict[str, Any], pattern: str) -> int:
    rx = re.compile(pattern)
    return len({m.group(1) for k in state if (m := rx.match(k))})


def infer_arch(state: dict[str, Any]) -> SamArch:
    """Read the architecture from a SAM state dict.

    Raises:
        SamLoadError: The tensors are not those of a SAM model.
    """
    try:
        dec: dict[str, int] = {
            "prompt_dim": int(state["mask_decoder.iou_token.weight"].shape[1]),
            "mask_in_chans": int(state["prompt_encoder.mask_downscaling.3.weight"].shape[0]),
            "decoder_depth": _count(state, r"mask_decoder\.transformer\.layers\.(\d+)\."),
            "decoder_mlp": int(state["mask_decoder.transformer.layers.0.mlp.lin1.weight"].shape[0]),
            "iou_hidden": int(state["mask_decoder.iou_prediction_head.layers.0.weight"].shape[0]),
            "iou_depth": _count(state, r"mask_decoder\.iou_prediction_head\.layers\.(\d+)\."),
            "multimask": int(state["mask_decoder.mask_tokens.weight"].shape[0]) - 1,
        }
        if any(k.startswith("image_encoder.layers.") for k in state):
            return SamArch("tiny_vit", **dec)  # type: ignore[arg-type]
        proj = state["image_encoder.patch_embed.proj.weight"]
        embed_dim, patch = int(proj.shape[0]), int(proj.shape[2])
        grid = int(state["image_encoder.pos_embed"].shape[1])
        depth = _count(state, r"image_encoder\.blocks\.(\d+)\.")
        sizes = [int(state[f"image_encoder.blocks.{i}.attn.rel_pos_h"].shape[0]) for i in
                 range(depth)]
        head_dim = int(state["image_encoder.blocks.0.attn.rel_pos_h"].shape[1])
        windowed = [s for s in sizes if s != 2 * grid - 1]
        return SamArch(
            encoder="vit", embed_dim=embed_dim, depth=depth, num_heads=embed_dim // head_dim,
            global_attn=tuple(i for i, s in enumerate(sizes) if s == 2 * grid - 1),
            window_size=(windowed[0] + 1) // 2 if windowed else 0,
            mlp_ratio=int(state["image_encoder.blocks.0.mlp.lin1.weight"].shape[0]) / embed_dim,
            patch_size=patch, img_size=grid * patch, **dec)
    except (KeyError, IndexError, AttributeError) as exc:
        raise SamLoadError(f"not a SAM checkpoint (missing or odd tensor {exc})") from exc


def build_sam(arch: SamArch) -> Any:
    """An untrained SAM with this architecture (segment_anything's modules; MobileSAM's TinyViT
    encoder for ``vit_t``)."""
    import torch
    from segment_anything.modeling import (
        ImageEncoderViT,
        MaskDecoder,
        PromptEncoder,
        Sam,
        TwoWayTransformer,
    )

    if arch.encoder == "tiny_vit":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # timm's deprecated-import notices
            from mobile_sam.modeling import TinyViT
        encoder = TinyViT(img_size=arch.img_size, in_chans=3, num_classes=1000,
                          embed_dims=[64, 128, 160, 320], depths=[2, 2, 6, 2],
                          num_heads=[2, 4, 5, 10], window_sizes=[7, 7, 14, 7], mlp_ratio=4.0,
                          drop_rate=0.0, drop_path_rate=0.0, use_checkpoint=False,
                          mbconv_expand_ratio=4.0, local_conv_size=3, layer_lr_decay=0.8)
    else:
        encoder = ImageEncoderViT(
            depth=arch.depth, embed_dim=arch.embed_dim, img_size=arch.img_size,
            mlp_ratio=arch.mlp_ratio, norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=arch.num_heads, patch_size=arch.patch_size, qkv_bias=True,
            use_rel_pos=True, global_attn_indexes=arch.global_attn,
            window_size=arch.window_size, out_chans=arch.prompt_dim)
    grid = arch.img_size // arch.patch_size
    sam = Sam(
        image_encoder=encoder,
        prompt_encoder=PromptEncoder(embed_dim=arch.prompt_dim, image_embedding_size=(grid, grid),
                                     input_image_size=(arch.img_size, arch.img_size),
                                     mask_in_chans=arch.mask_in_chans),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=arch.multimask,
            transformer=TwoWayTransformer(depth=arch.decoder_depth, embedding_dim=arch.prompt_dim,
                                          mlp_dim=arch.decoder_mlp, num_heads=8),
            transformer_dim=arch.prompt_dim, iou_head_depth=arch.iou_depth,
            iou_head_hidden_dim=arch.iou_hidden),
        pixel_mean=[123.675, 116.28, 103.53], pixel_std=[58.395, 57.12, 57.375])
    return sam.eval()


def read_state_dict(path: Path) -> dict[str, Any]:
    """Tensors of a checkpoint (plain state dict, or one under ``model`` / ``state_dict``)."""

    try:
        obj = load_tensors(path)
    except ModelFileRefused as exc:
        raise SamLoadError(str(exc)) from exc
    except Exception as exc:
        raise SamLoadError(f"{path} could not be read as a PyTorch checkpoint ({exc}); pass a "
                           "SAM checkpoint (sam_vit_b_01ec64.pth, mobile_sam.pt)") from exc
    for key in ("model", "state_dict"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict):
        raise SamLoadError(f"{path} holds a {type(obj).__name__}, not a state dict")
    return obj


@dataclass
class SamSegmenter:
    """A loaded SAM and its predictor: embed a window once, then decode any number of prompts.

    Attributes:
        model: The ``segment_anything`` ``Sam`` module.
        arch: Its architecture.
        weights: The checkpoint it came from.
        device: ``cpu`` or ``cuda[:n]``.
        embed_calls: Image embeddings computed so far (one per window).
    """

    model: Any
    arch: SamArch
    weights: Path
    device: str
    embed_calls: int = 0
    _predictor: Any = field(default=None, repr=False)

    @property
    def tile_side(self) -> int:
        """Window side in pixels segmented at native resolution (the model's input side)."""
        return self.arch.img_size

    def _autocast(self) -> Any:
        import contextlib

        import torch

        if self.device.startswith("cuda"):
            return torch.autocast("cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def set_image(self, rgb: np.ndarray) -> None:
        """Embed one window (``rows x cols x 3`` uint8 RGB)."""
        from segment_anything import SamPredictor

        if self._predictor is None:
            self._predictor = SamPredictor(self.model)
        with self._autocast():
            self._predictor.set_image(np.ascontiguousarray(rgb), image_format="RGB")
        self.embed_calls += 1

    def _decode(self, boxes: np.ndarray | None, points: np.ndarray | None, multimask: bool,
                row_off: int, col_off: int) -> list[tuple[int, int, np.ndarray, float] | None]:
        import torch

        p = self._predictor
        if p is None or not p.is_image_set:
            raise RuntimeError("set_image must be called before decoding prompts")
        n = len(boxes) if boxes is not None else len(points) if points is not None else 0
        out: list[tuple[int, int, np.ndarray, float] | None] = []
        size = p.original_size
        for s in range(0, n, BOX_BATCH):
            kw: dict[str, Any] = {"point_coords": None, "point_labels": None, "boxes": None}
            if boxes is not None:
                b = torch.as_tensor(p.transform.apply_boxes(boxes[s:s + BOX_BATCH], size),
                                    dtype=torch.float, device=p.device)
                kw["boxes"] = b
            if points is not None:
                pts = p.transform.apply_coords(points[s:s + BOX_BATCH].reshape(-1, 1, 2), size)
                kw["point_coords"] = torch.as_tensor(pts, dtype=torch.float, device=p.device)
                kw["point_labels"] = torch.ones(pts.shape[:2], dtype=torch.int, device=p.device)
            with torch.no_grad(), self._autocast():
                masks, iou, _ = p.predict_torch(multimask_output=multimask, **kw)
            best = iou.float().argmax(dim=1)
            for k in range(masks.shape[0]):
                m = masks[k, int(best[k])].cpu().numpy().astype(bool)
                piece = crop_piece(m, row_off, col_off)
                out.append(None if piece is None else (*piece, float(iou[k, int(best[k])])))
        return out

    def predict_boxes(self, boxes: np.ndarray, row_off: int = 0, col_off: int = 0
                      ) -> list[tuple[int, int, np.ndarray, float] | None]:
        """Masks for ``(N, 4)`` boxes ``x0, y0, x1, y1`` in window pixels, in batches.

        Returns:
            Per box ``(scene_row, scene_col, boolean crop, predicted IoU)`` or None when the
            mask is empty; scene offsets add ``row_off`` / ``col_off`` of the window.
        """
        arr = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        return self._decode(arr, None, False, row_off, col_off)

    def predict_points(self, points: np.ndarray, row_off: int = 0, col_off: int = 0
                       ) -> list[tuple[int, int, np.ndarray, float] | None]:
        """Masks for ``(N, 2)`` single foreground points ``x, y`` in window pixels (best of
        SAM's three candidate masks per point); same return as :meth:`predict_boxes`."""
        arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return self._decode(None, arr, True, row_off, col_off)

    def generate(self, rgb: np.ndarray, points_per_side: int = 16,
                 min_area_px: int = 16) -> list[tuple[np.ndarray, float]]:
        """Automatic masks of one window: ``(boolean mask over the window, predicted IoU)``."""
        from segment_anything import SamAutomaticMaskGenerator

        gen = SamAutomaticMaskGenerator(self.model, points_per_side=points_per_side,
                                        min_mask_region_area=0)
        with self._autocast():
            found = gen.generate(np.ascontiguousarray(rgb))
        self.embed_calls += 1
        return [(np.asarray(m["segmentation"], dtype=bool), float(m["predicted_iou"]))
                for m in found if int(m["area"]) >= min_area_px]


def load_sam(weights: Path, device: str = "cpu") -> SamSegmenter:
    """Build the SAM that ``weights`` describes, load its tensors and move it to ``device``.

    Raises:
        SamLoadError: The file is not a (compatible) SAM checkpoint.
    """
    state = read_state_dict(weights)
    arch = infer_arch(state)
    model = build_sam(arch)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise SamLoadError(f"{weights}: tensors do not fit the {arch.name} SAM they describe "
                           f"({str(exc).splitlines()[0]})") from exc
    model.to(device)
    return SamSegmenter(model=model, arch=arch, weights=weights, device=device)


def tiny_checkpoint(path: Path, img_size: int = 256, seed: int = 0) -> Path:
    """Save a small random-weight SAM (ViT encoder, 32 wide, 2 blocks) for tests and benches."""
    import torch

    torch.manual_seed(seed)
    arch = SamArch(encoder="vit", embed_dim=32, depth=2, num_heads=2, global_attn=(1,),
                   window_size=4, img_size=img_size, prompt_dim=32, mask_in_chans=8,
                   decoder_mlp=64, iou_hidden=32)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(build_sam(arch).state_dict(), path)
    return path
