"""The protocol spec: dose and every threshold, loaded from one TOML file.

The default lives in ``default.toml`` next to this module, with every value explained in a
physiotherapist's words. A custom file may override any subset of keys; unknown keys, wrong types
and out-of-range values raise :class:`~pressup.errors.SpecError` naming the key.
"""

from __future__ import annotations

import math
import sys
from dataclasses import Field, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pressup.errors import SpecError
from pressup.vocab import POSTURES, Posture

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib


def _within(default: Any, lo: float, hi: float) -> Any:
    """A setting's ``default`` that a protocol file may set only from ``lo`` to ``hi``
    (inclusive, in the setting's own unit): checked on load by :func:`spec_from_dict`."""
    return field(default=default, metadata={"range": (lo, hi)})


@dataclass(frozen=True)
class ProtocolInfo:
    name: str = "prone-press-up"
    version: str = "1"


@dataclass(frozen=True)
class Dose:
    """Prescription. Times in seconds."""

    target_reps: int = _within(3, 1, 20)
    min_reps: int = _within(3, 1, 20)
    max_reps: int = _within(5, 1, 20)
    target_hold_s: float = _within(10.0, 1, 120)
    min_hold_s: float = _within(5.0, 0, 120)
    max_hold_s: float = _within(30.0, 1, 300)
    min_lowering_s: float = _within(1.0, 0, 30)
    rest_between_reps_s: float = _within(5.0, 0, 300)
    variant: Posture = "forearms"


@dataclass(frozen=True)
class Positions:
    """Thresholds that separate positions. Angles in degrees, times in seconds."""

    max_rest_deg: float = _within(15.0, 0.5, 45)
    rise_start_deg: float = _within(4.0, 0.5, 30)
    down_deg: float = _within(3.0, 0.1, 30)
    top_band_deg: float = _within(4.0, 0.5, 30)
    top_max_speed_deg_s: float = _within(8.0, 0.1, 100)
    calm_speed_deg_s: float = _within(2.0, 0.1, 100)
    #: the chest is seen rising (the coach says "press") this many degrees above its resting
    #: level...
    rise_onset_deg: float = _within(2.0, 0.5, 30)
    #: ...while rising faster than this (degrees per second)
    rise_onset_speed_deg_s: float = _within(5.0, 0, 100)
    min_peak_trunk_deg: float = _within(8.0, 1, 60)
    forearms_max_forearm_deg: float = _within(35.0, 1, 90)
    forearms_max_elbow_deg: float = _within(115.0, 60, 170)
    max_thigh_deg: float = _within(45.0, 1, 90)
    max_shin_deg: float = _within(14.0, 1, 90)
    straight_body_thigh_deg: float = _within(25.0, 1, 90)
    straight_body_hip_deg: float = _within(12.0, 1, 90)
    legs_with_body_ratio: float = _within(1.4, 1, 5)
    max_trunk_deg: float = _within(75.0, 10, 90)
    updog_hip_lift: float = _within(0.22, 0.01, 1)
    updog_min_elbow_deg: float = _within(160.0, 90, 180)
    toes_tucked_max_foot_deg: float = _within(135.0, 60, 180)
    on_toes_hip_lift: float = _within(0.06, 0.01, 1)
    arms_overhead_elbow_ahead: float = _within(0.6, 0.1, 3)
    arms_overhead_wrist_ahead: float = _within(0.9, 0.2, 5)
    min_position_s: float = _within(0.3, 0, 10)


@dataclass(frozen=True)
class Tracking:
    """When a frame can be judged."""

    min_visibility: float = _within(0.5, 0, 1)
    min_trunk_frac: float = _within(0.04, 0, 1)
    max_scale_jump: float = _within(1.6, 1, 10)
    lost_after_s: float = _within(0.5, 0.05, 10)
    max_floor_tilt_deg: float = _within(35.0, 1, 90)
    max_shoulder_spread: float = _within(0.9, 0.1, 5)


@dataclass(frozen=True)
class Smoothing:
    """Filter settings (Hz)."""

    offline_cutoff_hz: float = _within(2.0, 0.1, 20)
    live_min_cutoff_hz: float = _within(1.0, 0.01, 20)
    live_beta: float = _within(0.05, 0, 10)


@dataclass(frozen=True)
class FaultLimits:
    """Fault thresholds. Angles in degrees; ratios are fractions."""

    min_duration_s: float = _within(0.5, 0, 10)
    elbows_locked_deg: float = _within(176.0, 150, 180)
    neck_extended_deg: float = _within(8.0, 0.5, 60)
    neck_flexed_deg: float = _within(8.0, 0.5, 60)
    neck_trunk_slope: float = _within(0.67, -1, 2)
    shrug_fraction: float = _within(0.85, 0.1, 1)
    hips_lifted: float = _within(0.12, 0.01, 1)
    short_hold_fraction: float = _within(0.9, 0.1, 1)


@dataclass(frozen=True)
class PainRules:
    """When pain or symptoms stop a set. Pain on the 0..10 scale (0 = none, 10 = worst).

    Symptoms spreading further down the leg (peripheralising) always stop the set; that rule
    has no setting.
    """

    stop_rise_points: int = _within(2, 1, 10)
    stop_above: int = _within(7, 1, 10)
    clinician_after_peripheralising: int = _within(2, 1, 20)
    clinician_window_sets: int = _within(5, 1, 50)


@dataclass(frozen=True)
class Progression:
    """How the dose moves between sessions. Holds in seconds, angles in degrees, pain 0..10."""

    good_sessions_to_progress: int = _within(2, 1, 20)
    hold_step_s: float = _within(5.0, 1, 30)
    max_pain: int = _within(3, 0, 10)
    max_pain_rise: int = _within(1, 0, 10)
    max_faults_per_rep: float = _within(0.5, 0, 10)
    hold_met_fraction: float = _within(0.9, 0.1, 1)
    peak_step_deg: float = _within(2.0, 0, 20)
    max_target_trunk_deg: float = _within(60.0, 5, 75)


@dataclass(frozen=True)
class ScreeningRules:
    """When the safety questions are asked again. Days are calendar days."""

    rescreen_days: int = _within(28, 1, 365)
    rescreen_after_stopped_sets: int = _within(1, 1, 20)


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


_VARIANTS = POSTURES

T = TypeVar("T")


def _build(cls: type[T], section: str, raw: Any) -> T:
    """One section of the protocol file (``raw``, the parsed TOML table ``[section]``) as a
    ``cls``, keys not given taking their defaults.

    Raises:
        SpecError: not a table, an unknown key, or a value of the wrong type or out of range.
    """
    if not isinstance(raw, dict):
        raise SpecError(f"[{section}] must be a table, got {type(raw).__name__}")
    known = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    for key in raw:
        if key not in known:
            raise SpecError(
                f"unknown key {section}.{key}; expected one of: {', '.join(sorted(known))}"
            )
    defaults = cls()
    values = {
        name: _checked(f"{section}.{name}", raw[name], getattr(defaults, name), setting)
        for name, setting in known.items()
        if name in raw
    }
    return cls(**values)


def _checked(key: str, value: Any, default: Any, setting: Field[Any]) -> Any:
    """``value`` of the setting ``key``, of the type of its ``default`` (an int is taken for a
    float) and within its range, if it has one (see :func:`_within`).

    Raises:
        SpecError: naming the key, the expected and the given value.
    """
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
    if "range" in setting.metadata:
        lo, hi = setting.metadata["range"]
        if not (lo <= value <= hi):
            raise SpecError(f"{key}: expected a value from {lo} to {hi}, got {value!r}")
    return value


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
