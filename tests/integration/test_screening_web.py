"""The safety screening on the web: questions, outcomes, approval, the gate and its guards."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pressup.safety.screening import QUESTION_IDS, STATEMENT
from pressup.web.app import create_app
from pressup.web.settings import Settings
from support import LOCAL, LOCAL_WS
from support.web import coach_settings

PORT = 8766
ORIGIN = f"http://127.0.0.1:{PORT}"
TOKEN = "screen-token-456"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return coach_settings(PORT, TOKEN, tmp_path / "screen.db", require_screening=True)


def _answers(**yes: str) -> dict[str, str]:
    out = {qid: "no" for qid in QUESTION_IDS}
    out.update(yes)
    return out


def _post(client: TestClient, path: str, body: Any, *, origin: str = ORIGIN) -> Any:
    return client.post(f"{path}?token={TOKEN}", json=body, headers={"origin": origin})


def _hello(client: TestClient) -> dict[str, Any]:
    with client.websocket_connect(f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}) as ws:
        ws.send_text(json.dumps({"v": 1, "type": "hello", "session": None, "client": "test"}))
        msg: dict[str, Any] = json.loads(ws.receive_text())
        return msg


def test_the_page_and_the_question_table_are_served(client: TestClient) -> None:
    page = client.get(f"/screen?token={TOKEN}")
    assert page.status_code == 200 and "screen.js" in page.text
    assert client.get("/static/screen.js").status_code == 200
    assert client.get("/api/screening/questions").status_code == 403
    r = client.get(f"/api/screening/questions?token={TOKEN}")
    assert r.status_code == 200
    body = r.json()
    assert body["statement"] == STATEMENT and "does not diagnose" in body["statement"]
    assert body["answers"] == ["yes", "no", "unsure"]
    assert [q["id"] for q in body["questions"]] == list(QUESTION_IDS)
    assert all(q["text"] and q["label"] and q["group"] for q in body["questions"])


@pytest.mark.parametrize(
    ("yes", "level", "locked"),
    [
        ({}, "clear", False),
        ({"herniated_disc": "yes"}, "go_gently", False),
        ({"fever": "unsure"}, "advice", False),
        ({"arthritis_facet": "yes"}, "ask_clinician", True),
        ({"bladder_bowel": "yes", "herniated_disc": "yes"}, "seek_care", True),
    ],
)
def test_each_outcome_class_comes_back_with_its_level(
    client: TestClient, yes: dict[str, str], level: str, locked: bool
) -> None:
    r = _post(client, "/api/screening", {"answers": _answers(**yes)})
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["level"], out["locked"]) == (level, locked)
    assert out["headline"] and out["statement"] == STATEMENT
    if level != "clear":
        assert out["messages"]
    if level == "go_gently":
        assert out["start_variant"] == "forearms"
    gate = client.get(f"/api/gate?token={TOKEN}").json()
    assert gate["allowed"] is (not locked)
    assert gate["screening"]["outcome"] == level


def test_bad_bodies_get_422_naming_the_field(client: TestClient) -> None:
    r = _post(client, "/api/screening", {"answers": _answers(fever="maybe")})
    assert r.status_code == 422 and "fever" in r.json()["detail"]
    missing = _answers()
    del missing["weight_loss"]
    r = _post(client, "/api/screening", {"answers": missing})
    assert r.status_code == 422 and "weight_loss" in r.json()["detail"]
    r = _post(client, "/api/screening", {"answers": {**_answers(), "nonsense": "no"}})
    assert r.status_code == 422 and "nonsense" in r.json()["detail"]
    r = _post(client, "/api/screening", {})
    assert r.status_code == 422 and r.json()["detail"] == "answers: required"
    r = _post(client, "/api/screening", [1, 2])
    assert r.status_code == 422 and "JSON object" in r.json()["detail"]
    r = _post(client, "/api/screening/approval", {"name": " ", "date": "2026-01-01"})
    assert r.status_code == 422 and r.json()["detail"].startswith("name:")
    r = _post(client, "/api/screening/approval", {"name": "Dr A", "date": "yesterday"})
    assert r.status_code == 422 and r.json()["detail"].startswith("date:")
    future = (date.today() + timedelta(days=10)).isoformat()
    r = _post(client, "/api/screening/approval", {"name": "Dr A", "date": future})
    assert r.status_code == 422 and "future" in r.json()["detail"]


def test_posts_from_another_origin_or_without_the_token_are_refused(client: TestClient) -> None:
    body = {"answers": _answers()}
    assert _post(client, "/api/screening", body, origin="http://evil.example").status_code == 403
    r = client.post("/api/screening", json=body, headers={"origin": ORIGIN})
    assert r.status_code == 403
    approval = {"name": "Dr A", "date": "2026-01-01"}
    r = _post(client, "/api/screening/approval", approval, origin="http://evil.example")
    assert r.status_code == 403
    assert client.get(f"/api/gate?token={TOKEN}").json()["screening"] is None
    assert client.get("/api/gate").status_code == 403


def test_a_clinicians_approval_unlocks_a_locked_screening(client: TestClient) -> None:
    r = _post(client, "/api/screening/approval", {"name": "Dr A", "date": "2026-01-01"})
    assert r.status_code == 404
    locked = _post(client, "/api/screening", {"answers": _answers(spinal_stenosis="yes")}).json()
    assert locked["locked"] and not client.get(f"/api/gate?token={TOKEN}").json()["allowed"]
    today = date.today().isoformat()
    r = _post(client, "/api/screening/approval", {"name": "  Dr Jane Smith ", "date": today})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["level"] == "ask_clinician" and out["locked"] is False
    assert out["approval"] == {"name": "Dr Jane Smith", "date": today}
    assert "Approved by Dr Jane Smith" in out["headline"]
    gate = client.get(f"/api/gate?token={TOKEN}").json()
    assert gate["allowed"] and gate["screening"]["approved_by"] == "Dr Jane Smith"


def test_answers_with_an_approval_are_stored_unlocked(client: TestClient) -> None:
    body = {
        "answers": _answers(pregnancy="yes"),
        "approval": {"name": "Midwife B", "date": "2026-01-02"},
    }
    out = _post(client, "/api/screening", body).json()
    assert out["level"] == "ask_clinician" and not out["locked"]
    assert client.get(f"/api/gate?token={TOKEN}").json()["allowed"]


def test_the_websocket_hello_waits_for_a_screening(client: TestClient) -> None:
    refused = _hello(client)
    assert refused["type"] == "error" and refused["code"] == "screening_required"
    assert "safety questions" in refused["message"]
    gate = client.get(f"/api/gate?token={TOKEN}").json()
    assert gate == {
        "allowed": False,
        "required": True,
        "can_start": False,
        "reason": refused["message"],
        "screening": None,
    }
    _post(client, "/api/screening", {"answers": _answers(cancer_history="yes")})
    locked = _hello(client)
    assert locked["code"] == "screening_required" and "medical care" in locked["message"]
    assert _post(client, "/api/screening", {"answers": _answers()}).status_code == 201
    welcome = _hello(client)
    assert welcome["type"] == "welcome" and welcome["session"]


def test_without_require_screening_the_gate_only_advises(settings: Settings) -> None:
    settings.require_screening = False
    with TestClient(create_app(settings), base_url=LOCAL) as c:
        gate = c.get(f"/api/gate?token={TOKEN}").json()
        assert gate["allowed"] is False and gate["can_start"] is True
        assert _hello(c)["type"] == "welcome"
