"""The history page, the stored-session report, their web routes and ``pressup history``.

A real store in tmp_path holds three sessions over two weeks, each with reps from a synthetic
track run through the offline analysis and pain ratings; the newest also has its landmark
frames, so its report can be re-made from the store.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from pressup.analysis.result import Analysis
from pressup.analysis.run import analyze_track
from pressup.cli.history import history_app
from pressup.pose.track import PoseTrack
from pressup.protocol import load_spec
from pressup.protocol.spec import ProtocolSpec
from pressup.report.history import (
    CALENDAR_WEEKS,
    SessionPoint,
    hold_svg,
    pain_svg,
    render_history,
    session_report,
    week_ticks,
)
from pressup.sessions.plan import review
from pressup.sessions.records import list_decisions, set_prescription
from pressup.storage import Store
from pressup.storage.models import SessionRow
from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.app import create_app
from pressup.web.settings import Settings
from support import LOCAL

NOW = datetime(2026, 3, 18, 18, 0, tzinfo=timezone.utc)  # a Wednesday
TOKEN = "history-token-1"
#: (days before NOW, pain before, pain after)
PLAN = ((13, 4, 3), (6, 3, 2), (1, 2, 2))


@dataclass
class Populated:
    url: str
    store: Store
    spec: ProtocolSpec
    sids: list[str]
    analysis: Analysis


def _script() -> SessionScript:
    return SessionScript(
        reps=[
            RepScript("forearms", press_s=1.5, hold_s=6.0, lower_s=2.0, rest_s=3.0),
            RepScript(
                "forearms",
                press_s=1.5,
                hold_s=5.0,
                lower_s=2.0,
                rest_s=3.0,
                faults=("neck_extended",),
            ),
        ],
        noise_px=0.5,
        seed=5,
    )


@pytest.fixture(scope="module")
def session_track() -> tuple[PoseTrack, Analysis]:
    track, _ = make_session(_script())
    return track, analyze_track(track, load_spec())


def _backdate(store: Store, sid: str, when: datetime) -> None:
    with store.transaction(write=True) as s:
        row = s.get(SessionRow, sid)
        assert row is not None
        row.created_at = when
        row.updated_at = when


@pytest.fixture
def populated(tmp_path: Path, session_track: tuple[PoseTrack, Analysis]) -> Iterator[Populated]:
    track, analysis = session_track
    url = f"sqlite:///{tmp_path}/h.db"
    store = Store(url)
    sids: list[str] = []
    for i, (days, before, after) in enumerate(PLAN):
        sid = store.create_session(
            client="test",
            dose={"variant": "forearms", "target_hold_s": 5.0},
            protocol={"name": "t"},
            target_reps=2,
        )
        for rep in analysis.reps:
            store.upsert_rep(sid, rep)
        store.update_session(sid, stage="done", reps_done=analysis.rep_count, ended=True)
        store.add_pain(sid, rep=0, score=before, skipped=False, t_s=0.5)
        store.add_pain(sid, rep=1, score=None, skipped=True, t_s=9.0)
        store.add_pain(sid, rep=2, score=after, skipped=False, t_s=18.0)
        if i == len(PLAN) - 1:
            w, h = track.source.width, track.source.height
            store.append_frames(sid, track.t_s, track.data, width=w, height=h)
        _backdate(store, sid, NOW - timedelta(days=days))
        sids.append(sid)
    yield Populated(url, store, load_spec(), sids, analysis)
    store.close()


def _cells(page: str, level: str) -> list[str]:
    return re.findall(rf'class="day day-{level}[^"]*" data-date="([0-9-]+)"', page)


def test_fixture_sessions_have_reps(populated: Populated) -> None:
    for sid in populated.sids:
        reps = populated.store.list_reps(sid)
        assert len(reps) == 2 and all(r["complete"] for r in reps)


def test_page_has_rows_plots_calendar_and_reason(populated: Populated) -> None:
    page = render_history(populated.store, populated.spec, now=NOW)
    for sid in populated.sids:
        assert f'data-session="{sid}"' in page
    assert page.count('class="session-row"') == 3
    assert "4 \u2192 3" in page and "3 \u2192 2" in page and "2 \u2192 2" in page
    assert "Head tipped back" in page or "neck" in page.lower()
    assert page.count("<svg") == 3
    assert 'id="plot-trunk"' in page and 'id="plot-hold"' in page and 'id="plot-pain"' in page
    # calendar: 8 weeks of 7 days, three days with one session each (1 a day by default)
    assert page.count('class="day ') == 7 * CALENDAR_WEEKS
    marked = sorted(_cells(page, "full"))
    want = sorted((NOW - timedelta(days=d)).date().isoformat() for d, _, _ in PLAN)
    assert marked == want
    assert _cells(page, "some") == []
    # the reason shown is today's dose's (the one review gives), and viewing stored nothing
    reason = review(populated.store, populated.spec, save=False).decision.reason
    assert reason and html.escape(reason) in page
    assert list_decisions(populated.store) == []
    # self-contained: no external assets or scripts
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert 'src="' not in page and "<link" not in page


def test_calendar_counts_against_prescribed_sessions_per_day(populated: Populated) -> None:
    set_prescription(populated.store, variant="forearms", hold_s=8, reps=3, sessions_per_day=2)
    page = render_history(populated.store, populated.spec, now=NOW)
    assert len(_cells(page, "some")) == 3 and _cells(page, "full") == []
    assert "2 sessions a day" in page
    assert "your clinician" in page


def test_save_decision_stores_once(populated: Populated) -> None:
    render_history(populated.store, populated.spec, now=NOW, save_decision=True)
    render_history(populated.store, populated.spec, now=NOW, save_decision=True)
    assert len(list_decisions(populated.store)) == 1


def test_empty_store_says_no_sessions(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path}/empty.db") as store:
        page = render_history(store, load_spec(), now=NOW)
    assert "No sessions yet" in page
    assert "<svg" not in page
    assert 'id="decision-reason"' in page
    assert page.count('class="day ') == 7 * CALENDAR_WEEKS


def test_session_report_from_stored_track(populated: Populated) -> None:
    page = session_report(populated.store, populated.sids[-1], populated.spec)
    assert "Your press-up report" in page and "<svg" in page
    assert 'id="rep-table"' in page
    empty = session_report(populated.store, populated.sids[0], populated.spec)
    assert "No recording for this session" in empty


def test_web_routes_need_the_token(populated: Populated) -> None:
    settings = Settings(port=8765, token=TOKEN, database_url=populated.url, pose_assets_dir=None)
    app = create_app(settings, store=populated.store, spec=populated.spec)
    with TestClient(app, base_url=LOCAL) as client:
        assert client.get("/history").status_code == 403
        assert client.get("/history?token=wrong").status_code == 403
        r = client.get(f"/history?token={TOKEN}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.text.count('class="session-row"') == 3
        assert f"/sessions/{populated.sids[-1]}/report?token={TOKEN}" in r.text
        sid = populated.sids[-1]
        assert client.get(f"/sessions/{sid}/report").status_code == 403
        rep = client.get(f"/sessions/{sid}/report?token={TOKEN}")
        assert rep.status_code == 200 and "<svg" in rep.text
        assert client.get(f"/sessions/nope/report?token={TOKEN}").status_code == 404


def test_cli_writes_the_page_and_a_report(populated: Populated, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "o" / "history.html"
    res = runner.invoke(history_app, ["-o", str(out), "--database", populated.url])
    assert res.exit_code == 0, res.output
    assert out.is_file() and out.read_text().count('class="session-row"') == 3
    rep = tmp_path / "o" / "report.html"
    res = runner.invoke(
        history_app, ["report", populated.sids[-1], "-o", str(rep), "--database", populated.url]
    )
    assert res.exit_code == 0, res.output
    assert "<svg" in rep.read_text()
    res = runner.invoke(
        history_app, ["report", "nope", "-o", str(rep), "--database", populated.url]
    )
    assert res.exit_code != 0 and "no session" in res.output


def test_the_table_says_how_symptoms_responded_and_which_set_stopped(
    populated: Populated,
) -> None:
    from pressup.sessions.records import add_symptoms

    first, second, last = populated.sids
    # buttock before, back only after: centralising; buttock before, thigh after: a spread
    add_symptoms(
        populated.store,
        first,
        [{"rep": 0, "pain": 4, "location": "buttock"}, {"rep": 2, "pain": 3, "location": "back"}],
    )
    add_symptoms(
        populated.store,
        second,
        [{"rep": 0, "pain": 3, "location": "buttock"}, {"rep": 2, "pain": 3, "location": "thigh"}],
    )
    page = render_history(populated.store, populated.spec, NOW)
    rows = {
        sid: re.search(rf'data-session="{sid}">(.*?)</tr>', page, re.S).group(1)  # type: ignore[union-attr]
        for sid in populated.sids
    }
    assert "moved toward the spine" in rows[first]
    assert "Set stopped" not in rows[first]
    assert "spread down the leg" in rows[second]
    assert "Set stopped: symptoms spread further down the leg" in html.unescape(rows[second])
    assert '<td class="symptoms">\u2014</td>' in rows[last]  # no places rated


# -- the plots over the weeks ----------------------------------------------------------------
def _point(when: datetime, before: int | None = None, hold: float | None = None) -> SessionPoint:
    return SessionPoint(
        id=f"s{when:%m%d}",
        when=when,
        variant="Forearms",
        reps_done=3,
        target_reps=3,
        mean_hold_s=hold,
        target_hold_s=5.0,
        peak_trunk_deg=20.0,
        faults=(),
        pain_before=before,
        pain_after=None,
    )


def _days(*when: datetime) -> np.ndarray:
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    return np.array([(w - epoch).total_seconds() / 86400 for w in when])


def test_week_ticks_fall_on_the_mondays_of_known_dates() -> None:
    epoch = date(1970, 1, 1)
    # Wednesday 4 March and Monday 16 March 2026, 18:00: Mondays 2, 9 and 16 March
    (lo, hi), ticks, labels = week_ticks(
        _days(
            datetime(2026, 3, 4, 10, tzinfo=timezone.utc),
            datetime(2026, 3, 16, 18, tzinfo=timezone.utc),
        )
    )
    assert labels == ["02 Mar", "09 Mar", "16 Mar"]
    assert [epoch + timedelta(days=t) for t in ticks] == [
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
    ]
    assert lo < ticks[0] and hi > ticks[-1] + 0.75  # the Monday 18:00 session is inside
    # one session on a Wednesday: its week, Monday to Monday, both labelled
    (lo, hi), ticks, labels = week_ticks(_days(datetime(2026, 3, 18, 9, tzinfo=timezone.utc)))
    assert labels == ["16 Mar", "23 Mar"] and lo < ticks[0] <= ticks[-1] <= hi
    # twenty weeks: every third Monday, each one a Monday
    start = datetime(2026, 1, 7, tzinfo=timezone.utc)  # a Wednesday
    (_, _), ticks, labels = week_ticks(_days(start, start + timedelta(weeks=20)))
    days = [epoch + timedelta(days=t) for t in ticks]
    assert all(d.weekday() == 0 for d in days)
    assert {(b - a).days for a, b in zip(days, days[1:])} == {21}
    assert days[0] == date(2026, 1, 5) and labels[0] == "05 Jan"


def test_the_legends_list_only_the_lines_drawn() -> None:
    utc = timezone.utc
    points = [
        _point(datetime(2026, 3, 4, 10, tzinfo=utc), before=2),
        _point(datetime(2026, 3, 11, 10, tzinfo=utc), before=3),
    ]
    pain = pain_svg(points, utc)  # rated before the set only
    assert "before the set" in pain and "after the set" not in pain
    assert "02 Mar" in pain and "09 Mar" in pain
    hold = hold_svg(points, utc)  # no hold measured: only the target is drawn
    assert "target hold" in hold and "your mean hold" not in hold
    both = hold_svg([_point(p.when, hold=4.0) for p in points], utc)
    assert "target hold" in both and "your mean hold" in both
