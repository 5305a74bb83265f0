"""Pain and symptom response: the stop rules and the McKenzie-style classification of a set."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pressup.errors import InputError, SpecError
from pressup.protocol import ProtocolSpec, load_spec
from pressup.safety.symptoms import (
    LOCATIONS,
    Location,
    SymptomReport,
    check_before,
    check_rating,
    check_rep,
    classify,
    clinician_advice,
    first_stop,
    location_rank,
    parse_location,
    spreads,
)

RULES = ProtocolSpec().pain


def r(rep: int, pain: int, location: Location = "back") -> SymptomReport:
    return SymptomReport(rep=rep, pain=pain, location=location)


# -- the stop rules ----------------------------------------------------------------------------


def test_defaults_are_the_documented_ones() -> None:
    assert (RULES.stop_rise_points, RULES.stop_above) == (2, 7)
    assert (RULES.clinician_after_peripheralising, RULES.clinician_window_sets) == (2, 5)


@pytest.mark.parametrize(
    ("before", "after", "rule"),
    [
        (r(0, 2), r(1, 4), "pain_rise"),  # up exactly 2 points
        (r(0, 0), r(1, 5), "pain_rise"),
        (r(0, 6), r(1, 8), "pain_limit"),  # 8 > 7 (and up 2): the limit is named first
        (r(0, 7), r(1, 8), "pain_limit"),  # up 1 only, but above the limit
        (r(0, 2, "back"), r(1, 2, "thigh"), "peripheralising"),
        (r(0, 2, "buttock"), r(1, 1, "below_knee"), "peripheralising"),
        (r(0, 0, "none"), r(1, 1, "buttock"), "peripheralising"),
        (r(0, 3, "thigh"), r(1, 3, "foot"), "peripheralising"),
    ],
)
def test_stop_rules_fire(before: SymptomReport, after: SymptomReport, rule: str) -> None:
    stop = check_rep(before, after, RULES)
    assert stop is not None
    assert stop.rule == rule
    assert stop.message.startswith("Stop the set: ")
    assert "\n" not in stop.message and stop.message.endswith(".")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (r(0, 2), r(1, 3)),  # up 1 point: carry on
        (r(0, 6), r(1, 7)),  # at the limit, not above it
        (r(0, 5), r(1, 1)),  # easing
        (r(0, 2, "thigh"), r(1, 2, "back")),  # centralising
        (r(0, 0, "none"), r(1, 1, "back")),  # back pain appearing is not a spread down the leg
        (r(0, 3, "below_knee"), r(1, 3, "below_knee")),
    ],
)
def test_stop_rules_carry_on(before: SymptomReport, after: SymptomReport) -> None:
    assert check_rep(before, after, RULES) is None


def test_every_rule_that_fired_is_listed_most_serious_first() -> None:
    stop = check_rep(r(0, 2, "back"), r(1, 9, "foot"), RULES)
    assert stop is not None
    assert stop.rules == ("peripheralising", "pain_limit", "pain_rise")
    assert "spread further down the leg" in stop.message and "foot" in stop.message


def test_messages_say_why_in_plain_words() -> None:
    rise = check_rep(r(0, 2), r(1, 4), RULES)
    limit = check_rep(r(0, 7), r(1, 8), RULES)
    spread = check_rep(r(0, 1, "buttock"), r(1, 1, "below_knee"), RULES)
    assert rise is not None and "from 2 to 4" in rise.message
    assert limit is not None and "8/10" in limit.message and "limit of 7" in limit.message
    assert spread is not None and "below the knee now, buttock before" in spread.message


def test_thresholds_come_from_the_protocol() -> None:
    strict = replace(RULES, stop_rise_points=1, stop_above=4)
    assert check_rep(r(0, 2), r(1, 3), strict) is not None
    assert check_rep(r(0, 4), r(1, 5), strict) is not None
    lenient = replace(RULES, stop_rise_points=4, stop_above=9)
    assert check_rep(r(0, 2), r(1, 5), lenient) is None
    assert check_rep(r(0, 2, "back"), r(1, 2, "thigh"), lenient) is not None  # always


def test_do_not_start_above_the_limit() -> None:
    stop = check_before(r(0, 8), RULES)
    assert stop is not None and stop.rule == "pain_limit" and "Do not start" in stop.message
    assert check_before(r(0, 7), RULES) is None


def test_first_stop_replays_a_set() -> None:
    reports = [r(0, 2), r(1, 2), r(2, 3), r(3, 4), r(4, 6)]
    stop = first_stop(reports, RULES)
    assert stop is not None and stop.rule == "pain_rise" and "from 2 to 4" in stop.message
    assert first_stop([r(0, 2), r(1, 3), r(2, 2)], RULES) is None
    # without a rating before the set only the limit can be judged
    assert first_stop([r(1, 5), r(2, 7)], RULES) is None
    no_before = first_stop([r(1, 5), r(2, 8)], RULES)
    assert no_before is not None and no_before.rule == "pain_limit"
    assert first_stop([r(0, 9)], RULES) is not None


# -- classification ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reports", "expected"),
    [
        ([r(0, 4, "thigh"), r(1, 3, "buttock"), r(2, 2, "back")], "centralising"),
        ([r(0, 2, "back"), r(1, 1, "none")], "centralising"),  # symptoms abolished
        ([r(0, 3, "below_knee"), r(1, 3, "thigh")], "centralising"),
        ([r(0, 2, "back"), r(1, 2, "thigh")], "peripheralising"),
        # a spread at any point counts, even if it came back
        ([r(0, 2, "buttock"), r(1, 2, "thigh"), r(2, 2, "back")], "peripheralising"),
        ([r(0, 2, "back"), r(1, 2, "back"), r(2, 3, "back")], "unchanged"),
        ([r(0, 0, "none"), r(1, 1, "back")], "unchanged"),  # back pain is not a spread
        ([r(0, 2, "thigh"), r(1, 1, "buttock"), r(2, 2, "thigh")], "unchanged"),
        ([r(0, 2, "thigh")], "unchanged"),  # nothing after a press-up yet
        ([r(1, 2, "thigh"), r(2, 2, "foot")], "unchanged"),  # no rating before the set
        ([], "unchanged"),
    ],
)
def test_classify(reports: list[SymptomReport], expected: str) -> None:
    assert classify(reports) == expected


def test_classify_sorts_by_rep() -> None:
    reports = [r(2, 2, "back"), r(0, 4, "thigh"), r(1, 3, "buttock")]
    assert classify(reports) == "centralising"


def test_location_scale_runs_from_the_spine_outwards() -> None:
    assert LOCATIONS == ("none", "back", "buttock", "thigh", "below_knee", "foot")
    assert [location_rank(x) for x in LOCATIONS] == list(range(6))
    assert parse_location("below the knee") == "below_knee"
    assert parse_location("Below-Knee") == "below_knee"
    assert parse_location("back only") == "back"
    with pytest.raises(InputError, match="symptom location"):
        parse_location("shoulder")


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"rep": -1, "pain": 1, "location": "back"}, "rep"),
        ({"rep": 0, "pain": 11, "location": "back"}, "pain"),
        ({"rep": 0, "pain": True, "location": "back"}, "pain"),
        ({"rep": 0, "pain": 2.5, "location": "back"}, "pain"),
        ({"rep": 0, "pain": 2, "location": "knee"}, "location"),
    ],
)
def test_bad_reports_are_input_errors(kw: dict[str, object], needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        SymptomReport(**kw)  # type: ignore[arg-type]


# -- advice to see a clinician -----------------------------------------------------------------


def test_clinician_advice_after_two_peripheralising_sets_in_the_window() -> None:
    one = ["unchanged", "peripheralising", "centralising"]
    assert clinician_advice(one, RULES) is None  # type: ignore[arg-type]
    two = ["peripheralising", "unchanged", "unchanged", "peripheralising"]
    advice = clinician_advice(two, RULES)  # type: ignore[arg-type]
    assert advice is not None and "2 of your last 4 sets" in advice
    assert "doctor or physiotherapist" in advice
    old = ["peripheralising", "peripheralising"] + ["unchanged"] * 5
    assert clinician_advice(old, RULES) is None  # type: ignore[arg-type]
    wider = replace(RULES, clinician_window_sets=7)
    assert clinician_advice(old, wider) is not None  # type: ignore[arg-type]


# -- properties --------------------------------------------------------------------------------

locations = st.sampled_from(LOCATIONS)
pains = st.integers(0, 10)


@given(locations, locations, pains, pains, st.lists(st.tuples(pains, locations), max_size=5))
def test_a_spread_always_stops_the_set(
    before_loc: Location,
    after_loc: Location,
    p0: int,
    p1: int,
    more: list[tuple[int, Location]],
) -> None:
    before, after = r(0, p0, before_loc), r(1, p1, after_loc)
    reports = [before, after] + [r(i + 2, p, loc) for i, (p, loc) in enumerate(more)]
    stop = check_rep(before, after, RULES)
    if spreads(before_loc, after_loc):
        assert stop is not None and stop.rule == "peripheralising"
        assert classify(reports) == "peripheralising"
        assert first_stop(reports, RULES) is not None
    else:
        assert stop is None or stop.rule != "peripheralising"
    if classify(reports) == "peripheralising":
        assert first_stop(reports, RULES) is not None


@given(pains, pains)
def test_pain_rules_match_their_definition(p0: int, p1: int) -> None:
    stop = check_rep(r(0, p0), r(1, p1), RULES)
    expected = p1 - p0 >= RULES.stop_rise_points or p1 > RULES.stop_above
    assert (stop is not None) == expected


@given(
    st.one_of(st.none(), st.tuples(pains, locations)),
    st.integers(0, 6),
    pains,
    st.one_of(st.none(), locations),
)
def test_a_live_rating_is_judged_like_the_full_rules(
    before: tuple[int, Location] | None, rep: int, pain: int, place: Location | None
) -> None:
    """The live coach's check (place or rating before the set may be missing) agrees with
    the rules on complete ratings, and never invents a spread it was not told about."""
    b = r(0, *before) if before is not None else None
    stop = check_rating(b, rep, pain, place, RULES)
    if rep == 0:
        assert (stop is not None) == (pain > RULES.stop_above)
        return
    if b is None:
        assert (stop is not None) == (pain > RULES.stop_above)
        return
    if place is not None:
        full = check_rep(b, r(rep, pain, place), RULES)
        assert (stop.rules if stop else None) == (full.rules if full else None)
        if spreads(b.location, place):
            assert stop is not None and stop.rule == "peripheralising"
    else:
        assert stop is None or "peripheralising" not in stop.rules
        expected = pain - b.pain >= RULES.stop_rise_points or pain > RULES.stop_above
        assert (stop is not None) == expected


# -- the protocol file -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[pain]\nstop_above = 11\n", "pain.stop_above"),
        ("[pain]\nstop_rise = 2\n", "pain.stop_rise"),
        ("[pain]\nstop_rise_points = 1.5\n", "pain.stop_rise_points"),
        ("[pain]\nclinician_after_peripheralising = 6\n", "pain.clinician_after_peripheralising"),
        ("[progression]\nmax_pain = 8\n", "progression.max_pain"),
        ("[progression]\nmax_pain_rise = 2\n", "progression.max_pain_rise"),
        ("[progression]\nmax_target_trunk_deg = 80\n", "progression.max_target_trunk_deg"),
        ("[progression]\nhold_step_s = 0\n", "progression.hold_step_s"),
        ("[screening]\nrescreen_days = 0\n", "screening.rescreen_days"),
        ("[screening]\nrescreen_after_stopped_sets = true\n", "rescreen_after_stopped_sets"),
    ],
)
def test_bad_safety_settings_name_the_key(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "p.toml"
    f.write_text(text)
    with pytest.raises(SpecError, match=needle.replace(".", r"\.")):
        load_spec(f)


def test_safety_settings_override(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text("[pain]\nstop_above = 5\n[screening]\nrescreen_days = 14\n")
    spec = load_spec(f)
    assert spec.pain.stop_above == 5 and spec.screening.rescreen_days == 14
    assert spec.progression == ProtocolSpec().progression
