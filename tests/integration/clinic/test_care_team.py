"""A patient's care team on the server, on SQLite and PostgreSQL: a clinician in it adds a
colleague, who then gets everything the patient's clinician gets (the list, the page, the
replay, prescribing, approving a screening, the audit view of who looked); a clinician taken
out gets nothing any more; the last one cannot be taken out; each change is audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pressup.sessions.clinic import care_team, list_audit
from support.clinic import World, build_world


@pytest.fixture
def clinic(database_url: str) -> Iterator[World]:
    w = build_world(database_url)
    yield w
    w.store.close()


def _post(c: TestClient, url: str, csrf: str, **form: Any) -> Any:
    return c.post(url, data={**form, "csrf_token": csrf}, follow_redirects=False)


def _sees_patient_a(world: World, role: str) -> dict[str, int]:
    """What ``role`` gets on patient A's routes (status codes)."""
    c, _ = world.client(role)
    pid = world.accounts["patient_a"].id
    sid = world.session_of["patient_a"]
    base = f"/clinic/patients/{pid}"
    return {
        "list": int("Patient A" in c.get("/clinic").text),
        "page": c.get(base).status_code,
        "history": c.get(f"{base}/history").status_code,
        "replay": c.get(f"{base}/sessions/{sid}/replay.json").status_code,
        "audit": int("patient.a" in c.get("/clinic/audit").text),
    }


def test_a_colleague_added_to_the_care_team_gets_what_the_clinician_gets(clinic: World) -> None:
    world = clinic
    pid = world.accounts["patient_a"].id
    physio_b = world.accounts["clinician_b"]
    yes = {"list": 1, "page": 200, "history": 200, "replay": 200, "audit": 1}
    no = {"list": 0, "page": 404, "history": 404, "replay": 404, "audit": 0}
    assert _sees_patient_a(world, "clinician_a") == yes
    assert _sees_patient_a(world, "clinician_a2") == yes
    assert _sees_patient_a(world, "clinician_b") == no
    b, bcsrf = world.client("clinician_b")
    a, acsrf = world.client("clinician_a")
    add = f"/clinic/patients/{pid}/care-team/add"
    assert _post(b, add, bcsrf, clinician_id=physio_b.id).status_code == 404  # not theirs
    assert a.post(add, data={"clinician_id": physio_b.id}).status_code == 403  # no CSRF token
    page = a.get(f"/clinic/patients/{pid}").text
    assert f'<option value="{physio_b.id}">Physio b (physio.b)</option>' in page

    r = _post(a, add, acsrf, clinician_id=physio_b.id)
    assert r.status_code == 303 and r.headers["location"] == f"/clinic/patients/{pid}"
    assert [c.username for c in care_team(world.store, pid)] == [
        "physio.a",
        "physio.a2",
        "physio.b",
    ]
    assert _sees_patient_a(world, "clinician_b") == yes
    form = {"variant": "forearms", "reps": "4", "hold_s": "6", "sessions_per_day": "1"}
    assert _post(b, f"/clinic/patients/{pid}/prescription", bcsrf, **form).status_code == 303
    sid = world.screening_of["patient_a"]
    review = f"/clinic/patients/{pid}/screenings/{sid}/review"
    assert _post(b, review, bcsrf, decision="approved", note="Fine.").status_code == 303
    patient, pcsrf = world.client("patient_a")
    gate = patient.get("/api/gate", params={"token": pcsrf}).json()
    assert gate["screening"]["approved_by"] == "Physio b"
    current = patient.get("/api/progress", params={"token": pcsrf}).json()["current"]
    assert (current["source"], current["reps"], current["hold_s"]) == ("clinician", 4, 6.0)
    assert "Your care team: Physio a, Physio a2, Physio b." in patient.get("/me").text
    assert "physio.b" in a.get("/clinic/audit").text  # A's clinician sees who looked

    entries = [e for e in list_audit(world.store) if e.action == "care_team_add"]
    assert [(e.actor_username, e.patient_username, e.target_username) for e in entries] == [
        ("physio.a", "patient.a", "physio.b")
    ]


def test_taken_out_of_the_care_team_is_refused_and_the_last_one_stays(clinic: World) -> None:
    world = clinic
    pid = world.accounts["patient_a"].id
    ids = {r: world.accounts[r].id for r in ("clinician_a", "clinician_a2", "admin")}
    a2, csrf2 = world.client("clinician_a2")
    remove = f"/clinic/patients/{pid}/care-team/remove"
    r = _post(a2, remove, csrf2, clinician_id=ids["clinician_a"])
    assert r.status_code == 303 and r.headers["location"] == f"/clinic/patients/{pid}"
    assert _sees_patient_a(world, "clinician_a")["page"] == 404
    assert _sees_patient_a(world, "clinician_a")["list"] == 0
    a, acsrf = world.client("clinician_a")
    add = f"/clinic/patients/{pid}/care-team/add"
    assert _post(a, add, acsrf, clinician_id=ids["clinician_a"]).status_code == 404

    last = _post(a2, remove, csrf2, clinician_id=ids["clinician_a2"])
    assert last.status_code == 303 and "keeps%20at%20least%20one" in last.headers["location"]
    assert "a patient keeps at least one" in a2.get(last.headers["location"]).text
    not_a_clinician = _post(a2, add, csrf2, clinician_id=ids["admin"])
    assert "expected%20a%20clinician" in not_a_clinician.headers["location"]
    nobody = _post(a2, add, csrf2, clinician_id=2147483000)
    assert "no%20account" in nobody.headers["location"]
    assert [c.username for c in care_team(world.store, pid)] == ["physio.a2"]
    entries = [e for e in list_audit(world.store) if e.action.startswith("care_team")]
    assert [(e.action, e.actor_username, e.target_username) for e in entries] == [
        ("care_team_remove", "physio.a2", "physio.a")
    ]


def test_an_admin_gives_a_patient_a_new_clinician_when_theirs_have_left(clinic: World) -> None:
    """The admin's accounts page changes care teams as a clinician of the team can: a
    clinician added sees the patient; the last one cannot be taken out; a clinician or a
    patient cannot use the admin's routes; each change is audited with the patient."""
    world = clinic
    pid = world.accounts["patient_a"].id
    ids = {r: world.accounts[r].id for r in ("clinician_a", "clinician_a2", "clinician_b")}
    admin, csrf = world.client("admin")
    page = admin.get("/admin").text
    assert f'action="/admin/patients/{pid}/care-team/add"' in page
    assert 'data-testid="team-remove-patient.a-physio.a2"' in page
    add, remove = (f"/admin/patients/{pid}/care-team/{op}" for op in ("add", "remove"))

    for who in ("clinician_a", "patient_a"):  # not an admin's
        c, other_csrf = world.client(who)
        r = _post(c, add, other_csrf, clinician_id=ids["clinician_b"])
        assert r.status_code == 403 and "needs an admin account" in r.text
    assert admin.post(add, data={"clinician_id": ids["clinician_b"]}).status_code == 403  # CSRF
    assert _sees_patient_a(world, "clinician_b")["page"] == 404

    r = _post(admin, add, csrf, clinician_id=ids["clinician_b"])
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    assert _sees_patient_a(world, "clinician_b")["page"] == 200
    for gone in ("clinician_a", "clinician_a2"):  # the patient's clinicians leave
        assert _post(admin, remove, csrf, clinician_id=ids[gone]).status_code == 303
    assert [c.username for c in care_team(world.store, pid)] == ["physio.b"]
    last = _post(admin, remove, csrf, clinician_id=ids["clinician_b"])
    assert "keeps%20at%20least%20one" in last.headers["location"]
    assert "a patient keeps at least one" in admin.get(last.headers["location"]).text
    twice = _post(admin, add, csrf, clinician_id=ids["clinician_b"])
    assert "in%20the%20care%20team%20already" in twice.headers["location"]
    not_a_patient = f"/admin/patients/{ids['clinician_b']}/care-team/add"
    assert _post(admin, not_a_patient, csrf, clinician_id=ids["clinician_a"]).status_code == 404
    entries = [e for e in list_audit(world.store) if e.action.startswith("care_team")]
    changes = [(e.action, e.actor_username, e.patient_username, e.target_username) for e in entries]
    assert sorted(changes) == [
        ("care_team_add", "admin", "patient.a", "physio.b"),
        ("care_team_remove", "admin", "patient.a", "physio.a"),
        ("care_team_remove", "admin", "patient.a", "physio.a2"),
    ]
