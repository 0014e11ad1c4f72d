"""Generated tool arguments for the fuzz tests (hypothesis strategies built from each tool's
input JSON schema), the tiny scenes they name, and the checks every run must pass.

The arguments are mostly of the right types (so calls get past validation and run on tiny
scenes) mixed with wrong types, unknown keys, missing required keys, NaN and infinities, huge
numbers, long and odd strings, and paths inside and outside the sandbox. Deep tools run up to
validation only: :func:`stop_deep_tools` replaces their handlers (and the deep methods of
``map_water`` and ``detect_changes``) by one that stops with a ToolUnavailable.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.conftest import write_tiff
from tools import catalog
from tools.core.errors import ToolUnavailable
from tools.core.registry import PATH_MARK, ToolContext
from tools.core.workspace import Workspace

FUZZ = settings(max_examples=int(os.environ.get("EARTHSIGHT_FUZZ_EXAMPLES", "30")),
                deadline=None, derandomize=not os.environ.get("EARTHSIGHT_FUZZ_RANDOM"),
                database=None, suppress_health_check=list(HealthCheck))
"""Bounded and deterministic: the same examples on every run (the whole fuzz suite in well
under two minutes on two cores). ``EARTHSIGHT_FUZZ_EXAMPLES=500 EARTHSIGHT_FUZZ_RANDOM=1``
explores further."""

DEEP_TOOLS = ("detect_objects", "segment", "estimate_biomass", "classify_scene",
              "search_images")
SCENES = ("scenes/rgb.tif", "scenes/sar.tif", "scenes/ms.tif", "scenes/rgb_2021-06-01.tif",
          "scenes/rgb_2023-07-15.tif")
ODD_PATHS = (
    "scenes/*.tif", "scenes", "missing.tif", "notes.txt", "result.json", "", " ", "~/x.tif",
    "../../../../etc/passwd", "/etc/passwd", "/etc", "http://example.com/a.tif",
    "/vsicurl/http://example.com/a.tif", "a\x00b.tif", "\ud800.tif", "x" * 5000,
    "é/ß.tif", "$s1", "$image", "${x}", "scene.vrt", "link.tif", "*.nothing",
)
TEMPORARY = re.compile(r"^\..*\.[A-Za-z_]+-[0-9a-f-]{8,}|.*\.(part|tmp)$")
"""A temporary of the atomic writers (``.<stem>.<tag>-...``) or a ``.part`` file."""
ODD_TEXT = ("", " ", "nan", "inf", "-1", "1e999", "\x00", "\ud800", "x" * 5000, "$s1",
            "%s%n", "'; DROP TABLE", "\n\t", "NDVI", "ship", "auto")
ODD_NUMBERS = (float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 2**63, -(2**63),
               10**30, 10**400, "nan", "1e999", "12", True, 5e-324)


def make_scenes(root: Path, outside: Path) -> None:
    """Tiny scenes (16 x 16 px) and odd files under ``root`` (a data root), a file outside it
    and a symlink pointing there."""
    rng = np.random.default_rng(0)
    scenes = root / "scenes"
    scenes.mkdir(parents=True, exist_ok=True)
    write_tiff(scenes / "rgb.tif", rng.integers(0, 255, (3, 16, 16)).astype("uint8"),
               descriptions=["red", "green", "blue"])
    sar = np.stack([rng.normal(-15, 4, (16, 16)), rng.normal(-22, 4, (16, 16))])
    write_tiff(scenes / "sar.tif", sar.astype("float32"), descriptions=["VV", "VH"])
    write_tiff(scenes / "ms.tif", rng.uniform(0, 0.5, (4, 16, 16)).astype("float32"),
               descriptions=["blue", "green", "red", "nir"])
    for dated in ("rgb_2021-06-01.tif", "rgb_2023-07-15.tif"):
        write_tiff(scenes / dated, rng.integers(0, 255, (3, 16, 16)).astype("uint8"))
    (root / "notes.txt").write_text("not a raster\n", encoding="utf-8")
    (root / "result.json").write_text(json.dumps({"call": {}, "result": {}}), encoding="utf-8")
    (root / "scene.vrt").write_text("<VRTDataset/>", encoding="utf-8")
    outside.mkdir(parents=True, exist_ok=True)
    secret = write_tiff(outside / "secret.tif", np.zeros((1, 4, 4), "uint8"))
    if not (root / "link.tif").exists():
        (root / "link.tif").symlink_to(secret)


def _paths(root: Path | None, clean: bool) -> st.SearchStrategy[Any]:
    inside = list(SCENES)
    if root is not None:
        inside += [str(root / s) for s in SCENES]
    if clean:
        return st.sampled_from(inside)
    return st.one_of(st.sampled_from(inside), st.sampled_from(ODD_PATHS), st.text(max_size=12),
                     st.sampled_from((1, 2.5, None, ["scenes/rgb.tif"], {"a": 1})))


def _number(spec: dict[str, Any], integer: bool, clean: bool) -> st.SearchStrategy[Any]:
    lo = spec.get("minimum", spec.get("exclusiveMinimum"))
    hi = spec.get("maximum")
    low = -1000 if lo is None else lo
    high = (low + 100) if hi is None else hi
    fine: st.SearchStrategy[Any] = (st.integers(int(np.ceil(low)), int(np.floor(high)))
                                    if integer else
                                    st.floats(low, high, allow_nan=False, allow_infinity=False,
                                              exclude_min="exclusiveMinimum" in spec))
    if clean:
        return fine
    edges = [v for v in (lo, hi, -1, 0, 1, 1.5) if v is not None]
    return st.one_of(fine, st.sampled_from(edges), st.sampled_from(ODD_NUMBERS),
                     st.text(max_size=5))


def _text(clean: bool, words: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    plain = st.one_of(st.sampled_from(words or ODD_TEXT), st.text(max_size=16))
    if clean:
        return plain
    return st.one_of(plain, st.sampled_from(ODD_TEXT), st.sampled_from((1, None, ["a"], {"a": 1})))


WORDS = ("ship", "water", "forest", "mean", "auto", "area", "count", "a harbour with ships",
         "vehicle", "NDVI", "cpu", "2021-06-01", "9999-12-31", "0001-01-01", "2021-02-30",
         "20210601", "2019")
"""Plausible text arguments (class names, labels, statistics, queries)."""


def value_for(spec: dict[str, Any], root: Path | None, defs: dict[str, Any],
              clean: bool = False) -> st.SearchStrategy[Any]:
    """A strategy for one argument of JSON schema ``spec``: of the right type and within its
    bounds when ``clean``, else anything (mostly right, often wrong)."""
    if "$ref" in spec:
        return value_for(defs[spec["$ref"].split("/")[-1]], root, defs, clean)
    if spec.get(PATH_MARK):
        if spec.get(PATH_MARK) == "model" and clean:
            return st.just(None)
        if spec.get("type") == "array":
            paths = st.lists(_paths(root, clean), min_size=spec.get("minItems", 0), max_size=4)
            return paths if clean else st.one_of(paths, _paths(root, clean))
        return _paths(root, clean)
    if "anyOf" in spec:
        mark = {k: v for k, v in spec.items() if k == PATH_MARK}
        return st.one_of(*(value_for({**o, **mark}, root, defs, clean) for o in spec["anyOf"]))
    if "enum" in spec:
        members = st.sampled_from(spec["enum"])
        return members if clean else st.one_of(members, members, _text(clean))
    kind = spec.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans() if clean else st.one_of(
            st.booleans(), st.sampled_from(("yes", 2, None, "x")))
    if kind in ("integer", "number"):
        return _number(spec, kind == "integer", clean)
    if kind == "string":
        return _text(clean, WORDS)
    if kind == "array":
        items = value_for(spec.get("items", {}), root, defs, clean)
        lists = st.lists(items, min_size=spec.get("minItems", 0), max_size=4)
        return lists if clean else st.one_of(lists, st.lists(items, max_size=1), items)
    if kind == "object":
        values = value_for(spec.get("additionalProperties", {}), root, defs, clean)
        keys = st.sampled_from(("red", "green", "blue", "nir", "swir1"))
        maps = st.dictionaries(keys if clean else st.one_of(keys, st.text(max_size=6)), values,
                               max_size=3)
        return maps if clean else st.one_of(maps, values)
    return st.one_of(st.none(), st.integers(), st.text(max_size=8))


@st.composite
def arguments(draw: st.DrawFn, schema: dict[str, Any], root: Path | None = None
              ) -> dict[str, Any]:
    """Arguments for a tool of input JSON schema ``schema``: half of them clean (every
    required argument, right types and bounds, scenes that exist), the others anything."""
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    defs = schema.get("$defs", {})
    clean = draw(st.booleans())
    args: dict[str, Any] = {}
    for name, spec in props.items():
        if name in required:
            if not clean and draw(st.integers(0, 9)) == 0:  # a required argument left out
                continue
            args[name] = draw(value_for(spec, root, defs, clean))
        elif draw(st.integers(0, 2)) == 0:
            args[name] = draw(value_for(spec, root, defs, clean))
    if not clean and draw(st.integers(0, 4)) == 0:  # an unknown argument (a typo, or anything)
        near = [n[:-1] for n in props] + [n + "s" for n in props]
        key = draw(st.one_of(st.sampled_from(near or ["x"]),
                             st.text(string.ascii_letters + "_\x00", min_size=1, max_size=8)))
        if key not in props:
            args[key] = draw(st.one_of(st.integers(), st.text(max_size=5)))
    return args


def _stop(args: Any, ctx: ToolContext) -> Any:
    raise ToolUnavailable(f"{ctx.call.tool}: stopped after validation (fuzz test)")


def _stop_when(handler: Callable[..., Any], deep: Callable[[Any], bool]) -> Callable[..., Any]:
    def run(args: Any, ctx: ToolContext) -> Any:
        return _stop(args, ctx) if deep(args) else handler(args, ctx)
    return run


def stop_deep_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deep tools (and the deep methods of map_water and detect_changes) stop after their
    arguments were checked: the catalog's lookup hands out records whose handler stops."""
    registry = catalog.REGISTRY
    for name in DEEP_TOOLS:
        monkeypatch.setitem(registry, name, dataclasses.replace(registry[name], handler=_stop))
    water = registry["map_water"]
    monkeypatch.setitem(registry, "map_water", dataclasses.replace(
        water, handler=_stop_when(water.handler, lambda a: a.method == "learned")))
    change = registry["detect_changes"]
    monkeypatch.setitem(registry, "detect_changes", dataclasses.replace(
        change, handler=_stop_when(change.handler,
                                   lambda a: a.method == "deep" or (a.method == "auto"
                                                                    and a.model is not None))))


def check_workspace(root: Path) -> None:
    """No partial artifact: no temporary left behind, no manifest record naming a missing
    file."""
    if not root.exists():
        return
    temps = [p for p in root.rglob("*") if TEMPORARY.match(p.name)]
    assert not temps, f"temporaries left: {temps}"
    for artifact in Workspace(root).artifacts():
        assert not artifact.path or Path(artifact.path).exists(), \
            f"manifest names a missing file: {artifact.path}"
