"""The clinician's patient list (``GET /clinic``) reads the whole caseload at once: the same
number of SQL statements for 3 patients as for 30, and the same lines as when it read each
patient in turn (the reference below is that reading, kept as the oracle).

The caseload mixes what the list reports: no session yet, a quiet week, a set stopped for
safety, symptoms spreading down the leg, pain better or worse, a screening waiting for
review, one due again by age or after a stopped set, sessions older than the 4-week window.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from pressup.clinic.app import create_clinic_app
from pressup.protocol import load_spec
from pressup.safety.screening import QUESTION_IDS
from pressup.sessions.clinic import (
    QUIET_DAYS,
    WINDOW_DAYS,
    AccountRecord,
    Overview,
    create_account,
    overviews,
    patient_store,
)
from pressup.sessions.outcome import outcomes_of
from pressup.sessions.plan import gate
from pressup.sessions.records import add_rating, add_screening, list_screenings
from pressup.sessions.store import Store
from pressup.storage.models import ScreeningRow, SessionRow
from pressup.storage.values import utc_now
from support.clinic import PASSWORD, settings_for, sign_in

SPEC = load_spec(None)
REP = {"index": 1, "start_s": 1.0, "top_start_s": 2.0, "top_end_s": 5.0, "end_s": 6.5}
REP.update({"hold_s": 3.0, "variant": "forearms", "peak_trunk_deg": 30.0, "complete": True})


@dataclass
class Clinic:
    app: Any
    store: Store
    physio: AccountRecord
    patients: list[AccountRecord]


def _backdate(store: Store, row_type: Any, key: Any, days: float) -> None:
    when = utc_now() - timedelta(days=days)
    with store.transaction(write=True) as s:
        row = s.get(row_type, key)
        assert row is not None
        row.created_at = when
        if row_type is SessionRow:
            row.updated_at = when


def _session(
    store: Store, pat: AccountRecord, days: float, ratings: list[tuple[int, int, str]], **kw: Any
) -> None:
    """A stored set ``days`` ago: one press-up, ``ratings`` (rep, pain, place), and a stop
    (``stop=reason``)."""
    ps = patient_store(store, pat)
    sid = ps.create_session(client="t", dose={}, protocol={}, target_reps=3)
    ps.upsert_rep(sid, REP)
    for rep, pain, place in ratings:
        add_rating(ps, sid, rep=rep, pain=pain, location=place, t_s=None)
    if "stop" in kw:
        ps.add_events(sid, [{"t_s": 7.0, "kind": "set_stopped", "reason": kw["stop"]}])
    _backdate(store, SessionRow, sid, days)


def _screening(store: Store, pat: AccountRecord, days: float, *, locked: bool = False) -> None:
    answers = {q: "no" for q in QUESTION_IDS}
    rec = add_screening(patient_store(store, pat), answers=answers, outcome="clear", locked=locked)
    _backdate(store, ScreeningRow, rec.id, days)


def _add_patient(store: Store, physio: AccountRecord, i: int) -> AccountRecord:
    """Patient ``i``; what they did depends on ``i % 6``."""
    pat = create_account(
        store,
        username=f"pat{i:03d}",
        display_name=f"Patient {i:03d}",
        role="patient",
        clinician_id=physio.id,
        password_hash=None,
    )
    kind = i % 6
    if kind == 1:  # screened, one quiet set today
        _screening(store, pat, 2)
        _session(store, pat, 0.1, [(0, 2, "back"), (1, 3, "back")])
    elif kind == 2:  # a screening waiting for review, last set 10 days ago
        _screening(store, pat, 1, locked=True)
        _session(store, pat, 10, [(0, 4, "back")])
    elif kind == 3:  # screened 40 days ago; a set 35 days ago, one stopped 20 days ago
        _screening(store, pat, 40)
        _session(store, pat, 35, [(0, 3, "back")])
        _session(store, pat, 20, [(0, 6, "back"), (1, 8, "back")], stop="pain went up")
    elif kind == 4:  # screened 5 days ago, then symptoms spread down the leg
        _screening(store, pat, 5)
        _session(store, pat, 4, [(0, 3, "back"), (1, 3, "back")])
        _session(store, pat, 1, [(0, 4, "back"), (1, 5, "thigh")])
    elif kind == 5:  # getting better over three sets
        _screening(store, pat, 12)
        for days, pain in ((9, 6), (5, 4), (1, 2)):
            _session(store, pat, days, [(0, pain, "back"), (1, pain, "back")])
    return pat  # kind 0: nothing yet


@pytest.fixture
def clinic(database_url: str) -> Iterator[Clinic]:
    app = create_clinic_app(settings_for(database_url))
    store: Store = app.state.store
    physio = create_account(
        store,
        username="physio",
        display_name="Physio",
        role="clinician",
        password_hash=app.state.passwords.hash(PASSWORD),
    )
    yield Clinic(app, store, physio, [])
    store.close()


def _grow(c: Clinic, n: int) -> None:
    while len(c.patients) < n:
        c.patients.append(_add_patient(c.store, c.physio, len(c.patients)))


def _one_by_one(store: Store, patient: AccountRecord, now: datetime) -> Overview:
    """The list's line for ``patient`` as it was read before: each patient in turn through
    their own store (the oracle)."""
    ps = patient_store(store, patient)
    since = now - timedelta(days=WINDOW_DAYS)
    records = ps.list_sessions(limit=500)
    recent = [r for r in records if r.created_at >= since]
    outcomes = outcomes_of(ps, list(reversed(recent)))
    pains = tuple(o.before[0].pain for o in outcomes if o.before)
    alerts: list[str] = []
    stopped = [o for o in outcomes if o.stopped or o.stop_event]
    if stopped:
        day = stopped[-1].record.created_at.date().isoformat()
        alerts.append(f"A set was stopped for safety ({len(stopped)} in 4 weeks, last {day}).")
    spreading = [o for o in outcomes if o.response == "peripheralising"]
    if spreading:
        alerts.append(f"Symptoms spread down the leg in {len(spreading)} set(s) in 4 weeks.")
    last = records[0].created_at if records else None
    if last is None:
        alerts.append("No session yet.")
    elif now - last >= timedelta(days=QUIET_DAYS):
        alerts.append(f"No session for {(now - last).days} days.")
    screenings = list_screenings(ps, limit=1)
    locked = screenings[0].id if screenings and screenings[0].locked else None
    if locked is not None:
        alerts.append("A screening is waiting for your review.")
    else:
        g = gate(ps, SPEC, now)
        if not g.allowed:
            alerts.append(f"Screening due: {g.reason}")
    half = len(pains) // 2
    trend = (
        ("not rated" if not pains else "one rating so far")
        if len(pains) < 2
        else "better"
        if sum(pains[half:]) / (len(pains) - half) <= sum(pains[:half]) / half - 1
        else "worse"
        if sum(pains[half:]) / (len(pains) - half) >= sum(pains[:half]) / half + 1
        else "about the same"
    )
    return Overview(patient, last, len(recent), pains, trend, tuple(alerts), locked)


@contextmanager
def _statements(store: Store) -> Iterator[list[str]]:
    """Every SQL statement the store's engine sends meanwhile (``BEGIN`` included)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = store._engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _row_of(page: str, patient: AccountRecord) -> str:
    start = page.index(f'<a href="/clinic/patients/{patient.id}">')
    return page[start : page.index("</tr>", start)]


def test_the_list_is_a_fixed_number_of_queries_and_says_the_same(clinic: Clinic) -> None:
    client = TestClient(clinic.app)
    sign_in(client, "physio", PASSWORD)
    counts = {}
    for n in (3, 30):
        _grow(clinic, n)
        client.get("/clinic")  # warm: the sign-in's own reads are the same each time
        with _statements(clinic.store) as seen:
            page = client.get("/clinic")
        assert page.status_code == 200, page.text
        counts[n] = len(seen)
        now = utc_now()
        expected = [_one_by_one(clinic.store, p, now) for p in clinic.patients]
        got = overviews(clinic.store, clinic.patients, SPEC, now)
        assert got == expected
        for o in expected:
            row = _row_of(page.text, o.patient)
            day = o.last_session.strftime("%Y-%m-%d") if o.last_session else "never"
            assert f"<td>{day}</td>" in row and f"<td>{o.sessions_recent}</td>" in row, row
            assert f"<td>{escape(o.pain_trend)}" in row, row
            for alert in o.alerts:
                assert escape(alert) in row, (alert, row)
    assert counts[3] == counts[30], f"statements for 3 and 30 patients: {counts}"
    alerts = {a.split(" (")[0].split(":")[0] for o in expected for a in o.alerts}
    assert alerts == {
        "No session yet.",
        "Screening due",
        "No session for 10 days.",
        "No session for 20 days.",
        "A screening is waiting for your review.",
        "A set was stopped for safety",
        "Symptoms spread down the leg in 1 set(s) in 4 weeks.",
    }, "the caseload no longer covers every alert"
    trends = {o.pain_trend for o in expected}
    assert trends == {"not rated", "one rating so far", "worse", "better"}, trends
