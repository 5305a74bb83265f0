"""Downloads from the app (/export/...): the same files as ``pressup export``, checked by
reading them back with the export module's own readers and the FHIR models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pressup.analysis.run import analyze_track
from pressup.export.fhir import validate_bundle
from pressup.export.tables import read_reps_csv, read_sessions_csv
from pressup.export.trc import read_trc
from pressup.protocol import ProtocolSpec
from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.app import create_app
from pressup.web.settings import Settings
from support import LOCAL

TOKEN = "export-token-1"


@pytest.fixture
def stored(tmp_path: Path) -> tuple[str, str, int]:
    """A database with one session of 3 press-ups, its frames and pain ratings."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2, 6, 2.5, 3)] * 3))
    analysis = analyze_track(track, ProtocolSpec())
    with Store(url) as store:
        sid = store.create_session(client="test", dose={}, protocol={}, target_reps=3)
        store.append_frames(
            sid, track.t_s, track.data, width=track.source.width, height=track.source.height
        )
        for rep in analysis.reps:
            store.upsert_rep(sid, rep)
        store.add_pain(sid, rep=0, score=2, skipped=False, t_s=None)
        store.add_pain(sid, rep=3, score=1, skipped=False, t_s=None)
        store.update_session(sid, stage="done", reps_done=analysis.rep_count, ended=True)
    return url, sid, track.n_frames


@pytest.fixture
def client(stored: tuple[str, str, int]) -> Iterator[TestClient]:
    settings = Settings(
        port=8766,
        token=TOKEN,
        database_url=stored[0],
        pose_assets_dir=None,
        require_screening=False,
    )
    with TestClient(create_app(settings), base_url=LOCAL) as c:
        yield c


def _get(client: TestClient, path: str, **params: str) -> bytes:
    r = client.get(path, params={"token": TOKEN, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    assert r.headers["cache-control"] == "no-store"
    return r.content


def test_tables_download_and_read_back(
    client: TestClient, stored: tuple[str, str, int], tmp_path: Path
) -> None:
    _, sid, _ = stored
    p = tmp_path / "s.csv"
    p.write_bytes(_get(client, "/export/sessions.csv"))
    [row] = read_sessions_csv(p)
    assert (row.session_id, row.reps_done, row.pain_before, row.pain_after) == (sid, 3, 2, 1)
    p = tmp_path / "r.csv"
    p.write_bytes(_get(client, "/export/reps.csv"))
    assert [r.index for r in read_reps_csv(p)] == [1, 2, 3]
    data = json.loads(_get(client, "/export/reps.json"))
    assert len(data["rows"]) == 3 and {r["session_id"] for r in data["rows"]} == {sid}


def test_fhir_and_trc_download(
    client: TestClient, stored: tuple[str, str, int], tmp_path: Path
) -> None:
    _, sid, n_frames = stored
    bundle = json.loads(_get(client, "/export/fhir", session=sid, patient="p-7"))
    validate_bundle(bundle)
    obs = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert obs and all(o["subject"]["reference"] == "Patient/p-7" for o in obs)
    p = tmp_path / "t.trc"
    p.write_bytes(_get(client, "/export/trc", session=sid))
    trc = read_trc(p)
    assert len(trc.markers) == 33 and trc.data.shape[0] == n_frames


def test_bad_requests_say_what_was_wrong(client: TestClient, stored: tuple[str, str, int]) -> None:
    _, sid, _ = stored
    assert client.get("/export/sessions.csv").status_code == 403
    assert client.get("/export/sessions.csv", params={"token": "nope"}).status_code == 403
    r = client.get("/export/fhir", params={"token": TOKEN, "session": sid, "patient": "my name"})
    assert r.status_code == 422 and r.json()["detail"].startswith("patient:")
    r = client.get("/export/trc", params={"token": TOKEN, "session": "f" * 32})
    assert r.status_code == 404 and "f" * 32 in r.json()["detail"]
    assert client.get("/export/sessions.xml", params={"token": TOKEN}).status_code == 422


def test_the_history_page_offers_the_downloads(
    client: TestClient, stored: tuple[str, str, int]
) -> None:
    _, sid, _ = stored
    html = client.get("/history", params={"token": TOKEN}).text
    assert f'href="/export/sessions.csv?token={TOKEN}"' in html
    assert f'<option value="{sid}">' in html
    assert 'action="/export/fhir"' in html and 'action="/export/trc"' in html
    assert f'href="/progress?token={TOKEN}"' in html
