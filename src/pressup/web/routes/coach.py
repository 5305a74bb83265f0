"""The coach page and the app's health.

* ``GET /`` - the coach page (static; it reads the launch token from its own URL);
* ``GET /api/health`` - liveness and whether the pose assets are installed (no token needed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from pressup.web.deps import SettingsDep
from pressup.web.schemas import PROTOCOL_VERSION

STATIC = Path(__file__).parents[1] / "static"
router = APIRouter()


@router.get("/")
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


@router.get("/api/health")
async def health(settings: SettingsDep) -> dict[str, Any]:
    assets = settings.pose_assets_dir
    return {
        "ok": True,
        "protocol": PROTOCOL_VERSION,
        "pose_assets": bool(assets and (assets / "pose.js").is_file()),
    }


__all__ = ["router"]
