"""Evaluate pressup over the rendered scenario corpus (``corpus/``) and print the accuracy matrix.

The corpus folder holds, per clip ``NAME``:

* ``scenarios/NAME.json``: the generator's scenario (``body_label``, ``camera`` with ``side``,
  ``height_m``, ``yaw_deg``, and ``reps`` with ``variant``, ``elbow_deg`` for hands, ``faults``);
* ``tracks/NAME.npz``: the MediaPipe landmark track (``pressup.track/1``);
* ``truth/NAME.gt.json.gz``: the render ground truth (see :mod:`pressup.evaluation.truth`);

and ``split.json`` maps every name to ``dev`` or ``eval``. A clip is *complete* when it has both
a track and a truth file; the others (still being rendered) are ignored.

:func:`evaluate_corpus` analyses each track, writes the analysis folder, scores it with
:func:`~pressup.evaluation.score.score_clip` and adds per-repetition fault tallies:

* a true repetition carrying fault ``F`` *finds* it when a predicted fault with ``F``'s pressup
  code (:data:`~pressup.evaluation.truth.RENDER_FAULT_CODES`) overlaps the repetition's interval
  ``[press start, lowering end]`` or is attached to the predicted repetition matched with it;
* a *false fault* is a scored fault code (``short_hold`` excluded) predicted that way on a
  matched true repetition that does not carry it (counted once per code and repetition).

Recall is tallied per fault and per step (the repetition's variant and commanded elbow angle), as
the targets are stated. :func:`format_matrix` renders the dev and eval parts side by side.

Times are seconds, angles degrees, heights metres.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressup.analysis.io import ANALYSIS_FILE, FRAMES_FILE, write_folder
from pressup.errors import InputError, PressupError
from pressup.evaluation.score import (
    ERROR_FILE,
    SCORED_FAULT_CODES,
    ClipScore,
    Metrics,
    Prediction,
    RepMatch,
    fault_overlaps,
    load_prediction,
    score_clip,
)
from pressup.evaluation.truth import (
    RENDER_FAULT_CODES,
    RENDER_SUFFIX,
    Truth,
    as_float,
    as_list,
    as_mapping,
    as_str,
    get,
    load_truth,
    read_json,
)
from pressup.protocol.spec import ProtocolSpec

SPLITS: tuple[str, ...] = ("dev", "eval")
#: Steps of the exercise, in report order (``mixed``: more than one step in a clip).
STEPS: tuple[str, ...] = ("forearms", "hands_bent", "hands_straight", "small", "mixed")
#: Hands repetitions commanded below this elbow angle (degrees) are the ``small`` step.
SMALL_MAX_ELBOW_DEG = 110.0
#: Hands repetitions commanded below this elbow angle (degrees) are ``hands_bent``, at or above
#: it ``hands_straight``.
BENT_MAX_ELBOW_DEG = 155.0
#: Camera heights (m) below this are the ``floor`` class; below :data:`MID_MAX_HEIGHT_M` ``0.4 m``.
FLOOR_MAX_HEIGHT_M = 0.25
MID_MAX_HEIGHT_M = 0.7
HEIGHT_CLASSES: tuple[str, ...] = ("floor", "0.4 m", "1 m")
#: Camera yaw classes (degrees off the pure side view).
SMALL_YAW_MAX_DEG = 15.0
YAW_CLASSES: tuple[str, ...] = ("0", "|yaw| <= 15", "|yaw| > 15")
#: Camera classes for the trunk-angle targets: level = floor height and no yaw.
CAMERA_CLASSES: tuple[str, ...] = ("level", "raised or turned")

#: Generator fault name -> pressup code, and back.
CODE_OF_FAULT: dict[str, str] = dict(RENDER_FAULT_CODES)
FAULT_OF_CODE: dict[str, str] = {v: k for k, v in RENDER_FAULT_CODES.items()}

# Targets (see the module doc of the benchmark and docs/accuracy-corpus.md).
TARGET_FAULT_RECALL = 0.9
TARGET_FALSE_PER_10_CLEAN = 1.0
TARGET_HOLD_MEDIAN_S = 0.5
TARGET_TRUNK_MAE_DEG: dict[str, float] = {"level": 3.0, "raised or turned": 6.0}

SPLIT_FILE = "split.json"
SCENARIO_DIR = "scenarios"
TRACK_DIR = "tracks"
TRUTH_DIR = "truth"
TRACK_SUFFIX = ".npz"

#: ``progress(done, total, name)`` after each clip.
Progress = Callable[[int, int, str], None]


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioRep:
    """One scripted repetition: ``variant``, its ``step``, the commanded top elbow angle
    (degrees, hands only), the generator fault names and the scripted hold (s)."""

    variant: str
    step: str
    elbow_deg: float | None
    faults: tuple[str, ...]
    hold_s: float | None


@dataclass(frozen=True)
class CorpusClip:
    """A complete corpus clip and the attributes it is grouped by.

    ``step``: the one step of its repetitions, or ``mixed``. ``faults``: generator fault names
    injected anywhere in the clip. ``height_m``/``yaw_deg``: camera height (m) and yaw (degrees)
    with their classes :data:`HEIGHT_CLASSES` / :data:`YAW_CLASSES`. ``side``: the body side
    facing the camera.
    """

    name: str
    split: str
    scenario: Mapping[str, Any]
    scenario_path: Path
    track_path: Path
    truth_path: Path
    reps: tuple[ScenarioRep, ...]
    step: str
    faults: frozenset[str]
    body: str
    side: str
    height_m: float
    yaw_deg: float

    @property
    def height_class(self) -> str:
        """``floor`` (< 0.25 m), ``0.4 m`` or ``1 m``."""
        return height_class(self.height_m)

    @property
    def yaw_class(self) -> str:
        """``0``, ``|yaw| <= 15`` or ``|yaw| > 15``."""
        return yaw_class(self.yaw_deg)

    @property
    def camera_class(self) -> str:
        """``level`` (floor height, yaw 0) or ``raised or turned``."""
        level = self.height_m < FLOOR_MAX_HEIGHT_M and self.yaw_deg == 0.0
        return "level" if level else "raised or turned"


def rep_step(variant: str, elbow_deg: float | None) -> str:
    """The step of one repetition: ``forearms``, ``small``, ``hands_bent`` or ``hands_straight``."""
    if variant == "forearms":
        return "forearms"
    if elbow_deg is None:
        raise ValueError("a hands repetition needs its elbow angle")
    if elbow_deg < SMALL_MAX_ELBOW_DEG:
        return "small"
    return "hands_bent" if elbow_deg < BENT_MAX_ELBOW_DEG else "hands_straight"


def height_class(height_m: float) -> str:
    """Camera height class of ``height_m`` (metres)."""
    if height_m < FLOOR_MAX_HEIGHT_M:
        return "floor"
    return "0.4 m" if height_m < MID_MAX_HEIGHT_M else "1 m"


def yaw_class(yaw_deg: float) -> str:
    """Camera yaw class of ``yaw_deg`` (degrees)."""
    if yaw_deg == 0.0:
        return "0"
    return "|yaw| <= 15" if abs(yaw_deg) <= SMALL_YAW_MAX_DEG else "|yaw| > 15"


def load_corpus(root: Path) -> list[CorpusClip]:
    """The complete clips of the corpus at ``root`` (track and truth present), sorted by name.

    Raises:
        InputError: ``root`` is not a corpus folder, ``split.json`` is malformed or lacks a
            complete clip, or a complete clip's scenario is missing or malformed (the message
            names the file and what was expected).
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: expected a corpus folder (scenarios/, tracks/, truth/)")
    split = _load_split(root / SPLIT_FILE)
    tracks = _stems(root / TRACK_DIR, TRACK_SUFFIX)
    truths = _stems(root / TRUTH_DIR, RENDER_SUFFIX)
    clips: list[CorpusClip] = []
    for name in sorted(tracks & truths):
        if name not in split:
            raise InputError(
                f"{root / SPLIT_FILE}: expected an entry for {name!r} (it has a track and a "
                "truth file), found none"
            )
        scenario_path = root / SCENARIO_DIR / f"{name}.json"
        if not scenario_path.is_file():
            raise InputError(
                f"{scenario_path}: no such file (expected the scenario of {name!r}, which has a "
                "track and a truth file)"
            )
        clips.append(
            _clip(
                name,
                split[name],
                scenario_path,
                root / TRACK_DIR / f"{name}{TRACK_SUFFIX}",
                root / TRUTH_DIR / f"{name}{RENDER_SUFFIX}",
            )
        )
    return clips


def _stems(folder: Path, suffix: str) -> set[str]:
    if not folder.exists():
        return set()
    if not folder.is_dir():
        raise InputError(f"{folder}: expected a folder of *{suffix} files, found a file")
    return {p.name[: -len(suffix)] for p in folder.iterdir() if p.name.endswith(suffix)}


def _load_split(path: Path) -> dict[str, str]:
    obj = as_mapping(read_json(path), path, "top level")
    out: dict[str, str] = {}
    for name, part in obj.items():
        out[name] = as_str(part, path, name, SPLITS)
    return out


def _clip(name: str, split: str, path: Path, track: Path, truth: Path) -> CorpusClip:
    sc = as_mapping(read_json(path), path, "top level")
    sc_name = sc.get("name", name)
    if sc_name != name:
        raise InputError(f"{path}: name: expected {name!r} (the file's name), got {sc_name!r}")
    body = as_str(get(sc, "body_label", path), path, "body_label")
    cam = as_mapping(get(sc, "camera", path), path, "camera")
    side = as_str(get(cam, "side", path, "camera."), path, "camera.side", ("left", "right"))
    height = as_float(get(cam, "height_m", path, "camera."), path, "camera.height_m")
    yaw = as_float(get(cam, "yaw_deg", path, "camera."), path, "camera.yaw_deg")
    raw_reps = as_list(get(sc, "reps", path), path, "reps")
    if not raw_reps:
        raise InputError(f"{path}: reps: expected at least one repetition, got none")
    reps = tuple(_scenario_rep(r, path, i) for i, r in enumerate(raw_reps))
    steps = {r.step for r in reps}
    return CorpusClip(
        name=name,
        split=split,
        scenario=sc,
        scenario_path=path,
        track_path=track,
        truth_path=truth,
        reps=reps,
        step=steps.pop() if len(steps) == 1 else "mixed",
        faults=frozenset(f for r in reps for f in r.faults),
        body=body,
        side=side,
        height_m=height,
        yaw_deg=yaw,
    )


def _scenario_rep(raw: Any, path: Path, i: int) -> ScenarioRep:
    key = f"reps[{i}]"
    r = as_mapping(raw, path, key)
    variant = as_str(
        get(r, "variant", path, key + "."), path, key + ".variant", ("forearms", "hands")
    )
    elbow = None
    if variant == "hands":
        elbow = as_float(get(r, "elbow_deg", path, key + "."), path, key + ".elbow_deg")
    faults = tuple(
        as_str(f, path, f"{key}.faults[{j}]", tuple(RENDER_FAULT_CODES))
        for j, f in enumerate(as_list(r.get("faults", []), path, key + ".faults"))
    )
    hold = r.get("hold_s")
    return ScenarioRep(
        variant=variant,
        step=rep_step(variant, elbow),
        elbow_deg=elbow,
        faults=faults,
        hold_s=None if hold is None else as_float(hold, path, key + ".hold_s"),
    )


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepFaults:
    """Faults of one true repetition (1-based ``index``), as pressup codes.

    ``carried``: injected; ``found``: carried and predicted on it; ``false``: predicted on it
    but not carried (only counted when the repetition was ``matched`` by a predicted one).
    """

    index: int
    step: str
    matched: bool
    carried: tuple[str, ...]
    found: tuple[str, ...]
    false: tuple[str, ...]

    @property
    def missed(self) -> tuple[str, ...]:
        """Carried codes that were not found."""
        return tuple(c for c in self.carried if c not in self.found)

    @property
    def clean(self) -> bool:
        """True when the repetition carries no fault."""
        return not self.carried


@dataclass
class ClipResult:
    """One evaluated clip: its score (``score_clip``), per-repetition faults and attributes.

    ``refused`` is the message of the :class:`~pressup.errors.PressupError` pressup raised on
    the clip (``None`` when it was analysed); a refused clip counts as a wrong count.
    ``stray_faults`` counts scored predicted faults that fell on no true repetition.
    """

    clip: CorpusClip
    score: ClipScore
    reps: tuple[RepFaults, ...] = ()
    refused: str | None = None
    stray_faults: int = 0

    @property
    def name(self) -> str:
        return self.clip.name

    @property
    def split(self) -> str:
        return self.clip.split

    @property
    def count_exact(self) -> bool:
        """The predicted rep count equals the true one (never for a refused clip)."""
        return self.refused is None and bool(self.score.rep_count_exact)


def evaluate_corpus(
    root: Path,
    spec: ProtocolSpec,
    out_dir: Path,
    names: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> list[ClipResult]:
    """Analyse and score the complete clips of the corpus at ``root`` (only ``names`` if given).

    Each clip's analysis goes to ``out_dir/NAME/`` (``analysis.json`` + ``frames.csv``, or
    ``error.json`` when pressup refuses the clip).

    Raises:
        InputError: the corpus is malformed (see :func:`load_corpus`), a truth or track file is
            malformed, or a name in ``names`` is not a complete clip.
    """
    from pressup.analysis.run import analyze_track
    from pressup.pose import load_track

    clips = load_corpus(root)
    if names is not None:
        wanted = list(dict.fromkeys(names))
        known = {c.name for c in clips}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise InputError(
                f"{root}: expected complete clips (track and truth present); not found: "
                + ", ".join(unknown)
            )
        keep = set(wanted)
        clips = [c for c in clips if c.name in keep]
    out_dir = Path(out_dir)
    results: list[ClipResult] = []
    for k, clip in enumerate(clips, 1):
        truth = load_truth(clip.truth_path)
        if len(truth.reps) != len(clip.reps):
            raise InputError(
                f"{clip.truth_path}: expected {len(clip.reps)} repetitions as in "
                f"{clip.scenario_path}, got {len(truth.reps)}"
            )
        track = load_track(clip.track_path)
        d = out_dir / clip.name
        d.mkdir(parents=True, exist_ok=True)
        for stale in (ANALYSIS_FILE, FRAMES_FILE, ERROR_FILE):
            (d / stale).unlink(missing_ok=True)
        refused = None
        try:
            analysis = analyze_track(track, spec)
        except PressupError as exc:
            refused = str(exc)
            payload = {
                "input": str(clip.track_path),
                "error": type(exc).__name__,
                "message": refused,
            }
            (d / ERROR_FILE).write_text(json.dumps(payload) + "\n")
        else:
            write_folder(analysis, d, events=False)
        score = score_clip(d, truth)
        rep_faults, stray = tally_rep_faults(load_prediction(d), truth, score.matches, clip)
        results.append(
            ClipResult(clip=clip, score=score, reps=rep_faults, refused=refused, stray_faults=stray)
        )
        if progress is not None:
            progress(k, len(clips), clip.name)
    return results


def tally_rep_faults(
    pred: Prediction, truth: Truth, matches: Sequence[RepMatch], clip: CorpusClip
) -> tuple[tuple[RepFaults, ...], int]:
    """Per true repetition: carried, found and false fault codes; plus the number of scored
    predicted faults on no true repetition.

    A predicted fault is *on* a true repetition when it overlaps the repetition's interval
    ``[press start, lowering end]`` or is attached to the predicted repetition matched with it.
    """
    pred_of_true = {m.true_index: m.pred_index for m in matches}
    scored = [f for f in pred.faults if f.code in SCORED_FAULT_CODES]
    used: set[int] = set()
    out: list[RepFaults] = []
    for t in truth.reps:
        pi = pred_of_true.get(t.index)
        iv = t.interval(truth.duration_s)
        on: set[str] = set()
        for k, f in enumerate(scored):
            attached = pi is not None and f.rep == pi
            if attached or (iv is not None and fault_overlaps(f, iv[0], iv[1])):
                on.add(f.code)
                used.add(k)
        carried = tuple(dict.fromkeys(t.faults))
        matched = pi is not None
        out.append(
            RepFaults(
                index=t.index,
                step=clip.reps[t.index - 1].step,
                matched=matched,
                carried=carried,
                found=tuple(c for c in carried if c in on),
                false=tuple(
                    c for c in SCORED_FAULT_CODES if matched and c in on and c not in carried
                ),
            )
        )
    return tuple(out), len(scored) - len(used)


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------


@dataclass
class Ratio:
    """``n`` of ``d``."""

    n: int = 0
    d: int = 0

    @property
    def value(self) -> float | None:
        return self.n / self.d if self.d else None


@dataclass
class Pool:
    """Numbers pooled over a set of clip results."""

    clips: int = 0
    refused: int = 0
    count_exact: int = 0
    hold_errors_s: list[float] = field(default_factory=list)
    metrics: dict[str, Metrics] = field(
        default_factory=lambda: {c: Metrics() for c in CAMERA_CLASSES}
    )
    recall: Ratio = field(default_factory=Ratio)
    #: (code, step) -> found / carried
    recall_by: dict[tuple[str, str], Ratio] = field(default_factory=dict)
    #: (code, step) -> false / matched reps of that step not carrying the code
    false_by: dict[tuple[str, str], Ratio] = field(default_factory=dict)
    false_clean: Ratio = field(default_factory=Ratio)
    false_faulty: Ratio = field(default_factory=Ratio)
    stray_faults: int = 0

    @classmethod
    def of(cls, results: Iterable[ClipResult]) -> Pool:
        p = cls()
        for r in results:
            p.add(r)
        return p

    def add(self, r: ClipResult) -> None:
        self.clips += 1
        self.refused += int(r.refused is not None)
        self.count_exact += int(r.count_exact)
        self.hold_errors_s.extend(r.score.metrics.hold_errors_s)
        self.metrics[r.clip.camera_class].merge(r.score.metrics)
        self.stray_faults += r.stray_faults
        for rep in r.reps:
            for code in rep.carried:
                cell = self.recall_by.setdefault((code, rep.step), Ratio())
                cell.d += 1
                self.recall.d += 1
                if code in rep.found:
                    cell.n += 1
                    self.recall.n += 1
            if not rep.matched:
                continue
            for code in SCORED_FAULT_CODES:
                if code in rep.carried:
                    continue
                cell = self.false_by.setdefault((code, rep.step), Ratio())
                cell.d += 1
                cell.n += int(code in rep.false)
            target = self.false_clean if rep.clean else self.false_faulty
            target.d += 1
            target.n += len(rep.false)

    @property
    def all_metrics(self) -> Metrics:
        m = Metrics()
        for v in self.metrics.values():
            m.merge(v)
        return m

    def trunk_mae(self, camera: str) -> float | None:
        return self.metrics[camera].angle_mae("trunk_deg")

    @property
    def elbow_mae_hold(self) -> float | None:
        return self.all_metrics.angle_mae("elbow_deg", hold_only=True)

    @property
    def hold_median_s(self) -> float | None:
        return float(statistics.median(self.hold_errors_s)) if self.hold_errors_s else None

    @property
    def hold_max_s(self) -> float | None:
        return max(self.hold_errors_s) if self.hold_errors_s else None

    @property
    def worst_recall(self) -> tuple[tuple[str, str], Ratio] | None:
        """The (code, step) cell with the lowest recall (ties: most repetitions)."""
        cells = [(k, v) for k, v in self.recall_by.items() if v.d]
        if not cells:
            return None
        return min(cells, key=lambda kv: (kv[1].n / kv[1].d, -kv[1].d))


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------

_DASH = "—"


def _mark(ok: bool | None) -> str:
    return "" if ok is None else (" ✓" if ok else " ✗")


def _ratio(r: Ratio, *, target: float | None = None) -> str:
    v = r.value
    if v is None:
        return _DASH
    return f"{100 * v:.0f} % ({r.n}/{r.d})" + _mark(None if target is None else v >= target)


def _num(v: float | None, digits: int = 1, unit: str = "", max_ok: float | None = None) -> str:
    if v is None:
        return _DASH
    return f"{v:.{digits}f}{unit}" + _mark(None if max_ok is None else v <= max_ok)


def _per10(r: Ratio, kind: str, *, max_ok: float | None = None) -> str:
    if not r.d:
        return _DASH
    v = 10.0 * r.n / r.d
    return f"{v:.1f} ({r.n} on {r.d} {kind} reps)" + _mark(None if max_ok is None else v <= max_ok)


def _count(p: Pool) -> str:
    if not p.clips:
        return _DASH
    return f"{p.count_exact}/{p.clips} ({100 * p.count_exact / p.clips:.0f} %)" + _mark(
        p.count_exact == p.clips
    )


def _hold(p: Pool) -> str:
    med = p.hold_median_s
    if med is None:
        return _DASH
    return f"{med:.2f} / {p.hold_max_s:.2f}" + _mark(med <= TARGET_HOLD_MEDIAN_S)


def _worst(p: Pool) -> str:
    w = p.worst_recall
    if w is None:
        return _DASH
    (code, step), r = w
    return f"{_ratio(r, target=TARGET_FAULT_RECALL)}: {FAULT_OF_CODE.get(code, code)}, {step}"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _headline(pools: Mapping[str, Pool]) -> list[str]:
    dev, ev = pools["dev"], pools["eval"]
    rows: list[tuple[str, Callable[[Pool], str], str]] = [
        (
            "clips (refused)",
            lambda p: f"{p.clips} ({p.refused})",
            "",
        ),
        ("rep count exact", _count, "every eval clip"),
        ("hold-time error, median / max (s)", _hold, f"median ≤ {TARGET_HOLD_MEDIAN_S:g} s"),
        (
            "trunk MAE, level camera (floor, yaw 0)",
            lambda p: _num(p.trunk_mae("level"), unit="°", max_ok=TARGET_TRUNK_MAE_DEG["level"]),
            f"≤ {TARGET_TRUNK_MAE_DEG['level']:g}°",
        ),
        (
            "trunk MAE, raised or turned camera",
            lambda p: _num(
                p.trunk_mae("raised or turned"),
                unit="°",
                max_ok=TARGET_TRUNK_MAE_DEG["raised or turned"],
            ),
            f"≤ {TARGET_TRUNK_MAE_DEG['raised or turned']:g}°",
        ),
        ("elbow MAE at holds", lambda p: _num(p.elbow_mae_hold, unit="°"), ""),
        (
            "fault recall (per rep, all faults pooled)",
            lambda p: _ratio(p.recall, target=TARGET_FAULT_RECALL),
            f"≥ {100 * TARGET_FAULT_RECALL:.0f} % per fault per step",
        ),
        ("fault recall, worst fault x step", _worst, f"≥ {100 * TARGET_FAULT_RECALL:.0f} %"),
        (
            "false faults per 10 clean reps",
            lambda p: _per10(p.false_clean, "clean", max_ok=TARGET_FALSE_PER_10_CLEAN),
            f"≤ {TARGET_FALSE_PER_10_CLEAN:g}",
        ),
        (
            "false faults per 10 faulty reps (codes they do not carry)",
            lambda p: _per10(p.false_faulty, "faulty"),
            "",
        ),
        ("predicted faults on no true rep", lambda p: str(p.stray_faults), ""),
    ]
    out = ["| | dev | eval | target |", "|---|---:|---:|---|"]
    for title, fn, target in rows:
        out.append(_row([title, fn(dev), fn(ev), target]))
    return out


_GROUP_COLS = ("clips", "count exact", "hold err med (s)", "trunk MAE", "recall", "false/10 clean")


def _group_cells(p: Pool) -> list[str]:
    if not p.clips:
        return [_DASH] * len(_GROUP_COLS)
    m = p.all_metrics
    return [
        str(p.clips),
        _count(p),
        _num(p.hold_median_s, 2),
        _num(m.angle_mae("trunk_deg"), unit="°"),
        _ratio(p.recall),
        _per10(p.false_clean, "clean"),
    ]


def _breakdown(
    results: Sequence[ClipResult],
    title: str,
    key: Callable[[CorpusClip], str],
    order: Sequence[str],
) -> list[str]:
    seen = {key(r.clip) for r in results}
    groups = [g for g in order if g in seen] + sorted(seen - set(order))
    out = [f"### By {title}", ""]
    out.append(
        _row([title, *(f"dev {c}" for c in _GROUP_COLS), *(f"eval {c}" for c in _GROUP_COLS)])
    )
    out.append("|---|" + "---:|" * (2 * len(_GROUP_COLS)))
    for g in groups:
        cells = [g]
        for split in SPLITS:
            cells += _group_cells(
                Pool.of(r for r in results if r.split == split and key(r.clip) == g)
            )
        out.append(_row(cells))
    out.append("")
    return out


def _fault_table(pools: Mapping[str, Pool]) -> list[str]:
    out = [
        "### By fault and step (per repetition)",
        "",
        "| fault (pressup code) | step | dev recall | eval recall | dev false | eval false "
        "| target |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for name, code in CODE_OF_FAULT.items():
        for step in STEPS:
            key = (code, step)
            rec = [pools[s].recall_by.get(key, Ratio()) for s in SPLITS]
            fal = [pools[s].false_by.get(key, Ratio()) for s in SPLITS]
            if not any(r.d for r in rec) and not any(f.n for f in fal):
                continue
            out.append(
                _row(
                    [
                        f"{name} ({code})",
                        step,
                        *(_ratio(r, target=TARGET_FAULT_RECALL) for r in rec),
                        *(_DASH if not f.d else f"{f.n}/{f.d}" for f in fal),
                        f"recall ≥ {100 * TARGET_FAULT_RECALL:.0f} %",
                    ]
                )
            )
    out += [
        "",
        "Recall: repetitions carrying the fault on which it was found / repetitions carrying it. "
        "False: matched repetitions of that step, not carrying the fault, on which it was "
        "predicted / all such repetitions.",
        "",
    ]
    return out


def _rep_list(reps: Iterable[RepFaults], pick: Callable[[RepFaults], Sequence[str]]) -> str:
    items = [f"{FAULT_OF_CODE.get(c, c)} r{r.index}" for r in reps for c in pick(r)]
    return ", ".join(items)


def _clip_rows(results: Sequence[ClipResult]) -> list[str]:
    out = [
        "## Per clip",
        "",
        "| clip | split | step | faults | count pred / true | hold err max (s) | faults missed "
        "| false faults | refused |",
        "|---|---|---|---|---:|---:|---|---|---|",
    ]
    for r in results:
        errs = r.score.metrics.hold_errors_s
        pred = _DASH if r.refused is not None else str(r.score.rep_count_pred)
        verdict = "" if r.count_exact else " ✗"
        false = _rep_list(r.reps, lambda x: x.false)
        if r.stray_faults:
            false = (false + ", " if false else "") + f"{r.stray_faults} on no rep"
        out.append(
            _row(
                [
                    r.name,
                    r.split,
                    r.clip.step,
                    ", ".join(sorted(r.clip.faults)) or "clean",
                    f"{pred} / {r.score.rep_count_true}{verdict}",
                    _num(max(errs) if errs else None, 2),
                    _rep_list(r.reps, lambda x: x.missed),
                    false,
                    (r.refused or "").replace("\n", " "),
                ]
            )
        )
    out.append("")
    return out


def _wrong_counts(results: Sequence[ClipResult]) -> list[str]:
    wrong = [r for r in results if not r.count_exact]
    out = [f"## Clips with a wrong count ({len(wrong)})", ""]
    if not wrong:
        out.append("None.")
    for r in wrong:
        if r.refused is not None:
            out.append(f"- `{r.name}` ({r.split}): refused: {r.refused}")
        else:
            out.append(
                f"- `{r.name}` ({r.split}): {r.score.rep_count_pred} counted, "
                f"{r.score.rep_count_true} true"
            )
    out.append("")
    return out


def format_matrix(results: Sequence[ClipResult]) -> str:
    """The accuracy matrix as Markdown: headline (dev and eval side by side, with targets),
    breakdowns by step, fault x step, camera height, yaw and body, a per-clip table and the
    clips whose count is wrong."""
    pools = {s: Pool.of(r for r in results if r.split == s) for s in SPLITS}
    out = ["## Headline", ""]
    out += _headline(pools)
    out += [
        "",
        "✓ / ✗: the target is met / missed. Count: a refused clip counts as wrong. Hold error: "
        "|predicted - true hold| over matched complete repetitions. Trunk MAE: every tracked "
        "frame against the 3D truth; level = camera below 0.25 m with yaw 0. Elbow MAE: the "
        "camera-side elbow during holds. Faults are tallied per repetition (a fault is found when "
        "a predicted fault of its pressup code overlaps the repetition or is attached to the "
        "predicted repetition matched with it); false faults are codes predicted on a matched "
        "repetition that does not carry them, once per code and repetition; `short_hold` is not "
        "scored.",
        "",
        "## Breakdowns",
        "",
    ]
    out += _breakdown(results, "step", lambda c: c.step, STEPS)
    out += _fault_table(pools)
    out += _breakdown(results, "camera height", lambda c: c.height_class, HEIGHT_CLASSES)
    out += _breakdown(results, "yaw", lambda c: c.yaw_class, YAW_CLASSES)
    out += _breakdown(results, "body", lambda c: c.body, ())
    out += _clip_rows(results)
    out += _wrong_counts(results)
    return "\n".join(out).rstrip("\n") + "\n"


__all__ = [
    "CAMERA_CLASSES",
    "HEIGHT_CLASSES",
    "SPLITS",
    "STEPS",
    "YAW_CLASSES",
    "ClipResult",
    "CorpusClip",
    "Pool",
    "RepFaults",
    "ScenarioRep",
    "evaluate_corpus",
    "format_matrix",
    "height_class",
    "load_corpus",
    "rep_step",
    "tally_rep_faults",
    "yaw_class",
]
