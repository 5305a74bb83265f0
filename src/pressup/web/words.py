"""The coach page's words as a JavaScript module, rendered from :mod:`pressup.wording`.

The page imports ``./words.js`` (served at ``/static/words.js`` by
:mod:`pressup.web.routes.coach`), so every word it shows for a position label, a fault code, a
set-up check or a stage comes from the one wording module the report and the coach use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache

from pressup.vocab import LOCATION_WORDS
from pressup.wording import (
    CHECK_WORDING,
    SETUP_HINTS,
    STAGE_WORDING,
    STORAGE_WORDING,
    page_fault_words,
    page_label_words,
    posture_cells,
)

#: exported name -> (its doc comment, its words)
_TABLES: dict[str, tuple[str, Callable[[], dict[str, str]]]] = {
    "LABEL_WORDS": ("Per-frame position label -> what the page shows.", page_label_words),
    "FAULT_WORDS": ("Form fault code -> a short description for the summary.", page_fault_words),
    "CHECK_WORDS": (
        "Set-up and start-position check id -> short title (the server's message says what to do).",
        lambda: dict(CHECK_WORDING),
    ),
    "STAGE_WORDS": ("Session stage -> heading words.", lambda: dict(STAGE_WORDING)),
    "PLACE_WORDS": (
        "Where the symptoms are felt -> plain words.",
        lambda: {k: str(v) for k, v in LOCATION_WORDS.items()},
    ),
    "POSTURE_CELLS": (
        "Posture done ('hands'), or done/planned ('hands/forearms') -> the done table's cell.",
        posture_cells,
    ),
    "SETUP_HINTS": (
        "The set-up screen's hint: 'setup', then the start position by today's posture.",
        lambda: dict(SETUP_HINTS),
    ),
    "STORAGE_WORDS": (
        "The notice while saving is delayed ('held', 'full') and the word when it works again.",
        lambda: dict(STORAGE_WORDING),
    ),
}

_FUNCTIONS = """\
export function labelWords(label) {
  return LABEL_WORDS[label] || (label ? String(label).replace(/_/g, ' ') : '');
}

export function faultWords(code) {
  if (FAULT_WORDS[code]) return FAULT_WORDS[code];
  const s = String(code || '').replace(/_/g, ' ').trim();
  return s ? s[0].toUpperCase() + s.slice(1) : 'Form point';
}

export function placeWords(place) {
  return PLACE_WORDS[place] || (place ? String(place).replace(/_/g, ' ') : '');
}

/** The done table's posture cell; marked when a plan is known and it was another posture. */
export function postureCell(done, planned) {
  if (!POSTURE_CELLS[done]) return '\\u2013'; // a dash: not known
  return (planned && POSTURE_CELLS[`${done}/${planned}`]) || POSTURE_CELLS[done];
}

/** A hold for the done table, with the aim beside it. */
export function holdCell(heldS, targetS) {
  const held = `${Math.round(heldS)} s`;
  return targetS ? `${held} (aim ${Math.round(targetS * 10) / 10} s)` : held;
}
"""


def page_words() -> dict[str, dict[str, str]]:
    """The tables ``words.js`` exports: name -> (code -> words)."""
    return {name: words() for name, (_, words) in _TABLES.items()}


@cache
def words_js() -> str:
    """The ``words.js`` module: the tables of :func:`page_words` as ``export const`` objects,
    and ``labelWords`` / ``faultWords`` (words for a code, with a readable fallback)."""
    parts = [
        "// Plain words for the codes the server sends, rendered from pressup/wording.py"
        " (do not edit: served by pressup.web.words).\n"
    ]
    for name, table in page_words().items():
        doc = _TABLES[name][0]
        body = json.dumps(table, indent=2, ensure_ascii=False)
        parts.append(f"/** {doc} */\nexport const {name} = {body};\n")
    parts.append(_FUNCTIONS)
    return "\n".join(parts)


__all__ = ["page_words", "words_js"]
