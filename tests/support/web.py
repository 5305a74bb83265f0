"""Helpers for the live coach's web-app tests (``tests/integration/test_*web*.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from pressup.web.settings import Settings


def coach_settings(
    port: int, token: str, db: Path, *, require_screening: bool, **more: Any
) -> Settings:
    """Settings of a coach on ``port`` with ``token``, its SQLite database at ``db``, no pose
    assets; ``more`` sets other fields."""
    return Settings(
        port=port,
        token=token,
        database_url=f"sqlite:///{db}",
        pose_assets_dir=None,
        require_screening=require_screening,
        **more,
    )


def frame_messages(track: Any, indices: Iterable[int]) -> list[dict[str, Any]]:
    """The frames ``indices`` of a synthetic ``track`` as browser ``frame`` messages, numbered
    from 0 (landmarks normalised by the frame size; ``lm`` is ``None`` where no one is seen)."""
    w, h = track.source.width, track.source.height
    out = []
    for seq, i in enumerate(indices):
        row = track.data[i]
        lm = None
        if np.isfinite(row[0, 0]):
            lm = [[x / w, y / h, z / w, v] for x, y, z, v in row.tolist()]
        out.append(
            {
                "v": 1,
                "type": "frame",
                "seq": seq,
                "t": float(track.t_s[i]),
                "w": w,
                "h": h,
                "lm": lm,
            }
        )
    return out


def batch_message(frames: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """``frame`` messages (as :func:`frame_messages` gives them) as one ``frames`` message."""
    return {
        "v": 1,
        "type": "frames",
        "frames": [{k: v for k, v in f.items() if k not in ("v", "type")} for f in frames],
    }
