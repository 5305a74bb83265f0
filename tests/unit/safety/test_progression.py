"""The progression engine: scripted histories with known right answers, property tests, the
clinician's prescription, and the store-fed ``review`` / ``pressup progress``."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pressup.cli.safety import register
from pressup.errors import InputError
from pressup.protocol import ProtocolSpec
from pressup.safety.progression import (
    VARIANTS,
    Decision,
    Prescription,
    SessionSummary,
    SetSummary,
    Variant,
    apply_to_spec,
    decide,
    hold_ladder,
    load_prescription,
    starting_prescription,
    summarise_set,
)
from pressup.safety.symptoms import LOCATIONS, Location, SymptomReport, spreads
from pressup.sessions.plan import current_prescription, load_history, review
from pressup.sessions.records import active_prescription, add_symptoms, list_decisions
from pressup.storage import Store

SPEC = ProtocolSpec()
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
HOLDS = (5.0, 10.0, 15.0, 20.0, 25.0, 30.0)


def rx(variant: Variant = "forearms", hold: float = 5.0, reps: int = 3, **kw: Any) -> Prescription:
    return Prescription(variant=variant, hold_s=hold, reps=reps, **kw)


def a_set(
    p: Prescription,
    *,
    pains: tuple[int, ...] | None = None,
    locations: tuple[Location, ...] | None = None,
    peaks: float = 20.0,
    faults: int = 0,
    holds: float | None = None,
    reps_done: int | None = None,
    variant: Variant | None = None,
    stopped: bool = False,
    postures: tuple[str, ...] | None = None,
) -> SetSummary:
    """A set at prescription ``p``; by default comfortable (pain 1), on target, no faults."""
    n = p.reps if reps_done is None else reps_done
    pain_seq = pains if pains is not None else (1,) * (n + 1)
    locs = locations if locations is not None else ("back",) * len(pain_seq)
    reports = [SymptomReport(i, pain, loc) for i, (pain, loc) in enumerate(zip(pain_seq, locs))]
    return summarise_set(
        variant=variant or p.variant,
        target_reps=p.reps,
        target_hold_s=p.hold_s,
        reps_done=n,
        holds_s=[p.hold_s if holds is None else holds] * n,
        peak_trunk_deg=[peaks] * n,
        fault_counts=[faults] + [0] * (n - 1) if n else [],
        symptoms=reports,
        stopped=stopped,
        postures_done=postures or (),  # type: ignore[arg-type]
    )


def a_session(day: float, *sets: SetSummary) -> SessionSummary:
    return SessionSummary(started_at=T0 + timedelta(days=day), sets=tuple(sets))


def good(p: Prescription, day: float, **kw: Any) -> SessionSummary:
    return a_session(day, a_set(p, **kw))


# -- the ladder --------------------------------------------------------------------------------


def test_defaults() -> None:
    assert hold_ladder(SPEC) == HOLDS
    assert starting_prescription(SPEC) == rx("forearms", 5.0, 3)
    assert VARIANTS == ("forearms", "hands_bent", "hands_straight")
    g = SPEC.progression
    assert (g.good_sessions_to_progress, g.max_pain, g.max_faults_per_rep) == (2, 3, 0.5)


def test_ladder_includes_the_maximum_when_the_step_does_not_divide() -> None:
    spec = replace(SPEC, progression=replace(SPEC.progression, hold_step_s=7.0))
    assert hold_ladder(spec) == (5.0, 12.0, 19.0, 26.0, 30.0)


# -- scripted histories ------------------------------------------------------------------------


def test_no_history_starts_gently_at_the_bottom() -> None:
    d = decide([], starting_prescription(SPEC), SPEC)
    assert d.action == "start" and (d.variant, d.target_hold_s, d.target_reps) == (
        "forearms",
        5.0,
        3,
    )
    assert d.target_peak_trunk_deg is None and "pain free" in d.reason


def test_one_good_session_is_not_enough() -> None:
    p = rx()
    d = decide([good(p, 0)], p, SPEC)
    assert d.action == "keep" and d.target_hold_s == 5.0
    assert "1 of 2 good sessions" in d.reason


def test_two_good_sessions_raise_the_hold_one_step() -> None:
    p = rx(hold=10.0)
    d = decide([good(p, 0), good(p, 1)], p, SPEC)
    assert d.action == "progress"
    assert (d.variant, d.target_hold_s, d.target_reps) == ("forearms", 15.0, 3)
    assert "hold 15 s now (was 10 s)" in d.reason and "2 good sessions in a row" in d.reason
    assert "\n" not in d.reason


def test_at_the_longest_hold_the_reps_go_up() -> None:
    p = rx(hold=30.0, reps=3)
    d = decide([good(p, 0), good(p, 1)], p, SPEC)
    assert (d.action, d.target_hold_s, d.target_reps) == ("progress", 30.0, 4)
    assert "4 press-ups now (was 3)" in d.reason


def test_at_the_top_of_a_variant_the_next_variant_starts_gently() -> None:
    p = rx("forearms", 30.0, 5)
    d = decide([good(p, 0), good(p, 1)], p, SPEC)
    assert (d.action, d.variant, d.target_hold_s, d.target_reps) == (
        "progress",
        "hands_bent",
        5.0,
        3,
    )
    assert "hands, elbows bent" in d.reason
    assert d.target_peak_trunk_deg is None  # new position: pain decides the height


def test_hands_bent_to_hands_straight() -> None:
    p = rx("hands_bent", 30.0, 5)
    d = decide([good(p, 0), good(p, 1)], p, SPEC)
    assert (d.variant, d.target_hold_s, d.target_reps) == ("hands_straight", 5.0, 3)
    assert "not locked" in d.reason


def test_the_top_of_the_programme_is_kept() -> None:
    p = rx("hands_straight", 30.0, 5)
    d = decide([good(p, 0), good(p, 1), good(p, 2)], p, SPEC)
    assert (d.action, d.variant, d.target_hold_s, d.target_reps) == (
        "keep",
        "hands_straight",
        30.0,
        5,
    )
    assert "top of the programme" in d.reason


def test_a_stopped_set_steps_back_and_aims_lower() -> None:
    p = rx(hold=15.0)
    bad = a_session(2, a_set(p, pains=(2, 2, 4), reps_done=2, peaks=22.0))
    d = decide([good(p, 0, peaks=22.0), good(p, 1, peaks=22.0), bad], p, SPEC)
    assert (d.action, d.target_hold_s, d.target_reps) == ("regress", 10.0, 3)
    assert "pain went up from 2 to 4" in d.reason and "one step back" in d.reason
    assert d.target_peak_trunk_deg == 20.0 and "lower" in d.reason


def test_peripheralising_steps_back_even_without_a_pain_rise() -> None:
    p = rx(hold=10.0, reps=4)
    bad = a_session(1, a_set(p, pains=(2, 2), locations=("back", "thigh"), reps_done=1))
    assert bad.sets[0].stopped and bad.sets[0].response == "peripheralising"
    d = decide([good(p, 0), bad], p, SPEC)
    assert (d.action, d.target_hold_s) == ("regress", 5.0)
    assert "spread further down the leg" in d.reason


def test_a_set_marked_stopped_counts_as_bad() -> None:
    p = rx(hold=10.0)
    bad = a_session(1, a_set(p, stopped=True, reps_done=1))
    d = decide([bad], p, SPEC)
    assert d.action == "regress" and "a set was stopped" in d.reason


def test_regress_order_hold_then_reps_then_variant() -> None:
    def bad_at(p: Prescription) -> Decision:
        return decide([a_session(0, a_set(p, pains=(1, 9), reps_done=1))], p, SPEC)

    d = bad_at(rx("hands_bent", 5.0, 4))
    assert (d.variant, d.target_hold_s, d.target_reps) == ("hands_bent", 5.0, 3)
    d = bad_at(rx("hands_bent", 5.0, 3))
    assert (d.variant, d.target_hold_s, d.target_reps) == ("forearms", 5.0, 3)
    assert "back to on your forearms" in d.reason
    d = bad_at(rx("forearms", 5.0, 3))
    assert d.action == "keep" and "gentlest dose" in d.reason
    assert any("doctor or physiotherapist" in a for a in d.advice)


def test_a_bad_session_resets_the_count() -> None:
    p = rx(hold=10.0)
    bad = a_session(1, a_set(p, pains=(1, 1, 3)))
    history = [good(p, 0), bad, good(p, 2)]
    d = decide(history, p, SPEC)
    assert d.action == "keep" and "1 of 2" in d.reason


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"pains": (4, 4, 4, 4)}, "pain reached 4/10"),
        ({"pains": (0, 1, 1, 1), "faults": 2}, "there were 2 form points to work on in 3"),
        ({"holds": 6.0}, "a hold was 6 s of the 10 s asked"),
        ({"reps_done": 2, "pains": (1, 1, 1)}, "2 of 3 press-ups"),
        ({"variant": "hands_bent"}, "on your hands, elbows bent"),
        ({"pains": (0, 1, 1, 1), "locations": ("none",) * 4}, None),  # symptom free: good
    ],
)
def test_keep_says_what_is_missing(kw: dict[str, Any], needle: str | None) -> None:
    p = rx(hold=10.0)
    d = decide([good(p, 0, **kw), good(p, 1, **kw)], p, SPEC)
    if needle is None:
        assert d.action == "progress"
    else:
        assert d.action == "keep" and needle in d.reason


def test_pain_up_one_point_is_tolerated_but_not_more() -> None:
    p = rx(hold=10.0)
    ok = decide([good(p, 0, pains=(1, 1, 2, 2)), good(p, 1, pains=(1, 1, 2, 2))], p, SPEC)
    assert ok.action == "progress"
    # 1 -> 3 would have stopped the set (2 points): bad
    rise = decide([good(p, 0), good(p, 1, pains=(1, 2, 3, 3))], p, SPEC)
    assert rise.action == "regress"


def test_no_pain_ratings_no_progress() -> None:
    p = rx()
    bare = a_session(0, a_set(p, pains=()))
    d = decide([bare, replace(bare, started_at=T0 + timedelta(days=1))], p, SPEC)
    assert d.action == "keep" and "not rated" in d.reason


def test_only_sessions_since_the_prescription_began_count() -> None:
    p = rx(hold=10.0, since=T0 + timedelta(days=1, hours=1))
    history = [good(p, 0), good(p, 1)]  # both before `since`
    d = decide(history, p, SPEC)
    assert d.action == "keep" and "no session at this dose yet" in d.reason
    d = decide([*history, good(p, 2)], p, SPEC)
    assert d.action == "keep" and "1 of 2" in d.reason
    d = decide([*history, good(p, 2), good(p, 3)], p, SPEC)
    assert d.action == "progress"


def test_history_order_does_not_matter() -> None:
    p = rx(hold=10.0)
    bad = a_session(5, a_set(p, pains=(1, 9), reps_done=1))
    assert decide([bad, good(p, 0), good(p, 1)], p, SPEC).action == "regress"


# -- how high ----------------------------------------------------------------------------------


def test_height_follows_pain_and_form() -> None:
    p = rx(hold=10.0)
    d = decide([good(p, 0, peaks=24.0)], p, SPEC)
    assert d.target_peak_trunk_deg == 26.0 and "aim about 26 degrees" in d.reason
    poor_form = decide([good(p, 0, peaks=24.0, faults=3)], p, SPEC)
    assert poor_form.target_peak_trunk_deg == 24.0 and "stay at about 24" in poor_form.reason
    bad = decide([a_session(0, a_set(p, peaks=24.0, pains=(2, 5), reps_done=1))], p, SPEC)
    assert bad.target_peak_trunk_deg == 22.0
    near_top = decide([good(p, 0, peaks=59.5)], p, SPEC)
    assert near_top.target_peak_trunk_deg == SPEC.progression.max_target_trunk_deg
    low = decide([a_session(0, a_set(p, peaks=9.0, pains=(2, 5), reps_done=1))], p, SPEC)
    assert low.target_peak_trunk_deg == SPEC.positions.min_peak_trunk_deg


# -- advice ------------------------------------------------------------------------------------


def test_peripheralising_twice_advises_a_clinician() -> None:
    p = rx(hold=10.0)
    spread = a_set(p, pains=(2, 2), locations=("buttock", "thigh"), reps_done=1)
    once = decide([a_session(0, spread), good(p, 1)], p, SPEC)
    assert once.advice == ()
    twice = decide([a_session(0, spread), good(p, 1), a_session(2, spread)], p, SPEC)
    assert any("2 of your last 3 sets" in a for a in twice.advice)
    later = [a_session(0, spread), a_session(1, spread)] + [good(p, d) for d in range(2, 7)]
    assert decide(later, p, SPEC).advice == ()  # outside the window of 5 sets


# -- the clinician's prescription --------------------------------------------------------------


def test_clinician_prescription_wins() -> None:
    p = rx("hands_bent", 12.0, 4, source="clinician", sessions_per_day=2, notes="slowly")
    d = decide([good(p, 0), good(p, 1), good(p, 2)], p, SPEC)
    assert d.action == "clinician" and d.source == "clinician"
    assert (d.variant, d.target_hold_s, d.target_reps) == ("hands_bent", 12.0, 4)
    assert d.sessions_per_day == 2 and d.notes == "slowly"
    assert "clinician's prescription" in d.reason and "2 sessions a day" in d.reason
    bad = a_session(3, a_set(p, pains=(1, 1, 4), reps_done=2))
    d2 = decide([good(p, 0), bad], p, SPEC)
    assert (d2.variant, d2.target_hold_s, d2.target_reps) == ("hands_bent", 12.0, 4)
    assert any("Tell your clinician" in a for a in d2.advice)


def test_engine_resumes_from_an_off_ladder_clinician_dose() -> None:
    p = rx("forearms", 12.0, 3)
    d = decide([good(p, 0), good(p, 1)], p, SPEC)
    assert d.target_hold_s == 15.0
    d = decide([a_session(0, a_set(p, pains=(1, 9), reps_done=1))], p, SPEC)
    assert d.target_hold_s == 10.0


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_load_prescription(tmp_path: Path, suffix: str) -> None:
    f = tmp_path / f"rx{suffix}"
    data = {"variant": "hands_bent", "hold_s": 15, "reps": 4, "sessions_per_day": 2, "notes": "hi"}
    if suffix == ".json":
        f.write_text(json.dumps(data))
    else:
        f.write_text(
            '[prescription]\nvariant = "hands_bent"\nhold_s = 15\nreps = 4\n'
            'sessions_per_day = 2\nnotes = "hi"\n'
        )
    p = load_prescription(f)
    assert (p.variant, p.hold_s, p.reps, p.sessions_per_day, p.notes, p.source) == (
        "hands_bent",
        15.0,
        4,
        2,
        "hi",
        "clinician",
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('variant = "hands"\nhold_s = 10\nreps = 3\n', "variant"),
        ('variant = "forearms"\nhold_s = 10\n', "missing key 'reps'"),
        ('variant = "forearms"\nhold_s = 10\nreps = 3\nrep = 2\n', "unknown key 'rep'"),
        ('variant = "forearms"\nhold_s = 500\nreps = 3\n', "hold_s"),
        ('variant = "forearms"\nhold_s = 10\nreps = 3.5\n', "reps"),
        ('variant = "forearms"\nhold_s = 10\nreps = 3\nsessions_per_day = 0\n', "sessions"),
        ("variant = \n", "not valid TOML"),
    ],
)
def test_bad_prescriptions_name_the_key(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "rx.toml"
    f.write_text(text)
    with pytest.raises(InputError, match=needle):
        load_prescription(f)


def test_apply_to_spec_sets_the_live_dose() -> None:
    spec = apply_to_spec(SPEC, rx("hands_straight", 40.0, 6, source="clinician"))
    d = spec.dose
    assert (d.variant, d.target_hold_s, d.target_reps) == ("hands", 40.0, 6)
    assert d.max_hold_s == 40.0 and d.max_reps == 6 and d.min_hold_s == 5.0


# -- properties --------------------------------------------------------------------------------

_RUNGS = [(v, h, n) for v in VARIANTS for h in HOLDS for n in range(3, 6)]


def _rank(p: Prescription | Decision) -> tuple[int, float, int]:
    if isinstance(p, Decision):
        return VARIANTS.index(p.variant), p.target_hold_s, p.target_reps
    return VARIANTS.index(p.variant), p.hold_s, p.reps


@settings(max_examples=60, deadline=None)
@given(
    n_sessions=st.integers(1, 80),
    pains=st.lists(st.integers(0, 3), min_size=80, max_size=80),
    peaks=st.lists(st.floats(10, 60), min_size=80, max_size=80),
    need=st.integers(1, 3),
)
def test_good_sessions_never_skip_a_rung(
    n_sessions: int, pains: list[int], peaks: list[float], need: int
) -> None:
    spec = replace(SPEC, progression=replace(SPEC.progression, good_sessions_to_progress=need))
    current = starting_prescription(spec)
    history: list[SessionSummary] = []
    for i in range(n_sessions):
        pain = pains[i]
        session = good(current, i, pains=(pain,) * (current.reps + 1), peaks=peaks[i])
        history.append(session)
        d = decide(history, current, spec)
        assert d.action in ("keep", "progress")
        v0, h0, r0 = _rank(current)
        v1, h1, r1 = _rank(d)
        changed = [v1 != v0, h1 != h0, r1 != r0]
        if d.action == "keep":
            assert not any(changed)
            continue
        assert v1 - v0 in (0, 1)  # never skips a variant
        if v1 == v0:
            assert sum(changed) == 1  # one dimension at a time
            assert h1 in HOLDS and h1 >= h0 and HOLDS.index(h1) - HOLDS.index(h0) <= 1
            assert r1 - r0 in (0, 1)
        else:
            assert (h1, r1) == (HOLDS[0], spec.dose.min_reps)  # a new variant starts gently
            assert (h0, r0) == (HOLDS[-1], spec.dose.max_reps)  # only from the top of the last
        current = d.prescription(since=session.started_at)


@st.composite
def _spread_set(draw: st.DrawFn, p: Prescription) -> SetSummary:
    before = draw(st.sampled_from(LOCATIONS[:-1]))
    after = draw(st.sampled_from([x for x in LOCATIONS if spreads(before, x)]))
    p0 = draw(st.integers(0, 7))
    p1 = draw(st.integers(0, 10))
    at = draw(st.integers(1, p.reps))
    pains = (p0,) + (p0,) * (at - 1) + (p1,)
    locs = (before,) * at + (after,)
    return a_set(p, pains=pains, locations=locs, reps_done=at)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), rung=st.sampled_from(_RUNGS), n_good=st.integers(0, 6))
def test_a_peripheralising_set_always_stops_and_never_progresses(
    data: st.DataObject, rung: tuple[Variant, float, int], n_good: int
) -> None:
    p = rx(*rung)
    spread = data.draw(_spread_set(p))
    assert spread.stopped and spread.response == "peripheralising"
    history = [good(p, i) for i in range(n_good)]
    history.append(a_session(n_good, good(p, n_good).sets[0], spread))
    d = decide(history, p, SPEC)
    assert d.action in ("regress", "keep")
    assert _rank(d) <= _rank(p)
    assert d.target_hold_s <= p.hold_s and d.target_reps <= p.reps


@settings(max_examples=60, deadline=None)
@given(
    rung=st.sampled_from(_RUNGS),
    hold=st.floats(1, 120),
    reps=st.integers(1, 20),
    kinds=st.lists(st.sampled_from(["good", "bad", "spread", "neutral"]), max_size=8),
)
def test_clinician_prescription_always_wins(
    rung: tuple[Variant, float, int], hold: float, reps: int, kinds: list[str]
) -> None:
    engine = rx(*rung)
    history = []
    for i, kind in enumerate(kinds):
        if kind == "good":
            history.append(good(engine, i))
        elif kind == "bad":
            history.append(a_session(i, a_set(engine, pains=(1, 9), reps_done=1)))
        elif kind == "spread":
            history.append(
                a_session(i, a_set(engine, pains=(1, 1), locations=("back", "foot"), reps_done=1))
            )
        else:
            history.append(good(engine, i, faults=5))
    clin = rx(rung[0], hold, reps, source="clinician", sessions_per_day=1)
    d = decide(history, clin, SPEC)
    assert d.source == "clinician" and d.action == "clinician"
    assert (d.variant, d.target_hold_s, d.target_reps) == (rung[0], hold, reps)
    assert "clinician" in d.reason


# -- fed from the store ------------------------------------------------------------------------


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pressup.db'}"


def _stored_session(
    store: Store,
    p: Prescription,
    *,
    pains: tuple[int, ...] = (1, 1, 1, 1),
    locs: tuple[str, ...] | None = None,
) -> str:
    dose = {
        "variant": "hands" if p.variant != "forearms" else "forearms",
        "ladder_variant": p.variant,
        "target_hold_s": p.hold_s,
    }
    sid = store.create_session(client="t", dose=dose, protocol={}, target_reps=p.reps)
    for i in range(1, p.reps + 1):
        store.upsert_rep(
            sid,
            {
                "index": i,
                "start_s": 10.0 * i,
                "hold_s": p.hold_s + 0.4,
                "variant": "forearms",
                "peak_trunk_deg": 21.0,
                "faults": [],
            },
        )
    locations = locs or ("back",) * len(pains)
    add_symptoms(
        store,
        sid,
        [
            {"rep": i, "pain": x, "location": loc}
            for i, (x, loc) in enumerate(zip(pains, locations))
        ],
    )
    return sid


def test_review_from_the_store(url: str) -> None:
    with Store(url) as store:
        first = review(store, SPEC)
        assert first.decision.action == "start" and first.record is not None
        assert review(store, SPEC).record is None  # asking again stores nothing new
        p = current_prescription(store, SPEC)
        assert (p.variant, p.hold_s, p.reps) == ("forearms", 5.0, 3)

        _stored_session(store, p)
        second = review(store, SPEC)
        assert second.decision.action == "keep" and "1 of 2" in second.decision.reason
        assert second.record is not None and second.record.session_id is not None
        assert second.decision.target_peak_trunk_deg == 23.0

        _stored_session(store, p)
        third = review(store, SPEC)
        assert third.decision.action == "progress" and third.decision.target_hold_s == 10.0
        again = review(store, SPEC)  # asked again: the same decision, nothing stored
        assert again.record is None and again.decision == third.decision
        now = current_prescription(store, SPEC)
        assert (now.hold_s, now.since) == (10.0, list_decisions(store, limit=1)[-1].created_at)

        bad = _stored_session(store, now, pains=(2, 2), locs=("back", "thigh"))
        fourth = review(store, SPEC)
        assert fourth.decision.action == "regress" and fourth.decision.target_hold_s == 5.0
        assert fourth.record is not None and fourth.record.session_id == bad
        again = review(store, SPEC)
        assert again.record is None and again.decision.target_hold_s == 5.0  # one step only

        history = load_history(store, SPEC)
        assert [s.sets[0].response for s in history][-1] == "peripheralising"
        assert [d.action for d in reversed(list_decisions(store))] == [
            "start",
            "keep",
            "progress",
            "regress",
        ]


def test_pressup_progress(url: str, tmp_path: Path) -> None:
    app = typer.Typer()

    @app.command()
    def version() -> None:
        """Print nothing."""

    register(app)
    run = CliRunner().invoke
    res = run(app, ["progress", "--database", url])
    assert res.exit_code == 0, res.output
    assert "Next session: 3 press-ups, 5 s hold, on your forearms" in res.output
    assert "Why: First sessions" in res.output
    assert "answer the safety questions" in res.output  # not screened yet

    f = tmp_path / "rx.toml"
    f.write_text('variant = "hands_bent"\nhold_s = 20\nreps = 4\nsessions_per_day = 2\n')
    res = run(app, ["progress", "--prescription", str(f), "--database", url])
    assert res.exit_code == 0, res.output
    assert "Your clinician's prescription: 4 press-ups, 20 s hold" in res.output
    assert "2 sessions a day" in res.output and "pressup does not change it" in res.output
    with Store(url) as store:
        rec = active_prescription(store)
        assert rec is not None and rec.variant == "hands_bent"
        assert list_decisions(store, limit=1)[0].source == "clinician"

    res = run(app, ["progress", "--clear-prescription", "--database", url])
    assert res.exit_code == 0 and "resumes" in res.output
    assert "Next session: 4 press-ups, 20 s hold, on your hands, elbows bent" in res.output

    f.write_text('variant = "knuckles"\nhold_s = 20\nreps = 4\n')
    res = run(app, ["progress", "--prescription", str(f), "--database", url])
    assert res.exit_code == 2 and "variant" in res.output


# -- the posture done against the plan -------------------------------------------------------


def test_a_session_on_the_hands_when_the_forearms_were_planned_does_not_move_on() -> None:
    p = rx(hold=10.0)
    hands = ("hands",) * 3
    d = decide([good(p, 0), good(p, 1, postures=hands)], p, SPEC)
    assert d.action == "keep" and (d.variant, d.target_hold_s) == ("forearms", 10.0)
    assert d.reason.startswith("Done on the hands, planned on the forearms: the dose stays")
    assert "\n" not in d.reason
    # nor does it count in the run of good sessions: one good session after it is not enough
    d = decide([good(p, 0, postures=hands), good(p, 1, postures=("forearms",) * 3)], p, SPEC)
    assert d.action == "keep" and "1 of 2 good sessions" in d.reason
    # done as planned, the same two sessions move on
    ok = ("forearms",) * 3
    assert decide([good(p, 0, postures=ok), good(p, 1, postures=ok)], p, SPEC).action == "progress"


def test_the_reason_names_how_many_were_off_and_the_reverse_posture() -> None:
    p = rx("hands_bent", hold=10.0)
    d = decide([good(p, 0), good(p, 1, postures=("hands", "forearms", "hands"))], p, SPEC)
    assert d.action == "keep"
    assert d.reason.startswith(
        "Done on the forearms (1 of 3 press-ups), planned on the hands: the dose stays"
    )


def test_a_clinician_sees_the_posture_done_in_the_advice() -> None:
    p = rx("forearms", 10.0, 3, source="clinician")
    d = decide([good(p, 0, postures=("hands",) * 3)], p, SPEC)
    assert d.action == "clinician"
    assert "Last session: done on the hands, planned on the forearms." in d.advice
