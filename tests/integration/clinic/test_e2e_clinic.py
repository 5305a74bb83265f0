"""The clinic in a real browser, from invitation to the next dose: ``pressup serve`` as a
subprocess (its own SQLite file) and Debian's Chromium (``/usr/bin/chromium`` or
``$PRESSUP_CHROMIUM``) driven by Playwright, the patient's camera a rendered clip played as
Chromium's fake capture device (as in ``tests/integration/test_e2e_browser.py``).

A clinician signs in and invites a patient; the patient sets a password with the code, signs in
and does a short set in front of the fake camera (ended after the first counted press-up); the
clinician sees the session in the patient list, opens its replay (the stick figure is drawn on
the canvas, the timeline shows the engine's phases and the coach's cues, play and scrub move
it) and prescribes a new dose; the patient's next set page shows that dose.

Skips (with the reason) without Chromium, the ``playwright`` package, the pose runtime
(``npm ci --prefix web``) or the clip (``../shared/data`` or ``$PRESSUP_DATA``). Screenshots
of each page go to ``$PRESSUP_SCREENSHOTS/clinic-*.png`` when that is set (the docs' are made
with ``PRESSUP_SCREENSHOTS=docs/screenshots``), else to a temporary folder.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support import stop_process
from support.browser import CHROME_ARGS, CHROMIUM, REPO, SHOTS, make_mjpeg, playwright_or_skip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.data]

CLIP = "render/s03_heavy_man_hands_left_floor.mp4"  # 3 hands press-ups, 38 s, 640x480 at 30 fps
VIEWPORT = {"width": 1280, "height": 900}
PHYSIO = ("physio.e2e", "Dr Ellen Physio", "a good long password")
PATIENT_PASSWORD = "my own secret words"
PRESSUP = [sys.executable, "-c", "from pressup.cli import main; main()"]
STATE_JS = """() => {
  const P = window.__pressup || {};
  const main = document.getElementById('main');
  return {screen: main && main.dataset.stage, repsDone: P.repsDone, session: P.session,
          painOpen: !document.getElementById('pain').hidden, review: P.review || null,
          errors: P.errors || []};
}"""
#: Pixels of the replay canvas that are the figure's dark outline (not the background).
INK_JS = """() => {
  const c = document.getElementById('replay-canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 40 && d[i + 1] < 40 && d[i + 2] < 40) n++;
  return n;
}"""


def _data_dir() -> Path:
    return Path(os.environ.get("PRESSUP_DATA") or REPO.parent / "shared" / "data")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[str]:
    """``pressup serve`` on a free port with one clinician; its origin. Skips without the pose
    runtime or the clip."""
    playwright_or_skip()
    if not (_data_dir() / CLIP).is_file():
        pytest.skip(f"{_data_dir() / CLIP} not found (set PRESSUP_DATA to the shared data folder)")
    from pressup.clinic.auth import Passwords
    from pressup.sessions.clinic import create_account, upgrade
    from pressup.sessions.store import Store

    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    upgrade(url)
    store = Store(url)
    create_account(
        store,
        username=PHYSIO[0],
        display_name=PHYSIO[1],
        role="clinician",
        password_hash=Passwords(1024, 1).hash(PHYSIO[2]),
    )
    store.close()
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PRESSUP_PUBLIC_ORIGIN": origin,
        "PRESSUP_COOKIE_SECURE": "0",
        "PRESSUP_ARGON2_MEMORY_KIB": "1024",
        "PRESSUP_ARGON2_TIME_COST": "1",
        "PRESSUP_REQUIRE_SCREENING": "0",  # docs/protocol.md: "for automated tests"
    }
    env.pop("PRESSUP_TIMING", None)
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [*PRESSUP, "serve", "--database", url, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"pressup serve did not start: {(tmp_path / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{origin}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        if httpx.get(f"{origin}/vendor/pose/pose.js").status_code != 200:
            pytest.skip("the pose runtime (@mediapipe/pose) is not installed: npm ci --prefix web")
        yield origin
    finally:
        stop_process(proc)
        log.close()


@pytest.fixture
def camera(tmp_path: Path) -> Path:
    out = tmp_path / "camera.mjpeg"
    assert make_mjpeg(_data_dir() / CLIP, out) > 1000
    return out


@pytest.fixture
def chromium(camera: Path) -> Iterator[Any]:
    """Headless Chromium whose fake camera plays the clip (each context is one person)."""
    sync_playwright = playwright_or_skip()
    with sync_playwright() as pw:
        args = [*CHROME_ARGS, f"--use-file-for-fake-video-capture={camera}"]
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield browser
        browser.close()


class Person:
    """One person's browser context and page; page errors are collected."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.problems: list[str] = []
        self.page.on("pageerror", lambda exc: self.problems.append(str(exc)))

    def shot(self, name: str, *, full_page: bool = True) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"clinic-{name}.png"), full_page=full_page)

    def sign_in(self, origin: str, username: str, password: str) -> None:
        self.page.goto(f"{origin}/login")
        self.page.get_by_label("User name").fill(username)
        self.page.get_by_label("Password").fill(password)
        _submit(self.page, self.page.get_by_role("button", name="Sign in"))


def _submit(page: Any, button: Any) -> None:
    """Click a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()


def _rate(page: Any, score: int, place: str) -> None:
    page.get_by_test_id(f"pain-{score}").click()
    page.wait_for_function("() => document.getElementById('pain').dataset.step === 'place'")
    page.get_by_test_id(f"place-{place}").click()


def _short_set(page: Any) -> dict[str, Any]:
    """From the coach page: start the camera, rate before, end the set after the first counted
    press-up, answer every rating; return the page's state once the set is over and reviewed."""
    page.wait_for_function("() => typeof window.Pose === 'function'")
    page.get_by_role("button", name="Start camera").click()
    page.wait_for_function("() => !document.getElementById('pain').hidden")
    _rate(page, 2, "back")
    ended = False
    deadline = time.monotonic() + 150
    st = page.evaluate(STATE_JS)
    while not (st["screen"] == "done" and st["review"] is not None):
        if time.monotonic() > deadline:
            pytest.fail(f"the set did not end within 150 s: {st}")
        if st["painOpen"]:
            _rate(page, 2, "back")
        elif (st["repsDone"] or 0) >= 1 and not ended and st["screen"] != "done":
            page.locator("#btn-end").click()
            ended = True
        page.wait_for_timeout(200)
        st = page.evaluate(STATE_JS)
    return dict(st)


def test_invite_set_replay_and_prescribe(clinic: str, chromium: Any) -> None:
    physio = Person(chromium)
    physio.sign_in(clinic, PHYSIO[0], PHYSIO[2])
    assert physio.page.url == f"{clinic}/clinic", physio.page.content()

    # -- the clinician invites a patient
    physio.page.get_by_label("User name (lower case, no spaces)").fill("pat.e2e")
    physio.page.get_by_label("Name shown").fill("Pat Example")
    _submit(physio.page, physio.page.get_by_role("button", name="Create and invite"))
    assert "Pat Example is invited" in physio.page.locator("h1").inner_text()
    link = physio.page.locator(".box a").first.get_attribute("href")
    assert link is not None and link.startswith(f"{clinic}/invite?code=")
    physio.shot("invited")

    # -- the patient sets a password with it (signed in at once), then signs in again
    patient = Person(chromium)
    patient.page.goto(link)
    patient.page.get_by_label("New password").fill(PATIENT_PASSWORD)
    patient.page.get_by_label("The same password again").fill(PATIENT_PASSWORD)
    patient.shot("set-password")
    _submit(patient.page, patient.page.get_by_role("button", name="Set password"))
    assert patient.page.url == f"{clinic}/me"
    _submit(patient.page, patient.page.locator("header form button"))  # sign out
    assert patient.page.url == f"{clinic}/login"
    patient.sign_in(clinic, "pat.e2e", PATIENT_PASSWORD)
    assert patient.page.url == f"{clinic}/me"
    patient.shot("patient-home")

    # -- a short set in front of the fake camera
    patient.page.goto(f"{clinic}/")
    assert re.search(r"/\?token=[\w-]+$", patient.page.url), patient.page.url
    st = _short_set(patient.page)
    assert st["repsDone"] >= 1 and st["session"], st
    assert [e for e in st["errors"] if e.get("code") != "pose"] == [], st["errors"]

    # -- the clinician sees it in the list and opens its replay
    physio.page.goto(f"{clinic}/clinic")
    row = physio.page.locator("tbody tr", has_text="Pat Example")
    assert row.locator("td").nth(2).inner_text() == "1"  # sessions in 4 weeks
    assert "No session yet." not in row.inner_text()
    physio.shot("patients")
    _submit(physio.page, row.get_by_role("link", name="Pat Example"))
    sessions = physio.page.get_by_test_id("sessions").locator("tbody tr")
    assert sessions.count() == 1
    assert sessions.first.get_attribute("data-session") == st["session"]
    assert not physio.page.get_by_test_id("replay").is_visible()  # until a replay is asked for
    physio.page.get_by_test_id(f"replay-{st['session']}").click()
    try:
        physio.page.wait_for_function(
            "() => window.__replay && window.__replay.status === 'ready'"
            " && window.__replay.drawn > 0"
        )
    except Exception:  # say what the page was doing
        state = physio.page.evaluate("() => window.__replay || null")
        pytest.fail(f"the replay did not draw: {state}; page errors {physio.problems}")
    replay = physio.page.evaluate("() => ({...window.__replay})")
    assert replay["frames"] > 50, replay
    assert physio.page.evaluate(INK_JS) > 500  # the figure is drawn
    timeline = physio.page.get_by_test_id("replay-timeline")
    assert timeline.locator("#tl-phases .tl-phase").count() >= 3
    assert timeline.locator("#tl-reps .tl-rep").count() >= 1
    assert timeline.locator("#tl-cues .tl-cue").count() >= 3
    log = physio.page.get_by_test_id("replay-log").inner_text()
    assert "Press-up 1 counted" in log
    # the cues are those the coach said during this live set (stored), not re-derived ones
    assert "Coach said during the set:" in log and "(re-derived)" not in log, log
    # play moves the time on; pause holds it; the slider moves it anywhere
    physio.page.get_by_test_id("replay-play").click()
    physio.page.wait_for_function("() => window.__replay.t > 1.0 && window.__replay.playing")
    physio.page.get_by_test_id("replay-play").click()
    held = physio.page.evaluate("window.__replay.t")
    physio.page.wait_for_timeout(300)
    assert physio.page.evaluate("window.__replay.t") == held
    first_rep = physio.page.locator("#tl-reps .tl-rep").first.get_attribute("title")
    assert first_rep is not None and "counted" in first_rep
    physio.page.get_by_test_id("replay-log").locator(
        "li", has_text="Press-up 1: at the top"
    ).click()
    at_top = physio.page.evaluate("() => ({...window.__replay})")
    assert at_top["phase"] in ("pressup_hands", "sphinx", "updog", "rising"), at_top
    scrub = physio.page.get_by_test_id("replay-scrub")
    scrub.fill(str(float(scrub.get_attribute("max") or 0) / 2))
    assert abs(physio.page.evaluate("window.__replay.t") - at_top["t"]) > 0.1
    physio.page.get_by_test_id("replay-log").locator(
        "li", has_text="Press-up 1: at the top"
    ).click()
    physio.page.wait_for_timeout(200)
    physio.page.get_by_test_id("replay").screenshot(path=str(_shot_path("replay")))
    assert physio.problems == []

    # -- a new dose
    physio.page.get_by_label("Position").select_option("hands_bent")
    physio.page.get_by_label("Press-ups per set").fill("5")
    physio.page.get_by_label("Hold at the top (seconds)").fill("8")
    physio.page.get_by_label("Notes for the patient").fill("Elbows soft on the hands.")
    _submit(physio.page, physio.page.get_by_role("button", name="Prescribe"))
    assert physio.page.locator("p.alert[role=alert]").count() == 0
    assert not physio.page.get_by_test_id("replay").is_visible()
    dose_line = physio.page.locator("p", has_text="Today's dose").inner_text()
    assert "5 press-ups, 8 s hold" in dose_line and "your prescription" in dose_line, dose_line
    physio.shot("patient")

    # -- the patient's next set page says it (another day: the page keeps the finished set's id
    # for a while, to resume it after a reload; that is forgotten first)
    patient.page.evaluate("() => localStorage.clear()")
    patient.page.goto(f"{clinic}/")
    patient.page.wait_for_function("() => typeof window.Pose === 'function'")
    patient.page.get_by_role("button", name="Start camera").click()
    patient.page.wait_for_function("() => !document.getElementById('pain').hidden")
    _rate(patient.page, 1, "back")
    dose = patient.page.get_by_test_id("dose-today")
    dose.wait_for(state="visible")
    words = dose.inner_text()
    assert words.startswith("Today: 5 press-ups, 8 s hold"), words
    assert "Set by your clinician" in words and "Elbows soft on the hands." in words, words
    patient.page.wait_for_timeout(500)
    patient.shot("next-set", full_page=False)
    assert patient.problems == []


def _shot_path(name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"clinic-{name}.png"
