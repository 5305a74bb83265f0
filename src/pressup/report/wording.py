"""Plain-language wording for faults, positions and variants, shared by the report and the coach.

Every word a patient reads about a fault code or a position label comes from here, so the HTML
report and a live coach say the same thing. The texts are written to be calm and encouraging:
they describe what the camera saw and what to try next, never a diagnosis.
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
        name: a short name for legends and the overlay (e.g. ``"Up on forearms"``).
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
        name="Lowered quickly",
        cue="Come down slowly, with control.",
        about=(
            "The way back down was quicker than advised. A slow, controlled descent makes your "
            "arm, back and tummy muscles do the work instead of simply dropping to the floor."
        ),
    ),
    "short_hold": FaultWording(
        name="Short hold",
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
        name="Up on forearms",
        about="Holding the chest up with the weight on the forearms and elbows (the easier form).",
    ),
    "pressup_hands": LabelWording(
        name="Up on hands",
        about="Holding the chest higher with the weight on the hands (the harder form).",
    ),
    "updog": LabelWording(
        name="Hips lifted (up-dog)",
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
        name="Other position",
        about="Kneeling, sitting, standing or anything that is not part of the press-up.",
    ),
    "not_visible": LabelWording(
        name="Out of view",
        about="The camera could not see the body well enough to tell the position.",
    ),
}

#: Rep variant -> (short name for tables, phrase to follow "press-ups ...").
VARIANT_WORDING: dict[str, tuple[str, str]] = {
    "forearms": ("Forearms", "on the forearms"),
    "hands": ("Hands", "on the hands"),
}


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
