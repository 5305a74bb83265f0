"""The coach page and the app's health.

* ``GET /`` - the coach page (static; it reads the launch token from its own URL);
* ``GET /static/words.js`` - the page's words, rendered from the wording module (see
  :mod:`pressup.web.words`; registered before the ``/static`` mount, so it wins);
* ``GET /api/health`` - liveness and whether the pose assets are installed (no token needed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from pressup.web.deps import SettingsDep
from pressup.web.openapi import media, page
from pressup.web.schemas import PROTOCOL_VERSION
from pressup.web.words import words_js

STATIC = Path(__file__).parents[1] / "static"
router = APIRouter()


@router.get("/", response_class=HTMLResponse, responses=page())
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


@router.get("/static/words.js", response_class=Response, responses=media("text/javascript"))
async def words() -> Response:
    return Response(words_js(), media_type="text/javascript")


@router.get("/api/health")
async def health(settings: SettingsDep) -> dict[str, Any]:
    assets = settings.pose_assets_dir
    return {
        "ok": True,
        "protocol": PROTOCOL_VERSION,
        "pose_assets": bool(assets and (assets / "pose.js").is_file()),
    }


__all__ = ["router"]
