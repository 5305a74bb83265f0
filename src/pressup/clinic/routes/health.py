"""``GET /healthz`` (the process answers) and ``GET /readyz`` (the database answers and its
schema is the one this pressup needs; 503 otherwise). Neither needs signing in nor says
anything about patients."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from pressup.clinic.auth import ClinicSettingsDep
from pressup.errors import StorageError
from pressup.sessions.clinic import schema_state
from pressup.web.failures import RETRY_AFTER_S, shown

log = logging.getLogger("pressup.clinic")
router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, bool]:
    return {"ok": True}


@router.get(
    "/readyz",
    responses={
        503: {
            "description": "The database does not answer or its schema is not this pressup's.",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"ready": {"const": False}, "reason": {"type": "string"}},
                        "required": ["ready", "reason"],
                    }
                }
            },
        }
    },
)
def readyz(settings: ClinicSettingsDep) -> JSONResponse:
    try:
        current, head = schema_state(settings.database_url)
    except StorageError as exc:  # anyone may ask: the log has the database's own words
        log.warning("not ready: %s", exc)
        return JSONResponse(
            {"ready": False, "reason": f"database: {shown(exc)}"},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if current != head:
        return JSONResponse(
            {
                "ready": False,
                "reason": f"schema revision: expected {head}, got {current}; "
                "run pressup db upgrade",
            },
            status_code=503,
        )
    return JSONResponse({"ready": True, "schema": current})


__all__ = ["router"]
