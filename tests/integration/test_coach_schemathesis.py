"""Schemathesis against the personal coach's OpenAPI (``pressup coach``): every operation as
the page that holds the launch token (the token in ``?token=`` and ``X-Pressup-Token``, the
app's own ``Origin``) and as a stranger (neither), on a store with one recorded session.

What is checked (:mod:`support.fuzz`): no server error, and status codes, content types and
bodies that the OpenAPI declares; and that the token holder's requests got past the guard
(every operation, and a fair share of the requests). The default suite sends a few requests
per operation; ``-m slow`` many more.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from fastapi import FastAPI

pytest.importorskip("schemathesis")

from pressup.sessions.recorded import Rating, store_recorded_set
from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.app import create_app
from support.fuzz import Caller, Tally, check_tally, fuzz_app
from support.web import coach_settings

PORT = 8767
BASE = f"http://127.0.0.1:{PORT}"
TOKEN = "schemathesis-token"
#: Generated requests per operation and caller (``PRESSUP_FUZZ_EXAMPLES`` sets it).
EXAMPLES = int(os.environ.get("PRESSUP_FUZZ_EXAMPLES", "8"))
SLOW_EXAMPLES = 200
#: Of the token holder's requests, the share that must get past the guard.
MIN_PASSED_SHARE = 0.5


def _coach(db: Path) -> tuple[FastAPI, str]:
    """The coach (with its reply timer, so that ``/api/timing`` answers) and a stored
    session's id."""
    settings = coach_settings(PORT, TOKEN, db, require_screening=False, timing=True)
    app = create_app(settings)
    reps = [RepScript("forearms", 2.0, 7.0, 2.5, 3.0) for _ in range(2)]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5))
    done = store_recorded_set(
        app.state.store, app.state.spec, track, [Rating(0, 3, "back"), Rating(1, 2, "back")]
    )
    return app, done.session_id


def _callers(session_id: str) -> list[Caller]:
    holder = Caller(
        name="token holder",
        headers={"origin": BASE, "x-pressup-token": TOKEN},
        query={"token": TOKEN},
        ids={"session_id": session_id},
    )
    stranger = Caller(name="stranger", headers={"origin": "http://elsewhere.example"})
    return [holder, stranger]


def _run(db: Path, examples: int) -> Tally:
    app, session_id = _coach(db)
    t0 = time.perf_counter()
    tally = fuzz_app(app, _callers(session_id), examples=examples, base_url=BASE)
    print(f"\n{tally.summary()}\n{time.perf_counter() - t0:.1f} s")
    app.state.store.close()
    return tally


def _check(tally: Tally) -> None:
    check_tally(tally, MIN_PASSED_SHARE)
    stranger_changes = {
        op: n
        for (op, who), n in tally.passed.items()
        if who == "stranger" and n and not op.startswith("GET ")
    }
    assert stranger_changes == {}, "changes got past the guard without the token"
    assert len({op for op, _ in tally.sent}) >= 20


def test_every_operation_with_and_without_the_token(tmp_path: Path) -> None:
    _check(_run(tmp_path / "coach.db", EXAMPLES))


@pytest.mark.slow
def test_every_operation_at_length(tmp_path: Path) -> None:
    _check(_run(tmp_path / "coach.db", SLOW_EXAMPLES))


def test_text_with_a_nul_character_is_a_422(tmp_path: Path) -> None:
    """As in the clinic: a NUL character anywhere in a request is a 422 naming the field (it
    was a server error with the store on PostgreSQL)."""
    from fastapi.testclient import TestClient

    app, _ = _coach(tmp_path / "coach.db")
    body = {"variant": "forearms", "hold_s": 5.0, "reps": 3, "notes": "a\x00b"}
    with TestClient(app, base_url=BASE) as c:
        h = {"origin": BASE}
        for r, field in (
            (c.get("/api/sessions/a%00b", params={"token": TOKEN}), "path.session_id"),
            (
                c.post("/api/prescription", params={"token": TOKEN}, headers=h, json=body),
                "body.notes",
            ),
        ):
            assert r.status_code == 422, r.text
            assert r.json()["detail"] == f"{field}: expected text without NUL characters, got one"
    app.state.store.close()
