"""Tests of the HTML report and the overlay video, on hand-built analyses (no pose model)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from pressup.analysis.result import FRAME_COLUMNS, Analysis, Fault, FrameTable, Rep, Segment
from pressup.pose.track import LANDMARK_INDEX, N_LANDMARKS, PoseTrack, TrackSource
from pressup.report import plots, write_overlay, write_report
from pressup.report.html import render_report, summarize
from pressup.wording import FAULT_WORDING, LABEL_WORDING

MALICIOUS = "<script>alert(1)</script>"

# --------------------------------------------------------------------------------------------
# fake analyses

SEGMENTS = [
    (0.0, 3.0, "prone_flat"),
    (3.0, 5.0, "rising"),
    (5.0, 13.0, "sphinx"),
    (13.0, 16.0, "lowering"),
    (16.0, 18.0, "prone_flat"),
    (18.0, 19.5, "rising"),
    (19.5, 23.5, "pressup_hands"),
    (23.5, 24.5, "lowering"),
    (24.5, 27.0, "prone_flat"),
    (27.0, 30.0, "not_visible"),
]


def _frames_from_segments(
    segments: list[tuple[float, float, str]], fps: float, n: int
) -> FrameTable:
    """Per-frame series consistent with ``segments``: trunk ramps up while rising, etc."""
    t = np.arange(n, dtype=np.float64) / fps
    label = ["not_visible"] * n
    trunk = np.zeros(n)
    elbow = np.full(n, 90.0)
    for start, end, lab in segments:
        sel = (t >= start) & (t < end)
        for i in np.flatnonzero(sel):
            label[i] = lab
        frac = (t[sel] - start) / max(end - start, 1e-9)
        peak = 55.0 if t[sel].size and start >= 18.0 else 35.0
        if lab == "rising":
            trunk[sel] = peak * frac
        elif lab in ("sphinx", "pressup_hands"):
            trunk[sel] = peak
            elbow[sel] = 90.0 if lab == "sphinx" else 175.0
        elif lab == "lowering":
            trunk[sel] = peak * (1.0 - frac)
    hip = trunk * 0.8
    neck = 5.0 + 20.0 * ((t >= 8.0) & (t < 10.0))
    tracked = np.array([lab != "not_visible" for lab in label])
    cols = {
        "t_s": t,
        "trunk_deg": trunk,
        "elbow_deg": elbow,
        "hip_ext_deg": hip,
        "neck_deg": neck,
        "shrug_ratio": np.full(n, 0.6),
        "hip_lift": np.full(n, np.nan),  # a column that was never measured
    }
    for name, arr in cols.items():
        if name != "t_s":
            arr[~tracked] = np.nan
    cols["elbow_deg"][40:45] = np.nan  # a short gap inside tracked frames
    return FrameTable(columns=cols, label=label, tracked=tracked)


def make_analysis(source_path: str = "/videos/session.mp4") -> Analysis:
    """Two reps over a 30 s video at 10 fps (300 frames); the last 3 s are not visible."""
    f_neck = Fault("neck_extended", 8.0, 10.0, rep=1)
    f_elbow = Fault("elbows_locked", 20.0, 23.0, rep=2)
    f_fast = Fault("fast_lowering", 23.5, 24.5, rep=2)
    f_short = Fault("short_hold", 19.5, 23.5, rep=2)
    f_hips = Fault("hips_lifted", 16.5, 17.0, rep=None)
    reps = [
        Rep(1, 3.0, 5.0, 13.0, 16.0, 2.0, 8.0, 3.0, "forearms", 35.0, 90.0, [f_neck], True),
        Rep(
            2, 18.0, 19.5, 23.5, 24.5, 1.5, 4.0, 1.0, "hands", 55.0, 175.0,
            [f_elbow, f_short, f_fast], True,
        ),
    ]  # fmt: skip
    return Analysis(
        source={"path": source_path, "fps": 10.0, "width": 640, "height": 360},
        pose={"backend": "synthetic", "model": "none"},
        view={"side": "left", "yaw_deg": 5.0},
        reps=reps,
        segments=[Segment(a, b, lab) for a, b, lab in SEGMENTS],
        faults=[f_neck, f_hips, f_elbow, f_short, f_fast],
        protocol={
            "name": "mckenzie_eil",
            "version": "1",
            "target_hold_s": 10,
            "target_reps": 3,
            "min_lowering_s": 2.0,
            "variant": "forearms",
        },
        frames=_frames_from_segments(SEGMENTS, 10.0, 300),
    )


def make_empty_analysis(n: int = 200, visible: bool = False) -> Analysis:
    """No reps. Not visible at all (all-NaN columns), or lying flat the whole time."""
    label = "prone_flat" if visible else "not_visible"
    t = np.arange(n, dtype=np.float64) / 10.0
    cols = {c: np.full(n, np.nan) for c in FRAME_COLUMNS}
    cols["t_s"] = t
    if visible:
        cols["trunk_deg"] = np.zeros(n)
    return Analysis(
        source={"path": "/videos/empty.mp4"},
        pose={"backend": "synthetic"},
        view={},
        reps=[],
        segments=[Segment(0.0, n / 10.0, label)] if n else [],
        faults=[],
        protocol={"name": "mckenzie_eil", "target_hold_s": [5, 30], "target_reps": [3, 5]},
        frames=FrameTable(columns=cols, label=[label] * n, tracked=np.full(n, visible)),
    )


# --------------------------------------------------------------------------------------------
# HTML helpers


class _RowParser(HTMLParser):
    """Collects the text cells of ``<tr class="rep">`` rows."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self._row: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and a.get("class") == "rep":
            self._row = a["data-rep"] or ""
            self.rows[self._row] = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self.rows[self._row].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _rep_cells(html: str) -> dict[str, list[str]]:
    p = _RowParser()
    p.feed(html)
    return p.rows


def _assert_self_contained(html: str) -> None:
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "<img" not in html.lower()
    assert not re.search(r"<[a-zA-Z][^>]*\ssrc\s*=", html)  # no tag loads anything
    hrefs = re.findall(r"<[a-zA-Z][^>]*?href\s*=\s*\"([^\"]*)\"", html)
    assert all(h.startswith("#") for h in hrefs), hrefs  # only in-document references
    assert "url(http" not in html and "@import" not in html


# --------------------------------------------------------------------------------------------
# HTML report


def test_report_written_with_rep_table_and_plots(tmp_path: Path) -> None:
    out = write_report(make_analysis(), tmp_path / "sub" / "report.html")
    assert out == tmp_path / "sub" / "report.html"
    assert out.is_file()
    html = out.read_text(encoding="utf-8")

    rows = _rep_cells(html)
    assert list(rows) == ["1", "2"]
    assert rows["1"] == [
        "1", "Forearms", "2.0", "8.0", "3.0", "35°", "90°", "Head tipped back", "yes",
    ]  # fmt: skip
    # the plan was on the forearms: the press-up on the hands is marked
    assert rows["2"][:7] == ["2", "Hands (plan: forearms)", "1.5", "4.0", "1.0", "55°", "175°"]
    assert html.count('class="variant off-plan"') == 1
    assert rows["2"][7] == "Elbows locked straight; Came down quickly; Hold shorter than planned"
    assert rows["2"][8] == "yes"

    # one inline SVG per plot: angles over time, and hold/lowering per rep
    assert html.count("<svg") == 2
    assert html.count("</svg>") == 2
    _assert_self_contained(html)


def test_press_ups_that_did_not_count_are_listed_with_their_reason() -> None:
    from dataclasses import replace

    from pressup.wording import NOT_COUNTED_WORDING

    base = make_analysis()
    unseen = replace(base.reps[1], complete=False, not_counted="lowering_not_seen")
    analysis = replace(
        base,
        reps=[base.reps[0], unseen],
        events=[{"t_s": 26.0, "kind": "rep_abandoned", "rep": 2, "code": "plank"}],
    )
    html = render_report(analysis)
    assert 'id="not-counted"' in html
    assert "Press-ups that did not count" in html
    section = html[html.index('id="not-counted"') :]
    assert "Press-up 2</strong> (at 18.0 s)" in section
    assert NOT_COUNTED_WORDING["lowering_not_seen"].reason in section
    assert "An attempt</strong> (at 26.0 s)" in section
    assert NOT_COUNTED_WORDING["plank"].reason in section
    # press-ups that all counted: no such list
    assert 'id="not-counted"' not in render_report(make_analysis())


def test_summary_wording(tmp_path: Path) -> None:
    html = render_report(make_analysis())
    assert "You completed 2 of the 3 press-ups planned." in html
    assert "6.0 seconds" in html  # average hold (8 + 4) / 2
    assert "target 10 s" in html
    assert "1 of 2 press-ups came down a little quickly" in html
    assert "aim for 2 s or more" in html
    assert "your plan: on the forearms" in html
    assert "You did 1 press-up on the forearms and 1 on the hands." in html
    assert "Tracking was lost for 10% of the video" in html  # 30 of 300 frames
    assert "hip lift" in html  # the never-measured column is named
    for code in FAULT_WORDING:
        assert f'id="fault-{code}"' in html  # the glossary covers every fault code
    for words in LABEL_WORDING.values():
        assert words.name in html
    # form points ranked and worded kindly; hips seen only between reps
    s = summarize(make_analysis())
    assert [w.code for w in s.work_on] == ["elbows_locked", "neck_extended", "hips_lifted"]
    assert s.work_on[-1].where == "seen 1 time between press-ups"


def test_report_escapes_malicious_source(tmp_path: Path) -> None:
    analysis = make_analysis(source_path=f"/videos/{MALICIOUS}.mp4")
    analysis.view["note"] = '"><img src=x onerror=alert(2)>'
    html = write_report(analysis, tmp_path / "r.html").read_text(encoding="utf-8")
    assert MALICIOUS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    _assert_self_contained(html)


def test_report_zero_reps_not_visible(tmp_path: Path) -> None:
    html = write_report(make_empty_analysis(), tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No complete press-ups were found in this video." in html
    assert 'id="zero-reps"' in html
    assert "The camera could not see you clearly at any point." in html
    assert "Nothing could be judged" in html
    assert _rep_cells(html) == {}
    assert "No press-ups to list" in html
    assert html.count("<svg") == 1  # no per-rep chart without reps
    assert "Not measured in this video" in html  # all-NaN panels say so
    assert "3\u20135" in html  # a target range is shown as a range
    _assert_self_contained(html)


def test_report_zero_reps_lying_still() -> None:
    s = summarize(make_empty_analysis(visible=True))
    assert s.zero_reps
    assert any("did not see the chest rise" in r for r in s.zero_reasons)


def test_report_no_frames(tmp_path: Path) -> None:
    html = write_report(make_empty_analysis(n=0), tmp_path / "r.html").read_text()
    assert "No complete press-ups" in html
    assert html.count("<svg") == 1


def test_long_video_plot_is_thinned() -> None:
    fps, n = 30.0, 120_000  # a bit over an hour
    segs = [(float(k * 20), float(k * 20 + 20), "prone_flat") for k in range(200)]
    analysis = make_analysis()
    analysis.frames = _frames_from_segments(segs, fps, n)
    analysis.segments = [Segment(a, b, lab) for a, b, lab in segs]
    svg = plots.angles_svg(analysis)
    assert svg.startswith("<svg")
    assert len(svg) < 1_500_000
    assert "(minutes:seconds)" in svg


def test_thin_indices_and_runs() -> None:
    idx = plots.thin_indices(10_001, 1000)
    assert idx[0] == 0 and idx[-1] == 10_000
    assert len(idx) <= 1002
    assert np.all(np.diff(idx) > 0)
    assert list(plots.thin_indices(5, 1000)) == [0, 1, 2, 3, 4]
    assert plots.runs(np.array([True, True, False, True])) == [(0, 2), (3, 4)]
    assert plots.runs(np.array([], dtype=bool)) == []


# --------------------------------------------------------------------------------------------
# overlay video

W, H, N_FRAMES, FPS = 160, 120, 20, 10.0
BACKGROUND = 60
SKELETON = {
    "left_ear": (28.0, 52.0),
    "left_shoulder": (45.0, 60.0),
    "left_elbow": (45.0, 90.0),
    "left_wrist": (75.0, 90.0),
    "left_hip": (115.0, 62.0),
    "left_knee": (140.0, 66.0),
    "left_ankle": (155.0, 70.0),
}
PERSON_FRAMES = 15  # frames 15..19 have no person


def _synthetic_video(path: Path) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (W, H))
    assert writer.isOpened()
    for _ in range(N_FRAMES):
        writer.write(np.full((H, W, 3), BACKGROUND, dtype=np.uint8))
    writer.release()
    return path


def _synthetic_track() -> PoseTrack:
    data = np.full((N_FRAMES, N_LANDMARKS, 4), np.nan)
    data[:, :, 3] = 0.0
    for name, (x, y) in SKELETON.items():
        j = LANDMARK_INDEX[name]
        data[:PERSON_FRAMES, j] = (x, y, 0.0, 0.99)
    return PoseTrack(
        t_s=np.arange(N_FRAMES) / FPS,
        data=data,
        source=TrackSource("synthetic", "none", None, W, H, FPS),
    )


def _overlay_analysis() -> Analysis:
    segs = [(0.0, 0.5, "prone_flat"), (0.5, 0.8, "rising"), (0.8, 1.4, "sphinx"),
            (1.4, 1.5, "lowering"), (1.5, 2.0, "not_visible")]  # fmt: skip
    rep = Rep(1, 0.5, 0.8, 1.4, 1.5, 0.3, 0.6, 0.1, "forearms", 30.0, 90.0, [], True)
    return Analysis(
        source={"path": "synthetic.mp4"},
        pose={},
        view={},
        reps=[rep],
        segments=[Segment(a, b, lab) for a, b, lab in segs],
        faults=[Fault("fast_lowering", 1.4, 1.5, rep=1)],
        protocol={"target_hold_s": 0.5},
        frames=_frames_from_segments(segs, FPS, N_FRAMES),
    )


def _read_all(path: Path) -> list[npt.NDArray[np.uint8]]:
    cap = cv2.VideoCapture(str(path))
    frames: list[npt.NDArray[np.uint8]] = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(np.asarray(frame, dtype=np.uint8))
    cap.release()
    return frames


def test_overlay_draws_skeleton(tmp_path: Path) -> None:
    video = _synthetic_video(tmp_path / "in.mp4")
    calls: list[tuple[int, int]] = []
    out = write_overlay(
        video,
        _synthetic_track(),
        _overlay_analysis(),
        tmp_path / "out" / "overlay.webm",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert out.is_file()
    frames = _read_all(out)
    assert len(frames) == N_FRAMES
    assert all(f.shape == (H, W, 3) for f in frames)
    assert calls[-1] == (N_FRAMES, N_FRAMES)
    assert len(calls) == N_FRAMES

    # Midpoints of the shoulder-hip and shoulder-elbow bones: drawn while a person is seen.
    probes = [(80, 61), (45, 75)]
    for i in (0, 5, PERSON_FRAMES - 1):
        for x, y in probes:
            patch = frames[i][y - 1 : y + 2, x - 1 : x + 2].astype(int)
            assert np.abs(patch - BACKGROUND).max() > 60, (i, x, y)
    for x, y in probes:  # no person: background stays (up to compression noise)
        patch = frames[N_FRAMES - 1][y - 1 : y + 2, x - 1 : x + 2].astype(int)
        assert np.abs(patch - BACKGROUND).max() < 25
    # the top text band darkens the first rows
    assert frames[0][2:6, :].mean() < BACKGROUND - 10


def test_overlay_missing_video(tmp_path: Path) -> None:
    from pressup.errors import InputError

    with pytest.raises(InputError):
        write_overlay(
            tmp_path / "nope.mp4", _synthetic_track(), _overlay_analysis(), tmp_path / "o.webm"
        )


def test_overlay_is_webm_that_browsers_play(tmp_path: Path) -> None:
    """An .mp4 name is refused before any work (OpenCV's MPEG-4 Part 2 will not play in a
    browser); the .webm written is VP8."""
    from pressup.errors import InputError
    from pressup.report.overlay import check_overlay_path

    with pytest.raises(InputError, match=r"\.webm"):
        check_overlay_path(tmp_path / "o.mp4")
    video = _synthetic_video(tmp_path / "in.mp4")
    out = write_overlay(video, _synthetic_track(), _overlay_analysis(), tmp_path / "o.webm")
    head = out.read_bytes()[:64]
    assert head[:4] == bytes.fromhex("1a45dfa3")  # EBML: a Matroska/WebM file
    assert b"webm" in head
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little") == b"VP80"
    cap.release()


def test_report_odd_values_and_no_protocol(tmp_path: Path) -> None:
    """An unfinished rep with unknown (NaN) numbers, an unknown fault code, no targets."""
    analysis = make_analysis()
    nan = float("nan")
    odd = Rep(3, 27.5, nan, nan, nan, nan, nan, nan, "hands", nan, nan, [], False)
    analysis.reps.append(odd)
    analysis.faults.append(Fault("wobbly_knees", 28.0, 28.0, rep=3))
    analysis.protocol = {}
    html = write_report(analysis, tmp_path / "r.html").read_text(encoding="utf-8")
    rows = _rep_cells(html)
    assert rows["3"] == ["3", "Hands", "\u2014", "\u2014", "\u2014", "\u2014", "\u2014",
                         "Wobbly knees", "no"]  # fmt: skip
    assert "You completed 2 press-ups." in html
    assert "plus 1 unfinished attempt" in html
    assert html.count("<svg") == 2


def test_the_report_praises_only_what_it_judged() -> None:
    """One press-up: the head and shoulders are never judged, so never praised."""
    from pressup.analysis.run import analyze_track
    from pressup.protocol import load_spec
    from pressup.report.html import summarize
    from pressup.synthetic import RepScript, SessionScript, make_session

    one = SessionScript(reps=[RepScript("hands", press_s=2.0, hold_s=6.0, lower_s=2.5, rest_s=3.0)])
    track, _ = make_session(one)
    s = summarize(analyze_track(track, load_spec()))
    praise = " ".join(s.went_well)
    assert "hips down" in praise
    assert "head in line" not in praise and "shoulders relaxed" not in praise
    assert any("could not judge your head or your shoulders" in c for c in s.camera), s.camera


def test_the_report_praises_the_head_once_it_was_judged() -> None:
    from pressup.analysis.run import analyze_track
    from pressup.protocol import load_spec
    from pressup.report.html import summarize
    from pressup.synthetic import RepScript, SessionScript, make_session

    reps = [RepScript("hands", press_s=2.0, hold_s=6.0, lower_s=2.5, rest_s=3.0)] * 3
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.3, seed=2))
    s = summarize(analyze_track(track, load_spec()))
    assert "head in line" in " ".join(s.went_well)
    assert not any("could not judge" in c for c in s.camera), s.camera


def test_each_press_up_says_its_posture_and_one_off_the_plan_is_marked() -> None:
    from pressup.report.html import rep_rows

    analysis = make_analysis()
    analysis.protocol = dict(analysis.protocol, variant="hands")
    rows = rep_rows(analysis)
    assert [(r.variant, r.off_plan) for r in rows] == [
        ("Forearms (plan: hands)", True),
        ("Hands", False),
    ]
    analysis.protocol = {}  # no plan known: the posture alone, nothing marked
    assert [(r.variant, r.off_plan) for r in rep_rows(analysis)] == [
        ("Forearms", False),
        ("Hands", False),
    ]
