"""Known-answer tests of :mod:`pressup.evaluation.corpus` on a tiny fake corpus built from
synthetic sessions (no rendering, no MediaPipe), plus a check of the real ``corpus/`` when
some of its clips are complete."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from pressup.cli import app
from pressup.errors import InputError
from pressup.evaluation.corpus import (
    ClipResult,
    CorpusClip,
    Pool,
    evaluate_corpus,
    format_matrix,
    height_class,
    load_corpus,
    rep_step,
    tally_rep_faults,
    yaw_class,
)
from pressup.evaluation.score import PredFault, Prediction, PredRep, RepMatch
from pressup.evaluation.truth import RENDER_FAULT_CODES, load_truth
from pressup.protocol import load_spec
from pressup.synthetic import RepScript, SessionScript, Truth, make_session
from support import REPO

FPS = 15.0
GENERATOR_NAME = {code: name for name, code in RENDER_FAULT_CODES.items()}


# ------------------------------------------------------------------------------------------
# Fake corpus writer
# ------------------------------------------------------------------------------------------


def render_truth(name: str, truth: Truth, camera: dict[str, Any]) -> dict[str, Any]:
    """The synthetic truth in the render ground-truth format (``*.gt.json.gz``)."""
    side = camera["side"]
    frames = []
    last = 0
    for i in range(truth.n_frames):
        last = max(last, int(truth.rep[i]))  # render: current or last rep, -1 before the first
        frames.append(
            {
                "i": i,
                "t": float(truth.t_s[i]),
                "phase": str(truth.phase[i]),
                "rep": last - 1,
                "angles": {
                    "trunk_elevation_deg": float(truth.trunk_deg[i]),
                    "hip_extension_deg": float(truth.hip_ext_deg[i]),
                    "neck_angle_deg": float(truth.neck_deg[i]),
                    f"elbow_{side}_deg": float(truth.elbow_deg[i]),
                },
            }
        )
    reps = [
        {
            "index": r.index - 1,
            "variant": r.variant,
            "faults": [GENERATOR_NAME[c] for c in r.faults],
            "press": [r.start_s, r.top_start_s],
            "hold": [r.top_start_s, r.top_end_s],
            "lower": [r.top_end_s, r.end_s],
        }
        for r in truth.reps
    ]
    return {
        "name": name,
        "video": {
            "file": f"{name}.mp4",
            "fps": truth.fps,
            "n_frames": truth.n_frames,
            "duration_s": truth.n_frames / truth.fps,
        },
        "camera": {"params": camera},
        "reps": reps,
        "frames": frames,
    }


def add_clip(
    root: Path,
    name: str,
    split: str,
    reps: list[tuple[str, float | None, tuple[str, ...]]],
    *,
    body: str = "slim_woman",
    side: str = "left",
    height_m: float = 0.1,
    yaw_deg: float = 0.0,
    track: bool = True,
    truth: bool = True,
    dropout: bool = False,
) -> None:
    """Write scenario, split entry, track and truth of one clip. ``reps``: (variant, elbow_deg,
    generator fault names) per repetition."""
    script = SessionScript(
        reps=[
            RepScript(
                variant,  # type: ignore[arg-type]
                press_s=1.5,
                hold_s=4.0,
                lower_s=2.0,
                rest_s=2.0,
                faults=tuple(RENDER_FAULT_CODES[f] for f in faults),
            )
            for variant, _, faults in reps
        ],
        start_rest_s=2.0,
        end_rest_s=1.5,
        fps=FPS,
        side=side,  # type: ignore[arg-type]
        noise_px=0.5,
        seed=len(name),
        dropouts=[(0.0, 60.0)] if dropout else [],
    )
    pose_track, synth_truth = make_session(script)
    camera = {"side": side, "yaw_deg": yaw_deg, "height_m": height_m}
    scenario = {
        "name": name,
        "fps": FPS,
        "body_label": body,
        "camera": dict(camera, distance_m="auto"),
        "reps": [
            {"variant": v, "hold_s": 4.0, "faults": list(f), **({"elbow_deg": e} if e else {})}
            for v, e, f in reps
        ],
    }
    for sub in ("scenarios", "tracks", "truth"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "scenarios" / f"{name}.json").write_text(json.dumps(scenario))
    split_path = root / "split.json"
    parts = json.loads(split_path.read_text()) if split_path.exists() else {}
    parts[name] = split
    split_path.write_text(json.dumps(parts))
    if track:
        pose_track.save(root / "tracks" / f"{name}.npz")
    if truth:
        with gzip.open(root / "truth" / f"{name}.gt.json.gz", "wt", encoding="utf-8") as fh:
            json.dump(render_truth(name, synth_truth, camera), fh)


CLEAN_DEV = "c01_forearms_clean"
SHRUG_DEV = "c02_hands_straight_shrug"
HIPS_EVAL = "c03_forearms_hips_lift"
SMALL_EVAL = "c04_small_clean"
INCOMPLETE = "c05_no_track"


def build_corpus(root: Path) -> Path:
    add_clip(root, CLEAN_DEV, "dev", [("forearms", None, ())] * 2)
    add_clip(
        root,
        SHRUG_DEV,
        "dev",
        [("hands", 162.0, ()), ("hands", 162.0, ("shrug",))],
        body="heavy_man",
        side="right",
        height_m=0.4,
        yaw_deg=-15.0,
    )
    add_clip(
        root,
        HIPS_EVAL,
        "eval",
        [("forearms", None, ()), ("forearms", None, ("hips_lift",))],
        body="belly_man",
        height_m=1.0,
        yaw_deg=30.0,
    )
    add_clip(root, SMALL_EVAL, "eval", [("hands", 100.0, ())] * 2, body="athletic_woman")
    add_clip(root, INCOMPLETE, "dev", [("forearms", None, ())], track=False)
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def evaluated(
    corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[ClipResult]]:
    out = tmp_path_factory.mktemp("out")
    return out, evaluate_corpus(corpus, load_spec(), out)


def by_name(results: list[ClipResult]) -> dict[str, ClipResult]:
    return {r.name: r for r in results}


# ------------------------------------------------------------------------------------------
# Classes and loading
# ------------------------------------------------------------------------------------------


def test_step_and_camera_classes() -> None:
    assert rep_step("forearms", None) == "forearms"
    assert rep_step("hands", 92) == "small"
    assert rep_step("hands", 109.9) == "small"
    assert rep_step("hands", 110) == "hands_bent"
    assert rep_step("hands", 154.9) == "hands_bent"
    assert rep_step("hands", 155) == "hands_straight"
    assert [height_class(h) for h in (0.1, 0.24, 0.25, 0.4, 1.0)] == [
        "floor",
        "floor",
        "0.4 m",
        "0.4 m",
        "1 m",
    ]
    assert [yaw_class(y) for y in (0, 10, -15, 20, -30)] == [
        "0",
        "|yaw| <= 15",
        "|yaw| <= 15",
        "|yaw| > 15",
        "|yaw| > 15",
    ]


def test_load_corpus_finds_complete_clips_with_attributes(corpus: Path) -> None:
    clips = {c.name: c for c in load_corpus(corpus)}
    assert sorted(clips) == [CLEAN_DEV, SHRUG_DEV, HIPS_EVAL, SMALL_EVAL]  # INCOMPLETE left out
    c = clips[SHRUG_DEV]
    assert (c.split, c.step, c.faults, c.body, c.side) == (
        "dev",
        "hands_straight",
        frozenset({"shrug"}),
        "heavy_man",
        "right",
    )
    assert (c.height_class, c.yaw_class, c.camera_class) == (
        "0.4 m",
        "|yaw| <= 15",
        "raised or turned",
    )
    assert c.track_path == corpus / "tracks" / f"{SHRUG_DEV}.npz"
    assert c.truth_path == corpus / "truth" / f"{SHRUG_DEV}.gt.json.gz"
    assert c.scenario["body_label"] == "heavy_man"
    assert clips[CLEAN_DEV].camera_class == "level"
    assert clips[CLEAN_DEV].faults == frozenset()
    assert clips[SMALL_EVAL].step == "small"
    assert (clips[HIPS_EVAL].height_class, clips[HIPS_EVAL].yaw_class) == ("1 m", "|yaw| > 15")


def test_mixed_step(tmp_path: Path) -> None:
    add_clip(tmp_path, "m1", "dev", [("forearms", None, ()), ("hands", 145.0, ())])
    (clip,) = load_corpus(tmp_path)
    assert clip.step == "mixed"
    assert [r.step for r in clip.reps] == ["forearms", "hands_bent"]


def test_fake_truth_is_valid_render_truth(corpus: Path) -> None:
    t = load_truth(corpus / "truth" / f"{SHRUG_DEV}.gt.json.gz")
    assert t.dataset == "render"
    assert t.expected_rep_count == 2
    assert [r.faults for r in t.reps] == [(), ("shoulders_shrugged",)]
    assert t.camera.side == "right"


# ------------------------------------------------------------------------------------------
# Evaluation known answers
# ------------------------------------------------------------------------------------------


def test_counts_exact_and_analysis_written(evaluated: tuple[Path, list[ClipResult]]) -> None:
    out, results = evaluated
    assert [r.name for r in results] == [CLEAN_DEV, SHRUG_DEV, HIPS_EVAL, SMALL_EVAL]
    for r in results:
        assert r.refused is None
        assert r.count_exact, (r.name, r.score.rep_count_pred, r.score.rep_count_true)
        assert r.score.rep_count_true == 2
        assert (out / r.name / "analysis.json").is_file()
        assert (out / r.name / "frames.csv").is_file()
    assert not (out / INCOMPLETE).exists()


def test_injected_faults_are_found(evaluated: tuple[Path, list[ClipResult]]) -> None:
    _, results = evaluated
    res = by_name(results)
    shrug = res[SHRUG_DEV].reps
    assert [(r.index, r.step, r.carried) for r in shrug] == [
        (1, "hands_straight", ()),
        (2, "hands_straight", ("shoulders_shrugged",)),
    ]
    assert shrug[1].found == ("shoulders_shrugged",)
    assert shrug[1].missed == ()
    hips = res[HIPS_EVAL].reps
    assert hips[1].carried == ("hips_lifted",)
    assert hips[1].found == ("hips_lifted",)
    pools = {s: Pool.of(r for r in results if r.split == s) for s in ("dev", "eval")}
    assert pools["dev"].recall_by[("shoulders_shrugged", "hands_straight")].n == 1
    assert pools["dev"].recall_by[("shoulders_shrugged", "hands_straight")].d == 1
    assert pools["eval"].recall_by[("hips_lifted", "forearms")].n == 1
    assert (pools["dev"].recall.n, pools["dev"].recall.d) == (1, 1)
    assert (pools["eval"].recall.n, pools["eval"].recall.d) == (1, 1)
    # clean reps: 2 + 1 in dev, 1 + 2 in eval; all were matched
    assert pools["dev"].false_clean.d == 3
    assert pools["eval"].false_clean.d == 3
    assert pools["dev"].count_exact == 2 and pools["eval"].count_exact == 2


def test_matrix_has_dev_and_eval_side_by_side(evaluated: tuple[Path, list[ClipResult]]) -> None:
    _, results = evaluated
    text = format_matrix(results)
    assert "| | dev | eval | target |" in text
    count_row = next(line for line in text.splitlines() if line.startswith("| rep count exact"))
    assert count_row.count("2/2 (100 %) ✓") == 2
    assert "every eval clip" in count_row
    for heading in (
        "### By step",
        "### By fault and step",
        "### By camera height",
        "### By yaw",
        "### By body",
        "## Per clip",
        "## Clips with a wrong count (0)",
    ):
        assert heading in text
    assert "| step | dev clips |" in text and "eval clips" in text
    assert "| shrug (shoulders_shrugged) | hands_straight | 100 % (1/1) ✓ | — |" in text
    assert "| hips_lift (hips_lifted) | forearms | — | 100 % (1/1) ✓ |" in text
    for name in (CLEAN_DEV, SHRUG_DEV, HIPS_EVAL, SMALL_EVAL):
        assert f"| {name} |" in text
    assert "| belly_man |" in text and "| \\|yaw\\| > 15 |" in text


def test_names_filter_and_unknown_name(corpus: Path, tmp_path: Path) -> None:
    res = evaluate_corpus(corpus, load_spec(), tmp_path, names=[HIPS_EVAL])
    assert [r.name for r in res] == [HIPS_EVAL]
    with pytest.raises(InputError, match=INCOMPLETE):
        evaluate_corpus(corpus, load_spec(), tmp_path, names=[INCOMPLETE])


def test_refused_clip_counts_as_wrong(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    add_clip(root, "r1_hidden", "eval", [("forearms", None, ())], dropout=True)
    add_clip(root, "r2_fine", "dev", [("forearms", None, ())])
    seen: list[tuple[int, int, str]] = []
    results = evaluate_corpus(
        root, load_spec(), tmp_path / "out", progress=lambda *a: seen.append(a)
    )
    assert seen == [(1, 2, "r1_hidden"), (2, 2, "r2_fine")]
    hidden = by_name(results)["r1_hidden"]
    assert hidden.refused is not None and "shoulder and hip" in hidden.refused
    assert not hidden.count_exact
    assert (tmp_path / "out" / "r1_hidden" / "error.json").is_file()
    text = format_matrix(results)
    assert "## Clips with a wrong count (1)" in text
    assert "- `r1_hidden` (eval): refused:" in text
    assert "| clips (refused) | 1 (0) | 1 (1) |" in text


# ------------------------------------------------------------------------------------------
# Boundary validation
# ------------------------------------------------------------------------------------------


def test_corrupted_truth_names_the_file(tmp_path: Path) -> None:
    root = build_corpus(tmp_path / "corpus")
    bad = root / "truth" / f"{SHRUG_DEV}.gt.json.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(InputError) as exc:
        evaluate_corpus(root, load_spec(), tmp_path / "out")
    assert str(bad) in str(exc.value)
    assert "JSON" in str(exc.value)


def test_truth_missing_key_names_the_file(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    add_clip(root, "k1", "dev", [("forearms", None, ())])
    path = root / "truth" / "k1.gt.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        obj = json.load(fh)
    del obj["reps"][0]["hold"]
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump(obj, fh)
    with pytest.raises(InputError, match=r"k1\.gt\.json\.gz: reps\[0\]\.hold is missing"):
        evaluate_corpus(root, load_spec(), tmp_path / "out")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda s: s["reps"][0].pop("elbow_deg"), r"reps\[0\]\.elbow_deg is missing"),
        (lambda s: s["camera"].update(side="front"), r"camera\.side: expected one of left, right"),
        (lambda s: s["reps"][0].update(faults=["wobble"]), r"reps\[0\]\.faults\[0\]: expected"),
        (lambda s: s.pop("body_label"), r"body_label is missing"),
    ],
)
def test_bad_scenario_names_file_and_key(tmp_path: Path, edit: Any, match: str) -> None:
    add_clip(tmp_path, "s1", "dev", [("hands", 150.0, ())])
    path = tmp_path / "scenarios" / "s1.json"
    sc = json.loads(path.read_text())
    edit(sc)
    path.write_text(json.dumps(sc))
    with pytest.raises(InputError, match=match) as exc:
        load_corpus(tmp_path)
    assert str(path) in str(exc.value)


def test_split_problems(tmp_path: Path) -> None:
    add_clip(tmp_path, "p1", "dev", [("forearms", None, ())])
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"p1": "test"}))
    with pytest.raises(InputError, match=r"split\.json: p1: expected one of dev, eval"):
        load_corpus(tmp_path)
    split.write_text(json.dumps({"other": "dev"}))
    with pytest.raises(InputError, match=r"split\.json: expected an entry for 'p1'"):
        load_corpus(tmp_path)
    split.unlink()
    with pytest.raises(InputError, match=r"split\.json: no such file"):
        load_corpus(tmp_path)
    with pytest.raises(InputError, match="expected a corpus folder"):
        load_corpus(tmp_path / "nowhere")


def test_rep_count_mismatch_between_scenario_and_truth(tmp_path: Path) -> None:
    add_clip(tmp_path, "n1", "dev", [("forearms", None, ())])
    path = tmp_path / "scenarios" / "n1.json"
    sc = json.loads(path.read_text())
    sc["reps"].append(dict(sc["reps"][0]))
    path.write_text(json.dumps(sc))
    with pytest.raises(InputError, match="expected 2 repetitions"):
        evaluate_corpus(tmp_path, load_spec(), tmp_path / "out")


# ------------------------------------------------------------------------------------------
# Per-rep fault tally on hand-made predictions (independent of the engine)
# ------------------------------------------------------------------------------------------


def test_tally_rep_faults_known_answer(corpus: Path) -> None:
    clip = next(c for c in load_corpus(corpus) if c.name == SHRUG_DEV)
    truth = load_truth(clip.truth_path)
    t1, t2 = truth.reps
    assert t1.top_start_s is not None and t2.top_start_s is not None

    def rep(i: int, t: Any) -> PredRep:
        return PredRep(
            i, t.rise_start_s, t.top_start_s, t.top_end_s, t.down_end_s, 4.0, "hands", True
        )

    faults = (
        # on rep 1 (not carried): a false fault, counted once although predicted twice
        PredFault("neck_flexed", t1.top_start_s, t1.top_start_s + 1, 1),
        PredFault("neck_flexed", t1.top_start_s + 2, t1.top_start_s + 3, None),
        # short_hold is never scored
        PredFault("short_hold", t1.top_start_s, t1.top_end_s, 1),
        # rep 2's fault, found by overlap although not attached to a rep
        PredFault("shoulders_shrugged", t2.top_start_s + 1, t2.top_end_s, None),
        # in the final rest, after every rep: on no true rep
        PredFault("hips_lifted", truth.duration_s - 0.5, truth.duration_s - 0.2, None),
    )
    pred = Prediction(
        path=corpus,
        rep_count=2,
        reps=(rep(1, t1), rep(2, t2)),
        faults=faults,
        duration_s=truth.duration_s,
        target_hold_s=None,
        frames=None,
    )
    matches = [RepMatch(1, 1, 1.0), RepMatch(2, 2, 1.0)]
    reps, stray = tally_rep_faults(pred, truth, matches, clip)
    assert [(r.carried, r.found, r.false) for r in reps] == [
        ((), (), ("neck_flexed",)),
        (("shoulders_shrugged",), ("shoulders_shrugged",), ()),
    ]
    assert stray == 1
    # an unmatched true rep gets no false fault, and its fault is missed without a prediction
    reps, _ = tally_rep_faults(_no_faults(pred), truth, [RepMatch(1, 1, 1.0)], clip)
    assert reps[1].matched is False and reps[1].missed == ("shoulders_shrugged",)


def _no_faults(pred: Prediction) -> Prediction:
    return Prediction(pred.path, pred.rep_count, pred.reps, (), pred.duration_s, None, None)


def test_pool_false_faults_per_clean_rep(corpus: Path) -> None:
    from pressup.evaluation.corpus import RepFaults
    from pressup.evaluation.score import ClipScore

    clip = next(c for c in load_corpus(corpus) if c.name == SHRUG_DEV)
    score = ClipScore(
        clip.name, "render", "", "", clip.truth_path, corpus, rep_count_pred=2, rep_count_true=2
    )
    reps = (
        RepFaults(1, "hands_straight", True, (), (), ("neck_flexed", "hips_lifted")),
        RepFaults(2, "hands_straight", True, ("shoulders_shrugged",), (), ("neck_flexed",)),
    )
    pool = Pool.of([ClipResult(clip, score, reps)])
    assert (pool.false_clean.n, pool.false_clean.d) == (2, 1)
    assert (pool.false_faulty.n, pool.false_faulty.d) == (1, 1)
    assert (pool.recall.n, pool.recall.d) == (0, 1)
    assert pool.false_by[("neck_flexed", "hands_straight")].n == 2
    assert pool.false_by[("shoulders_shrugged", "hands_straight")].d == 1
    assert pool.worst_recall is not None
    assert pool.worst_recall[0] == ("shoulders_shrugged", "hands_straight")
    assert "20.0 (2 on 1 clean reps) ✗" in format_matrix([ClipResult(clip, score, reps)])


# ------------------------------------------------------------------------------------------
# CLI
# ------------------------------------------------------------------------------------------


def test_cli_evaluate_corpus(corpus: Path, tmp_path: Path) -> None:
    md = tmp_path / "m.md"
    res = CliRunner().invoke(
        app,
        [
            "evaluate-corpus",
            str(corpus),
            "--out",
            str(tmp_path / "o"),
            "--markdown",
            str(md),
            "--split",
            "eval",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "| | dev | eval | target |" in res.stdout
    text = md.read_text()
    assert HIPS_EVAL in text and SMALL_EVAL in text and SHRUG_DEV not in text
    assert "| clips (refused) | 0 (0) | 2 (0) |" in text
    bad = CliRunner().invoke(app, ["evaluate-corpus", str(corpus), "--split", "train"])
    assert bad.exit_code == 2
    assert "--split: expected dev, eval or all" in bad.output
    missing = CliRunner().invoke(
        app, ["evaluate-corpus", str(tmp_path / "nope"), "--out", str(tmp_path / "o2")]
    )
    assert missing.exit_code == 2
    assert "expected a corpus folder" in missing.output


# ------------------------------------------------------------------------------------------
# The real corpus (when some of it is built)
# ------------------------------------------------------------------------------------------


def _complete_names(root: Path) -> set[str]:
    tracks = {p.name[: -len(".npz")] for p in (root / "tracks").glob("*.npz")}
    truths = {p.name[: -len(".gt.json.gz")] for p in (root / "truth").glob("*.gt.json.gz")}
    return tracks & truths


def test_the_committed_corpus_is_complete_and_split() -> None:
    """The repository carries the whole rendered corpus: every scenario of the grid has its
    track and its truth, and the split names each clip once."""
    root = REPO / "corpus"
    scenarios = {p.stem for p in (root / "scenarios").glob("*.json")}
    assert len(scenarios) == 80
    assert _complete_names(root) == scenarios
    clips: list[CorpusClip] = load_corpus(root)
    assert {c.name for c in clips} == scenarios
    split = json.loads((root / "split.json").read_text())
    assert set(split) == scenarios
    assert set(split.values()) == {"dev", "eval"}
    assert all(c.split == split[c.name] for c in clips)
    for c in clips:
        assert c.step in ("forearms", "hands_bent", "hands_straight", "small", "mixed")
        assert c.height_class in ("floor", "0.4 m", "1 m")
        assert len(c.reps) >= 1 and np.isfinite(c.yaw_deg)
