"""The shared vocabulary (pressup.vocab) and the analysis folder's one writer and one reader."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from pressup.analysis import Analysis
from pressup.analysis.io import read_analysis, write_folder
from pressup.analysis.run import analyze_track
from pressup.errors import InputError
from pressup.protocol import load_spec
from pressup.synthetic import demo_session
from pressup.vocab import (
    LADDER_STEPS,
    POSTURES,
    posture_of,
    step_of,
)


def test_old_import_paths_name_the_same_vocabulary() -> None:
    from pressup import vocab
    from pressup.analysis.result import FAULT_CODES, LABELS
    from pressup.engine import EVENT_KINDS
    from pressup.safety.progression import ENGINE_VARIANT, VARIANTS
    from pressup.safety.symptoms import LOCATIONS, STOP_EVENT

    assert FAULT_CODES is vocab.FAULT_CODES and LABELS is vocab.LABELS
    assert EVENT_KINDS is vocab.EVENT_KINDS and LOCATIONS is vocab.LOCATIONS
    assert VARIANTS == LADDER_STEPS and STOP_EVENT == "set_stopped"
    assert {s: posture_of(s) for s in LADDER_STEPS} == ENGINE_VARIANT


def test_posture_and_ladder_step_map_one_way_and_back() -> None:
    assert [posture_of(s) for s in LADDER_STEPS] == ["forearms", "hands", "hands"]
    assert [step_of(p) for p in POSTURES] == ["forearms", "hands_bent"]
    assert all(posture_of(step_of(p)) == p for p in POSTURES)


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    track, _ = demo_session()
    return analyze_track(track, load_spec())


def test_write_then_read_gives_the_same_analysis(analysis: Analysis, tmp_path: Path) -> None:
    written: list[Path] = []
    track, _ = demo_session()
    d = write_folder(analysis, tmp_path / "out", track, report=lambda a, p: written.append(p))
    names = {p.name for p in d.iterdir()}
    assert names == {"analysis.json", "frames.csv", "events.json", "track.npz"}
    assert written == [d / "report.html"]
    back = read_analysis(d)
    assert back.to_dict() == analysis.to_dict()
    assert back.events == json.loads((d / "events.json").read_text())
    assert back.frames.label == analysis.frames.label
    assert np.array_equal(back.frames.tracked, analysis.frames.tracked)
    for col, v in analysis.frames.columns.items():
        np.testing.assert_allclose(back.frames.columns[col], v, atol=0.006, equal_nan=True)
    # the json alone: no frames, no events
    only = read_analysis(d / "analysis.json", frames=False, events=False)
    assert only.to_dict() == analysis.to_dict() and only.frames.label == [] and not only.events
    # without events.json
    bare = write_folder(analysis, tmp_path / "bare", events=False)
    assert {p.name for p in bare.iterdir()} == {"analysis.json", "frames.csv"}


def _broken(tmp_path: Path, analysis: Analysis, change: dict[str, object]) -> Path:
    doc = analysis.to_dict()
    doc.update(change)
    p = tmp_path / "x" / "analysis.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(doc))
    return p


def test_read_errors_name_the_file_and_what_was_expected(
    analysis: Analysis, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match=r"nowhere: no such file or folder"):
        read_analysis(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty/analysis\.json: no such file"):
        read_analysis(tmp_path / "empty")
    p = _broken(tmp_path, analysis, {"schema": "other/2"})
    with pytest.raises(InputError, match=r"analysis\.json: schema: expected 'pressup\.analysis/1'"):
        read_analysis(p)
    p = _broken(tmp_path, analysis, {"rep_count": 99})
    with pytest.raises(InputError, match="rep_count: expected the number of complete reps"):
        read_analysis(p)
    rep = dict(analysis.to_dict()["reps"][0], variant="updog")
    p = _broken(tmp_path, analysis, {"reps": [rep], "rep_count": int(rep["complete"])})
    with pytest.raises(InputError, match=r"reps\[0\]\.variant: expected one of forearms, hands"):
        read_analysis(p)
    p = _broken(tmp_path, analysis, {"faults": [{"code": "wobbly", "start_s": 1, "end_s": 2}]})
    with pytest.raises(InputError, match=r"faults\[0\]\.code: expected one of .*'wobbly'"):
        read_analysis(p)
    p = _broken(tmp_path, analysis, {"segments": [{"start_s": 0, "end_s": 1, "label": "x"}]})
    with pytest.raises(InputError, match=r"segments\[0\]\.label"):
        read_analysis(p)


def test_null_times_read_as_nan(analysis: Analysis, tmp_path: Path) -> None:
    rep = dict(analysis.to_dict()["reps"][0], lower_s=None)
    p = _broken(tmp_path, analysis, {"reps": [rep], "rep_count": int(rep["complete"])})
    assert math.isnan(read_analysis(p).reps[0].lower_s)
