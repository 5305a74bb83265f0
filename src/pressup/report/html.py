"""The self-contained HTML report of one analysis, for a patient and their physiotherapist.

:func:`write_report` writes a single ``.html`` file with everything inline (CSS and SVG plots;
no scripts, no external assets). All text goes through Jinja2 autoescaping; only the SVG made
by :mod:`pressup.report.plots` is inserted as markup.

Times are seconds, angles degrees, shares of the video percent.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup

from pressup import __version__
from pressup.analysis.result import FAULT_CODES, LABELS, RAISED_LABELS, Analysis, Fault, Rep
from pressup.report import plots
from pressup.wording import (
    FAULT_WORDING,
    LABEL_WORDING,
    VARIANT_WORDING,
    detail_rows,
    dose_sentence,
    fault_wording,
    label_wording,
    not_counted_wording,
    variant_cell,
    variant_wording,
)

#: Faults that get their own summary line (hold and lowering) rather than a "form point".
_TIMING_FAULTS = frozenset({"short_hold", "fast_lowering"})

#: Plain names of the per-frame measurement columns.
COLUMN_WORDING: dict[str, str] = {
    "trunk_deg": "trunk lift",
    "elbow_deg": "elbow angle",
    "hip_ext_deg": "hip extension",
    "neck_deg": "neck angle",
    "shrug_ratio": "shoulder height (shrug)",
    "hip_lift": "hip lift",
}

_TEMPLATE = "report.html.j2"
_DASH = "\u2014"


@dataclass(frozen=True)
class RepRow:
    """One row of the per-rep table, already formatted for display."""

    index: int
    variant: str
    press: str
    hold: str
    lower: str
    trunk: str
    elbow: str
    faults: list[str]
    complete: bool
    off_plan: bool = False  # done in another posture than the plan's


@dataclass(frozen=True)
class NotCountedRow:
    """One repetition (or attempt) that did not count, with why, in plain words.

    ``what``: ``"Press-up 2"`` for a repetition in the table, ``"An attempt"`` for one given up
    part-way (another shape, or back down before any hold); ``when``: seconds from the start.
    """

    what: str
    when: str
    reason: str


@dataclass(frozen=True)
class WorkPoint:
    """One form point to work on: its name, a kind cue and where it was seen."""

    code: str
    name: str
    cue: str
    where: str


@dataclass(frozen=True)
class Fact:
    """A headline number for the summary cards."""

    title: str
    value: str
    note: str
    ok: bool | None = None


@dataclass
class Summary:
    """The plain-language summary of one analysis (see :func:`summarize`)."""

    headline: str
    facts: list[Fact] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    went_well: list[str] = field(default_factory=list)
    work_on: list[WorkPoint] = field(default_factory=list)
    camera: list[str] = field(default_factory=list)
    zero_reps: bool = False
    zero_reasons: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# formatting


def fmt_seconds(x: float | None, digits: int = 1) -> str:
    """``"8.5"`` for seconds ``x``; a dash when unknown (None/NaN)."""
    if x is None or not math.isfinite(x):
        return _DASH
    return f"{x:.{digits}f}"


def fmt_degrees(x: float | None) -> str:
    """``"42°"`` for degrees ``x`` (whole degrees); a dash when unknown."""
    if x is None or not math.isfinite(x):
        return _DASH
    return f"{x:.0f}\u00b0"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _target_text(protocol: dict[str, Any], key: str, unit: str = "") -> str | None:
    """The protocol target ``key`` as text: ``"10 s"`` or a range such as ``"3-5"`` (en dash)."""
    value = protocol.get(key)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        lo, hi = value
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi)):
            return f"{float(lo):g}\u2013{float(hi):g}{unit}"
    num = plots.protocol_number(protocol, key)
    return None if num is None else f"{num:g}{unit}"


def _rep_faults(analysis: Analysis, rep: Rep) -> list[Fault]:
    """Faults of ``rep``: its own list, plus analysis faults tagged with its index."""
    seen: set[tuple[str, float, float]] = set()
    out: list[Fault] = []
    for f in [*rep.faults, *(f for f in analysis.faults if f.rep == rep.index)]:
        key = (f.code, f.start_s, f.end_s)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _ordered_codes(codes: set[str]) -> list[str]:
    return [c for c in FAULT_CODES if c in codes] + sorted(codes.difference(FAULT_CODES))


def rep_rows(analysis: Analysis) -> list[RepRow]:
    """The per-rep table: durations in seconds (1 decimal), peak angles in whole degrees; the
    posture each press-up was done in, marked when the plan (``analysis.protocol``'s
    ``variant``) asked for the other one (``"Hands (plan: forearms)"``)."""
    planned = (analysis.protocol or {}).get("variant")
    planned = planned if isinstance(planned, str) else None
    rows = []
    for rep in analysis.reps:
        codes = _ordered_codes({f.code for f in _rep_faults(analysis, rep)})
        rows.append(
            RepRow(
                index=rep.index,
                variant=variant_cell(rep.variant, planned),
                off_plan=planned is not None and rep.variant != planned,
                press=fmt_seconds(rep.press_s),
                hold=fmt_seconds(rep.hold_s),
                lower=fmt_seconds(rep.lower_s),
                trunk=fmt_degrees(rep.peak_trunk_deg),
                elbow=fmt_degrees(rep.peak_elbow_deg),
                faults=[fault_wording(c).name for c in codes],
                complete=bool(rep.complete),
            )
        )
    return rows


def not_counted_rows(analysis: Analysis) -> list[NotCountedRow]:
    """Every repetition that did not count, in time order: the incomplete repetitions of
    ``analysis.reps`` (their ``not_counted`` reason) and the attempts the engine gave up
    (``rep_abandoned`` events: another shape, or back down before any hold)."""
    found: list[tuple[float, NotCountedRow]] = []
    for rep in analysis.reps:
        if rep.complete:
            continue
        found.append(
            (
                rep.start_s,
                NotCountedRow(
                    what=f"Press-up {rep.index}",
                    when=fmt_seconds(rep.start_s),
                    reason=not_counted_wording(rep.not_counted).reason,
                ),
            )
        )
    for e in analysis.events:
        if e.get("kind") != "rep_abandoned":
            continue
        t = float(e.get("t_s", math.nan))
        found.append(
            (
                t,
                NotCountedRow(
                    what="An attempt",
                    when=fmt_seconds(t),
                    reason=not_counted_wording(e.get("code")).reason,
                ),
            )
        )
    found.sort(key=lambda x: x[0] if math.isfinite(x[0]) else math.inf)
    return [row for _, row in found]


# --------------------------------------------------------------------------------------------
# summary


@dataclass(frozen=True)
class Coverage:
    """What share of the video the camera could use (fractions 0..1, seconds)."""

    duration_s: float
    n_frames: int
    untracked: float
    not_visible: float
    other_pose: float
    raised: float
    unmeasured: list[str]


def coverage(analysis: Analysis) -> Coverage:
    """Shares of frames untracked / labelled not visible / other pose / raised, and the columns
    that were never measured."""
    fr = analysis.frames
    t = np.asarray(fr.t_s, dtype=np.float64)
    n = int(t.size)
    t0, t1 = plots.time_span_s(t)
    duration = t1 - t0 if n else 0.0
    tracked = np.asarray(fr.tracked, dtype=bool)
    untracked = float(1.0 - tracked.mean()) if tracked.size else 1.0
    counts = Counter(fr.label)
    total = max(len(fr.label), 1)
    raised = sum(counts[lab] for lab in RAISED_LABELS) / total
    unmeasured = []
    for col, words in COLUMN_WORDING.items():
        arr = fr.columns.get(col)
        if arr is None or not bool(np.isfinite(np.asarray(arr, dtype=np.float64)).any()):
            unmeasured.append(words)
    return Coverage(
        duration_s=duration,
        n_frames=n,
        untracked=untracked,
        not_visible=counts["not_visible"] / total,
        other_pose=counts["other_pose"] / total,
        raised=raised,
        unmeasured=unmeasured if n else [],
    )


#: Form measures, the fault codes that judge them, and what to say when none was seen.
_PRAISE: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("head", ("neck_extended", "neck_flexed"), "head in line", "your head"),
    ("shoulders", ("shoulders_shrugged",), "shoulders relaxed", "your shoulders"),
    ("hips", ("hips_lifted",), "hips down", "your hips"),
    ("elbows", ("elbows_locked",), "elbows not locked", "your elbows"),
)


def _form_praise(judged: object, fault_codes: set[str]) -> tuple[list[str], str]:
    """What to praise (only measures judged on at least one press-up and never faulted) and a
    sentence naming what could not be judged (empty when everything was)."""
    counts = judged if isinstance(judged, dict) else {}
    praise: list[str] = []
    missing: list[str] = []
    for key, codes, good, words in _PRAISE:
        n = counts.get(key)
        if not isinstance(n, int) or n <= 0:
            missing.append(words)
        elif not fault_codes & set(codes):
            praise.append(good)
    if not missing:
        return praise, ""
    why = ""
    if "your head" in missing or "your shoulders" in missing:
        why = (
            " The head and shoulders are compared with your first press-up, so they are judged "
            "from the second one on."
        )
    return praise, (
        "We could not judge " + _join_words(missing) + " from this video, so we say nothing "
        "about them." + why
    )


def _join_words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _headline(completed: int, target_reps: float | None, target_reps_text: str | None) -> str:
    """The first sentence: how many press-ups were completed, against the target if any."""
    if completed == 0:
        return "No complete press-ups were found in this video."
    if target_reps is not None and completed >= target_reps:
        return (
            f"Well done \u2014 you completed {_plural(completed, 'press-up')}, "
            f"meeting the target of {target_reps_text}."
        )
    if target_reps is not None:
        return (
            f"You completed {completed} of the {target_reps_text} press-ups planned. "
            "Every one counts."
        )
    return f"You completed {_plural(completed, 'press-up')}."


def _count_fact(
    completed: int, n_reps: int, target_reps: float | None, target_reps_text: str | None
) -> Fact:
    """The "Press-ups completed" card."""
    return Fact(
        "Press-ups completed",
        str(completed) + (f" of {target_reps_text}" if target_reps_text else ""),
        (
            f"plus {_plural(n_reps - completed, 'unfinished attempt')}"
            if n_reps > completed
            else "counted from lying flat, up, and back down"
        ),
        ok=None if target_reps is None else completed >= target_reps,
    )


def _summarize_hold(
    s: Summary,
    reps: list[Rep],
    done: list[Rep],
    target_hold: float | None,
    target_hold_text: str | None,
) -> None:
    """The hold card and sentence (seconds), and praise when every hold met the target."""
    hold_pool = [r.hold_s for r in (done or reps) if math.isfinite(r.hold_s)]
    avg_hold = sum(hold_pool) / len(hold_pool) if hold_pool else None
    if avg_hold is None:
        return
    met = (
        sum(1 for r in done if math.isfinite(r.hold_s) and r.hold_s >= target_hold)
        if target_hold is not None
        else None
    )
    s.facts.append(
        Fact(
            "Average hold at the top",
            f"{avg_hold:.1f} s",
            f"target {target_hold_text}" if target_hold_text else "no target set",
            ok=None if target_hold is None else avg_hold >= target_hold,
        )
    )
    text = f"On average you held the top position for {avg_hold:.1f} seconds"
    text += f" (target {target_hold_text})." if target_hold_text else "."
    if met is not None and done:
        if met == len(done):
            s.went_well.append("Every completed press-up was held for the target time.")
        elif met == 0:
            text += (
                " None reached the target yet, and that is fine to build up to: "
                + fault_wording("short_hold").cue[0].lower()
                + fault_wording("short_hold").cue[1:]
            )
        else:
            text += (
                f" {met} of {len(done)} completed press-ups reached the target. "
                + fault_wording("short_hold").cue
            )
    s.sentences.append(text)


def _summarize_variant(s: Summary, reps: list[Rep], protocol: dict[str, Any]) -> None:
    """The sentence and card naming the version(s) done (``reps`` not empty)."""
    variants = Counter(r.variant for r in reps)
    if len(variants) == 1:
        (variant,) = variants
        vtext = variant_wording(variant)
        s.sentences.append(f"You did your press-ups {vtext}.")
    else:
        (v0, n0), *rest = variants.most_common()
        parts = [f"{_plural(n0, 'press-up')} {variant_wording(v0)}"]
        parts += [f"{n} {variant_wording(v)}" for v, n in rest]
        vtext = "mixed"
        s.sentences.append(f"You did {', '.join(parts[:-1])} and {parts[-1]}.")
    planned = protocol.get("variant")
    vnote = (
        f"your plan: {variant_wording(planned)}"
        if isinstance(planned, str) and planned in VARIANT_WORDING
        else "forearms = gentler, hands = harder"
    )
    s.facts.append(Fact("Version", vtext, vnote))


def _summarize_lowering(
    s: Summary, analysis: Analysis, reps: list[Rep], done: list[Rep], protocol: dict[str, Any]
) -> None:
    """The lowering card (seconds) and praise or a sentence (``reps`` not empty)."""
    fast = [r for r in reps if any(f.code == "fast_lowering" for f in _rep_faults(analysis, r))]
    lowers = [r.lower_s for r in done if math.isfinite(r.lower_s)]
    avg_lower = sum(lowers) / len(lowers) if lowers else None
    min_lower = plots.protocol_number(protocol, "min_lowering_s")
    note = f"average {avg_lower:.1f} s down" if avg_lower is not None else "not measured"
    if min_lower is not None and min_lower > 0:
        note += f"; aim for {min_lower:g} s or more"
    if not fast:
        s.facts.append(Fact("Lowering", "Slow and steady", note, ok=True))
        s.went_well.append("You lowered yourself slowly and with control each time.")
    else:
        s.facts.append(Fact("Lowering", f"{len(fast)} of {len(reps)} a bit quick", note, ok=False))
        s.sentences.append(
            f"{len(fast)} of {_plural(len(reps), 'press-up')} came down a little quickly. "
            + fault_wording("fast_lowering").cue
        )


def _summarize_form(s: Summary, analysis: Analysis, reps: list[Rep]) -> None:
    """The form points to work on (most press-ups first), praise, and what was not judged."""
    by_code: dict[str, list[Fault]] = {}
    for f in analysis.faults:
        by_code.setdefault(f.code, []).append(f)
    for rep in reps:
        for f in rep.faults:
            if f not in by_code.get(f.code, []):
                by_code.setdefault(f.code, []).append(f)
    form_codes = [c for c in _ordered_codes(set(by_code)) if c not in _TIMING_FAULTS]

    def reps_with(code: str) -> set[int]:
        return {r.index for r in reps if any(f.code == code for f in _rep_faults(analysis, r))}

    form_codes.sort(key=lambda c: (-len(reps_with(c)), -len(by_code[c])))
    for code in form_codes:
        words = fault_wording(code)
        hit = reps_with(code)
        if hit and reps:
            where = f"seen in {len(hit)} of {_plural(len(reps), 'press-up')}"
        else:
            where = f"seen {_plural(len(by_code[code]), 'time')} between press-ups"
        s.work_on.append(WorkPoint(code=code, name=words.name, cue=words.cue, where=where))
    if reps:
        praise, unjudged = _form_praise(analysis.view.get("judged"), set(form_codes))
        if praise:
            s.went_well.append("Your body position looked good: " + ", ".join(praise) + ".")
        if unjudged:
            s.camera.append(unjudged)


def _summarize_camera(s: Summary, analysis: Analysis, cov: Coverage) -> None:
    """What the camera could and could not see, and the analysis' own warnings."""
    if cov.n_frames == 0:
        s.camera.append("The video had no frames the camera could use.")
    else:
        lost_pct = 100.0 * cov.untracked
        if lost_pct >= 99.5:
            s.camera.append("The camera could not track your body at any point in the video.")
        elif lost_pct >= 0.5:
            s.camera.append(
                f"Tracking was lost for {lost_pct:.0f}% of the video "
                f"(about {cov.untracked * cov.duration_s:.0f} s); nothing could be measured "
                "in those moments."
            )
        else:
            s.camera.append("The camera could follow you for the whole video.")
        if cov.other_pose >= 0.05:
            s.camera.append(
                f"About {100.0 * cov.other_pose:.0f}% of the video showed other positions "
                "(for example getting down or standing up); these are not counted."
            )
        if cov.unmeasured:
            s.camera.append(
                "From this camera view we could not measure: " + ", ".join(cov.unmeasured) + "."
            )
    warnings = analysis.view.get("warnings")
    if isinstance(warnings, list):
        s.camera.extend(str(w) for w in warnings if str(w).strip())


def _zero_reasons(reps: list[Rep], cov: Coverage) -> list[str]:
    """Why no press-up counted, most likely first (never empty)."""
    reasons: list[str] = []
    hidden = max(cov.untracked, cov.not_visible)
    if cov.n_frames == 0:
        reasons.append("The video had no frames we could look at.")
    if cov.n_frames and hidden >= 0.995:
        reasons.append("The camera could not see you clearly at any point.")
    elif cov.n_frames and hidden >= 0.5:
        reasons.append(
            f"The camera could not see you clearly for most of the video "
            f"({100.0 * hidden:.0f}% of it)."
        )
    if cov.n_frames and cov.other_pose >= 0.5:
        reasons.append(
            f"Most of the video ({100.0 * cov.other_pose:.0f}%) showed positions other "
            "than the press-up."
        )
    if reps:
        reasons.append(
            f"We saw {_plural(len(reps), 'press-up')} begin, but not the whole movement "
            "up and back down to the floor; perhaps the video started or stopped mid-way."
        )
    elif cov.n_frames and cov.raised == 0.0 and not reasons:
        reasons.append("We did not see the chest rise from the floor into a press-up position.")
    if not reasons:
        reasons.append("The movement did not match a full press-up from start to end.")
    return reasons


def summarize(analysis: Analysis) -> Summary:
    """Build the plain, calm summary: reps vs target, hold vs target, variant, lowering,
    form points to work on and what the camera could not see."""
    protocol = analysis.protocol
    reps = list(analysis.reps)
    done = [r for r in reps if r.complete]
    completed = analysis.rep_count
    target_reps = plots.protocol_number(protocol, "target_reps")
    target_reps_text = _target_text(protocol, "target_reps")
    cov = coverage(analysis)

    s = Summary(headline=_headline(completed, target_reps, target_reps_text))
    s.facts.append(_count_fact(completed, len(reps), target_reps, target_reps_text))
    _summarize_hold(
        s,
        reps,
        done,
        plots.protocol_number(protocol, "target_hold_s"),
        _target_text(protocol, "target_hold_s", " s"),
    )
    if reps:
        _summarize_variant(s, reps, protocol)
        _summarize_lowering(s, analysis, reps, done, protocol)
    _summarize_form(s, analysis, reps)
    _summarize_camera(s, analysis, cov)
    if completed == 0:
        s.zero_reps = True
        s.zero_reasons.extend(_zero_reasons(reps, cov))
    return s


# --------------------------------------------------------------------------------------------
# details for the physiotherapist


@dataclass(frozen=True)
class FaultStat:
    """Per-code totals for the physiotherapist table (seconds)."""

    code: str
    name: str
    count: int
    total_s: str
    reps: str


def fault_stats(analysis: Analysis) -> list[FaultStat]:
    """How often and how long (seconds) each fault code was seen, and in which reps."""
    by_code: dict[str, list[Fault]] = {}
    for f in analysis.faults:
        by_code.setdefault(f.code, []).append(f)
    out = []
    for code in _ordered_codes(set(by_code)):
        fs = by_code[code]
        total = sum(max(f.end_s - f.start_s, 0.0) for f in fs if math.isfinite(f.end_s - f.start_s))
        reps = sorted({f.rep for f in fs if f.rep is not None})
        out.append(
            FaultStat(
                code=code,
                name=fault_wording(code).name,
                count=len(fs),
                total_s=fmt_seconds(total),
                reps=", ".join(str(r) for r in reps) if reps else _DASH,
            )
        )
    return out


def _source_name(source: dict[str, Any]) -> str:
    for key in ("video", "path", "file", "name"):
        value = source.get(key)
        if isinstance(value, str) and value:
            return Path(value).name or value
    return "video"


# --------------------------------------------------------------------------------------------
# rendering


@functools.lru_cache(maxsize=1)
def templates() -> jinja2.Environment:
    """The report package's templates (``report/templates``), escaped and strict; built once,
    so each template is compiled once per process (the report and the history page)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pressup", "report/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def judged_dose(protocol: dict[str, Any]) -> str | None:
    """The sentence saying which dose the analysis was judged against and where it came from
    (:func:`~pressup.wording.dose_sentence`); ``None`` for an older analysis that does
    not record it."""
    reps = plots.protocol_number(protocol, "target_reps")
    variant = protocol.get("variant")
    return dose_sentence(
        protocol.get("dose_source") if isinstance(protocol.get("dose_source"), str) else None,
        int(reps) if reps is not None else None,
        plots.protocol_number(protocol, "target_hold_s"),
        variant if isinstance(variant, str) else None,
    )


def render_report(analysis: Analysis, generated_at: datetime | None = None) -> str:
    """The report as one HTML string (see :func:`write_report`)."""
    summary = summarize(analysis)
    cov = coverage(analysis)
    angles = Markup(plots.angles_svg(analysis))  # SVG from our own plot code
    reps_plot = plots.reps_svg(analysis)
    glossary_faults = [(code, FAULT_WORDING[code]) for code in FAULT_CODES]
    glossary_labels = [
        (label_wording(lab), plots.LABEL_COLOURS.get(lab, "#eeeeee"))
        for lab in LABELS
        if lab in LABEL_WORDING
    ]
    when = generated_at or datetime.now().astimezone()
    context = {
        "title": f"Press-up report \u2014 {_source_name(analysis.source)}",
        "source_name": _source_name(analysis.source),
        "generated": when.strftime("%Y-%m-%d %H:%M"),
        "version": __version__,
        "summary": summary,
        "judged_dose": judged_dose(analysis.protocol),
        "rows": rep_rows(analysis),
        "not_counted": not_counted_rows(analysis),
        "angles_svg": angles,
        "reps_svg": Markup(reps_plot) if reps_plot is not None else None,
        "glossary_faults": glossary_faults,
        "glossary_labels": glossary_labels,
        "protocol_name": str(analysis.protocol.get("name", "")),
        "target_hold": _target_text(analysis.protocol, "target_hold_s", " s"),
        "target_reps": _target_text(analysis.protocol, "target_reps"),
        "details": [
            ("Video", detail_rows(analysis.source)),
            ("Pose tracking", detail_rows(analysis.pose)),
            ("Camera view", detail_rows(analysis.view)),
            ("Protocol", detail_rows(analysis.protocol)),
        ],
        "fault_stats": fault_stats(analysis),
        "coverage": {
            "frames": cov.n_frames,
            "duration": fmt_seconds(cov.duration_s),
            "tracked_pct": f"{100.0 * (1.0 - cov.untracked):.0f}" if cov.n_frames else "0",
        },
    }
    return templates().get_template(_TEMPLATE).render(**context)


def write_report(analysis: Analysis, path: Path) -> Path:
    """Write the self-contained HTML report of ``analysis`` to ``path`` and return the path.

    The file holds a plain-language summary, a per-rep table (seconds, degrees), inline SVG
    plots of the angles over time and of hold/lowering per rep, a glossary and the technical
    details. It references no external file, script, font or stylesheet.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_report(analysis), encoding="utf-8")
    return p
