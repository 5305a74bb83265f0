"""The hub refuses, alone, a frame the store could not keep (so it cannot poison a chunk)."""

from __future__ import annotations

import numpy as np

from pressup.web.hub import storable
from pressup.web.schemas import nesting_depth


def _frame() -> np.ndarray:
    f = np.zeros((33, 4))
    f[:, 0] = 100.0
    f[:, 3] = 0.9
    return f


def test_a_frame_within_float32_is_storable() -> None:
    assert storable(_frame())


def test_a_frame_beyond_float32_or_with_a_bad_visibility_is_not() -> None:
    big = _frame()
    big[3, 2] = 1e39
    assert not storable(big)
    vis = _frame()
    vis[0, 3] = 1.5
    assert not storable(vis)


def test_nesting_depth_ignores_brackets_inside_strings() -> None:
    assert nesting_depth('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[", "b": [[1], [2]]}') == 3
    assert nesting_depth("[" * 1000 + "]" * 1000) == 1000
    assert nesting_depth('{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[["}') == 1
