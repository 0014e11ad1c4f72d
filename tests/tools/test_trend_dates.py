"""trend takes every date Python's calendar holds, to 31 December 9999 (found by fuzzing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import MakeTiff
from tools.catalog import run_tool


@pytest.mark.parametrize("dates", [["0001-01-01", "9999-12-31"], ["9999-06-30", "9999-12-31"]])
def test_dates_at_the_ends_of_the_calendar(dates: list[str], make_tiff: MakeTiff,
                                           tmp_path: Path) -> None:
    images = [str(make_tiff(f"s{i}.tif", np.full((1, 4, 4), 10 * (i + 1), "uint8")))
              for i in range(2)]
    result = run_tool("trend", {"images": images, "dates": dates}, tmp_path / "ws").result
    assert result.points[-1].decimal_year == pytest.approx(9999 + 364 / 365)
