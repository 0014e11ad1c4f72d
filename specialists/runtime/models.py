"""Model records: one per specialist model, and where its weights come from.

A record names a model's task, classes (canonical, DOTA style: ``plane``, ``ship``,
``vehicle``...), input bands, expected ground sample distance, licence, the release a connected
machine downloads, and the architecture config that builds it with random weights (tests,
benchmarks). Weights are looked up, in order:

1. an explicit path (a tool's ``model`` argument, or ``path=``);
2. ``$EARTHSIGHT_WEIGHTS_DIR/<weights file>`` (default ``~/.local/share/earthsight/weights``);
3. the library's own cache (ultralytics' ``weights_dir`` setting; torch hub's ``checkpoints``);
4. when not offline (``YOLO_OFFLINE`` / ``HF_HUB_OFFLINE`` unset), the library's normal
   download of the named release.

Nothing here imports torch or ultralytics at module import time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

WEIGHTS_ENV = "EARTHSIGHT_WEIGHTS_DIR"
OFFLINE_ENVS = ("YOLO_OFFLINE", "HF_HUB_OFFLINE")
RGB = ("red", "green", "blue")

# DOTA v1 class order as in ultralytics' DOTAv1.yaml, mapped to canonical names.
DOTA_V1_NATIVE = (
    "plane", "ship", "storage tank", "baseball diamond", "tennis court", "basketball court",
    "ground track field", "harbor", "bridge", "large vehicle", "small vehicle", "helicopter",
    "roundabout", "soccer ball field", "swimming pool",
)
DOTA_V1 = ("plane", "ship", "storage tank", "baseball diamond", "tennis court",
           "basketball court", "ground track field", "harbor", "bridge", "vehicle",
           "helicopter", "roundabout", "soccer ball field", "swimming pool")
# COCO classes a remote-sensing analyst asks about (car/truck/bus -> vehicle, boat -> ship,
# airplane -> plane); the other COCO classes keep their own lower-case names.
COCO_RS = ("vehicle", "plane", "ship")


@dataclass(frozen=True)
class ModelRecord:
    """One specialist model.

    Attributes:
        name: Registry name (``yolo11n-obb``).
        task: ``detect``, ``detect-obb``, ``segment``, ``contrastive`` (CLIP family),
            ``regress-agb``, ``change`` or ``water``.
        library: ``ultralytics``, ``segment-anything``, ``mobile-sam``, ``open_clip``,
            ``torchvision`` or ``torch``.
        weights: File name of the weights (``yolo11n-obb.pt``).
        classes: Canonical class names it reports (empty: class-agnostic).
        bands: Input bands, in order (``("red", "green", "blue")``).
        gsd_m: Ground sample distance in metres per pixel the model was trained at (None:
            not aerial or any).
        licence: Licence of the weights (and terms of the training data where stricter).
        source: Where a connected machine gets the weights (release URL).
        config: Architecture config for random-init builds (``yolo11n-obb.yaml``) or the
            SAM registry key (``vit_b``).
        target_units: Units of a regression model's output (``Mg/ha``); None otherwise.
        sha256: SHA-256 of the published weights file (None: no published file, e.g. the
            models trained here); a file under the published name must match it.
        size: Size in bytes of the published weights file (None: not known).
    """

    name: str
    task: str
    library: str
    weights: str
    classes: tuple[str, ...]
    bands: tuple[str, ...]
    gsd_m: float | None
    licence: str
    source: str
    config: str | None = None
    target_units: str | None = None
    sha256: str | None = None
    size: int | None = None


_ULTRA = "https://github.com/ultralytics/assets/releases/download/v8.3.0/"
_SAM = "https://dl.fbaipublicfiles.com/segment_anything/"
TRAINED_HERE = "earthsight train "
"""``source`` prefix of models with no release: their weights come from ``earthsight train``."""
_REMOTECLIP = "https://huggingface.co/chendelong/RemoteCLIP/resolve/main/"
_GEORSCLIP = "https://huggingface.co/Zilun/GeoRSCLIP/resolve/main/ckpt/"
_REMOTECLIP_LICENCE = ("Apache-2.0 (RemoteCLIP code and weights); trained on public RS "
                       "caption/detection sets (research terms may apply)")
_GEORSCLIP_LICENCE = ("see the Zilun/GeoRSCLIP model card (non-commercial terms); trained on "
                      "RS5M")


def _clip(name: str, weights: str, source: str, arch: str, licence: str, sha256: str,
          size: int | None) -> ModelRecord:
    return ModelRecord(name=name, task="contrastive", library="open_clip", weights=weights,
                       classes=(), bands=RGB, gsd_m=None, licence=licence, source=source,
                       config=arch, sha256=sha256, size=size)


MODELS: dict[str, ModelRecord] = {
    r.name: r for r in (
        ModelRecord(
            name="yolo11n-obb", task="detect-obb", library="ultralytics",
            weights="yolo11n-obb.pt", classes=DOTA_V1, bands=RGB, gsd_m=0.5,
            licence="AGPL-3.0 (Ultralytics); trained on DOTA v1 (academic use only)",
            source=_ULTRA + "yolo11n-obb.pt", config="yolo11n-obb.yaml",
            sha256="b62898ebf38940ca4df323863e45ee9d84a1a46d5d11ebdde529fb33aa9f3a32",
            size=5_795_654),
        ModelRecord(
            name="yolo11n", task="detect", library="ultralytics", weights="yolo11n.pt",
            classes=COCO_RS, bands=RGB, gsd_m=None,
            licence="AGPL-3.0 (Ultralytics); trained on COCO (CC BY 4.0)",
            source=_ULTRA + "yolo11n.pt", config="yolo11n.yaml",
            sha256="0ebbc80d4a7680d14987a577cd21342b65ecfd94632bd9a8da63ae6417644ee1",
            size=5_613_764),
        ModelRecord(
            name="sam_vit_b", task="segment", library="segment-anything",
            weights="sam_vit_b_01ec64.pth", classes=(), bands=RGB, gsd_m=None,
            licence="Apache-2.0 (Meta AI)", source=_SAM + "sam_vit_b_01ec64.pth",
            config="vit_b",
            sha256="ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912",
            size=375_042_383),
        ModelRecord(
            name="sam_vit_h", task="segment", library="segment-anything",
            weights="sam_vit_h_4b8939.pth", classes=(), bands=RGB, gsd_m=None,
            licence="Apache-2.0 (Meta AI)", source=_SAM + "sam_vit_h_4b8939.pth",
            config="vit_h",
            sha256="a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e",
            size=2_564_550_879),
        ModelRecord(
            name="mobile_sam_vit_t", task="segment", library="mobile-sam",
            weights="mobile_sam.pt", classes=(), bands=RGB, gsd_m=None,
            licence="Apache-2.0 (MobileSAM)",
            source="https://github.com/ChaoningZhang/MobileSAM/raw/master/weights/mobile_sam.pt",
            config="vit_t",
            sha256="6dbb90523a35330fedd7f1d3dfc66f995213d81b29a5ca8108dbcdd4e37d6c2f",
            size=40_728_226),
        _clip("remoteclip-vit-b-32", "RemoteCLIP-ViT-B-32.pt",
              _REMOTECLIP + "RemoteCLIP-ViT-B-32.pt", "ViT-B-32", _REMOTECLIP_LICENCE,
              "60014e395d930a3f2963d1d89c8522bf4ad56775571e4356e866864789af85c4", 605_208_421),
        _clip("remoteclip-vit-l-14", "RemoteCLIP-ViT-L-14.pt",
              _REMOTECLIP + "RemoteCLIP-ViT-L-14.pt", "ViT-L-14", _REMOTECLIP_LICENCE,
              "fcc2a7e21e171f4ffcb7a9c0206b8b74ac0c9eb83c67b576958b7a4ed6c8cecb", 1_710_613_765),
        _clip("remoteclip-rn50", "RemoteCLIP-RN50.pt", _REMOTECLIP + "RemoteCLIP-RN50.pt",
              "RN50", _REMOTECLIP_LICENCE,
              "11657d33a87fc197e19a7654a76a632415ebea42feb8a61025ef389f8990c0f9", 408_397_807),
        _clip("georsclip-vit-b-32", "RS5M_ViT-B-32.pt", _GEORSCLIP + "RS5M_ViT-B-32.pt",
              "ViT-B-32", _GEORSCLIP_LICENCE,  # digest from one source; size not published
              "129bafaa6a097b8be52e2babf27d24f0a934dae919201e538dc698611bd1ea01", None),
        _clip("georsclip-vit-l-14", "RS5M_ViT-L-14.pt", _GEORSCLIP + "RS5M_ViT-L-14.pt",
              "ViT-L-14", _GEORSCLIP_LICENCE,
              "9119b7731c17dd66fae13619203f33900946fe0660095ed54d8e6c7cfe8d03c0", 1_710_635_010),
        # Trained here (`earthsight train ...`); no public release. The weights file's own
        # metadata (bands, gsd_m, architecture) overrides the defaults below.
        ModelRecord(
            name="agb-mixer", task="regress-agb", library="torchvision",
            weights="agb_mixer.pt", classes=(), bands=RGB, gsd_m=30.0,
            licence="weights you train: terms of your imagery and GEDI L4A (public domain)",
            source=TRAINED_HERE + "biomass --image SCENE.tif --footprints GEDI.csv",
            config="resnet18 trunk + MLP-Mixer head", target_units="Mg/ha"),
        ModelRecord(
            name="siamese-cd", task="change", library="torchvision",
            weights="siamese_cd.pt", classes=("change",), bands=RGB, gsd_m=0.5,
            licence="weights you train: terms of the training pairs (LEVIR-CD: academic use)",
            source=TRAINED_HERE + "change --pairs DIR", config="siamese resnet18 trunk + "
            "difference decoder", target_units="change probability (0-1)"),
        ModelRecord(
            name="sar-water-unet", task="water", library="torch", weights="sar_water_unet.pt",
            classes=("water",), bands=("VV", "VH"), gsd_m=10.0,
            licence="weights you train: terms of the labelled chips (Sen1Floods11: cite "
            "Bonafilia et al. 2020; contains Copernicus Sentinel data)",
            source=TRAINED_HERE + "water --chips DIR", config="U-Net, 4 levels, 16 channels "
            "(VV/VH sigma0 in dB)", target_units="water probability (0-1)"),
    )
}
DEFAULT_CLIP = "remoteclip-vit-b-32"
"""The CLIP-family model classify_scene and search_images use by default."""


class WeightsNotFound(FileNotFoundError):
    """The weights file of a model is nowhere EarthSight looks; the message says how to fix it."""

    def __init__(self, record: ModelRecord, looked: list[Path], reason: str = "") -> None:
        where = ", ".join(str(p) for p in looked) or "nowhere"
        super().__init__(
            f"weights of model '{record.name}' not found: {record.weights}"
            f"{' (' + reason + ')' if reason else ''}; looked in: {where}. Provide them one of "
            f"three ways: (1) pass the file's path (a tool's `model` argument, e.g. "
            f"model='/path/to/{record.weights}'); (2) put {record.weights} in the folder named "
            f"by ${WEIGHTS_ENV}; (3) put it in the library's own cache ({record.library}: "
            f"{', '.join(str(p) for p in library_cache_dirs(record)) or 'n/a'}), e.g. by "
            f"letting a connected machine download the release {record.source} (unset "
            f"YOLO_OFFLINE/HF_HUB_OFFLINE there) and copying the file over."
        )
        self.record = record
        self.weights_file = record.weights


def get_record(name: str) -> ModelRecord:
    """The record of a model by name.

    Raises:
        KeyError: Unknown name (the message lists the known ones).
    """
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model '{name}'; known models: {', '.join(MODELS)}") from None


def is_offline() -> bool:
    """True when YOLO_OFFLINE or HF_HUB_OFFLINE is set (to anything but 0/false/empty)."""
    return any(os.environ.get(v, "").strip().lower() not in ("", "0", "false", "no")
               for v in OFFLINE_ENVS)


def _ultralytics_weights_dir() -> Path:
    """ultralytics' ``weights_dir`` setting, read from its settings file (no import)."""
    env = os.environ.get("YOLO_CONFIG_DIR")
    base = (Path(env).expanduser() if env
            else Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")))
    settings = base / "Ultralytics" / "settings.json"
    try:
        return Path(json.loads(settings.read_text(encoding="utf-8"))["weights_dir"])
    except (OSError, ValueError, KeyError, TypeError):
        return Path("weights")


def torch_hub_checkpoints() -> Path:
    """torch hub's checkpoint folder (``$TORCH_HOME/hub/checkpoints``), without importing torch."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")), "torch")
    return Path(home).expanduser() / "hub" / "checkpoints"


def library_cache_dirs(record: ModelRecord) -> list[Path]:
    """The folders where the record's library keeps downloaded weights."""
    if record.library == "ultralytics":
        return [_ultralytics_weights_dir()]
    return [torch_hub_checkpoints()]


def earthsight_weights_dir() -> Path:
    """EarthSight's own weights folder: ``$EARTHSIGHT_WEIGHTS_DIR``, else
    ``$XDG_DATA_HOME/earthsight/weights`` (``~/.local/share/earthsight/weights``). Files
    ``earthsight models import`` converts go here, with the trust store of their digests."""
    env = os.environ.get(WEIGHTS_ENV)
    if env:
        return Path(env).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data).expanduser() / "earthsight" / "weights"


def _candidates(record: ModelRecord) -> list[Path]:
    found = [earthsight_weights_dir() / record.weights]
    found.extend(d / record.weights for d in library_cache_dirs(record))
    return found


def _download(record: ModelRecord) -> Path:  # pragma: no cover - needs the network
    if record.library == "ultralytics":
        from ultralytics.utils.downloads import attempt_download_asset

        return Path(attempt_download_asset(record.weights))
    import torch

    dest = torch_hub_checkpoints() / record.weights
    dest.parent.mkdir(parents=True, exist_ok=True)
    torch.hub.download_url_to_file(record.source, str(dest))
    return dest


def resolve_weights(record: ModelRecord, path: str | None = None) -> Path:
    """The weights file of ``record``: explicit path, weights dir, library cache, download.

    Args:
        record: The model.
        path: An explicit weights file; when given it must exist.

    Raises:
        WeightsNotFound: Nowhere to be found (and offline, or the download failed).
    """
    if path is not None:
        p = Path(path).expanduser()
        if p.is_file():
            return p.resolve()
        raise WeightsNotFound(record, [p], reason=f"the given path {p} does not exist")
    looked = _candidates(record)
    for cand in looked:
        if cand.is_file():
            return cand.resolve()
    if is_offline():
        raise WeightsNotFound(record, looked, reason="offline: YOLO_OFFLINE/HF_HUB_OFFLINE set")
    if record.source.startswith(TRAINED_HERE):
        raise WeightsNotFound(record, looked, reason=f"no public release; train them with "
                              f"`{record.source}`")
    try:  # pragma: no cover - needs the network
        got = _download(record)
    except Exception as exc:  # pragma: no cover - any download failure
        raise WeightsNotFound(record, looked, reason=f"download failed: {exc}") from exc
    if not got.is_file():  # pragma: no cover
        raise WeightsNotFound(record, looked, reason="download produced no file")
    return got.resolve()  # pragma: no cover


def weights_present(record: ModelRecord) -> bool:
    """True when the weights are on this machine (weights dir or library cache); no download."""
    return any(c.is_file() for c in _candidates(record))
