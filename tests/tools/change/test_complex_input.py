"""detect_changes refuses complex SAR data (SLC) with the fix, on either date."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.errors import report
from tests.conftest import MakeTiff
from tools.catalog import run_tool
from tools.core.errors import InputError


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_sar_is_refused_with_the_fix(dtype: str, make_tiff: MakeTiff,
                                             tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    slc = (rng.normal(size=(1, 16, 16)) + 1j * rng.normal(size=(1, 16, 16))).astype(dtype)
    before = make_tiff("before.tif", slc)
    after = make_tiff("after.tif", np.abs(slc).astype("float32"))
    for pair, which in (((before, after), "before"), ((after, before), "after")):
        with pytest.raises(InputError) as caught:
            run_tool("detect_changes", {"before": str(pair[0]), "after": str(pair[1])},
                     tmp_path / "ws")
        text = report(caught.value).message
        assert text.startswith(f"{which}: ") and f"complex ({dtype})" in text
        assert "convert it to intensity or amplitude first" in text
    assert not list((tmp_path / "ws").glob("*.tif"))
