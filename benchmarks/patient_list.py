"""The clinician's patient list (``GET /clinic``) as the caseload grows.

Usage::

    python benchmarks/patient_list.py [--patients 20,200] [--repeats 5]

For each size a fresh SQLite file gets one clinician and that many patients, each with a
screening 10 days old and three sets in the last two weeks (one press-up, pain before and
after with its place). Then, timed (median and minimum over ``--repeats`` runs, in
milliseconds) and with the SQL statements counted (``BEGIN`` included):

* ``GET /clinic``: the whole request through the clinic app (sign-in check, the caseload read
  at once, one audit entry per patient, the page);
* ``overviews``: the list's lines, read at once (:func:`pressup.sessions.clinic.overviews`);
* ``each in turn``: the same lines read patient by patient through each one's own store
  (:func:`~pressup.sessions.clinic.overview` per patient), the shape the list had before.

Run against an older checkout (``PYTHONPATH=old/src``), where ``overviews`` does not exist yet,
it times ``GET /clinic`` and ``each in turn`` only: the figures before the change.
Timings are printed, never asserted: other processes may share the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from pressup.clinic.app import create_clinic_app
from pressup.clinic.settings import ClinicSettings
from pressup.safety.screening import QUESTION_IDS
from pressup.sessions import clinic as application
from pressup.sessions.clinic import (
    AccountRecord,
    create_account,
    overview,
    patient_store,
    patients_of,
)
from pressup.sessions.records import add_rating, add_screening
from pressup.storage import Store
from pressup.storage.models import ScreeningRow, SessionRow
from pressup.storage.values import utc_now

PASSWORD = "benchmark password"
REP = {"index": 1, "start_s": 1.0, "hold_s": 3.0, "variant": "forearms", "faults": []}


def _backdate(s: Any, row_type: Any, key: Any, days: float) -> None:
    row = s.get(row_type, key)
    row.created_at = utc_now() - timedelta(days=days)


def fill(store: Store, clinician: AccountRecord, n: int) -> None:
    for i in range(n):
        pat = create_account(
            store,
            username=f"patient{i:04d}",
            display_name=f"Patient {i:04d}",
            role="patient",
            clinician_id=clinician.id,
        )
        ps = patient_store(store, pat)
        answers = {q: "no" for q in QUESTION_IDS}
        screening = add_screening(ps, answers=answers, outcome="clear", locked=False)
        sids = []
        for k in range(3):
            sid = ps.create_session(client="bench", dose={}, protocol={}, target_reps=3)
            ps.upsert_rep(sid, REP)
            add_rating(ps, sid, rep=0, pain=2 + k % 3, location="back", t_s=None)
            add_rating(ps, sid, rep=1, pain=2, location="back", t_s=None)
            sids.append(sid)
        with store.transaction(write=True) as s:
            _backdate(s, ScreeningRow, screening.id, 10)
            for k, sid in enumerate(sids):
                _backdate(s, SessionRow, sid, 9 - 4 * k)


@contextmanager
def counted(store: Store) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        seen.append(statement)

    event.listen(store._engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(store._engine, "before_cursor_execute", note)


def timed(store: Store, fn: Callable[[], Any], repeats: int) -> tuple[float, float, int]:
    """Median and minimum ms over ``repeats`` runs, and the statements of the last run."""
    runs = []
    statements = 0
    for _ in range(repeats):
        with counted(store) as seen:
            t0 = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - t0) * 1000)
        statements = len(seen)
    return statistics.median(runs), min(runs), statements


def sign_in(client: TestClient) -> None:
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    form = {"username": "physio", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def run(n: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        settings = ClinicSettings(
            database_url=f"sqlite:///{Path(d) / 'list.db'}",
            public_origin="http://testserver",
            cookie_secure=False,
            pose_assets=None,
            argon2_memory_kib=1024,
            argon2_time_cost=1,
        )
        app = create_clinic_app(settings)
        store: Store = app.state.store
        physio = create_account(
            store,
            username="physio",
            display_name="Physio",
            role="clinician",
            password_hash=app.state.passwords.hash(PASSWORD),
        )
        t0 = time.perf_counter()
        fill(store, physio, n)
        fill_s = time.perf_counter() - t0
        spec = app.state.spec
        patients = patients_of(store, physio.id)
        client = TestClient(app)
        sign_in(client)
        assert client.get("/clinic").status_code == 200

        def page() -> None:
            assert client.get("/clinic").status_code == 200

        cases: list[tuple[str, Callable[[], Any]]] = [("GET /clinic", page)]
        bulk = getattr(application, "overviews", None)  # absent before the change
        if bulk is not None:
            cases.append(("overviews", lambda: bulk(store, patients, spec, utc_now())))
        cases.append(
            (
                "each in turn",
                lambda: [overview(patient_store(store, p), p, spec, utc_now()) for p in patients],
            )
        )
        for name, fn in cases:
            med, best, statements = timed(store, fn, repeats)
            print(f"{n:>8} {fill_s:>7.1f}  {name:<13} {med:>10.0f} {best:>8.0f} {statements:>11}")
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", default="20,200", help="comma-separated sizes")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(
        f"patient list on SQLite - Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}; 3 sets and a screening per patient"
    )
    print(
        f"{'patients':>8} {'fill s':>7}  {'what':<13} {'median ms':>10} {'min ms':>8} "
        f"{'statements':>11}"
    )
    for n in (int(x) for x in args.patients.split(",")):
        run(n, args.repeats)


if __name__ == "__main__":
    main()
