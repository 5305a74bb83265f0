"""The protocol spec: dose and every threshold, loaded from one TOML file.

The default lives in ``default.toml`` next to this module, with every value explained in a
physiotherapist's words. A custom file may override any subset of keys; unknown keys, wrong types
and out-of-range values raise :class:`~pressup.errors.SpecError` naming the key.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pressup.errors import SpecError
from pressup.vocab import POSTURES, Posture

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib


@dataclass(frozen=True)
class ProtocolInfo:
    name: str = "prone-press-up"
    version: str = "1"


@dataclass(frozen=True)
class Dose:
    """Prescription. Times in seconds."""

    target_reps: int = 3
    min_reps: int = 3
    max_reps: int = 5
    target_hold_s: float = 10.0
    min_hold_s: float = 5.0
    max_hold_s: float = 30.0
    min_lowering_s: float = 1.0
    rest_between_reps_s: float = 5.0
    variant: Posture = "forearms"


@dataclass(frozen=True)
class Positions:
    """Thresholds that separate positions. Angles in degrees, times in seconds."""

    max_rest_deg: float = 15.0
    rise_start_deg: float = 4.0
    down_deg: float = 3.0
    top_band_deg: float = 4.0
    top_max_speed_deg_s: float = 8.0
    calm_speed_deg_s: float = 2.0
    min_peak_trunk_deg: float = 8.0
    forearms_max_forearm_deg: float = 35.0
    forearms_max_elbow_deg: float = 115.0
    max_thigh_deg: float = 45.0
    max_shin_deg: float = 14.0
    straight_body_thigh_deg: float = 25.0
    straight_body_hip_deg: float = 12.0
    legs_with_body_ratio: float = 1.4
    max_trunk_deg: float = 75.0
    updog_hip_lift: float = 0.22
    updog_min_elbow_deg: float = 160.0
    toes_tucked_max_foot_deg: float = 135.0
    on_toes_hip_lift: float = 0.06
    arms_overhead_elbow_ahead: float = 0.6
    arms_overhead_wrist_ahead: float = 0.9
    min_position_s: float = 0.3


@dataclass(frozen=True)
class Tracking:
    """When a frame can be judged."""

    min_visibility: float = 0.5
    min_trunk_frac: float = 0.04
    max_scale_jump: float = 1.6
    lost_after_s: float = 0.5
    max_floor_tilt_deg: float = 35.0
    max_shoulder_spread: float = 0.9


@dataclass(frozen=True)
class Smoothing:
    """Filter settings (Hz)."""

    offline_cutoff_hz: float = 2.0
    live_min_cutoff_hz: float = 1.0
    live_beta: float = 0.05


@dataclass(frozen=True)
class FaultLimits:
    """Fault thresholds. Angles in degrees; ratios are fractions."""

    min_duration_s: float = 0.5
    elbows_locked_deg: float = 176.0
    neck_extended_deg: float = 8.0
    neck_flexed_deg: float = 8.0
    neck_trunk_slope: float = 0.67
    shrug_fraction: float = 0.85
    hips_lifted: float = 0.12
    short_hold_fraction: float = 0.9


@dataclass(frozen=True)
class PainRules:
    """When pain or symptoms stop a set. Pain on the 0..10 scale (0 = none, 10 = worst).

    Symptoms spreading further down the leg (peripheralising) always stop the set; that rule
    has no setting.
    """

    stop_rise_points: int = 2
    stop_above: int = 7
    clinician_after_peripheralising: int = 2
    clinician_window_sets: int = 5


@dataclass(frozen=True)
class Progression:
    """How the dose moves between sessions. Holds in seconds, angles in degrees, pain 0..10."""

    good_sessions_to_progress: int = 2
    hold_step_s: float = 5.0
    max_pain: int = 3
    max_pain_rise: int = 1
    max_faults_per_rep: float = 0.5
    hold_met_fraction: float = 0.9
    peak_step_deg: float = 2.0
    max_target_trunk_deg: float = 60.0


@dataclass(frozen=True)
class ScreeningRules:
    """When the safety questions are asked again. Days are calendar days."""

    rescreen_days: int = 28
    rescreen_after_stopped_sets: int = 1


@dataclass(frozen=True)
class ProtocolSpec:
    """The whole protocol. Build with :func:`load_spec` (validated) or the defaults."""

    protocol: ProtocolInfo = ProtocolInfo()
    dose: Dose = Dose()
    positions: Positions = Positions()
    tracking: Tracking = Tracking()
    smoothing: Smoothing = Smoothing()
    faults: FaultLimits = FaultLimits()
    pain: PainRules = PainRules()
    progression: Progression = Progression()
    screening: ScreeningRules = ScreeningRules()

    def summary(self) -> dict[str, Any]:
        """The block written into ``analysis.json``."""
        return {
            "name": self.protocol.name,
            "version": self.protocol.version,
            "target_hold_s": self.dose.target_hold_s,
            "target_reps": self.dose.target_reps,
            "min_lowering_s": self.dose.min_lowering_s,
            "variant": self.dose.variant,
        }


# Ranges checked on load: (min, max) inclusive.
_RANGES: dict[str, tuple[float, float]] = {
    "dose.target_reps": (1, 20),
    "dose.min_reps": (1, 20),
    "dose.max_reps": (1, 20),
    "dose.target_hold_s": (1, 120),
    "dose.min_hold_s": (0, 120),
    "dose.max_hold_s": (1, 300),
    "dose.min_lowering_s": (0, 30),
    "dose.rest_between_reps_s": (0, 300),
    "positions.rise_start_deg": (0.5, 30),
    "positions.down_deg": (0.1, 30),
    "positions.top_band_deg": (0.5, 30),
    "positions.min_peak_trunk_deg": (1, 60),
    "positions.legs_with_body_ratio": (1, 5),
    "positions.forearms_max_elbow_deg": (60, 170),
    "positions.toes_tucked_max_foot_deg": (60, 180),
    "positions.on_toes_hip_lift": (0.01, 1),
    "positions.arms_overhead_elbow_ahead": (0.1, 3),
    "positions.arms_overhead_wrist_ahead": (0.2, 5),
    "tracking.min_visibility": (0, 1),
    "tracking.min_trunk_frac": (0, 1),
    "tracking.max_scale_jump": (1, 10),
    "faults.elbows_locked_deg": (150, 180),
    "faults.shrug_fraction": (0.1, 1),
    "faults.neck_trunk_slope": (-1, 2),
    "faults.hips_lifted": (0.01, 1),
    "faults.short_hold_fraction": (0.1, 1),
    "pain.stop_rise_points": (1, 10),
    "pain.stop_above": (1, 10),
    "pain.clinician_after_peripheralising": (1, 20),
    "pain.clinician_window_sets": (1, 50),
    "progression.good_sessions_to_progress": (1, 20),
    "progression.hold_step_s": (1, 30),
    "progression.max_pain": (0, 10),
    "progression.max_pain_rise": (0, 10),
    "progression.max_faults_per_rep": (0, 10),
    "progression.hold_met_fraction": (0.1, 1),
    "progression.peak_step_deg": (0, 20),
    "progression.max_target_trunk_deg": (5, 75),
    "screening.rescreen_days": (1, 365),
    "screening.rescreen_after_stopped_sets": (1, 20),
    "positions.max_rest_deg": (0.5, 45),
    "positions.top_max_speed_deg_s": (0.1, 100),
    "positions.calm_speed_deg_s": (0.1, 100),
    "positions.forearms_max_forearm_deg": (1, 90),
    "positions.max_thigh_deg": (1, 90),
    "positions.max_shin_deg": (1, 90),
    "positions.straight_body_thigh_deg": (1, 90),
    "positions.straight_body_hip_deg": (1, 90),
    "positions.max_trunk_deg": (10, 90),
    "positions.updog_hip_lift": (0.01, 1),
    "positions.updog_min_elbow_deg": (90, 180),
    "positions.min_position_s": (0, 10),
    "tracking.lost_after_s": (0.05, 10),
    "tracking.max_floor_tilt_deg": (1, 90),
    "tracking.max_shoulder_spread": (0.1, 5),
    "smoothing.offline_cutoff_hz": (0.1, 20),
    "smoothing.live_min_cutoff_hz": (0.01, 20),
    "smoothing.live_beta": (0, 10),
    "faults.min_duration_s": (0, 10),
    "faults.neck_extended_deg": (0.5, 60),
    "faults.neck_flexed_deg": (0.5, 60),
}
_VARIANTS = POSTURES

T = TypeVar("T")


def _build(cls: type[T], section: str, raw: Any) -> T:
    if not isinstance(raw, dict):
        raise SpecError(f"[{section}] must be a table, got {type(raw).__name__}")
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    for key in raw:
        if key not in known:
            raise SpecError(
                f"unknown key {section}.{key}; expected one of: {', '.join(sorted(known))}"
            )
    values: dict[str, Any] = {}
    defaults = cls()
    for name in known:
        if name not in raw:
            continue
        value = raw[name]
        default = getattr(defaults, name)
        key = f"{section}.{name}"
        if isinstance(default, bool) or isinstance(value, bool):
            raise SpecError(f"{key}: expected a {type(default).__name__}, got {value!r}")
        if isinstance(default, float):
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise SpecError(f"{key}: expected a finite number, got {value!r}")
            value = float(value)
        elif isinstance(default, int):
            if not isinstance(value, int):
                raise SpecError(f"{key}: expected a whole number, got {value!r}")
        elif isinstance(default, str) and not isinstance(value, str):
            raise SpecError(f"{key}: expected text, got {value!r}")
        if key in _RANGES:
            lo, hi = _RANGES[key]
            if not (lo <= value <= hi):
                raise SpecError(f"{key}: expected a value from {lo} to {hi}, got {value!r}")
        values[name] = value
    return cls(**values)


def spec_from_dict(raw: dict[str, Any]) -> ProtocolSpec:
    """Validate a parsed TOML document into a :class:`ProtocolSpec`."""
    sections = {f.name: f for f in fields(ProtocolSpec)}
    for key in raw:
        if key not in sections:
            raise SpecError(
                f"unknown section [{key}]; expected one of: {', '.join(sorted(sections))}"
            )
    parts: dict[str, Any] = {}
    for name in sections:
        cls = type(getattr(ProtocolSpec(), name))
        parts[name] = _build(cls, name, raw.get(name, {}))
    spec = ProtocolSpec(**parts)
    d = spec.dose
    if d.variant not in _VARIANTS:
        raise SpecError(f"dose.variant: expected one of {_VARIANTS}, got {d.variant!r}")
    if not d.min_reps <= d.target_reps <= d.max_reps:
        raise SpecError(
            f"dose.target_reps: expected between min_reps ({d.min_reps}) and max_reps "
            f"({d.max_reps}), got {d.target_reps}"
        )
    if not d.min_hold_s <= d.target_hold_s <= d.max_hold_s:
        raise SpecError(
            f"dose.target_hold_s: expected between min_hold_s ({d.min_hold_s}) and max_hold_s "
            f"({d.max_hold_s}), got {d.target_hold_s}"
        )
    p, g = spec.pain, spec.progression
    if p.clinician_after_peripheralising > p.clinician_window_sets:
        raise SpecError(
            "pain.clinician_after_peripheralising: expected at most pain.clinician_window_sets "
            f"({p.clinician_window_sets}), got {p.clinician_after_peripheralising}"
        )
    if g.max_pain > p.stop_above:
        raise SpecError(
            f"progression.max_pain: expected at most pain.stop_above ({p.stop_above}), "
            f"got {g.max_pain}"
        )
    if g.max_pain_rise >= p.stop_rise_points:
        raise SpecError(
            "progression.max_pain_rise: expected less than pain.stop_rise_points "
            f"({p.stop_rise_points}), got {g.max_pain_rise}"
        )
    if (
        not spec.positions.min_peak_trunk_deg
        < g.max_target_trunk_deg
        < spec.positions.max_trunk_deg
    ):
        raise SpecError(
            "progression.max_target_trunk_deg: expected between positions.min_peak_trunk_deg "
            f"({spec.positions.min_peak_trunk_deg}) and positions.max_trunk_deg "
            f"({spec.positions.max_trunk_deg}), got {g.max_target_trunk_deg}"
        )
    if spec.positions.down_deg > spec.positions.rise_start_deg:
        raise SpecError(
            "positions.down_deg: expected at most positions.rise_start_deg "
            f"({spec.positions.rise_start_deg}), got {spec.positions.down_deg}"
        )
    return spec


def default_spec_text() -> str:
    """The text of the bundled default protocol file."""
    return resources.files("pressup.protocol").joinpath("default.toml").read_text()


def load_spec(path: str | Path | None = None) -> ProtocolSpec:
    """Load the default spec, or a custom TOML file (validated; keys may be omitted).

    Raises:
        SpecError: unreadable file, bad TOML, unknown key, wrong type or out-of-range value.
    """
    if path is None:
        text = default_spec_text()
        where = "default.toml"
    else:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(f"{p}: cannot read protocol file: {exc}") from exc
        where = str(p)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{where}: not valid TOML: {exc}") from exc
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise SpecError(f"{where}: expected numbers of ordinary size: {exc}") from exc
    try:
        return spec_from_dict(raw)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from exc
