"""The command-line interface: outputs of ``analyze``/``demo``/``track``/``protocol``, and every
user error as one clear line with its own exit code, never a traceback.

Fast: synthetic tracks, and MediaPipe only on a few tiny generated videos.
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
import traceback
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from typer.testing import CliRunner, Result

from pressup.analysis.result import ANALYSIS_SCHEMA, FAULT_CODES, LABELS
from pressup.cli import app
from pressup.errors import (
    InputError,
    NoPersonError,
    PressupError,
    SpecError,
    ViewError,
)
from pressup.pose import LANDMARK_INDEX, PoseTrack, load_track
from pressup.protocol import default_spec_text
from pressup.synthetic import RepScript, SessionScript, Truth, make_session
from support import shared_data_root

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11 only
    import tomli as tomllib

FRAMES_HEADER = "t_s,trunk_deg,elbow_deg,hip_ext_deg,neck_deg,shrug_ratio,hip_lift,label,tracked"
REP_KEYS = {
    "index",
    "start_s",
    "top_start_s",
    "top_end_s",
    "end_s",
    "press_s",
    "hold_s",
    "lower_s",
    "variant",
    "peak_trunk_deg",
    "peak_elbow_deg",
    "faults",
    "complete",
    "not_counted",
}
FAULT_KEYS = {"code", "start_s", "end_s", "rep"}
SOURCE_KEYS = {"path", "fps", "frames", "duration_s", "width", "height", "rotation_deg"}
VIEW_KEYS = {
    "side",
    "tracked_fraction",
    "floor_tilt_deg",
    "shoulder_spread",
    "raised_fraction",
    "judged",
}
PROTOCOL_KEYS = {"name", "version", "target_hold_s", "target_reps", "min_lowering_s", "variant"}
#: analysis.json's protocol block: the dose judged against, and where it came from.
ANALYSIS_PROTOCOL_KEYS = PROTOCOL_KEYS | {"dose_source", "dose_reason"}

# --------------------------------------------------------------------------------------------
# helpers


def run(*args: str | Path) -> Result:
    """Invoke the CLI in-process; fail on any exception other than a clean exit."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        pytest.fail(f"pressup {' '.join(map(str, args))} raised instead of exiting:\n{tb}")
    assert "Traceback" not in result.output
    return result


def assert_user_error(result: Result, error: type[PressupError], needle: str) -> str:
    """``result`` exited with ``error``'s code and said so in one line naming ``needle``."""
    assert result.exit_code == error.exit_code, (result.exit_code, result.output)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    assert lines[0].startswith("error: "), lines[0]
    assert needle.lower() in lines[0].lower(), (needle, lines[0])
    assert result.stdout.strip() == ""
    return lines[0]


def write_video(
    path: Path, frames: list[npt.NDArray[np.uint8]], fps: float = 30.0, fourcc: str = "mp4v"
) -> Path:
    h, w = frames[0].shape[:2]
    code = cv2.VideoWriter_fourcc(*fourcc)  # type: ignore[attr-defined]
    writer = cv2.VideoWriter(str(path), code, fps, (w, h))
    assert writer.isOpened(), f"OpenCV cannot write {path}"
    for f in frames:
        writer.write(f)
    writer.release()
    assert path.stat().st_size > 0
    return path


def short_script(**kw: object) -> SessionScript:
    """Two reps (forearms, then hands with the head tipped back), a little noise: ~32 s."""
    reps = [
        RepScript("forearms", press_s=2.0, hold_s=6.0, lower_s=2.5, rest_s=3.0),
        RepScript(
            "hands", press_s=2.0, hold_s=6.0, lower_s=2.5, rest_s=3.0, faults=("neck_extended",)
        ),
    ]
    return SessionScript(reps=reps, noise_px=1.0, seed=3, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def session() -> tuple[PoseTrack, Truth]:
    return make_session(short_script())


@pytest.fixture(scope="module")
def track_file(session: tuple[PoseTrack, Truth], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session[0].save(tmp_path_factory.mktemp("tracks") / "session.npz")


@pytest.fixture(scope="module")
def analysed(track_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    out = tmp_path_factory.mktemp("analyze") / "out"
    return run("analyze", track_file, "--out", out), out


@pytest.fixture(scope="module")
def small_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid 64-frame 160x120 mp4 of noise."""
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(64)]
    return write_video(tmp_path_factory.mktemp("video") / "small.mp4", frames)


@pytest.fixture(scope="module")
def blank_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """15 frames of plain colour: nobody in them."""
    frames = [np.full((120, 160, 3), (40 + 10 * i, 120, 200), dtype=np.uint8) for i in range(15)]
    return write_video(tmp_path_factory.mktemp("video") / "blank.mp4", frames, fps=15.0)


# --------------------------------------------------------------------------------------------
# analyze: outputs


def test_analyze_track_file_succeeds(
    analysed: tuple[Result, Path], session: tuple[PoseTrack, Truth]
) -> None:
    result, out = analysed
    assert result.exit_code == 0, result.output
    assert f"{session[1].rep_count} complete press-up(s)" in result.stdout
    assert result.stderr.strip() == ""
    for name in ("analysis.json", "frames.csv", "report.html", "events.json"):
        assert (out / name).is_file(), name
    # README: every analysis folder holds the (re-analysable) landmark track
    back = load_track(out / "track.npz")
    np.testing.assert_allclose(back.data, session[0].data, rtol=1e-5, atol=1e-3)


def test_analysis_json_contract(
    analysed: tuple[Result, Path], session: tuple[PoseTrack, Truth]
) -> None:
    track, truth = session
    doc = json.loads((analysed[1] / "analysis.json").read_text())
    assert doc["schema"] == ANALYSIS_SCHEMA == "pressup.analysis/1"
    assert set(doc) >= {
        "schema",
        "source",
        "pose",
        "view",
        "rep_count",
        "reps",
        "segments",
        "faults",
        "protocol",
    }
    assert set(doc["source"]) == SOURCE_KEYS
    assert doc["source"]["frames"] == track.n_frames
    assert doc["source"]["duration_s"] == pytest.approx(track.duration_s, abs=1e-3)
    assert (doc["source"]["width"], doc["source"]["height"]) == (960, 540)
    assert doc["pose"] == {"backend": "synthetic", "model": "stick-figure"}
    assert set(doc["view"]) == VIEW_KEYS
    assert doc["view"]["side"] == "left"
    assert set(doc["protocol"]) == ANALYSIS_PROTOCOL_KEYS
    assert doc["protocol"]["dose_source"] == "protocol"  # no --plan: the protocol file's dose
    assert doc["protocol"]["target_hold_s"] == 10.0

    assert doc["rep_count"] == truth.rep_count == 2
    assert len(doc["reps"]) >= doc["rep_count"]
    assert sum(1 for r in doc["reps"] if r["complete"]) == doc["rep_count"]
    for i, rep in enumerate(doc["reps"], 1):
        assert set(rep) == REP_KEYS, rep
        assert rep["index"] == i
        assert rep["start_s"] <= rep["top_start_s"] <= rep["top_end_s"] <= rep["end_s"]
        assert rep["variant"] in ("forearms", "hands")
        for f in rep["faults"]:
            assert set(f) == FAULT_KEYS and f["rep"] == i
    assert [r["variant"] for r in doc["reps"]] == ["forearms", "hands"]

    segs = doc["segments"]
    assert segs and segs[0]["start_s"] == 0.0
    for a, b in zip(segs, segs[1:]):
        assert a["end_s"] == b["start_s"], (a, b)
        assert a["label"] != b["label"], (a, b)
    for s in segs:
        assert set(s) == {"start_s", "end_s", "label"}
        assert s["end_s"] > s["start_s"] and s["label"] in LABELS
    assert segs[-1]["end_s"] == pytest.approx(doc["source"]["duration_s"], abs=1e-3)

    assert isinstance(doc["faults"], list)
    for f in doc["faults"]:
        assert set(f) == FAULT_KEYS and f["code"] in FAULT_CODES
        assert f["end_s"] >= f["start_s"]
    assert "neck_extended" in {f["code"] for f in doc["faults"]}


def test_frames_csv(analysed: tuple[Result, Path], session: tuple[PoseTrack, Truth]) -> None:
    track = session[0]
    text = (analysed[1] / "frames.csv").read_text()
    assert text.splitlines()[0] == FRAMES_HEADER
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) == track.n_frames
    t = np.array([float(r["t_s"]) for r in rows])
    np.testing.assert_allclose(t, track.t_s, atol=1e-3)
    assert {r["label"] for r in rows} <= set(LABELS)
    assert {r["tracked"] for r in rows} <= {"0", "1"}
    assert sum(r["tracked"] == "1" for r in rows) > 0.9 * len(rows)
    trunk = [float(r["trunk_deg"]) for r in rows if r["trunk_deg"]]
    assert trunk and all(math.isfinite(v) for v in trunk)
    assert max(trunk) > 30.0  # the hands rep is scripted at 38 degrees


def test_events_json(analysed: tuple[Result, Path]) -> None:
    out = analysed[1]
    events = json.loads((out / "events.json").read_text())
    doc = json.loads((out / "analysis.json").read_text())
    assert isinstance(events, list) and events
    assert all({"t_s", "kind"} <= set(e) for e in events)
    assert all(0.0 <= e["t_s"] <= doc["source"]["duration_s"] for e in events)
    completed = [e["index"] for e in events if e["kind"] == "rep_completed"]
    assert completed == [r["index"] for r in doc["reps"] if r["complete"]]
    assert len(completed) == doc["rep_count"]


def test_report_html(analysed: tuple[Result, Path]) -> None:
    html = (analysed[1] / "report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "</html>" in html


# --------------------------------------------------------------------------------------------
# analyze: batch mode


def test_batch_records_failures_and_keeps_going(track_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.touch()
    out = tmp_path / "out"
    result = run("analyze", bad, track_file, "--out", out)
    assert result.exit_code == 1
    assert "1 of 2 input(s) could not be analysed" in result.stderr
    good_dir = out / track_file.stem
    for name in ("analysis.json", "frames.csv", "report.html", "events.json"):
        assert (good_dir / name).is_file(), name
    assert not (good_dir / "error.json").exists()
    err = json.loads((out / "broken" / "error.json").read_text())
    assert err["error"] == "InputError"
    assert err["input"] == str(bad)
    assert "empty" in err["message"]
    assert not (out / "broken" / "analysis.json").exists()


def test_batch_success_clears_an_old_error(track_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / track_file.stem).mkdir(parents=True)
    (out / track_file.stem / "error.json").write_text("{}\n")
    result = run("analyze", track_file, track_file, "--out", out)
    assert result.exit_code == 0, result.output
    assert not (out / track_file.stem / "error.json").exists()
    assert (out / track_file.stem / "analysis.json").is_file()


# --------------------------------------------------------------------------------------------
# analyze: bad inputs


def _missing(d: Path) -> Path:
    return d / "missing.mp4"


def _empty(d: Path) -> Path:
    p = d / "empty.mp4"
    p.touch()
    return p


def _text_as_mp4(d: Path) -> Path:
    p = d / "notes.mp4"
    p.write_text("these are my notes, not a video\n" * 20)
    return p


def _folder(d: Path) -> Path:
    p = d / "clips"
    p.mkdir()
    return p


def _folder_with_video_suffix(d: Path) -> Path:
    p = d / "clips.mp4"
    p.mkdir()
    return p


def _txt(d: Path) -> Path:
    p = d / "session.txt"
    p.write_text("hello\n")
    return p


def _random_npz(d: Path) -> Path:
    p = d / "garbage.npz"
    p.write_bytes(b"not a zip " + np.random.default_rng(0).bytes(4000))
    return p


def _npz_missing_arrays(d: Path) -> Path:
    p = d / "other.npz"
    np.savez(p, something=np.zeros(3))
    return p


BAD_INPUTS = {
    "missing file": (_missing, InputError, "no such file"),
    "empty mp4": (_empty, InputError, "empty (0 bytes)"),
    "text renamed mp4": (_text_as_mp4, InputError, "not a readable video"),
    "folder": (_folder, InputError, "expected a video"),
    "folder named .mp4": (_folder_with_video_suffix, InputError, "got a folder"),
    "unknown suffix": (_txt, InputError, "'.txt'"),
    "random bytes npz": (_random_npz, InputError, "expected a pressup track"),
    "npz without track arrays": (_npz_missing_arrays, InputError, "expected a pressup track"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_clear_line(case: str, tmp_path: Path) -> None:
    make, error, needle = BAD_INPUTS[case]
    src = make(tmp_path)
    out = tmp_path / "out"
    line = assert_user_error(run("analyze", src, "--out", out), error, needle)
    assert src.name in line
    assert not (out / "analysis.json").exists()


def test_truncated_mp4(small_mp4: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(small_mp4.read_bytes()[:400])
    line = assert_user_error(run("analyze", cut, "--out", tmp_path / "o"), InputError, "video")
    assert "cut.mp4" in line


def _truncated_npz(d: Path, good: Path) -> Path:
    p = d / "cut.npz"
    p.write_bytes(good.read_bytes()[:500])
    return p


def _npz_header_not_object(d: Path, good: Path) -> Path:
    p = d / "listheader.npz"
    np.savez(p, header=np.array("[1, 2]"), t_s=np.zeros(2), data=np.zeros((2, 33, 4)))
    return p


@pytest.mark.parametrize("make", [_truncated_npz, _npz_header_not_object])
def test_damaged_track_file_is_an_input_error(
    make: Callable[[Path, Path], Path], track_file: Path, tmp_path: Path
) -> None:
    src = make(tmp_path, track_file)
    assert_user_error(run("analyze", src, "--out", tmp_path / "o"), InputError, "pressup track")


def test_protocol_with_unknown_key(track_file: Path, tmp_path: Path) -> None:
    proto = tmp_path / "mine.toml"
    proto.write_text("[dose]\ntarget_hold_s = 12\nhold_for_ever = true\n")
    out = tmp_path / "out"
    line = assert_user_error(
        run("analyze", track_file, "--protocol", proto, "--out", out),
        SpecError,
        "dose.hold_for_ever",
    )
    assert "unknown key" in line
    assert not out.exists()
    # the same file through `protocol check`
    assert_user_error(run("protocol", "check", proto), SpecError, "dose.hold_for_ever")


def test_output_folder_blocked_by_a_file(track_file: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "results"
    blocker.write_text("not a folder\n")
    for out in (blocker, blocker / "sub"):
        line = assert_user_error(run("analyze", track_file, "--out", out), InputError, "is a file")
        assert "results" in line
    assert_user_error(
        run("analyze", track_file, track_file, "--out", blocker), InputError, "is a file"
    )
    assert_user_error(run("demo", "--out", blocker), InputError, "is a file")
    assert blocker.read_text() == "not a folder\n"


# --------------------------------------------------------------------------------------------
# analyze: no person, wrong view


def test_video_without_a_person(blank_mp4: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    line = assert_user_error(run("analyze", blank_mp4, "--out", out), NoPersonError, "no person")
    assert "blank.mp4" in line
    assert not (out / "analysis.json").exists()


def test_head_on_view_is_refused(session: tuple[PoseTrack, Truth], tmp_path: Path) -> None:
    track, truth = session
    data = track.data.copy()
    near, far = LANDMARK_INDEX["left_shoulder"], LANDMARK_INDEX["right_shoulder"]
    # the far shoulder one and a half trunk lengths above the near one, as seen from the front
    data[:, far, 0] = data[:, near, 0]
    data[:, far, 1] = data[:, near, 1] - 1.5 * truth.trunk_len_px
    src = replace(track, data=data).save(tmp_path / "headon.npz")
    line = assert_user_error(
        run("analyze", src, "--out", tmp_path / "out"), ViewError, "camera at your side"
    )
    assert "head-on" in line


def test_nan_landmarks_are_no_person(session: tuple[PoseTrack, Truth], tmp_path: Path) -> None:
    track = session[0]
    data = np.full_like(track.data, np.nan)
    keep = [10, 200, 400]
    data[keep] = track.data[keep]
    src = replace(track, data=data).save(tmp_path / "mostly_nan.npz")
    line = assert_user_error(run("analyze", src, "--out", tmp_path / "out"), NoPersonError, "seen")
    assert f"3 of {track.n_frames} frames" in line


# --------------------------------------------------------------------------------------------
# real process: exit codes and stderr


def test_process_exit_code_and_stderr(session: tuple[PoseTrack, Truth], tmp_path: Path) -> None:
    """A real process: the exit code reaches the shell and stderr holds only the message."""
    track, truth = session
    data = track.data.copy()
    data[:, LANDMARK_INDEX["right_shoulder"], 1] -= 1.5 * truth.trunk_len_px
    src = replace(track, data=data).save(tmp_path / "headon.npz")
    proc = subprocess.run(
        [sys.executable, "-m", "pressup.cli", "analyze", str(src), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert proc.returncode == ViewError.exit_code, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and "camera at your side" in lines[0]
    assert proc.stdout == ""


def test_nan_track_warns_nothing(session: tuple[PoseTrack, Truth], tmp_path: Path) -> None:
    """No numpy warning leaks onto the user's terminal from frames without a person."""
    track = session[0]
    data = np.full_like(track.data, np.nan)
    data[:3] = track.data[:3]
    src = replace(track, data=data).save(tmp_path / "nan.npz")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run("analyze", src, "--out", tmp_path / "o")
    assert result.exit_code == NoPersonError.exit_code
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []


# --------------------------------------------------------------------------------------------
# track


def test_track_small_video(small_mp4: Path, tmp_path: Path) -> None:
    out = tmp_path / "small.npz"
    result = run("track", small_mp4, "--output", out)
    if result.exit_code == 0:
        # MediaPipe may "see" someone in a frame or two of noise: then a full track is written
        t = load_track(out)
        assert t.n_frames == 64
        assert t.source.backend.startswith("mediapipe")
        assert (t.source.width, t.source.height) == (160, 120)
        assert t.source.video == str(small_mp4)
        assert f"{out}: 64 frames" in result.stdout
    else:
        assert_user_error(result, NoPersonError, "no person was found in any of 64 frames")
        assert not out.exists()


def test_track_without_a_person(blank_mp4: Path, tmp_path: Path) -> None:
    out = tmp_path / "blank.npz"
    assert_user_error(
        run("track", blank_mp4, "-o", out), NoPersonError, "no person was found in any of 15"
    )
    assert not out.exists()


def test_track_bad_input(tmp_path: Path) -> None:
    assert_user_error(run("track", _empty(tmp_path), "-o", tmp_path / "t.npz"), InputError, "empty")


def _data_root() -> Path:
    return shared_data_root()


@pytest.mark.data
def test_track_video_with_a_person(tmp_path: Path) -> None:
    """The first 40 frames of a rendered clip (needs the shared data; skipped without it)."""
    clips = sorted((_data_root() / "render").glob("*.mp4"))
    if not clips:
        pytest.skip(f"no rendered clips in {_data_root() / 'render'} (set PRESSUP_DATA)")
    cap = cv2.VideoCapture(str(clips[0]))
    frames: list[npt.NDArray[np.uint8]] = []
    while len(frames) < 40:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(np.asarray(cv2.resize(bgr, (480, 270)), dtype=np.uint8))
    cap.release()
    assert len(frames) == 40
    video = write_video(tmp_path / "person.mp4", frames)
    out = tmp_path / "person.npz"
    result = run("track", video, "-o", out)
    assert result.exit_code == 0, result.output
    t = load_track(out)
    assert t.n_frames == 40
    assert t.person_found.mean() > 0.9
    assert (t.source.width, t.source.height) == (480, 270)
    np.testing.assert_allclose(np.diff(t.t_s), 1 / 30.0, atol=2e-3)


# --------------------------------------------------------------------------------------------
# protocol, demo


def test_protocol_show_prints_the_default_toml() -> None:
    result = run("protocol", "show")
    assert result.exit_code == 0
    assert result.stdout == default_spec_text()
    doc = tomllib.loads(result.stdout)
    assert doc["dose"]["target_reps"] == 3
    assert {"dose", "positions", "tracking", "faults"} <= set(doc)


def test_protocol_check_default_file(tmp_path: Path) -> None:
    p = tmp_path / "protocol.toml"
    p.write_text(run("protocol", "show").stdout)
    result = run("protocol", "check", p)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == PROTOCOL_KEYS
    assert summary["target_reps"] == 3
    assert summary["target_hold_s"] == 10.0


def test_protocol_check_custom_dose(tmp_path: Path) -> None:
    p = tmp_path / "five.toml"
    p.write_text("[dose]\ntarget_reps = 5\ntarget_hold_s = 20\n")
    summary = json.loads(run("protocol", "check", p).stdout)
    assert (summary["target_reps"], summary["target_hold_s"]) == (5, 20.0)


def test_protocol_check_missing_file(tmp_path: Path) -> None:
    assert_user_error(run("protocol", "check", tmp_path / "nope.toml"), SpecError, "cannot read")


def test_demo(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = run("demo", "--out", out)
    assert result.exit_code == 0, result.output
    assert "3 complete press-ups found (script: 3)" in result.stdout
    assert (out / "report.html").is_file()
    doc = json.loads((out / "analysis.json").read_text())
    assert doc["schema"] == ANALYSIS_SCHEMA
    assert doc["rep_count"] == 3
    assert load_track(out / "track.npz").n_frames == doc["source"]["frames"]


def test_no_arguments_shows_help() -> None:
    result = CliRunner().invoke(app, [])
    assert "analyze" in result.output and "protocol" in result.output


def test_a_bad_overlay_name_is_refused_before_the_analysis(tmp_path: Path) -> None:
    """An .mp4 overlay would not play in a browser: refused at once, exit code 2, no output."""
    track, _ = make_session(SessionScript(reps=[RepScript("hands", 2.0, 4.0, 2.5, 2.0)]))
    src = track.save(tmp_path / "t.npz")
    out_dir = tmp_path / "out"
    args = ["analyze", str(src), "--out", str(out_dir), "--overlay", str(tmp_path / "o.mp4")]
    res = subprocess.run(
        [sys.executable, "-m", "pressup.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 2, res.stderr
    assert ".webm" in res.stderr
    assert not (out_dir / "analysis.json").exists()


def test_native_log_lines_stay_off_the_terminal_unless_verbose(tmp_path: Path) -> None:
    """Text the native libraries write straight to descriptor 2 is hidden; pressup's own error
    line still arrives; --verbose shows both."""
    code = (
        "import os, sys\n"
        "from pressup.cli.common import quiet_native_logs\n"
        "if '-v' not in sys.argv: quiet_native_logs()\n"
        "os.write(2, b'W0000 native noise\\n')\n"
        "print('error: pressup line', file=sys.stderr)\n"
    )
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "native noise" not in quiet.stderr and "error: pressup line" in quiet.stderr
    loud = subprocess.run([sys.executable, "-c", code, "-v"], capture_output=True, text=True)
    assert "native noise" in loud.stderr and "error: pressup line" in loud.stderr
