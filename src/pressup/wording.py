"""Plain-language wording for faults, positions, variants and repetitions that did not count,
shared by the coach, the coach page, the reports and the CLI.

Every word a patient reads or hears about a fault code, a position label or why a repetition did
not count comes from here, so the HTML report, the live coach and its page say the same thing
(the page gets its words as ``/static/words.js``, rendered by :mod:`pressup.web.words`). It sits
below ``live`` and ``report`` (it imports nothing of pressup), so both use it. The texts are
written to be calm and encouraging: they describe what the camera saw and what to try next, never
a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultWording:
    """How to talk about one form fault.

    Attributes:
        name: a short noun phrase for tables and plot labels (e.g. ``"Elbows locked"``).
        cue: a short, kind instruction a coach can say in the moment.
        about: one or two sentences for the glossary: what it is and why it matters.
    """

    name: str
    cue: str
    about: str


@dataclass(frozen=True)
class LabelWording:
    """How to talk about one position label.

    Attributes:
        name: a short name for legends, the overlay and the coach page (e.g.
            ``"Up on your forearms"``).
        about: one sentence for the glossary.
    """

    name: str
    about: str


#: Fault code -> wording. Keys are :data:`pressup.analysis.result.FAULT_CODES`.
FAULT_WORDING: dict[str, FaultWording] = {
    "elbows_locked": FaultWording(
        name="Elbows locked straight",
        cue="Keep a soft bend in your elbows.",
        about=(
            "The arms were pushed all the way straight at the top. Even in the higher version "
            "on your hands, leave a small bend in the elbows rather than snapping them straight."
        ),
    ),
    "neck_extended": FaultWording(
        name="Head tipped back",
        cue="Let your head follow your spine; look at the floor just ahead.",
        about=(
            "The head tilted back, bending the neck. Try to keep the head, neck and back in one "
            "long, unbroken line from the crown of the head down to the pelvis."
        ),
    ),
    "neck_flexed": FaultWording(
        name="Chin dropped",
        cue="Lift your chin a little so your head lines up with your back.",
        about=(
            "The chin sank towards the chest. Keep the head in line with the rest of the spine, "
            "neither dropped nor thrown back."
        ),
    ),
    "hips_lifted": FaultWording(
        name="Hips came off the floor",
        cue="Let your hips rest heavy on the floor.",
        about=(
            "The pelvis rose from the floor. In this exercise the hips and legs stay down while "
            "the upper body rises, so the low back arches gently. Only go as high as you can "
            "without a sharp bend (a 'kink') in the low back."
        ),
    ),
    "shoulders_shrugged": FaultWording(
        name="Shoulders hunched up",
        cue="Let your shoulders slide down, away from your ears.",
        about=(
            "The shoulders crept up towards the ears. Let them settle and keep the front of the "
            "chest broad and open."
        ),
    ),
    "fast_lowering": FaultWording(
        name="Came down quickly",
        cue="Come down slowly, with control.",
        about=(
            "The way back down was quicker than advised. A slow, controlled descent makes your "
            "arm, back and tummy muscles do the work instead of simply dropping to the floor."
        ),
    ),
    "short_hold": FaultWording(
        name="Hold shorter than planned",
        cue="Stay up a little longer, breathing easily.",
        about=(
            "The top position was not held for the target time. Aim to stay up for the target "
            "(somewhere between 5 and 30 seconds) and keep breathing while you hold."
        ),
    ),
}

#: Position label -> wording. Keys are :data:`pressup.analysis.result.LABELS`.
LABEL_WORDING: dict[str, LabelWording] = {
    "prone_flat": LabelWording(
        name="Lying flat",
        about="Resting face down, forehead towards the floor, ready to start.",
    ),
    "rising": LabelWording(
        name="Pressing up",
        about="Breathing out and pushing through the forearms or hands to lift the chest.",
    ),
    "sphinx": LabelWording(
        name="Up on your forearms",
        about="Holding the chest up with the weight on the forearms and elbows (the easier form).",
    ),
    "pressup_hands": LabelWording(
        name="Up on your hands",
        about="Holding the chest higher with the weight on the hands (the harder form).",
    ),
    "updog": LabelWording(
        name="Up with hips lifted",
        about=(
            "Arms straight and hips off the floor, like the yoga 'upward dog'; "
            "not the press-up itself."
        ),
    ),
    "lowering": LabelWording(
        name="Lowering",
        about="Coming back down to the floor, ideally slowly.",
    ),
    "other_pose": LabelWording(
        name="Not the exercise position",
        about="Kneeling, sitting, standing or anything that is not part of the press-up.",
    ),
    "not_visible": LabelWording(
        name="Out of view",
        about="The camera could not see the body well enough to tell the position.",
    ),
}


@dataclass(frozen=True)
class NotCountedWording:
    """How to talk about a repetition that did not count.

    Attributes:
        cue: what the live coach says at that moment: calm, plain, what it saw and what to do.
        reason: a short reason for the report's list of repetitions that did not count.
    """

    cue: str
    reason: str


#: Why a repetition did not count -> wording. Keys: the ``not_counted`` codes of the engine's
#: ``rep_unfinished`` events (``not_from_floor``, ``no_hold``, ``lowering_not_seen``,
#: ``ended_up``) and the ``code`` of its ``rep_abandoned`` events (``no_hold``, ``upright``,
#: ``kneeling``, ``arms_overhead``, ``plank``).
NOT_COUNTED_WORDING: dict[str, NotCountedWording] = {
    "not_from_floor": NotCountedWording(
        cue=(
            "I didn't see you lying flat before that one, so it didn't count. Rest flat on the "
            "floor for a moment before the next."
        ),
        reason="It did not start from lying flat on the floor (or the start was not seen).",
    ),
    "no_hold": NotCountedWording(
        cue=(
            "You came back down before holding at the top, so that one didn't count. Next time, "
            "stay up for a moment."
        ),
        reason="You came back down before holding at the top.",
    ),
    "lowering_not_seen": NotCountedWording(
        cue="I lost sight of you as you came down, so that one didn't count.",
        reason="The camera did not see the way back down to the floor.",
    ),
    "ended_up": NotCountedWording(
        cue=(
            "The set ended while you were still up, so that one didn't count. Lower yourself "
            "slowly to the floor."
        ),
        reason="The recording ended before you were back down on the floor.",
    ),
    "upright": NotCountedWording(
        cue=(
            "That looked like sitting or kneeling up, so it didn't count. For this exercise lie "
            "face down with your hips on the floor."
        ),
        reason="It turned into sitting, kneeling up or standing.",
    ),
    "kneeling": NotCountedWording(
        cue=(
            "That looked like being on your hands and knees, so it didn't count. For this "
            "exercise keep your hips and thighs on the floor."
        ),
        reason="It turned into kneeling on all fours.",
    ),
    "arms_overhead": NotCountedWording(
        cue=(
            "Your arms were reaching overhead, so that one didn't count. Bring your hands back "
            "beside your chest."
        ),
        reason="The arms reached overhead instead of pressing beside the chest.",
    ),
    "plank": NotCountedWording(
        cue=(
            "That looked like a plank, so it didn't count. For this exercise keep your hips and "
            "thighs on the floor."
        ),
        reason="It looked like a plank or push-up: hips and thighs off the floor.",
    ),
}

#: The person went into another shape mid-set (engine ``position`` event, label ``other_pose``)
#: -> what the coach says. Keys: its ``reason`` (``upright``, ``kneeling``, ``arms_overhead``,
#: ``plank``).
OTHER_POSE_CUES: dict[str, str] = {
    "upright": (
        "You seem to be sitting or kneeling up. When you're ready, lie face down with your hips "
        "on the floor."
    ),
    "kneeling": (
        "You seem to be on your hands and knees. When you're ready, lie face down with your "
        "hips and thighs on the floor."
    ),
    "arms_overhead": "Your arms are reaching overhead: bring your hands back beside your chest.",
    "plank": "That looks like a plank. For this exercise keep your hips and thighs on the floor.",
}
OTHER_POSE_FALLBACK = (
    "That isn't the press-up position. When you're ready, lie face down with your hips on the "
    "floor."
)

#: Rep variant -> (short name for tables, phrase to follow "press-ups ...").
VARIANT_WORDING: dict[str, tuple[str, str]] = {
    "forearms": ("Forearms", "on the forearms"),
    "hands": ("Hands", "on the hands"),
}


#: What the coach says when a press-up was done in another posture than today's plan:
#: (posture done, posture planned) -> the sentence (said once a set, see ``docs/coach-script.md``).
POSTURE_CHANGE_CUES: dict[tuple[str, str], str] = {
    ("hands", "forearms"): (
        "You went up on your hands; today's plan is on the forearms: stay on the forearms."
    ),
    ("forearms", "hands"): (
        "You went up on your forearms; today's plan is on the hands: stay on the hands."
    ),
}


#: Where the dose judged against came from (``analysis.json`` ``protocol.dose_source``) ->
#: (what it is, who set it), for :func:`dose_sentence`.
DOSE_SOURCE_WORDING: dict[str, tuple[str, str]] = {
    "prescription": ("your plan", "set by your clinician"),
    "progression": ("your plan", "chosen by the coach from your past sessions"),
    "protocol": ("the protocol file", "this video is not linked to anyone's plan"),
}


def dose_sentence(
    source: str | None, reps: int | None, hold_s: float | None, variant: str | None = None
) -> str | None:
    """The one sentence saying which dose a video was judged against and where it came from:
    ``"Judged against your plan: 3 press-ups, 5 s hold, on the forearms (set by your
    clinician)."``. ``None`` when the source is unknown (an analysis from an older version)."""
    found = DOSE_SOURCE_WORDING.get(source or "")
    if found is None:
        return None
    what, why = found
    parts = []
    if reps is not None:
        parts.append(f"{reps} press-up{'' if reps == 1 else 's'}")
    if hold_s is not None:
        parts.append(f"{hold_s:g} s hold")
    if variant is not None and variant in VARIANT_WORDING:
        parts.append(variant_wording(variant))
    dose = f": {', '.join(parts)}" if parts else ""
    return f"Judged against {what}{dose} ({why})."


def fault_wording(code: str) -> FaultWording:
    """Wording for ``code``; an unknown code gets a readable fallback built from the code."""
    found = FAULT_WORDING.get(code)
    if found is not None:
        return found
    name = code.replace("_", " ").strip().capitalize() or "Unnamed form point"
    return FaultWording(name=name, cue=name + ".", about=name + ".")


def label_wording(label: str) -> LabelWording:
    """Wording for ``label``; an unknown label gets a readable fallback built from the label."""
    found = LABEL_WORDING.get(label)
    if found is not None:
        return found
    name = label.replace("_", " ").strip().capitalize() or "Unlabelled"
    return LabelWording(name=name, about=name + ".")


def variant_wording(variant: str) -> str:
    """Phrase for a rep variant (``"forearms"`` -> ``"on the forearms"``), with a fallback."""
    found = VARIANT_WORDING.get(variant)
    if found is not None:
        return found[1]
    return variant.replace("_", " ") if variant else "in an unknown way"


def variant_name(variant: str) -> str:
    """Short table name for a rep variant (``"forearms"`` -> ``"Forearms"``), with a fallback."""
    found = VARIANT_WORDING.get(variant)
    if found is not None:
        return found[0]
    return variant.replace("_", " ").capitalize() if variant else "Unknown"


def posture_change_cue(done: str, planned: str) -> str | None:
    """What the coach says when a press-up was done ``done`` (forearms or hands) and today's
    plan is ``planned``; ``None`` when they are the same."""
    if done == planned:
        return None
    found = POSTURE_CHANGE_CUES.get((done, planned))
    if found is not None:
        return found
    return (
        f"You went up {variant_wording(done)}; today's plan is {variant_wording(planned)}: "
        f"stay {variant_wording(planned)}."
    )


def variant_cell(done: str, planned: str | None) -> str:
    """The per-press-up posture for a table: ``"Hands"``, and when a plan is known and the
    press-up was done in another posture, ``"Hands (plan: forearms)"``."""
    name = variant_name(done)
    if planned and done and done != planned and planned in VARIANT_WORDING:
        return f"{name} (plan: {VARIANT_WORDING[planned][1].removeprefix('on the ')})"
    return name


def not_counted_wording(code: str | None) -> NotCountedWording:
    """Wording for why a repetition did not count; an unknown or missing code gets a general
    sentence."""
    found = NOT_COUNTED_WORDING.get(code or "")
    if found is not None:
        return found
    return NotCountedWording(
        cue="That one didn't count: I didn't see the whole press-up, from the floor up and back "
        "down.",
        reason="The whole press-up, from the floor up and back down, was not seen.",
    )


def other_pose_cue(reason: str | None) -> str:
    """What the coach says when the person goes into another shape (``reason`` from the
    engine's ``position`` event)."""
    return OTHER_POSE_CUES.get(reason or "", OTHER_POSE_FALLBACK)


#: The coach page's words (served to it as ``/static/words.js``, see ``pressup.web.words``).
#: Session stage -> the page's heading.
STAGE_WORDING: dict[str, str] = {
    "intro": "Welcome",
    "setup": "Camera set-up",
    "start_check": "Start position",
    "exercise": "Press-ups",
    "rest": "Rest",
    "pain": "Pain rating",
    "paused": "Paused",
    "done": "Finished",
}

#: Set-up and start-position check id (``LiveSession`` status ``checks``) -> the page's short
#: title for it (the server's message says what to do).
CHECK_WORDING: dict[str, str] = {
    "person": "I can see you",
    "whole_body": "Whole body in the picture",
    "camera_side": "Camera at your side",
    "camera_level": "Camera level with you",
    "distance": "Camera distance",
    "light": "Enough light",
    "one_person": "Only you in the picture",
    "lying": "Lying face down",
    "forearms": "Forearms on the floor",
    "hands": "Hands beside shoulders or head",
    "head": "Forehead down",
}


#: The coach page's notice while the database cannot be written (``storage_unavailable``): the
#: set goes on and what it holds is kept (``held``), or, after a long wait, new movement frames
#: are no longer kept (``full``: frames refused); and the word when it can be written again
#: (``storage_back``).
STORAGE_WORDING: dict[str, str] = {
    "held": "Saving is delayed. Carry on: your set is being kept and will be saved as soon as "
    "the connection to storage is back.",
    "full": "Saving has been delayed for a long time, so your movements are no longer being kept. "
    "Your pain ratings still are. You can pause until saving works again.",
    "back": "Saving works again. What was kept meanwhile is being saved now.",
}


def page_fault_words() -> dict[str, str]:
    """Fault code -> what the coach page shows for it (its ``name``, as in the report)."""
    return {code: w.name for code, w in FAULT_WORDING.items()}


def page_label_words() -> dict[str, str]:
    """Position label -> what the coach page shows for it (its ``name``, as in the report)."""
    return {label: w.name for label, w in LABEL_WORDING.items()}


#: What the set-up screen asks for, by stage and today's posture: the camera set-up, then the
#: start position for a plan on the forearms or on the hands.
SETUP_HINTS: dict[str, str] = {
    "setup": "Camera on the floor at your side, about 2 metres away, so it sees you from head to "
    "feet.",
    "forearms": "Lie face down with your forearms on the floor beside your chest and your "
    "forehead down. Stay still for a moment.",
    "hands": "Lie face down with your hands flat on the floor beside your shoulders or your head "
    "and your forehead down. Stay still for a moment.",
}


def posture_cells() -> dict[str, str]:
    """Every per-press-up posture cell (:func:`variant_cell`) the coach page can show: keyed
    ``"hands"`` (no plan known, or done as planned) and ``"hands/forearms"`` (done on the hands,
    planned on the forearms)."""
    cells = {done: variant_cell(done, None) for done in VARIANT_WORDING}
    for done in VARIANT_WORDING:
        for planned in VARIANT_WORDING:
            if planned != done:
                cells[f"{done}/{planned}"] = variant_cell(done, planned)
    return cells


@dataclass(frozen=True)
class DetailWording:
    """How the physiotherapist's details name one technical value of an analysis.

    Attributes:
        name: what it is, in plain words.
        meaning: one line saying what it tells.
        unit: shown after the number (``"s"``, ``"°"``, ``"%"``); empty for none.
        percent: the stored value is a fraction (0..1), shown as a percentage.
    """

    name: str
    meaning: str = ""
    unit: str = ""
    percent: bool = False


#: Key of ``analysis.json``'s ``source``, ``pose``, ``view`` and ``protocol`` -> its words.
DETAIL_WORDING: dict[str, DetailWording] = {
    "path": DetailWording("File"),
    "fps": DetailWording("Frames a second", "how often the camera took a picture"),
    "frames": DetailWording("Frames", "pictures in the video"),
    "duration_s": DetailWording("Length", "how long the video runs", "s"),
    "width": DetailWording("Picture width", unit="pixels"),
    "height": DetailWording("Picture height", unit="pixels"),
    "rotation_deg": DetailWording("Turned by", "how the video was turned upright first", "°"),
    "backend": DetailWording("Body tracker", "the program that found the joints"),
    "model": DetailWording("Tracker model"),
    "side": DetailWording("Side towards the camera"),
    "tracked_fraction": DetailWording(
        "Body tracked", "share of the video in which the joints were found", "%", percent=True
    ),
    "floor_tilt_deg": DetailWording(
        "Floor tilt in the picture", "how far the floor line leans; the analysis corrects it", "°"
    ),
    "shoulder_spread": DetailWording(
        "Shoulder spread",
        "how far apart the two shoulders look, in trunk lengths; near 0 is a true side view",
    ),
    "raised_fraction": DetailWording(
        "Time up off the floor", "share of the video spent raised", "%", percent=True
    ),
    "judged": DetailWording(
        "Press-ups judged for form",
        "on how many counted press-ups each form point could be seen well enough to judge",
    ),
    "name": DetailWording("Protocol"),
    "version": DetailWording("Protocol version"),
    "target_hold_s": DetailWording("Hold asked", "how long to stay up in each press-up", "s"),
    "target_reps": DetailWording("Press-ups asked"),
    "min_lowering_s": DetailWording(
        "Slowest lowering asked", "coming down quicker than this is marked", "s"
    ),
    "variant": DetailWording("Posture asked"),
    "dose_source": DetailWording("Dose set by"),
    "dose_reason": DetailWording("Why this dose"),
}


def plain_key(key: str) -> str:
    """A code or key in plain words: ``"elbows_locked"`` -> ``"elbows locked"``."""
    return str(key).replace("_", " ").strip()


def _detail_text(key: str, value: object, w: DetailWording) -> str:
    """One ``analysis.json`` detail value as text: yes/no/not known, a number (a share as a
    percentage), nested counts, a posture or dose source in words, else the value in plain
    words."""
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "not known"}[value]
    if isinstance(value, (int, float)):
        number = float(value) * (100.0 if w.percent else 1.0)
        return f"{number:.0f}" if w.percent else f"{number:g}"
    if isinstance(value, dict):
        return ", ".join(f"{plain_key(k)} {v}" for k, v in value.items())
    text = str(value)
    if key == "variant" and text in VARIANT_WORDING:
        return variant_name(text)
    if key == "dose_source" and text in DOSE_SOURCE_WORDING:
        return DOSE_SOURCE_WORDING[text][1]
    return plain_key(text) if "_" in text and " " not in text else text


def detail_rows(values: dict[str, object]) -> list[tuple[str, str, str]]:
    """``(name, value with its unit, meaning)`` for each of ``values`` (one of
    ``analysis.json``'s ``source``, ``pose``, ``view`` or ``protocol``), with no internal key:
    a known key by :data:`DETAIL_WORDING`, any other in plain words; nested counts as
    ``"reps 3, elbows 2"``."""
    rows = []
    for key, value in values.items():
        w = DETAIL_WORDING.get(key) or DetailWording(plain_key(key).capitalize())
        text = _detail_text(key, value, w)
        if w.unit and isinstance(value, (int, float)) and not isinstance(value, bool):
            text += w.unit if w.unit in ("%", "°") else f" {w.unit}"
        rows.append((w.name, text[:300], w.meaning))
    return rows


def postures_cell(done: list[str], planned: str | None) -> str:
    """The postures of a set's press-ups for a table: ``"Hands"`` when all were on the hands,
    ``"Forearms 2, hands 1"`` when mixed, with ``" (plan: forearms)"`` when a plan is known and
    any press-up was in another posture; ``"\u2014"`` when none was done."""
    if not done:
        return "\u2014"
    counts = {v: done.count(v) for v in dict.fromkeys(done)}
    if len(counts) == 1:
        return variant_cell(done[0], planned)
    text = ", ".join(
        f"{variant_name(v) if i == 0 else variant_name(v).lower()} {n}"
        for i, (v, n) in enumerate(counts.items())
    )
    if planned and planned in VARIANT_WORDING and any(v != planned for v in counts):
        text += f" (plan: {VARIANT_WORDING[planned][1].removeprefix('on the ')})"
    return text
