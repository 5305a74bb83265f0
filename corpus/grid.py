#!/usr/bin/env python3
"""Write the scenario grid of pressup's rendered corpus (``corpus/scenarios/*.json``).

The grid crosses what changes a press-up on camera: the step of the exercise (forearms, hands
with bent elbows, hands nearly straight, small cautious press-ups), every form fault alone and
the likely pairs, the side facing the camera, the camera height (floor 0.1 m, 0.4 m, 1 m), the
camera yaw (-30..+30 degrees), ten bodies, both lightings, rooms and clothes, tempo, hold
length (3-30 s) and rest length. Deterministic: the same script writes the same files.

Split (published in ``corpus/README.md``): clips of two bodies (``athletic_woman``,
``belly_man``) are evaluation only; of the rest, every third clip goes to evaluation. pressup
is tuned on the development part only and scored on both, side by side.

Usage::

    python corpus/grid.py            # (re)write corpus/scenarios/ and corpus/split.json
    python corpus/grid.py --list     # print the grid with its frame budget
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: Anny phenotype sliders (0..1). gender 0 = male, 1 = female; age 0.67 ~ young adult,
#: 0.83 ~ middle-aged, 0.95+ ~ old.
BODIES: dict[str, dict[str, float]] = {
    "slim_woman": dict(gender=1.0, age=0.7, muscle=0.45, weight=0.3, height=0.35, proportions=0.5),
    "heavy_man": dict(gender=0.0, age=0.83, muscle=0.3, weight=0.9, height=0.6, proportions=0.5),
    "average_man": dict(gender=0.0, age=0.67, muscle=0.5, weight=0.5, height=0.5, proportions=0.5),
    "tall_man": dict(gender=0.0, age=0.72, muscle=0.6, weight=0.45, height=0.9, proportions=0.5),
    "short_woman": dict(
        gender=1.0, age=0.76, muscle=0.4, weight=0.55, height=0.12, proportions=0.5
    ),
    "old_woman": dict(gender=1.0, age=0.97, muscle=0.3, weight=0.6, height=0.3, proportions=0.5),
    "old_man": dict(gender=0.0, age=0.96, muscle=0.35, weight=0.55, height=0.45, proportions=0.5),
    "heavy_woman": dict(gender=1.0, age=0.8, muscle=0.25, weight=0.92, height=0.5, proportions=0.5),
    # evaluation-only bodies
    "athletic_woman": dict(
        gender=0.9, age=0.62, muscle=0.8, weight=0.35, height=0.65, proportions=0.5
    ),
    "belly_man": dict(gender=0.0, age=0.86, muscle=0.2, weight=1.0, height=0.4, proportions=0.5),
}
EVAL_BODIES = ("athletic_woman", "belly_man")
DEV_BODIES = tuple(b for b in BODIES if b not in EVAL_BODIES)

SKINS = ("#e3b08f", "#c68863", "#8d5524", "#f1c7a8", "#a8704a", "#5c3a21")
SHIRTS = ("#c8324a", "#2a6f97", "#3f7d3a", "#d9a441", "#6b4c9a", "#e8e8e8", "#222222", "#b5651d")
PANTS = ("#222831", "#1b1b1b", "#3b4a6b", "#5a5a5a", "#7a2e2e", "#2f4f4f")
HAIR = ("#4a3020", "#2b1d14", "#d8c090", "#8a8a8a", "#111111", "#7b3f1e")
ROOMS = (
    dict(floor_color="#9c7a54", floor_pattern="planks", wall_color="#d8d2c4", mat="#3b6e8f"),
    dict(floor_color="#6f6a64", floor_pattern="plain", wall_color="#b9c4c9", mat="#7a3b5c"),
    dict(floor_color="#b89b72", floor_pattern="planks", wall_color="#eae6df", mat="#4f7f52"),
    dict(floor_color="#5b4636", floor_pattern="planks", wall_color="#c9b8a6", mat=None),
    dict(floor_color="#8a8f94", floor_pattern="plain", wall_color="#f0efe9", mat="#2d2d2d"),
    dict(floor_color="#c2a77e", floor_pattern="plain", wall_color="#a9b7a0", mat="#9c3d2f"),
)
CAMERAS = (  # (height m, yaw deg)
    (0.1, 0),
    (0.4, 0),
    (1.0, 0),
    (0.1, 20),
    (0.4, -15),
    (1.0, 30),
    (0.1, -30),
    (0.4, 30),
    (1.0, -20),
    (0.1, 10),
    (0.4, -30),
    (1.0, 15),
)

#: Steps of the exercise: variant and the commanded elbow angle at the top (hands only).
STEPS: dict[str, dict[str, Any]] = {
    "forearms": dict(variant="forearms"),
    "hands_bent": dict(variant="hands", elbow_deg=(140, 152)),
    "hands_straight": dict(variant="hands", elbow_deg=(160, 170)),
    "small": dict(variant="hands", elbow_deg=(92, 104)),  # cautious: trunk about 8-15 degrees
}
#: Faults alone and the likely pairs, per step (``elbows_locked`` only on the hands).
FAULT_SETS: dict[str, list[tuple[str, ...]]] = {
    "forearms": [
        (),
        ("head_back",),
        ("chin_drop",),
        ("hips_lift",),
        ("shrug",),
        ("fast_lower",),
        ("chin_drop", "fast_lower"),
        ("head_back", "shrug"),
        ("hips_lift", "head_back"),
        ("hips_lift", "shrug"),
        ("hips_lift", "chin_drop"),
    ],
    "hands_bent": [
        (),
        ("head_back",),
        ("chin_drop",),
        ("hips_lift",),
        ("shrug",),
        ("fast_lower",),
        ("hips_lift", "fast_lower"),
        ("chin_drop", "shrug"),
    ],
    "hands_straight": [
        (),
        ("elbows_locked",),
        ("hips_lift",),
        ("head_back",),
        ("shrug",),
        ("chin_drop",),
        ("fast_lower",),
        ("elbows_locked", "hips_lift"),
        ("elbows_locked", "head_back"),
        ("elbows_locked", "shrug"),
    ],
    "small": [(), ("chin_drop",), ("fast_lower",)],
}


def _tempo(rng: random.Random, quick: bool) -> dict[str, float]:
    if quick:
        return dict(
            press_s=round(rng.uniform(0.9, 1.3), 1), lower_s=round(rng.uniform(1.2, 1.8), 1)
        )
    return dict(press_s=round(rng.uniform(1.6, 3.0), 1), lower_s=round(rng.uniform(2.0, 3.6), 1))


def _rep(
    step: str, faults: tuple[str, ...], rng: random.Random, quick: bool, hold: float, rest: float
) -> dict[str, Any]:
    s = STEPS[step]
    rep: dict[str, Any] = dict(variant=s["variant"], hold_s=hold, rest_s=rest, faults=list(faults))
    if "elbow_deg" in s:
        lo, hi = s["elbow_deg"]
        rep["elbow_deg"] = rng.randint(lo, hi)
    rep.update(_tempo(rng, quick))
    return rep


def _clip_reps(
    step: str, faults: tuple[str, ...], rng: random.Random, pattern: int, quick: bool
) -> list[dict[str, Any]]:
    """2-3 repetitions; where the fault goes varies, so the person's own neutral (learned from
    clean repetitions) is sometimes missing."""

    def hold() -> float:
        return float(rng.choice((3, 4, 5, 6)))

    def rest() -> float:
        return round(rng.uniform(1.5, 3.0), 1)

    if not faults:
        n = 3 if pattern == 0 else 2
        return [_rep(step, (), rng, quick, hold(), rest()) for _ in range(n)]
    if pattern == 0:  # clean, faulty, faulty
        plan: list[tuple[str, ...]] = [(), faults, faults]
    elif pattern == 1:  # faulty, clean
        plan = [faults, ()]
    else:  # clean, faulty
        plan = [(), faults]
    return [_rep(step, f, rng, quick, hold(), rest()) for f in plan]


def _scenario(
    i: int,
    name: str,
    body: str,
    reps: list[dict[str, Any]],
    rng: random.Random,
    cam: tuple[float, int],
    side: str,
    fps: int,
) -> dict[str, Any]:
    room = ROOMS[i % len(ROOMS)]
    mat = (
        None
        if room["mat"] is None
        else dict(color=room["mat"], length_m=1.85, width_m=round(rng.uniform(0.55, 0.7), 2))
    )
    room_cfg: dict[str, Any] = dict(
        lighting="daylight" if i % 2 == 0 else "lamp",
        floor_color=room["floor_color"],
        floor_pattern=room["floor_pattern"],
        wall_color=room["wall_color"],
    )
    if mat is not None:
        room_cfg["mat"] = mat
    height, yaw = cam
    return {
        "name": name,
        "seed": 1000 + i,
        "fps": fps,
        "resolution": [640, 360],
        "body": BODIES[body],
        "body_label": body,
        "appearance": dict(
            skin=rng.choice(SKINS),
            shirt=rng.choice(SHIRTS),
            pants=rng.choice(PANTS),
            hair=rng.choice(HAIR),
            sleeves=rng.choice(("short", "long", "none")),
            legwear=rng.choice(("shorts", "leggings")),
        ),
        "camera": dict(
            distance_m="auto",
            focal_mm=26,
            fill=round(rng.uniform(0.68, 0.82), 2),
            side=side,
            yaw_deg=yaw,
            height_m=height,
        ),
        "room": room_cfg,
        "start_rest_s": round(rng.uniform(1.5, 2.5), 1),
        "reps": reps,
        "end_rest_s": 1.5,
    }


def build_grid() -> list[dict[str, Any]]:
    """The corpus scenarios, in order. Each carries ``split`` (``dev``/``eval``)."""
    rng = random.Random(20261206)
    out: list[dict[str, Any]] = []
    dev_bodies = itertools.cycle(DEV_BODIES)
    eval_bodies = itertools.cycle(EVAL_BODIES)
    cam_deck: list[tuple[float, int]] = []
    i = 0

    def add(
        tag: str, reps: list[dict[str, Any]], split: str | None = None, fps: int | None = None
    ) -> None:
        nonlocal i
        i += 1
        if split is None:
            split = "eval" if i % 3 == 0 else "dev"
        body = next(eval_bodies) if (split == "eval" and i % 2 == 0) else next(dev_bodies)
        side = "left" if (i // 2) % 2 == 0 else "right"
        if not cam_deck:
            cam_deck.extend(CAMERAS)
            rng.shuffle(cam_deck)
        cam = cam_deck.pop()
        cam_tag = {0.1: "floor", 0.4: "mid", 1.0: "high"}[cam[0]]
        yaw_tag = f"_yaw{cam[1]}" if cam[1] else ""
        name = f"g{i:03d}_{tag}_{body}_{side}_{cam_tag}{yaw_tag}"
        sc = _scenario(i, name, body, reps, rng, cam, side, fps or (30 if i % 7 == 0 else 15))
        sc["split"] = split
        out.append(sc)

    # every fault alone and the likely pairs, on every step, twice (different body and view)
    for step, sets in FAULT_SETS.items():
        for faults in sets:
            copies = 2
            for k in range(copies):
                quick = rng.random() < 0.25
                tag = step + ("_" + "+".join(faults) if faults else "_clean")
                add(tag, _clip_reps(step, faults, rng, (i + k) % 3, quick))
    # long holds (10-30 s)
    for k, hold in enumerate((10, 12, 18, 20, 24, 30)):
        step = ("forearms", "hands_bent", "hands_straight")[k % 3]
        reps = [_rep(step, (), rng, False, float(hold), 3.0)]
        if hold <= 18:
            reps.append(_rep(step, (), rng, False, float(hold), 3.0))
        add(f"{step}_hold{hold}", reps)
    # moving up the ladder within one set: forearms then hands
    for k in range(4):
        reps = [
            _rep("forearms", (), rng, False, 5.0, 3.0),
            _rep("hands_bent", (), rng, False, 5.0, 3.0),
        ]
        if k % 2:
            reps.append(_rep("hands_straight", (), rng, False, 4.0, 2.5))
        add("mixed", reps)
    # rests of different lengths (short pause to a long rest) and quick sets
    for k in range(6):
        step = ("forearms", "hands_bent", "hands_straight", "small", "forearms", "hands_bent")[k]
        rests = (1.0, 8.0, 2.0) if k % 2 else (6.0, 1.2, 3.0)
        reps = [_rep(step, (), rng, k >= 2, float(rng.choice((4, 5, 6))), r) for r in rests]
        add(f"{step}_rests", reps)
    return out


def frames_of(sc: dict[str, Any]) -> int:
    t = sc["start_rest_s"] + sc["end_rest_s"]
    for r in sc["reps"]:
        lower = 0.5 if "fast_lower" in r["faults"] else r["lower_s"]
        t += r["press_s"] + r["hold_s"] + lower + r["rest_s"]
    return round(t * sc["fps"])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--list", action="store_true", help="print the grid, write nothing")
    args = ap.parse_args()
    grid = build_grid()
    total = sum(frames_of(s) for s in grid)
    if args.list:
        for s in grid:
            print(f"{s['split']:5s} {frames_of(s):5d} {s['name']}")
        n_eval = sum(s["split"] == "eval" for s in grid)
        print(f"{len(grid)} clips ({len(grid) - n_eval} dev, {n_eval} eval), {total} frames")
        return
    out = HERE / "scenarios"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    split: dict[str, str] = {}
    for s in grid:
        split[s["name"]] = s.pop("split")
        (out / f"{s['name']}.json").write_text(json.dumps(s, indent=1) + "\n")
    (HERE / "split.json").write_text(json.dumps(split, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(grid)} scenarios ({total} frames) to {out}")


if __name__ == "__main__":
    main()
