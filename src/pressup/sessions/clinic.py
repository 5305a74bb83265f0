"""The clinic's application layer: accounts, one patient's view of the store, what a
physiotherapist sees at a glance, and the clinician's decisions (a screening reviewed, a dose
prescribed).

``pressup serve`` reaches storage only through this module (and the other modules of
:mod:`pressup.sessions`, given a :func:`patient_store`). Every function that touches health
data takes the patient's :class:`PatientStore`, so it can only ever read or change that
patient's rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from pressup.analysis.run import analyze_track
from pressup.errors import InputError, NoPersonError, RecordNotFoundError, StorageError, ViewError
from pressup.live.replay import grid_frames, replay_live
from pressup.pose.track import PoseTrack
from pressup.protocol.spec import ProtocolSpec
from pressup.safety.progression import Prescription, parse_variant
from pressup.sessions.outcome import SessionOutcome, build_outcome
from pressup.sessions.plan import (
    HISTORY_LIMIT,
    Review,
    gate_of,
    history_of,
    planned_from_dose,
    prescribe,
)
from pressup.sessions.records import (
    CueRecord,
    SessionData,
    list_cues,
    list_screenings,
)
from pressup.sessions.store import Store
from pressup.storage.accounts import (
    CODE_PURPOSES,
    REVIEW_DECISIONS,
    ROLES,
    AccountRecord,
    AuditRecord,
    AuthSessionRecord,
    InviteRecord,
    ReviewRecord,
    account_by_username,
    add_audit,
    add_audits,
    add_review,
    add_to_care_team,
    auth_session,
    care_team,
    care_teams,
    change_password,
    create_account,
    create_auth_session,
    create_invite,
    delete_account,
    end_auth_session,
    end_auth_sessions,
    end_expired,
    failures_since,
    get_account,
    invites_of,
    iter_audit,
    list_accounts,
    list_audit,
    list_clinicians,
    note_failure,
    note_success,
    password_hash_of,
    patient_in_care,
    patients_of,
    record_attempt,
    redeem_invite,
    remove_from_care_team,
    reviews_of,
    set_password_hash,
    set_two_factor,
    take_two_factor_step,
    two_factor_of,
    unlock_account,
)
from pressup.storage.caseload import CaseloadRows, caseload
from pressup.storage.scoped import PatientStore
from pressup.storage.screenings import Approval
from pressup.storage.store import (
    SessionRecord,
    current_revision,
    head_revision,
    safe_url,
    upgrade,
)
from pressup.storage.values import MAX_ROW_ID
from pressup.wording import fault_wording, page_label_words

#: Days without a session before the list raises an alert.
QUIET_DAYS = 7
#: The window of the list's counts and pain trend.
WINDOW_DAYS = 28
#: At most this many of a patient's newest sessions in the window are judged.
LISTED_SESSIONS = 500


def patient_store(store: Store, patient: AccountRecord) -> PatientStore:
    """``store`` seen by ``patient`` only.

    Raises:
        InputError: ``patient`` is not a patient's account.
    """
    if patient.role != "patient":
        raise InputError(f"patient: expected a patient's account, got a {patient.role}'s")
    return PatientStore(store, patient.id)


def schema_state(url: str) -> tuple[str | None, str]:
    """The database's schema revision and the one this pressup needs.

    Raises:
        StorageError: the database cannot be reached.
    """
    return current_revision(url), head_revision()


@dataclass(frozen=True)
class Overview:
    """One patient's line in the physiotherapist's list.

    Attributes:
        patient: the account.
        last_session: when the newest session started (``None``: never).
        sessions_recent: sessions in the last :data:`WINDOW_DAYS` days.
        pain_before: the pain rated before each recent set, oldest first (0..10).
        pain_trend: ``better``, ``worse``, ``about the same``, ``one rating so far`` or
            ``not rated`` (the later half of the ratings against the earlier half).
        alerts: plain-language lines (a set stopped for safety, symptoms spreading, no
            session for :data:`QUIET_DAYS` days, screening due or waiting for review).
        locked_screening: the id of a screening waiting for a clinician, if any.
    """

    patient: AccountRecord
    last_session: datetime | None
    sessions_recent: int
    pain_before: tuple[int, ...]
    pain_trend: str
    alerts: tuple[str, ...]
    locked_screening: int | None


def _trend(pains: tuple[int, ...]) -> str:
    if len(pains) < 2:
        return "not rated" if not pains else "one rating so far"
    half = len(pains) // 2
    first = sum(pains[:half]) / half
    last = sum(pains[half:]) / (len(pains) - half)
    if last <= first - 1:
        return "better"
    if last >= first + 1:
        return "worse"
    return "about the same"


def overview(
    store: PatientStore,
    patient: AccountRecord,
    spec: ProtocolSpec,
    now: datetime,
    *,
    require_screening: bool = True,
) -> Overview:
    """What the physiotherapist's list shows for ``patient`` (``store``: theirs;
    ``require_screening``: the clinic asks for a screening before a set, so a missing or
    expired one is an alert; a screening waiting for review is one either way)."""
    return overviews(store, [patient], spec, now, require_screening=require_screening)[0]


def overviews(
    store: Store,
    patients: Sequence[AccountRecord],
    spec: ProtocolSpec,
    now: datetime,
    *,
    require_screening: bool = True,
) -> list[Overview]:
    """:func:`overview` of each of ``patients`` (a clinician's, from :func:`patients_of`), in
    their order, read in a fixed number of queries whatever their number and their sessions'
    (:func:`~pressup.storage.caseload.caseload`). ``store`` is the whole store: only the rows
    of ``patients`` are read."""
    since = now - timedelta(days=WINDOW_DAYS)
    rows = caseload(store, [p.id for p in patients], since)
    return [
        _overview(p, rows[p.id], spec, now, require_screening=require_screening) for p in patients
    ]


def _overview(
    patient: AccountRecord,
    rows: CaseloadRows,
    spec: ProtocolSpec,
    now: datetime,
    *,
    require_screening: bool,
) -> Overview:
    since = now - timedelta(days=WINDOW_DAYS)
    data = {sid: SessionData(r.reps, r.pain, r.symptoms, r.stops) for sid, r in rows.rows.items()}
    recent = [r for r in rows.sessions if r.created_at >= since][:LISTED_SESSIONS]
    outcomes = [build_outcome(r, data[r.id]) for r in reversed(recent)]
    pains = tuple(o.before[0].pain for o in outcomes if o.before)
    alerts = _session_alerts(outcomes, rows.last_session, now)
    screening = rows.screening
    locked = screening.id if screening is not None and screening.locked else None
    if locked is not None:
        alerts.append("A screening is waiting for your review.")
    elif require_screening:
        after = [r for r in rows.sessions if screening and r.created_at > screening.created_at]
        history = history_of(list(reversed(after[:HISTORY_LIMIT])), data, spec)
        g = gate_of(screening, history, spec, now)
        if not g.allowed:
            alerts.append(f"Screening due: {g.reason}")
    return Overview(
        patient, rows.last_session, len(recent), pains, _trend(pains), tuple(alerts), locked
    )


def _session_alerts(
    outcomes: Sequence[SessionOutcome], last: datetime | None, now: datetime
) -> list[str]:
    """The list's alerts about the sessions (``outcomes``: the window's, oldest first)."""
    alerts: list[str] = []
    stopped = [o for o in outcomes if o.stopped or o.stop_event]
    if stopped:
        day = stopped[-1].record.created_at.date().isoformat()
        alerts.append(f"A set was stopped for safety ({len(stopped)} in 4 weeks, last {day}).")
    spreading = [o for o in outcomes if o.response == "peripheralising"]
    if spreading:
        alerts.append(f"Symptoms spread down the leg in {len(spreading)} set(s) in 4 weeks.")
    if last is None:
        alerts.append("No session yet.")
    elif now - last >= timedelta(days=QUIET_DAYS):
        alerts.append(f"No session for {(now - last).days} days.")
    return alerts


def review_screening(
    store: PatientStore,
    *,
    clinician: AccountRecord,
    screening_id: int,
    decision: str,
    note: str,
    now: datetime,
) -> ReviewRecord:
    """A clinician approves (unlocks the coach) or declines (it stays locked) a screening of
    the patient of ``store``, with a note for the patient.

    Raises:
        InputError: not a clinician, an unknown decision, or an empty note on a refusal.
        StorageError: no such screening for this patient.
    """
    if not clinician.can_treat:
        raise InputError(f"clinician: expected a clinician's account, got a {clinician.role}'s")
    if decision not in REVIEW_DECISIONS:
        raise InputError(f"decision: expected one of {REVIEW_DECISIONS}, got {decision!r}")
    if decision == "declined" and not note.strip():
        raise InputError("note: expected a few words for the patient when declining, got none")
    mine = {s.id for s in list_screenings(store, limit=100)}
    if screening_id not in mine:
        raise RecordNotFoundError(f"no screening with id {screening_id} for this patient")
    return add_review(  # the review and the approval in one transaction
        store,
        screening_id=screening_id,
        clinician_id=clinician.id,
        decision=decision,
        note=note,
        approval=(Approval.of(clinician.display_name, now) if decision == "approved" else None),
    )


def prescribe_dose(
    store: PatientStore,
    spec: ProtocolSpec,
    *,
    clinician: AccountRecord,
    variant: str,
    hold_s: float,
    reps: int,
    sessions_per_day: int,
    notes: str,
) -> Review:
    """Store a clinician's prescription for the patient of ``store`` (the dose
    :func:`~pressup.sessions.plan.todays_dose` reads from then on).

    Raises:
        InputError: not a clinician, or a dose outside the protocol's limits.
    """
    if not clinician.can_treat:
        raise InputError(f"clinician: expected a clinician's account, got a {clinician.role}'s")
    rx = Prescription(
        variant=parse_variant(variant),
        hold_s=hold_s,
        reps=reps,
        sessions_per_day=sessions_per_day,
        notes=notes,
        source="clinician",
    )
    return prescribe(store, spec, rx)


# -- a stored session, replayed -------------------------------------------------------------------

#: Most landmark frames a replay carries, and its highest rate (frames per second): a longer
#: or faster recording is thinned to the frames nearest a regular grid.
REPLAY_MAX_FRAMES = 1800
REPLAY_MAX_FPS = 15.0


@dataclass(frozen=True)
class SessionReplay:
    """One stored session as the clinician's replay draws it.

    Attributes:
        record: the session.
        width, height: the camera picture (pixels); landmarks are fractions of it.
        duration_s: the end of the recording (seconds from its first frame time's origin).
        frames_stored: landmark frames stored; ``t_s``/``landmarks`` hold at most
            :data:`REPLAY_MAX_FRAMES` of them.
        t_s: each frame's time (seconds).
        landmarks: each frame as 33 x ``(x, y, visibility)`` flattened (x, y: fractions of the
            picture), ``None`` where nobody was seen.
        analysis: the engine's view of the whole track (:func:`replay_events`), ``{}`` when it
            could not be judged.
        note: why there are no phases or no frames (plain words), else ``""``.
        said: the cues the live coach sent during the set, as stored (``t_s``: the time of
            the frame they answered); empty for a set without stored cues (a recorded set, or
            one from before they were stored), whose cues are re-derived by the engine.
    """

    record: SessionRecord
    width: int
    height: int
    duration_s: float
    frames_stored: int
    t_s: tuple[float, ...]
    landmarks: tuple[tuple[float, ...] | None, ...]
    analysis: dict[str, Any]
    note: str = ""
    said: tuple[CueRecord, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready. ``cues``: the cues said during the set when stored (each ``said``
        true), else the engine's re-derived ones (``said`` false); ``cues_said`` says which."""
        r = self.record
        derived = [{**c, "said": False} for c in self.analysis.get("cues", [])]
        said = [
            {
                "t_s": _t(c.t_s) if c.t_s is not None else None,
                "text": c.text,
                "kind": c.kind,
                "priority": c.priority,
                "said": True,
            }
            for c in self.said
        ]
        return {
            "session": {
                "id": r.id,
                "created_at": r.created_at.isoformat(),
                "reps_done": r.reps_done,
                "target_reps": r.target_reps,
            },
            "width": self.width,
            "height": self.height,
            "duration_s": round(self.duration_s, 3),
            "frames_stored": self.frames_stored,
            "frames": {"t_s": list(self.t_s), "landmarks": list(self.landmarks)},
            "note": self.note,
            **self.analysis,
            "cues": said or derived,
            "cues_said": bool(said),
        }


def _thin(track: PoseTrack, max_frames: int, max_fps: float) -> np.ndarray[Any, Any]:
    """Indices of the frames a replay carries (all of them when few and slow enough)."""
    n = track.n_frames
    span = float(track.t_s[-1] - track.t_s[0]) if n > 1 else 0.0
    rate = min(max_fps, (max_frames - 1) / span) if span > 0 else max_fps
    if n <= max_frames and track.source.fps <= rate * 1.05:
        return np.arange(n)
    picked = grid_frames(track.t_s, rate)
    return picked[:max_frames]


def _packed(row: np.ndarray[Any, Any], width: int, height: int) -> tuple[float, ...] | None:
    if not np.isfinite(row[:, :2]).any():
        return None
    out: list[float] = []
    for x, y, _z, vis in row.tolist():
        seen = math.isfinite(x) and math.isfinite(y)
        v = min(max(vis, 0.0), 1.0) if seen and math.isfinite(vis) else 0.0
        out += [round(x / width, 3) if seen else 0.0, round(y / height, 3) if seen else 0.0]
        out.append(round(v, 1))
    return tuple(out)


def _t(x: float) -> float | None:
    return round(float(x), 3) if math.isfinite(x) else None


def replay_events(track: PoseTrack, spec: ProtocolSpec) -> dict[str, Any]:
    """The engine's phases, press-ups and faults (the offline analysis of ``track``) and the
    coach's stages, cues and rep events (the live coach re-run over it), JSON-ready.

    Raises:
        NoPersonError, ViewError: the track cannot be judged.
    """
    analysis = analyze_track(track, spec)
    live = replay_live(track, spec)
    labels = page_label_words()
    return {
        "phases": [
            {
                "start_s": _t(s.start_s),
                "end_s": _t(s.end_s),
                "label": s.label,
                "words": labels.get(s.label, s.label),
            }
            for s in analysis.segments
        ],
        "reps": [
            {
                "index": r.index,
                "start_s": _t(r.start_s),
                "top_start_s": _t(r.top_start_s),
                "top_end_s": _t(r.top_end_s),
                "end_s": _t(r.end_s),
                "hold_s": _t(r.hold_s),
                "variant": r.variant,
                "complete": r.complete,
                "not_counted": r.not_counted,
            }
            for r in analysis.reps
        ],
        "faults": [
            {
                "code": f.code,
                "words": fault_wording(f.code).name,
                "start_s": _t(f.start_s),
                "end_s": _t(f.end_s),
                "rep": f.rep,
            }
            for f in analysis.faults
        ],
        "stages": [{"t_s": _t(t), "stage": stage} for t, stage in live.stages],
        "cues": [
            {"t_s": _t(t), "text": c.text, "kind": c.kind, "priority": int(c.priority)}
            for t, c in live.cues
        ],
        "events": [
            {"t_s": _t(e.t_s), "kind": e.kind, "rep": e.rep}
            for e in live.events
            if e.kind
            in (
                "rep_started",
                "top_reached",
                "rep_completed",
                "rep_unfinished",
                "rep_abandoned",
                "set_completed",
                "tracking_lost",
            )
        ],
        "count": live.count,
    }


def session_replay(
    store: PatientStore,
    spec: ProtocolSpec,
    session_id: str,
    *,
    max_frames: int = REPLAY_MAX_FRAMES,
    max_fps: float = REPLAY_MAX_FPS,
) -> SessionReplay:
    """One stored session of the patient of ``store``, for the clinician's replay: its
    landmark frames (thinned, see :data:`REPLAY_MAX_FRAMES`) and the engine's and the coach's
    events re-run over the whole stored track with the dose the session was planned with.

    Raises:
        StorageError: no such session for this patient.
        InputError: ``max_frames`` below 2 or ``max_fps`` not positive.
    """
    if max_frames < 2 or not max_fps > 0:
        raise InputError(f"max_frames/max_fps: expected >= 2 and > 0, got {max_frames}/{max_fps}")
    record = store.get_session(session_id)
    if record is None:
        raise RecordNotFoundError(f"no session with id {session_id!r} for this patient")
    said = tuple(list_cues(store, session_id))
    try:
        track = store.load_track(session_id)
    except StorageError:
        track = None
    if track is None or track.n_frames == 0:
        w, h = record.video_width or 0, record.video_height or 0
        note = "This session has no stored movement (landmark) frames."
        return SessionReplay(record, w, h, 0.0, 0, (), (), {}, note, said)
    planned = planned_from_dose(spec, dict(record.dose))
    try:
        events = replay_events(track, planned.apply(spec) if planned else spec)
        note = ""
    except (NoPersonError, ViewError) as exc:
        events, note = {}, f"The engine could not judge this recording: {exc}"
    w, h = track.source.width, track.source.height
    idx = _thin(track, max_frames, max_fps).tolist()
    return SessionReplay(
        record=record,
        width=w,
        height=h,
        duration_s=track.duration_s,
        frames_stored=track.n_frames,
        t_s=tuple(round(float(track.t_s[i]), 3) for i in idx),
        landmarks=tuple(_packed(track.data[i], w, h) for i in idx),
        analysis=events,
        note=note,
        said=said,
    )


__all__ = [
    "CODE_PURPOSES",
    "MAX_ROW_ID",
    "QUIET_DAYS",
    "REPLAY_MAX_FPS",
    "REPLAY_MAX_FRAMES",
    "REVIEW_DECISIONS",
    "ROLES",
    "WINDOW_DAYS",
    "AccountRecord",
    "AuditRecord",
    "AuthSessionRecord",
    "InviteRecord",
    "Overview",
    "PatientStore",
    "ReviewRecord",
    "SessionReplay",
    "account_by_username",
    "add_audit",
    "add_audits",
    "add_to_care_team",
    "auth_session",
    "care_team",
    "care_teams",
    "change_password",
    "create_account",
    "create_auth_session",
    "create_invite",
    "delete_account",
    "end_auth_session",
    "end_auth_sessions",
    "end_expired",
    "failures_since",
    "get_account",
    "invites_of",
    "iter_audit",
    "list_accounts",
    "list_audit",
    "list_clinicians",
    "note_failure",
    "note_success",
    "overview",
    "overviews",
    "password_hash_of",
    "patient_in_care",
    "patient_store",
    "patients_of",
    "prescribe_dose",
    "record_attempt",
    "redeem_invite",
    "remove_from_care_team",
    "replay_events",
    "review_screening",
    "reviews_of",
    "safe_url",
    "schema_state",
    "session_replay",
    "set_password_hash",
    "set_two_factor",
    "take_two_factor_step",
    "two_factor_of",
    "unlock_account",
    "upgrade",
]
