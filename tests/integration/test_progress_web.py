"""The progress page and its API: the dose in force, the next dose, a clinician's prescription.

Each test runs the real app (TestClient) on its own SQLite file; sessions are stored through the
Store API, as the live coach stores them (a dose, reps with holds and peak angles, symptom
reports).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pressup.protocol import load_spec
from pressup.sessions.plan import current_prescription
from pressup.sessions.records import active_prescription, add_symptoms, list_decisions
from pressup.storage import Store
from pressup.web.settings import Settings
from support.web import coach_settings

PORT = 8767
ORIGIN = f"http://127.0.0.1:{PORT}"
TOKEN = "progress-token-789"
RX = {
    "variant": "hands_bent",
    "hold_s": 20,
    "reps": 4,
    "sessions_per_day": 2,
    "notes": "Keep your hips on the floor.",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return coach_settings(PORT, TOKEN, tmp_path / "progress.db", require_screening=True)


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    return store


def _get(client: TestClient) -> dict[str, Any]:
    r = client.get(f"/api/progress?token={TOKEN}")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    out: dict[str, Any] = r.json()
    return out


def _post(client: TestClient, body: Any, *, origin: str = ORIGIN, token: str = TOKEN) -> Any:
    return client.post(f"/api/prescription?token={token}", json=body, headers={"origin": origin})


def _delete(client: TestClient, *, origin: str = ORIGIN, token: str = TOKEN) -> Any:
    return client.delete(f"/api/prescription?token={token}", headers={"origin": origin})


def _session(
    store: Store,
    *,
    reps: int = 3,
    hold_s: float = 5.0,
    held_s: float = 5.4,
    peak_deg: float = 21.0,
    pains: tuple[int, ...] = (1, 1, 1, 1),
    locations: tuple[str, ...] | None = None,
) -> str:
    """A stored session on the forearms: ``reps`` press-ups held ``held_s`` s, and ratings."""
    sid = store.create_session(
        client="test",
        dose={"variant": "forearms", "ladder_variant": "forearms", "target_hold_s": hold_s},
        protocol={},
        target_reps=reps,
    )
    for i in range(1, reps + 1):
        store.upsert_rep(
            sid,
            {
                "index": i,
                "start_s": 10.0 * i,
                "hold_s": held_s,
                "variant": "forearms",
                "peak_trunk_deg": peak_deg,
                "faults": [],
            },
        )
    where = locations or ("back",) * len(pains)
    add_symptoms(
        store,
        sid,
        [{"rep": i, "pain": p, "location": loc} for i, (p, loc) in enumerate(zip(pains, where))],
    )
    return sid


# -- the page and its guards ----------------------------------------------------------------------


def test_the_page_is_served_and_the_api_needs_the_token(client: TestClient) -> None:
    page = client.get("/progress")
    assert page.status_code == 200 and "progress.js" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "For your clinician: set a prescription" in page.text
    assert client.get("/static/progress.js").status_code == 200
    assert client.get("/api/progress").status_code == 403
    assert client.get("/api/progress?token=wrong").status_code == 403


def test_changes_need_the_token_and_the_apps_own_origin(client: TestClient) -> None:
    assert _post(client, RX, origin="http://evil.example").status_code == 403
    assert _post(client, RX, token="wrong").status_code == 403
    assert client.post("/api/prescription", json=RX, headers={"origin": ORIGIN}).status_code == 403
    assert client.post(f"/api/prescription?token={TOKEN}", json=RX).status_code == 403  # no Origin
    assert active_prescription(_store(client)) is None

    assert _post(client, RX).status_code == 201
    assert _delete(client, origin="http://evil.example").status_code == 403
    assert _delete(client, token="wrong").status_code == 403
    assert client.delete(f"/api/prescription?token={TOKEN}").status_code == 403  # no Origin
    assert active_prescription(_store(client)) is not None  # still in force


# -- reading --------------------------------------------------------------------------------------


def test_an_empty_store_shows_the_starting_dose_and_stores_nothing(client: TestClient) -> None:
    out = _get(client)
    now = out["current"]
    assert (now["source"], now["variant"], now["hold_s"], now["reps"]) == (
        "start",
        "forearms",
        5.0,
        3,
    )
    assert now["since"] is None and now["sessions_per_day"] is None
    assert now["sentence"] == "3 press-ups on your forearms, hold 5 s"
    assert now["variant_words"] == "on your forearms"
    assert "2 good sessions in a row" in now["reason"]
    nxt = out["next"]
    assert nxt["action"] == "start" and nxt["reason"].startswith("First sessions")
    assert nxt["advice"] == [] and nxt["see_clinician"] is False
    assert out["prescription"] is None and out["decisions"] == []
    assert out["gate"]["allowed"] is False and "safety questions" in out["gate"]["reason"]
    limits = out["limits"]
    assert limits["hold_s"] == {"min": 1, "max": 120}
    assert limits["reps"] == {"min": 1, "max": 20}
    assert limits["sessions_per_day"] == {"min": 1, "max": 10}
    assert limits["notes_max_len"] == 2000
    assert [v["id"] for v in limits["variants"]] == ["forearms", "hands_bent", "hands_straight"]
    assert limits["variants"][2]["words"] == "on your hands, elbows straight but not locked"
    assert list_decisions(_store(client)) == []  # looking stores nothing


def test_next_follows_the_stored_sessions(client: TestClient) -> None:
    store = _store(client)
    _session(store)
    one = _get(client)["next"]
    assert one["action"] == "keep" and "1 of 2 good sessions" in one["reason"]
    assert one["target_hold_s"] == 5.0 and one["target_peak_trunk_deg"] == 23.0

    _session(store)
    two = _get(client)
    assert two["next"]["action"] == "progress"
    assert (two["next"]["variant"], two["next"]["target_hold_s"], two["next"]["target_reps"]) == (
        "forearms",
        10.0,
        3,
    )
    assert "2 good sessions in a row" in two["next"]["reason"]
    assert two["next"]["sentence"] == "3 press-ups on your forearms, hold 10 s"
    assert two["current"]["hold_s"] == 5.0  # the page only looks: the dose has not moved
    assert list_decisions(store) == []

    # a set whose pain spreads down the leg: one step down is not possible at the bottom ...
    _session(store, pains=(2, 2), locations=("back", "thigh"))
    bad = _get(client)["next"]
    assert bad["action"] == "keep" and "down the leg" in bad["reason"]
    assert bad["target_peak_trunk_deg"] == 19.0  # aim a little lower
    assert bad["see_clinician"] is True  # "already at the gentlest dose: ... see a doctor"
    # ... and twice in the last sets: see a clinician
    _session(store, pains=(2, 3), locations=("back", "below_knee"))
    twice = _get(client)["next"]
    assert any("2 of your last 4 sets" in a for a in twice["advice"])
    assert twice["see_clinician"] is True


# -- a clinician's prescription -------------------------------------------------------------------


def test_a_clinicians_prescription_becomes_the_dose(client: TestClient) -> None:
    store = _store(client)
    r = _post(client, RX)
    assert r.status_code == 201, r.text
    out = r.json()
    now = out["current"]
    assert (now["source"], now["variant"], now["hold_s"], now["reps"]) == (
        "clinician",
        "hands_bent",
        20.0,
        4,
    )
    assert now["sessions_per_day"] == 2 and now["notes"] == RX["notes"]
    assert now["sentence"] == "4 press-ups on your hands, elbows bent, hold 20 s, twice a day"
    assert now["since"] is not None
    rx = out["prescription"]
    assert rx is not None and (rx["variant"], rx["hold_s"], rx["reps"]) == ("hands_bent", 20.0, 4)
    assert out["next"]["action"] == "clinician" and out["next"]["source"] == "clinician"
    assert "pressup does not change it" in out["next"]["reason"]

    spec = load_spec()
    in_force = current_prescription(store, spec)
    assert (in_force.source, in_force.variant, in_force.hold_s, in_force.reps) == (
        "clinician",
        "hands_bent",
        20.0,
        4,
    )
    assert in_force.sessions_per_day == 2 and in_force.notes == RX["notes"]
    assert in_force.since is not None and in_force.since.isoformat() == now["since"]
    # stored as a decision, as `pressup progress --prescription` does
    assert [(d.action, d.source) for d in list_decisions(store)] == [("clinician", "clinician")]
    assert _get(client)["decisions"][0]["source"] == "clinician"

    # a second prescription replaces the first
    again = _post(client, {"variant": "forearms", "hold_s": 7.5, "reps": 6}).json()
    assert (again["current"]["hold_s"], again["current"]["reps"]) == (7.5, 6)
    assert again["current"]["sessions_per_day"] == 1 and again["current"]["notes"] == ""
    assert len(again["decisions"]) == 2


def test_ending_the_prescription_hands_back_to_the_progression(client: TestClient) -> None:
    empty = _delete(client)
    assert empty.status_code == 200 and empty.json()["ended"] == 0
    assert empty.json()["current"]["source"] == "start"

    assert _post(client, RX).status_code == 201
    r = _delete(client)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["ended"] == 1 and out["prescription"] is None
    now = out["current"]
    # pressup's progression carries on from the clinician's dose
    assert (now["source"], now["variant"], now["hold_s"], now["reps"]) == (
        "engine",
        "hands_bent",
        20.0,
        4,
    )
    assert out["next"]["source"] == "engine" and out["next"]["action"] != "clinician"
    assert current_prescription(_store(client), load_spec()).source == "engine"
    assert _delete(client).json()["ended"] == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"variant": "knuckles"}, "variant: expected one of forearms, hands_bent, hands_straight"),
        ({"variant": 3}, "variant: expected one of forearms, hands_bent, hands_straight, got 3"),
        ({"hold_s": 0}, "hold_s: expected a value from 1 to 120, got 0"),
        ({"hold_s": 121.5}, "hold_s: expected a value from 1 to 120, got 121.5"),
        ({"hold_s": "10"}, 'hold_s: expected a number of seconds, got "10"'),
        ({"hold_s": True}, "hold_s: expected a number of seconds, got true"),
        ({"reps": 50}, "reps: expected a value from 1 to 20, got 50"),
        ({"reps": 4.5}, "reps: expected a whole number, got 4.5"),
        ({"reps": None}, "reps: expected a whole number, got null"),
        ({"sessions_per_day": 0}, "sessions_per_day: expected a value from 1 to 10, got 0"),
        ({"sets": 2}, "sets: unknown field; expected only variant, hold_s, reps"),
        (
            {"notes": "x" * 2001},
            "notes: expected text of at most 2000 characters, got text of 2001 characters",
        ),
        ({"notes": ["a"]}, 'notes: expected text, got ["a"]'),
    ],
)
def test_bad_prescriptions_get_422_naming_the_field(
    client: TestClient, change: dict[str, Any], expected: str
) -> None:
    r = _post(client, {**RX, **change})
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(expected)
    assert active_prescription(_store(client)) is None
    assert _get(client)["current"]["source"] == "start"


def test_missing_fields_and_bodies_that_are_not_objects(client: TestClient) -> None:
    body = {k: v for k, v in RX.items() if k != "reps"}
    r = _post(client, body)
    assert r.status_code == 422 and r.json()["detail"] == "reps: required"
    r = _post(client, {})
    assert r.json()["detail"] == "variant: required; hold_s: required; reps: required"
    r = _post(client, [1, 2])
    assert r.status_code == 422 and "expected a JSON object, got list" in r.json()["detail"]
    r = client.post(
        f"/api/prescription?token={TOKEN}",
        content=b"{variant",
        headers={"origin": ORIGIN, "content-type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("body: expected JSON")
    assert active_prescription(_store(client)) is None


def test_the_notes_may_be_exactly_the_longest_allowed(client: TestClient) -> None:
    r = _post(client, {**RX, "notes": "y" * 2000})
    assert r.status_code == 201 and len(r.json()["current"]["notes"]) == 2000


def test_the_history_page_links_to_the_progress_page_when_given_the_link(tmp_path: Path) -> None:
    from pressup.report.history import render_history

    with Store(f"sqlite:///{tmp_path / 'h.db'}") as store:
        link = f"/progress?token={TOKEN}"
        page = render_history(store, load_spec(), progress_link=link)
        assert f'<a id="progress-link" href="/progress?token={TOKEN}">' in page
        assert 'id="progress-link"' not in render_history(store, load_spec())
