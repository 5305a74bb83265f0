"""A recorded set stored as a session with its ratings: ``pressup sessions add``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressup.cli import app
from pressup.errors import InputError
from pressup.protocol import ProtocolSpec
from pressup.safety.screening import QUESTION_IDS, evaluate
from pressup.sessions.plan import load_history
from pressup.sessions.recorded import Rating, first_rule, store_recorded_set
from pressup.sessions.records import add_screening, list_symptoms
from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session

SPEC = ProtocolSpec()


@pytest.fixture
def track_file(tmp_path: Path) -> Path:
    reps = [RepScript("forearms", 2.0, 7.0, 2.5, 3.0) for _ in range(3)]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5))
    return track.save(tmp_path / "set.npz")


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    result = evaluate(dict.fromkeys(QUESTION_IDS, "no"))
    with Store(url) as store:
        add_screening(store, answers=result.answers, outcome=result.outcome, locked=result.locked)
    return url


def test_first_rule_replays_the_live_rules_in_order() -> None:
    ratings = [Rating(2, 5, "back"), Rating(0, 2, "back"), Rating(1, 2, "thigh")]
    stop, after = first_rule(ratings, SPEC.pain)
    assert after == 1 and stop is not None and stop.rules == ("peripheralising",)
    assert first_rule([Rating(0, None), Rating(1, 3)], SPEC.pain) == (None, None)
    with pytest.raises(InputError, match="pain"):
        Rating(1, 11)
    with pytest.raises(InputError, match="symptom location"):
        Rating(1, 2, "knee")  # type: ignore[arg-type]


def test_a_recorded_set_is_stored_whole_with_its_ratings(track_file: Path, db: str) -> None:
    from pressup.pose import load_track

    with Store(db) as store:
        done = store_recorded_set(
            store,
            SPEC,
            load_track(track_file),
            [Rating(0, 2, "back"), Rating(1, 2, "back"), Rating(2, 5, "back"), Rating(3, 5)],
        )
        rec = store.get_session(done.session_id)
        assert rec is not None and rec.stage == "done" and rec.reps_done == 3
        assert rec.dose["ladder_variant"] == "forearms" and rec.dose["target_hold_s"] == 5.0
        assert len(store.list_reps(done.session_id)) == 3
        assert store.load_track(done.session_id).n_frames == load_track(track_file).n_frames
        assert [(s.rep, s.pain) for s in list_symptoms(store, done.session_id)] == [
            (0, 2),
            (1, 2),
            (2, 5),
        ]
        # pain rose 3 points after press-up 2: the set should have stopped there
        assert done.set_stopped and done.stop_after_rep == 2
        stops = [e for e in store.list_events(done.session_id) if e["kind"] == "set_stopped"]
        assert [(e["rep"], e["rules"]) for e in stops] == [(2, ["pain_rise"])]
        [summary] = load_history(store, SPEC)
        assert summary.sets[0].stopped
        assert "pain went up from 2 to 5" in done.review.decision.reason


def test_a_failed_write_leaves_no_half_session(
    track_file: Path, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pressup.pose import load_track

    with Store(db) as store:

        def broken(*args: object, **kw: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(store, "upsert_rep", broken)
        before = {s.id for s in store.list_sessions()}
        with pytest.raises(OSError, match="disk full"):
            store_recorded_set(store, SPEC, load_track(track_file), [Rating(0, 1, "back")])
        assert {s.id for s in store.list_sessions()} == before


def test_sessions_add_from_the_terminal(track_file: Path, db: str) -> None:
    runner = CliRunner()
    args = ["sessions", "add", str(track_file), "--database", db]
    res = runner.invoke(app, [*args, "--pain-before", "2", "--where-before", "back"])
    assert res.exit_code == 0, res.output
    assert "3 press-up(s)" in res.output and "Next session:" in res.output
    assert "Your symptoms" not in res.output  # no place after the set
    res = runner.invoke(
        app,
        [*args, "--pain-before", "2", "--where-before", "thigh", "--pain", "2", "--where", "back"],
    )
    assert res.exit_code == 0, res.output
    assert "Your symptoms during the set: moved toward the spine." in res.output
    # asked in the terminal: before the set, after each press-up, then 'q'
    answers = "3\n2\n3\n2\n4\nthigh\nq\n"
    res = runner.invoke(app, [*args, "--ask"], input=answers)
    assert res.exit_code == 0, res.output
    assert "The set should have stopped (after press-up 2)" in res.output
    assert "symptoms spread further down the leg" in res.output
    with Store(db) as store:
        newest = store.list_sessions()[0]
        got = [(s.rep, s.pain, s.location) for s in list_symptoms(store, newest.id)]
    assert got == [(0, 3, "back"), (1, 3, "back"), (2, 4, "thigh")]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--pain", "2,x"], "--pain: score 2: expected a whole number 0..10"),
        (["--pain", "2", "--where", "back,thigh"], "--where: expected at most one place"),
        (["--where-before", "back"], "--where-before needs --pain-before"),
        (["--pain", "2", "--where", "knee"], "symptom location: expected one of"),
    ],
)
def test_sessions_add_refuses_bad_ratings(
    track_file: Path, db: str, extra: list[str], needle: str
) -> None:
    res = CliRunner().invoke(app, ["sessions", "add", str(track_file), "--database", db, *extra])
    assert res.exit_code != 0
    assert needle in res.output
    with Store(db) as store:
        assert store.list_sessions() == []


def test_sessions_add_needs_the_screening(track_file: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    res = CliRunner().invoke(app, ["sessions", "add", str(track_file), "--database", url])
    assert res.exit_code != 0 and "pressup screen" in res.output


PG_URL = os.environ.get("PRESSUP_TEST_POSTGRES_URL", "")


@pytest.mark.skipif(not PG_URL, reason="set PRESSUP_TEST_POSTGRES_URL to test on PostgreSQL")
def test_the_safety_loop_on_postgresql(track_file: Path) -> None:
    """Screening, a recorded set with a stop, the review and the history, on PostgreSQL."""
    from pressup.pose import load_track
    from pressup.sessions.plan import current_prescription, gate
    from pressup.storage import downgrade, upgrade

    downgrade(PG_URL, "base")
    upgrade(PG_URL)
    result = evaluate(dict.fromkeys(QUESTION_IDS, "no"))
    with Store(PG_URL) as store:
        add_screening(store, answers=result.answers, outcome=result.outcome, locked=result.locked)
        done = store_recorded_set(
            store,
            SPEC,
            load_track(track_file),
            [Rating(0, 1, "back"), Rating(1, 1, "thigh"), Rating(2, 1, "back")],
        )
        assert done.set_stopped and done.stop is not None
        assert done.stop.rules == ("peripheralising",)
        [summary] = load_history(store, SPEC)
        assert summary.sets[0].stopped and summary.sets[0].response == "peripheralising"
        assert current_prescription(store, SPEC).variant == "forearms"
        from datetime import datetime, timezone

        # a stopped set makes the safety questions due again
        assert not gate(store, SPEC, datetime.now(timezone.utc)).allowed
