"""``pressup batch``: one row per input with the right status, tables in Parquet and CSV, and
a re-run after a kill analyses only what is missing.

The fast tests run the batch in this process (``--runner local``) over committed corpus
tracks (good), a corrupt file, an empty file and a generated video with nobody in it; the slow
ones do the same on a local Ray, and over the shared clips when they are there.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from tests.support import REPO, shared_data_root
from typer.testing import CliRunner

from pressup.batch.inputs import expand_inputs
from pressup.batch.run import BatchOptions, Progress, run_batch
from pressup.cli import app
from pressup.protocol import load_spec

TRACKS = sorted((REPO / "corpus" / "tracks").glob("*.npz"))


def _nobody_video(path: Path, frames: int = 12) -> Path:
    """A small real video (MPEG-4) of moving rectangles: readable, with no person in it."""
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 15.0, (160, 120))
    assert w.isOpened()
    for i in range(frames):
        img = np.full((120, 160, 3), 40, np.uint8)
        cv2.rectangle(img, (10 + 5 * i, 30), (50 + 5 * i, 90), (0, 200, 255), -1)
        w.write(img)
    w.release()
    return path


def _mixed_folder(root: Path, n_good: int = 2) -> Path:
    d = root / "in"
    d.mkdir(parents=True)
    for t in TRACKS[:n_good]:
        shutil.copy(t, d / t.name)
    (d / "empty.mp4").write_bytes(b"")
    (d / "corrupt.mp4").write_bytes(b"\x00\x01not a video" * 300)
    _nobody_video(d / "nobody.mp4")
    return d


EXPECTED = {"empty.mp4": "failed", "corrupt.mp4": "failed", "nobody.mp4": "failed"}


def _check_tables(out: Path, n_good: int) -> None:
    sessions = pq.read_table(out / "sessions.parquet").to_pylist()
    assert len(sessions) == n_good + 3
    by_name = {r["name"]: r for r in sessions}
    for name, status in EXPECTED.items():
        assert by_name[name]["status"] == status
        assert by_name[name]["reason"] and "\n" not in by_name[name]["reason"]
        assert by_name[name]["rep_count"] is None
    assert "empty" in by_name["empty.mp4"]["reason"]
    assert "not a readable video" in by_name["corrupt.mp4"]["reason"]
    assert "no person" in by_name["nobody.mp4"]["reason"]
    good = [r for r in sessions if r["name"].endswith(".npz")]
    assert len(good) == n_good
    for r in good:
        assert r["status"] == "ok" and r["reason"] is None
        assert r["rep_count"] >= 1 and r["duration_s"] > 0 and r["view_side"] in ("left", "right")
        assert 0 < r["tracked_fraction"] <= 1 and r["pressup_version"] and r["protocol_hash"]
    reps = pq.read_table(out / "reps.parquet").to_pylist()
    assert sum(r["complete"] for r in reps) == sum(r["rep_count"] for r in good)
    assert {r["name"] for r in reps} == {r["name"] for r in good}
    assert all(r["hold_s"] is None or r["hold_s"] >= 0 for r in reps)
    csv_rows = pcsv.read_csv(out / "sessions.csv").to_pylist()
    assert [r["status"] for r in csv_rows] == [r["status"] for r in sessions]
    assert pcsv.read_csv(out / "reps.csv").num_rows == len(reps)


def test_good_corrupt_and_empty_inputs_give_one_row_each(tmp_path: Path) -> None:
    folder = _mixed_folder(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["batch", str(folder), "-o", str(out), "--runner", "local"])
    assert res.exit_code == 0, res.output
    assert "5 video(s): 2 ok, 3 failed; 0 reused" in res.output
    _check_tables(out, 2)
    # a second run reuses everything, failures included (same content, same protocol)
    seen: list[Progress] = []
    again = run_batch(
        expand_inputs([str(folder)]),
        out,
        load_spec(),
        BatchOptions(runner="local"),
        lambda p: seen.append(Progress(**vars(p))),
    )
    assert seen[-1].reused == 5 and all(r.get("reused") for r in again.records)
    _check_tables(out, 2)
    # the group comparison script of docs/bulk.md runs on these tables
    doc = (REPO / "docs" / "bulk.md").read_text()
    script = tmp_path / "compare_groups.py"
    script.write_text(doc.split("```python\n", 1)[1].split("```", 1)[0])
    ran = subprocess.run(
        [sys.executable, str(script), str(out)], capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert "2 sessions analysed; groups: in" in ran.stdout and "press-ups counted" in ran.stdout


def test_the_same_video_in_two_places_is_analysed_once(tmp_path: Path) -> None:
    d = tmp_path / "in"
    (d / "a").mkdir(parents=True)
    (d / "b").mkdir()
    for sub in ("a", "b"):
        shutil.copy(TRACKS[0], d / sub / "same.npz")
    res = run_batch(
        expand_inputs([str(d)]), tmp_path / "out", load_spec(), BatchOptions(runner="local")
    )
    assert [r["status"] for r in res.records] == ["ok", "ok"]
    assert [bool(r.get("reused")) for r in res.records] == [False, True]
    assert [r["video"] for r in res.records] == [
        str(d / "a" / "same.npz"),
        str(d / "b" / "same.npz"),
    ]
    rows = pq.read_table(tmp_path / "out" / "sessions.parquet").to_pylist()
    assert len(rows) == 2 and rows[0]["rep_count"] == rows[1]["rep_count"] >= 1


def test_bad_invocations_are_one_line_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["batch", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "expected videos" in res.output
    res = runner.invoke(app, ["batch", str(tmp_path / "none.mp4"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no such file" in res.output
    v = _nobody_video(tmp_path / "v.mp4", 2)
    res = runner.invoke(app, ["batch", str(v), "-o", str(tmp_path / "o"), "--runner", "spark"])
    assert res.exit_code == 2 and "--runner" in res.output
    res = runner.invoke(
        app,
        [
            "batch",
            str(v),
            "-o",
            str(tmp_path / "o"),
            "--workers",
            "2",
            "--ray-address",
            "127.0.0.1:6379",
        ],
    )
    assert res.exit_code == 2 and "only for a local Ray" in res.output


def _kill_and_resume(tmp_path: Path, runner: str, n: int, timeout_s: float) -> None:
    """Start a batch of ``n`` tracks in a child process, kill it once a result is written,
    then re-run: only the videos without a result are analysed."""
    d = tmp_path / "in"
    d.mkdir()
    for t in TRACKS[:n]:
        shutil.copy(t, d / t.name)
    out = tmp_path / "out"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    cmd = [sys.executable, "-m", "pressup.cli", "batch", str(d), "-o", str(out)]
    cmd += ["--runner", runner] + (["--workers", "1"] if runner == "ray" else [])
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + timeout_s
    try:
        while not list(out.glob("videos/*/result.json")):
            assert proc.poll() is None, "the batch ended before any result was written"
            assert time.monotonic() < deadline, "no result within the time allowed"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the child and any Ray processes it started
        proc.wait()
    done = {p.parent.name for p in out.glob("videos/*/result.json")}
    assert 1 <= len(done) <= n
    seen: list[Progress] = []
    again = run_batch(
        expand_inputs([str(d)]),
        out,
        load_spec(),
        BatchOptions(runner="local"),
        lambda p: seen.append(Progress(**vars(p))),
    )
    reused = [Path(r["folder"]).name for r in again.records if r.get("reused")]
    assert sorted(reused) == sorted(done)  # what was done is kept ...
    assert seen[-1].done == n and seen[-1].reused == len(done)  # ... and only the rest ran
    assert again.count("ok") == n


def test_a_rerun_after_a_kill_analyses_only_what_is_missing(tmp_path: Path) -> None:
    _kill_and_resume(tmp_path, "local", 6, 120.0)


@pytest.mark.slow
def test_on_ray_a_rerun_after_a_kill_analyses_only_what_is_missing(tmp_path: Path) -> None:
    _kill_and_resume(tmp_path, "ray", 6, 300.0)


@pytest.mark.slow
def test_on_ray_good_corrupt_and_empty_inputs_give_one_row_each(tmp_path: Path) -> None:
    folder = _mixed_folder(tmp_path)
    out = tmp_path / "out"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pressup.cli",
            "batch",
            str(folder),
            "-o",
            str(out),
            "--workers",
            "2",
        ],
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    _check_tables(out, 2)
    assert "5 video(s): 2 ok, 3 failed" in res.stdout


@pytest.mark.slow
@pytest.mark.data
def test_on_ray_real_videos_are_analysed(tmp_path: Path) -> None:
    clip = shared_data_root() / "real" / "pressup_hands" / "abdurehmanasif__v4.mp4"
    if not clip.is_file():
        pytest.skip(f"{clip} not available")
    folder = _mixed_folder(tmp_path, n_good=0)
    shutil.copy(clip, folder / clip.name)
    out = tmp_path / "out"
    res = subprocess.run(
        [sys.executable, "-m", "pressup.cli", "batch", str(folder), "-o", str(out), "--adaptive"],
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    rows = {r["name"]: r for r in pq.read_table(out / "sessions.parquet").to_pylist()}
    assert rows[clip.name]["status"] == "ok" and rows[clip.name]["sampling"] == "adaptive"
    assert rows[clip.name]["frames"] > 300
