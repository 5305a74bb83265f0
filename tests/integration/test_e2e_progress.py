"""The progress page in a real browser: headless Chromium, the real server, keyboard and form.

Starts ``pressup coach --no-browser`` as a subprocess (its own SQLite file in a temporary
folder; no pose runtime needed) and drives Debian's Chromium (``/usr/bin/chromium``, or
``$PRESSUP_CHROMIUM``) with Playwright (``tests/support/browser.py``). Skips (with the
reason) when Chromium or the ``playwright`` package is missing. The screenshot ``progress.png``
goes to ``$PRESSUP_SCREENSHOTS`` when set (the docs use ``docs/screenshots``), otherwise to a
temporary folder.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pressup.protocol import load_spec
from pressup.safety.screening import QUESTION_IDS, QUESTIONS
from pressup.sessions.plan import review
from pressup.sessions.records import add_symptoms
from pressup.storage import Store
from support.browser import CHROMIUM, SHOTS, coach_server, playwright_or_skip

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 900}


@dataclass
class Coach:
    origin: str
    token: str
    database: str

    def page(self, path: str) -> str:
        return f"{self.origin}{path}?token={self.token}"

    def post(self, path: str, body: Any) -> Any:
        req = urllib.request.Request(
            self.page(path),
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Origin": self.origin},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())


@pytest.fixture
def coach(tmp_path: Path) -> Iterator[Coach]:
    """``pressup coach`` on a free port with its own database (no pose runtime needed)."""
    playwright_or_skip()
    with coach_server(tmp_path) as srv:
        yield Coach(srv.origin, srv.token, srv.database)


@contextmanager
def _page(**context: Any) -> Iterator[Any]:
    """A page in headless Chromium (``VIEWPORT``, the CSP bypassed, 15 s time-outs), closed
    after the ``with`` block; ``context`` goes to ``new_context``."""
    sync_playwright = playwright_or_skip()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport=VIEWPORT, bypass_csp=True, **context).new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def _good_session(store: Store) -> None:
    """Three forearm press-ups held 5.4 s of the 5 s asked, pain 1/10 in the back throughout."""
    sid = store.create_session(
        client="e2e",
        dose={"variant": "forearms", "ladder_variant": "forearms", "target_hold_s": 5.0},
        protocol={},
        target_reps=3,
    )
    for i in (1, 2, 3):
        store.upsert_rep(
            sid,
            {
                "index": i,
                "start_s": 10.0 * i,
                "hold_s": 5.4,
                "variant": "forearms",
                "peak_trunk_deg": 21.0,
                "faults": [],
            },
        )
    add_symptoms(store, sid, [{"rep": i, "pain": 1, "location": "back"} for i in range(4)])


def test_progress_page_records_a_prescription(coach: Coach) -> None:
    # a screening with no warning signs, a first decision, two good sessions and a step up
    coach.post("/api/screening", {"answers": dict.fromkeys(QUESTION_IDS, "no")})
    spec = load_spec()
    with Store(coach.database) as store:
        review(store, spec)
        _good_session(store)
        _good_session(store)
        assert review(store, spec).decision.action == "progress"

    with _page() as page:
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(coach.page("/progress"))
        page.wait_for_selector("#main[data-state='ready']")

        now = page.locator("#now-dose")
        assert now.inner_text() == "3 press-ups on your forearms, hold 10 s"
        assert page.locator("#now-from").inner_text().startswith("pressup's progression, since")
        assert "2 good sessions in a row" in page.locator("#now-reason").inner_text()
        assert page.locator("#decision-rows tr").count() == 2
        assert page.locator("#gate").is_hidden() and page.locator("#active").is_hidden()
        assert page.locator("#link-history").get_attribute("href") == (
            f"/history?token={coach.token}"
        )
        # the form starts from the dose in force
        assert page.locator("#variant-forearms").is_checked()
        assert page.locator("#hold_s").input_value() == "10"

        # a value out of range: the server's message, next to the form, with focus on it
        page.get_by_label("On your hands, elbows bent").check()
        page.get_by_label("Hold at the top").fill("15")
        page.get_by_label("Press-ups in a set").fill("50")
        page.get_by_label("Sessions a day").fill("2")
        page.get_by_role("button", name="Save the prescription").click()
        error = page.locator("#form-error")
        error.wait_for(state="visible")
        assert "Press-ups in a set: expected a value from 1 to 20, got 50" in error.inner_text()
        assert page.evaluate("document.activeElement.id") == "form-error"
        assert page.locator("#reps").get_attribute("aria-invalid") == "true"
        assert now.inner_text() == "3 press-ups on your forearms, hold 10 s"  # unchanged

        # corrected with the keyboard, then saved
        page.locator("#reps").focus()
        page.keyboard.press("Control+A")
        page.keyboard.type("4")
        page.get_by_label("Notes for the person").fill(
            "Keep your hips on the floor. Stop and call me if the pain spreads into the leg."
        )
        page.locator("#notes").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_function("window.__progress.saved === 1")
        assert error.is_hidden()
        assert now.inner_text() == (
            "4 press-ups on your hands, elbows bent, hold 15 s, twice a day"
        )
        assert page.locator("#now-from").inner_text().startswith("Set by your clinician on")
        assert "Keep your hips on the floor" in page.locator("#now-notes").inner_text()
        assert page.locator("#next-action").inner_text().lower() == "your clinician's plan"
        assert page.locator("#active").is_visible()
        assert page.evaluate("document.activeElement.id") == "saved"
        assert page.locator("#decision-rows tr").count() == 3
        assert problems == []

        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "progress.png"), full_page=True)

        # ending it hands the dose back to pressup's progression
        page.get_by_role("button", name="End the clinician's prescription").click()
        page.wait_for_function("document.getElementById('active').hidden")
        assert page.locator("#now-from").inner_text().startswith("pressup's progression")
        assert "carries on from 4 press-ups" in page.locator("#saved").inner_text()
        assert problems == []


def _past_session(store: Store, days_ago: float, k: int) -> None:
    """A stored session ``days_ago`` days back: the ``k``-th of a steady progression."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from pressup.storage.models import SessionRow

    hold = 5.0 if k < 4 else 10.0
    sid = store.create_session(
        client="e2e",
        dose={"variant": "forearms", "ladder_variant": "forearms", "target_hold_s": hold},
        protocol={},
        target_reps=3,
    )
    for i in (1, 2, 3):
        store.upsert_rep(
            sid,
            {
                "index": i,
                "start_s": 20.0 * i,
                "hold_s": hold + 0.3 * (i - 1),
                "variant": "forearms",
                "peak_trunk_deg": 14.0 + 1.5 * k + i,
                "faults": ["shoulders_shrugged"] if k < 2 and i == 3 else [],
            },
        )
    pain = max(0, 4 - k // 2)
    add_symptoms(
        store,
        sid,
        [
            {"rep": 0, "pain": pain, "location": "buttock" if k < 3 else "back"},
            {"rep": 3, "pain": max(0, pain - 1), "location": "back"},
        ],
    )
    when = datetime.now(timezone.utc) - timedelta(days=days_ago)
    with store.transaction(write=True) as s:
        s.execute(update(SessionRow).where(SessionRow.id == sid).values(created_at=when))


def test_screening_then_history_with_downloads(coach: Coach) -> None:
    """Answer the safety questions in the browser (a disc problem: start gently), then look at
    the history of two sessions and download the sessions table from it."""
    with _page(accept_downloads=True) as page:
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(coach.page("/screen"))
        page.wait_for_selector("#main[data-state='questions']")
        for qid in QUESTION_IDS:
            answer = "yes" if qid == "herniated_disc" else "no"
            page.locator(f"input[name='{qid}'][value='{answer}']").check()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / "screening.png"))
        page.get_by_role("button", name="See the result").click()
        page.wait_for_selector("#main[data-state='outcome']")
        outcome = page.locator("#outcome").inner_text()
        assert "forearms" in outcome.lower(), outcome
        page.screenshot(path=str(SHOTS / "screening-outcome.png"))

        with Store(coach.database) as store:
            for k in range(8):  # four weeks, twice a week: higher, longer, less pain
                _past_session(store, days_ago=27 - 3.5 * k, k=k)
        page.goto(coach.page("/history"))
        assert page.locator("tr.session-row").count() == 8
        # the session table's header fits: no column cut off at the right
        fit = page.evaluate(
            """() => { const w = document.querySelector('.table-wrap');
                 const right = w.getBoundingClientRect().right;
                 return [w.scrollWidth - w.clientWidth,
                         [...document.querySelectorAll('#session-table th')]
                           .filter((th) => th.getBoundingClientRect().right > right + 0.5)
                           .map((th) => th.textContent)]; }"""
        )
        assert fit == [0, []], fit
        assert page.locator("#dl-fhir option").count() == 8
        with page.expect_download() as info:
            page.locator("#dl-sessions-csv").click()
        download = info.value
        assert download.suggested_filename == "pressup-sessions.csv"
        lines = Path(download.path()).read_text().splitlines()
        assert len(lines) == 9 and lines[0].startswith("source,session_id")
        page.screenshot(path=str(SHOTS / "history.png"), full_page=True)
        assert problems == []


def test_screening_error_count_follows_the_answers(coach: Coach) -> None:
    """Submitting with open questions says how many; each answer updates that count, and the
    message goes once every question is answered (it used to stay, stale)."""
    with _page() as page:
        page.goto(coach.page("/screen"))
        page.wait_for_selector("#main[data-state='questions']")
        ids = list(QUESTION_IDS)
        page.locator(f"input[name='{ids[0]}'][value='no']").check()
        page.get_by_role("button", name="See the result").click()
        error = page.locator("#form-error")
        n = len(ids) - 1
        assert f"{n} questions have no answer yet" in error.inner_text()
        page.locator(f"input[name='{ids[1]}'][value='no']").check()
        assert f"{n - 1} questions have no answer yet" in error.inner_text()
        for qid in ids[2:]:
            page.locator(f"input[name='{qid}'][value='no']").check()
        assert error.is_hidden()
        assert page.locator("fieldset.q-missing").count() == 0


def test_a_warning_sign_goes_straight_to_seek_care(coach: Coach) -> None:
    """A "yes" to a red-flag question shows "seek medical care now" at once: the remaining
    questions are not asked first."""
    red = [q.id for q in QUESTIONS if q.group == "red_flag"]
    with _page() as page:
        page.goto(coach.page("/screen"))
        page.wait_for_selector("#main[data-state='questions']")
        page.locator(f"input[name='{red[0]}'][value='no']").check()
        page.locator(f"input[name='{red[1]}'][value='yes']").check()
        page.wait_for_selector("#main[data-state='outcome']")
        assert "seek medical care now" in page.locator("#outcome").inner_text().lower()
        assert page.locator("#go").is_hidden()


def test_after_a_safety_stop_the_main_action_is_rest_not_start_again(coach: Coach) -> None:
    """The done screen of a set stopped by the symptom rules offers rest and the next dose; a
    finished set offers to start again."""
    with _page() as page:
        page.goto(coach.page("/"))
        render = (
            "async (stopped) => { const ui = await import('/static/ui.js');"
            " ui.renderDone({repsDone: 1, target: 3, reps: [], pain: new Map(),"
            " targetHold: 5, stopped: stopped ? {reason: 'Symptoms spread to the thigh.'}"
            " : null}); const b = document.getElementById('start-again');"
            " return [b.textContent, b.dataset.action]; }"
        )
        text, action = page.evaluate(render, True)
        assert text == "Rest now, then see your next dose" and action == "progress"
        text, action = page.evaluate(render, False)
        assert text == "Start again" and action == "restart"
