"""Downloads for a clinician or researcher: the same files as ``pressup export``, from the app.

Routes (all need ``?token=``; every reply is a file download, never cached):

* ``GET /export/sessions.csv``, ``/export/sessions.json`` - one row per stored session;
* ``GET /export/reps.csv``, ``/export/reps.json`` - one row per stored repetition;
* ``GET /export/fhir?session=ID&patient=PID[&per_rep=1]`` - one session as a FHIR R4 Bundle
  (``PID``: a pseudonymous Patient id, 1-64 of ``A-Z a-z 0-9 - .``);
* ``GET /export/trc?session=ID`` - one session's landmark track as an OpenSim ``.trc`` file.

An unknown session is a 404 and a bad patient id a 422, each with a ``detail`` that says what
was expected and what arrived. The files are written by :mod:`pressup.export` (the code the
command line uses), into a temporary folder that is removed at once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from pressup.errors import DatabaseError, InputError, PressupError, StorageError
from pressup.sessions.store import Store
from pressup.web.deps import Authorized, StoreDep
from pressup.web.openapi import media, merged, refusals

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "fhir": "application/fhir+json",
    "trc": "text/plain; charset=utf-8",
}


def _download(write: Callable[[Path], Any], name: str, media: str) -> Response:
    with tempfile.TemporaryDirectory(prefix="pressup-export-") as folder:
        path = Path(folder) / name
        try:
            write(path)
        except DatabaseError:
            raise  # answered by the app in plain words (503, or 500)
        except StorageError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        except PressupError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        data = path.read_bytes()
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _known(store: Store, session_id: str) -> str:
    if store.get_session(session_id) is None:
        raise HTTPException(status_code=404, detail=f"no stored session {session_id!r}")
    return session_id


router = APIRouter(responses=refusals(403, 404, 422))


@router.get(
    "/export/{table}.{fmt}",
    response_class=Response,
    responses=merged(media("text/csv"), media("application/json")),
)
def table_download(
    table: Literal["sessions", "reps"],
    fmt: Literal["csv", "json"],
    _: Authorized,
    store: StoreDep,
) -> Response:
    from pressup.export import tables as t

    if table == "sessions":
        rows: Any = t.collect_sessions(store)
        writer: Callable[[Any, Path], Path] = (
            t.write_sessions_json if fmt == "json" else t.write_sessions_csv
        )
    else:
        rows = t.collect_reps(store)
        writer = t.write_reps_json if fmt == "json" else t.write_reps_csv
    return _download(lambda p: writer(rows, p), f"pressup-{table}.{fmt}", MEDIA[fmt])


@router.get("/export/fhir", response_class=Response, responses=media("application/fhir+json"))
def fhir_bundle(
    _: Authorized,
    store: StoreDep,
    session: str = Query(..., max_length=64),
    patient: str = Query(..., max_length=200),
    per_rep: bool = Query(default=False),
) -> Response:
    from pressup.export.fhir import check_id, session_bundle, write_bundle

    sid = _known(store, session)
    try:
        check_id(patient)
    except InputError as exc:
        raise HTTPException(status_code=422, detail=f"patient: {exc}") from None
    return _download(
        lambda p: write_bundle(session_bundle(store, sid, patient, per_rep=per_rep), p),
        f"pressup-{sid[:8]}-fhir.json",
        MEDIA["fhir"],
    )


@router.get("/export/trc", response_class=Response, responses=media("text/plain"))
def trc_file(_: Authorized, store: StoreDep, session: str = Query(..., max_length=64)) -> Response:
    from pressup.export.trc import write_trc

    sid = _known(store, session)
    return _download(
        lambda p: write_trc(store.load_track(sid), p), f"pressup-{sid[:8]}.trc", MEDIA["trc"]
    )


__all__ = ["router"]
