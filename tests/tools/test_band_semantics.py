"""Band semantics in the tools that only show or describe bands: an alpha band is never data,
and four unnamed bands claim no roles."""

from __future__ import annotations

from typing import Any

import numpy as np

from tools import run_tool
from tools.core.workspace import Workspace
from tools.geo.raster import describe

MakeTiff = Any


def test_header_reports_colour_interpretation_and_alpha(make_tiff: MakeTiff,
                                                        rng: np.random.Generator) -> None:
    rgba = make_tiff("rgba.tif", rng.integers(1, 255, (4, 8, 8)).astype(np.uint8))
    info = describe(rgba)
    assert info.colours == ["red", "green", "blue", "alpha"] and info.alpha_bands == [4]
    plain = describe(make_tiff("four.tif", np.ones((4, 8, 8), np.uint16)))
    assert plain.alpha_bands == [] and plain.colours[1:] == [None, None, None]


def test_describe_scene_does_not_treat_alpha_as_data(make_tiff: MakeTiff, workspace: Workspace,
                                                     rng: np.random.Generator) -> None:
    rgba = rng.integers(1, 255, (4, 8, 8)).astype(np.uint8)
    rgba[3] = 255
    r: Any = run_tool("describe_scene", {"image": str(make_tiff("rgba.tif", rgba))},
                      workspace).result
    assert "band 4 (alpha: transparency, not data)" in r.answer
    assert "mean_band_4" not in r.numbers() and "mean_band_3" in r.numbers()


def test_pseudo_rgb_shows_unnamed_bands_without_claiming_roles(
        make_tiff: MakeTiff, workspace: Workspace, rng: np.random.Generator) -> None:
    path = make_tiff("four.tif", rng.integers(100, 4000, (4, 12, 12)).astype(np.uint16))
    r: Any = run_tool("pseudo_rgb", {"image": str(path)}, workspace).result
    assert r.mode_used == "multispectral" and r.source_bands == [1, 2, 3]
    assert any("band order is unknown" in w for w in r.warnings)
    assert not any("nir" in b.lower() for b in r.bands_used)
