"""The command line under bad input: every case ends in one line and a documented exit code,
never a traceback or a false success."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pressup.cli import app
from pressup.errors import InputError, NoPersonError, SpecError, StorageError
from pressup.protocol import default_spec_text
from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"a traceback instead of an error line: {result.exception!r}"
    )
    return result


@pytest.fixture(scope="module")
def track_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2.0, 11.0, 2.5, 3.0)]))
    return Path(track.save(tmp_path_factory.mktemp("tracks") / "set.npz"))


def _protocol(tmp_path: Path, old: str, new: str) -> Path:
    text = default_spec_text()
    assert old in text
    path = tmp_path / "protocol.toml"
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("offline_cutoff_hz = 2.0", "offline_cutoff_hz = 0", "smoothing.offline_cutoff_hz"),
        ("offline_cutoff_hz = 2.0", "offline_cutoff_hz = nan", "finite number"),
        ("offline_cutoff_hz = 2.0", "offline_cutoff_hz = " + "9" * 5000, "ordinary size"),
        ("live_beta = 0.05", "live_beta = 1e308", "smoothing.live_beta"),
    ],
)
def test_a_bad_number_in_the_protocol_file_is_a_spec_error(
    tmp_path: Path, track_file: Path, old: str, new: str, says: str
) -> None:
    proto = _protocol(tmp_path, old, new)
    for args in (
        ("protocol", "check", proto),
        ("analyze", track_file, "-o", tmp_path / "out", "--protocol", proto),
    ):
        result = run(*args)
        assert result.exit_code == SpecError.exit_code, result.output
        assert says in result.output and "expected" in result.output


def test_an_output_folder_that_cannot_be_made_is_an_input_error(track_file: Path) -> None:
    result = run("analyze", track_file, "-o", "/proc/pressup-cannot-be-here")
    assert result.exit_code == InputError.exit_code, result.output
    assert "/proc/pressup-cannot-be-here" in result.output and "expected a folder" in result.output


def test_a_rotated_video_says_the_person_was_not_found_not_zero_press_ups(
    tmp_path: Path,
) -> None:
    script = SessionScript(reps=[RepScript("forearms", 2.0, 11.0, 2.5, 3.0)], camera_roll_deg=90)
    track, _ = make_session(script)
    path = track.save(tmp_path / "sideways.npz")
    result = run("analyze", path, "-o", tmp_path / "out")
    assert result.exit_code == NoPersonError.exit_code, result.output
    assert "rotated" in result.output and "0 complete" not in result.output


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--model", "bogus", "--model: expected one of auto, full, heavy, lite, got 'bogus'"),
        ("--tracking", "roi", "--tracking: expected one of keyframes, mediapipe, got 'roi'"),
    ],
)
def test_an_unknown_model_or_tracking_is_bad_input_before_any_work(
    tmp_path: Path, track_file: Path, option: str, value: str, message: str
) -> None:
    for args in (
        ("analyze", track_file, "-o", tmp_path / "out", option, value),
        ("track", tmp_path / "missing.mp4", "-o", tmp_path / "t.npz", option, value),
    ):
        result = run(*args)
        assert result.exit_code == InputError.exit_code, result.output
        assert message in result.output
    assert not (tmp_path / "out").exists()


def test_adaptive_sampling_with_mediapipe_tracking_is_bad_input(
    tmp_path: Path, track_file: Path
) -> None:
    both = ("--adaptive", "--tracking", "mediapipe")
    result = run("analyze", track_file, "-o", tmp_path / "out", *both)
    assert result.exit_code == InputError.exit_code, result.output
    assert "works with --every-frame only" in result.output
    assert not (tmp_path / "out").exists()


def test_the_tracking_and_sampling_asked_for_reach_the_pose_model(
    tmp_path: Path, track_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pressup.pose as pose

    seen: list[object] = []
    real = pose.open_track

    def spy(source: Path, options: object = None, progress: object = None) -> object:
        seen.append(options)
        return real(source, options, progress)  # type: ignore[arg-type]

    monkeypatch.setattr(pose, "open_track", spy)
    result = run("analyze", track_file, "-o", tmp_path / "out", "--tracking", "mediapipe")
    assert result.exit_code == 0, result.output
    result = run("analyze", track_file, "-o", tmp_path / "out2", "--adaptive")
    assert result.exit_code == 0, result.output
    assert [(getattr(o, "tracking", None), getattr(o, "adaptive", None)) for o in seen] == [
        ("mediapipe", False),
        ("keyframes", True),
    ]


def test_every_exit_code_is_listed_in_the_readme() -> None:
    from pressup import errors

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    codes = {
        cls.exit_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.PressupError)
    }
    for code in codes:
        assert f"{code} " in readme.split("exits non-zero:", 1)[1][:600], code


@pytest.mark.parametrize("overlay", ["/proc/pressup.webm", "{tmp}/a-folder.webm"])
def test_a_bad_overlay_path_is_refused_before_the_analysis(
    tmp_path: Path, track_file: Path, overlay: str
) -> None:
    (tmp_path / "a-folder.webm").mkdir()
    result = run(
        "analyze", track_file, "-o", tmp_path / "out", "--overlay", overlay.format(tmp=tmp_path)
    )
    assert result.exit_code == InputError.exit_code, result.output
    assert "--overlay" in result.output and "can be written" in result.output
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_an_overlay_of_a_track_file_is_refused_before_the_analysis(
    tmp_path: Path, track_file: Path
) -> None:
    result = run("analyze", track_file, "-o", tmp_path / "out", "--overlay", tmp_path / "o.webm")
    assert result.exit_code == InputError.exit_code, result.output
    assert "needs the source video" in result.output
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_a_mistyped_database_is_not_created_empty(tmp_path: Path) -> None:
    typo = tmp_path / "pressup.bd"
    for args in (("sessions", "list"), ("history", "--output", tmp_path / "h.html")):
        result = run(*args, "--database", f"sqlite:///{typo}")
        assert result.exit_code == StorageError.exit_code, result.output
        assert str(typo) in result.output and "check the path" in result.output
    assert not typo.exists()


def test_a_recording_command_creates_a_new_database_and_says_so(tmp_path: Path) -> None:
    new = tmp_path / "first.db"
    result = run("progress", "--database", f"sqlite:///{new}")
    assert result.exit_code == 0, result.output
    assert f"new database created at {new}" in result.output
    assert new.exists()


@pytest.mark.parametrize("name", ["x.xlsx", "x.txt", "x"])
def test_an_unknown_table_extension_is_refused(tmp_path: Path, name: str) -> None:
    db = tmp_path / "s.db"
    Store(f"sqlite:///{db}").close()
    result = run("export", "sessions", "-o", tmp_path / name, "--database", f"sqlite:///{db}")
    assert result.exit_code == InputError.exit_code, result.output
    assert "expected a file name ending in .csv or .json" in result.output
    assert not (tmp_path / name).exists()
    ok = run(
        "export", "sessions", "-o", tmp_path / name, "-f", "csv", "--database", f"sqlite:///{db}"
    )
    assert ok.exit_code == 0, ok.output


READ_ONLY = textwrap.dedent(
    """
    import os, sys
    from typer.testing import CliRunner
    from pressup.cli import app
    from pressup.storage import Store
    warm = Store(sys.argv[2])  # load every module while still allowed
    warm.list_sessions()
    warm.close()
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)  # root writes anything: become nobody, who cannot
    r = CliRunner().invoke(app, ["sessions", "list", "--database", sys.argv[1]])
    print(r.exit_code)
    print(r.output)
    print(repr(r.exception))
    """
)


def test_a_read_only_database_can_be_read(tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="pressup-ro-"))  # reachable by nobody (tmp_path is not)
    folder.chmod(0o755)
    db = folder / "pressup.db"
    with Store(f"sqlite:///{db}") as store:
        sid = store.create_session(client="t", dose={}, protocol={}, target_reps=3)
    scratch = f"sqlite:///{tmp_path / 'scratch.db'}"
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", READ_ONLY, f"sqlite:///{db}", scratch],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "200"},
        )
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
        shutil.rmtree(folder)
    code, _, rest = proc.stdout.partition("\n")
    assert code == "0", (proc.stdout, proc.stderr[-2000:])
    assert sid in rest and "0 of 3 press-ups" in rest, rest


def test_a_track_file_that_cannot_be_written_is_an_input_error(
    tmp_path: Path, track_file: Path
) -> None:
    db = tmp_path / "s.db"
    with Store(f"sqlite:///{db}") as store:
        track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2.0, 8.0, 2.5, 3.0)]))
        sid = store.create_session(client="t", dose={}, protocol={}, target_reps=1)
        store.append_frames(
            sid, track.t_s, track.data, width=track.source.width, height=track.source.height
        )
    for args in (
        ("track", track_file, "-o", "/proc/pressup-track.npz"),
        (
            "sessions",
            "track",
            sid,
            "-o",
            "/proc/pressup-track.npz",
            "--database",
            f"sqlite:///{db}",
        ),
    ):
        result = run(*args)
        assert result.exit_code == InputError.exit_code, result.output
        assert "/proc/pressup-track.npz" in result.output and "can be written" in result.output
