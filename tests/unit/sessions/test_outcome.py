"""One rule for pain before/after the set: :func:`pressup.sessions.outcome.pain_scores`.

(The web API is included: the test lives here, beside the rule, rather than among the web
tests.)

The history page, the CSV table, the FHIR bundle and the web API's session JSON all read a
stored session's pain through :class:`~pressup.sessions.outcome.SessionOutcome`, so they give
the same numbers, including where the two rules they used to have disagreed (ratings stored out
of press-up order, two ratings after the same press-up, a session with symptom reports only).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pressup.export import fhir, tables
from pressup.protocol import load_spec
from pressup.report.history import render_history
from pressup.sessions.outcome import PainScores, outcome_of, pain_scores
from pressup.sessions.records import add_symptoms
from pressup.sessions.store import Store, open_store
from pressup.vocab import SymptomReport
from pressup.web.app import create_app
from pressup.web.settings import Settings
from support import LOCAL

NOW = datetime(2026, 3, 18, 18, 0, tzinfo=timezone.utc)
TOKEN = "outcome-token-1"


def _rating(rep: int, score: int | None) -> dict[str, Any]:
    return {"rep": rep, "score": score, "skipped": score is None}


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([], PainScores(None, None, None)),
        ([(0, 3), (1, 4), (2, 1)], PainScores(3, 1, 4)),
        # before: the last rating given before the set
        ([(0, 3), (0, 2), (1, 2)], PainScores(2, 2, 3)),
        # after: the highest press-up rated, even when stored before an earlier one
        ([(0, 2), (2, 5), (1, 1)], PainScores(2, 5, 5)),
        # after: of two ratings after the same press-up, the last stored
        ([(0, 2), (2, 5), (2, 4)], PainScores(2, 4, 5)),
        # skipped ratings count for nothing
        ([(0, None), (1, 6), (2, None)], PainScores(None, 6, 6)),
    ],
)
def test_pain_scores_rule(ratings: list[tuple[int, int | None]], expected: PainScores) -> None:
    assert pain_scores([_rating(rep, score) for rep, score in ratings]) == expected


def test_pain_scores_fall_back_to_symptom_reports_only_without_ratings() -> None:
    reports = [SymptomReport(rep=0, pain=5, location="thigh"), SymptomReport(2, 3, "back")]
    assert pain_scores([], reports) == PainScores(5, 3, 5)
    assert pain_scores([_rating(1, 7)], reports) == PainScores(None, 7, 7)
    # a skipped rating is no rating: the reports are used
    assert pain_scores([_rating(0, None)], reports) == PainScores(5, 3, 5)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path}/outcome.db")
    yield s
    s.close()


def _stored(store: Store, ratings: list[tuple[int, int | None]]) -> str:
    sid = store.create_session(client="t", dose={}, protocol={}, target_reps=3)
    for rep, score in ratings:
        store.add_pain(sid, rep=rep, score=score, skipped=score is None, t_s=None)
    return sid


def _history_pain(store: Store) -> tuple[int | None, int | None]:
    page = render_history(store, load_spec(), NOW)
    cells = re.findall(r'<td class="num(?: worse)?">([^<]*\u2192[^<]*)</td>', page)
    assert len(cells) == 1, cells
    before, after = (x.strip() for x in html.unescape(cells[0]).split("\u2192"))
    return (int(before) if before.isdigit() else None), (int(after) if after.isdigit() else None)


def _csv_pain(store: Store, tmp_path: Path) -> tuple[int | None, int | None]:
    path = tables.write_sessions_csv(tables.collect_sessions(store), tmp_path / "s.csv")
    (row,) = tables.read_sessions_csv(path)
    return row.pain_before, row.pain_after


def _api_pain(store: Store, sid: str) -> tuple[int | None, int | None]:
    settings = Settings(
        port=8765,
        token=TOKEN,
        database_url=store.url,
        pose_assets_dir=None,
        require_screening=False,
    )
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        got = client.get(f"/api/sessions/{sid}?token={TOKEN}").json()
    return got["pain_before"], got["pain_after"]


def _fhir_pain(store: Store, sid: str) -> tuple[int | None, int | None]:
    bundle = fhir.session_bundle(store, sid, "pt-1")
    fhir.validate_bundle(bundle)
    values: dict[str, int] = {}
    for entry in bundle["entry"]:
        res = entry["resource"]
        code = res.get("code", {}).get("coding", [{}])[0].get("code")
        if code in (fhir.PAIN_BEFORE, fhir.PAIN_AFTER):
            values[code] = res["valueQuantity"]["value"]
    return values.get(fhir.PAIN_BEFORE), values.get(fhir.PAIN_AFTER)


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([(0, 3), (1, 4), (2, 1)], (3, 1)),
        # where the history page (highest press-up) and the tables (last stored) disagreed
        ([(0, 2), (2, 5), (1, 1)], (2, 5)),
        # where the tables (last stored) and the history page (first stored) disagreed
        ([(0, 2), (2, 5), (2, 4)], (2, 4)),
        ([(0, None), (1, 6)], (None, 6)),
    ],
)
def test_history_csv_and_fhir_give_the_same_pain(
    store: Store,
    tmp_path: Path,
    ratings: list[tuple[int, int | None]],
    expected: tuple[int | None, int | None],
) -> None:
    sid = _stored(store, ratings)
    o = outcome_of(store, sid)
    assert (o.pain_before, o.pain_after) == expected
    assert _history_pain(store) == expected
    assert _csv_pain(store, tmp_path) == expected
    assert _fhir_pain(store, sid) == expected
    assert _api_pain(store, sid) == expected


def test_symptom_reports_only_give_pain_everywhere(store: Store, tmp_path: Path) -> None:
    # the tables used to leave pain empty here while the history page showed it
    sid = _stored(store, [])
    add_symptoms(
        store,
        sid,
        [{"rep": 0, "pain": 4, "location": "thigh"}, {"rep": 1, "pain": 2, "location": "back"}],
    )
    assert _history_pain(store) == (4, 2)
    assert _csv_pain(store, tmp_path) == (4, 2)
    assert _fhir_pain(store, sid) == (4, 2)
    assert _api_pain(store, sid) == (4, 2)
    (row,) = tables.collect_sessions(store)
    assert row.pain_max == 4
