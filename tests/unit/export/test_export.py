"""Exports: CSV/JSON tables round-trip, FHIR R4 bundles validate, OpenSim .trc files parse,
and the ``pressup export`` commands write files or fail in one line.

A real store in tmp_path holds one session built from a synthetic track run through the
offline analysis (reps with real faults), pain ratings and the landmark frames.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from pressup.analysis.result import FAULT_CODES, Analysis
from pressup.analysis.run import analyze_track
from pressup.cli.export import export_app
from pressup.errors import InputError, PressupError, StorageError
from pressup.export import fhir, tables, trc
from pressup.pose.track import LANDMARK_NAMES, PoseTrack
from pressup.protocol import load_spec
from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session

T = TypeVar("T")
PATIENT = "pt-0042"
STAMP = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


@dataclass
class Populated:
    url: str
    store: Store
    sid: str
    track: PoseTrack
    analysis: Analysis


def _script() -> SessionScript:
    return SessionScript(
        reps=[
            RepScript("forearms", press_s=1.5, hold_s=4.0, lower_s=2.0, rest_s=3.0),
            RepScript(
                "forearms",
                press_s=1.5,
                hold_s=4.0,
                lower_s=2.0,
                rest_s=3.0,
                faults=("neck_extended",),
            ),
            RepScript("hands", press_s=1.5, hold_s=5.0, lower_s=2.0, rest_s=2.0),
        ],
        dropouts=[(1.0, 1.4)],
        noise_px=0.5,
        seed=3,
    )


@pytest.fixture(scope="module")
def session_track() -> tuple[PoseTrack, Analysis]:
    track, _ = make_session(_script())
    return track, analyze_track(track, load_spec())


@pytest.fixture
def populated(tmp_path: Path, session_track: tuple[PoseTrack, Analysis]) -> Iterator[Populated]:
    track, analysis = session_track
    url = f"sqlite:///{tmp_path}/x.db"
    store = Store(url)
    sid = store.create_session(
        client="test", dose={"variant": "forearms"}, protocol={"name": "t"}, target_reps=4
    )
    for rep in analysis.reps:
        store.upsert_rep(sid, rep)
    store.update_session(sid, stage="done", reps_done=analysis.rep_count, ended=True)
    store.add_pain(sid, rep=0, score=2, skipped=False, t_s=0.5)
    store.add_pain(sid, rep=1, score=4, skipped=False, t_s=9.0)
    store.add_pain(sid, rep=2, score=None, skipped=True, t_s=17.0)
    store.add_pain(sid, rep=3, score=1, skipped=False, t_s=25.0)
    half = track.n_frames // 2
    w, h = track.source.width, track.source.height
    store.append_frames(sid, track.t_s[:half], track.data[:half], width=w, height=h)
    store.append_frames(sid, track.t_s[half:], track.data[half:], width=w, height=h)
    yield Populated(url, store, sid, track, analysis)
    store.close()


def test_fixture_has_real_reps_and_faults(populated: Populated) -> None:
    reps = populated.store.list_reps(populated.sid)
    assert len(reps) == 3 and all(r["complete"] for r in reps)
    assert any(f["code"] == "neck_extended" for f in reps[1]["faults"])


# -- tables ----------------------------------------------------------------------------------


def test_session_summary_values(populated: Populated) -> None:
    (row,) = tables.collect_sessions(populated.store)
    reps = populated.store.list_reps(populated.sid)
    assert row.source == "session" and row.session_id == populated.sid
    assert row.stage == "done" and row.ended_at is not None and row.created_at is not None
    assert row.reps_done == 3 and row.target_reps == 4
    assert row.reps_recorded == 3 and row.reps_complete == 3
    assert row.variant == "mixed"
    holds = [r["hold_s"] for r in reps]
    assert row.hold_mean_s == pytest.approx(sum(holds) / 3)
    assert row.hold_max_s == max(holds)
    assert row.peak_trunk_max_deg == max(r["peak_trunk_deg"] for r in reps)
    assert row.faults["neck_extended"] >= 1
    assert set(row.faults) == set(FAULT_CODES)
    assert row.faults_total == sum(len({f["code"] for f in r["faults"]}) for r in reps)
    assert (row.pain_before, row.pain_after, row.pain_max) == (2, 1, 4)


def test_symptom_columns_say_where_how_and_whether_it_stopped(
    populated: Populated, tmp_path: Path
) -> None:
    from pressup.sessions.records import add_symptoms

    row = tables.stored_summary(populated.store, populated.sid)
    assert (row.location_before, row.symptom_response, row.stopped) == (None, None, False)
    add_symptoms(
        populated.store,
        populated.sid,
        [
            {"rep": 0, "pain": 2, "location": "back"},
            {"rep": 1, "pain": 4, "location": "thigh"},
        ],
    )
    populated.store.add_events(
        populated.sid,
        [{"t_s": 9.0, "kind": "set_stopped", "reason": "Stop the set: spread.", "rules": []}],
    )
    row = tables.stored_summary(populated.store, populated.sid)
    assert (row.location_before, row.location_after) == ("back", "thigh")
    assert row.symptom_response == "peripheralising"
    assert row.stopped and row.stop_reason == "Stop the set: spread."
    p = tables.write_sessions_csv([row], tmp_path / "s.csv")
    assert tables.read_sessions_csv(p) == [row]


def test_sessions_csv_round_trips_exactly(populated: Populated, tmp_path: Path) -> None:
    rows = tables.collect_sessions(populated.store)
    p = tables.write_sessions_csv(rows, tmp_path / "s.csv")
    assert p.read_text().splitlines()[0].split(",") == list(tables.SESSION_COLUMNS)
    assert tables.read_sessions_csv(p) == rows


def test_reps_csv_round_trips_exactly(populated: Populated, tmp_path: Path) -> None:
    rows = tables.collect_reps(populated.store)
    assert [r.index for r in rows] == [1, 2, 3]
    stored = populated.store.list_reps(populated.sid)
    for row, rep in zip(rows, stored):
        for key in ("start_s", "hold_s", "peak_trunk_deg", "peak_elbow_deg", "variant"):
            assert getattr(row, key) == rep[key]
        assert row.faults == tables.fault_codes(rep["faults"])
    assert "neck_extended" in rows[1].faults
    p = tables.write_reps_csv(rows, tmp_path / "r.csv")
    assert tables.read_reps_csv(p) == rows
    header = p.read_text().splitlines()[0].split(",")
    assert header == list(tables.REP_COLUMNS)


_floats = st.floats(allow_nan=False, allow_infinity=False)
_opt_floats = st.none() | _floats
_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    start=_floats,
    times=st.tuples(*[_opt_floats] * 6),
    angles=st.tuples(_opt_floats, _opt_floats),
    faults=st.lists(st.sampled_from(FAULT_CODES), unique=True, max_size=4),
    sid=_text,
    variant=_text,
    complete=st.booleans(),
    index=st.integers(min_value=1, max_value=10**6),
)
def test_reps_csv_round_trip_any_values(
    tmp_path_factory: pytest.TempPathFactory,
    start: float,
    times: tuple[float | None, ...],
    angles: tuple[float | None, float | None],
    faults: list[str],
    sid: str,
    variant: str,
    complete: bool,
    index: int,
) -> None:
    top_start, top_end, end, press, hold, lower = times
    rec = tables.RepRecord(
        source="session",
        session_id=sid,
        index=index,
        start_s=start,
        top_start_s=top_start,
        top_end_s=top_end,
        end_s=end,
        press_s=press,
        hold_s=hold,
        lower_s=lower,
        variant=variant,
        peak_trunk_deg=angles[0],
        peak_elbow_deg=angles[1],
        faults=tuple(faults),
        complete=complete,
    )
    p = tables.write_reps_csv(
        [rec, replace(rec, faults=())], tmp_path_factory.mktemp("h") / "r.csv"
    )
    assert tables.read_reps_csv(p) == [rec, replace(rec, faults=())]


def test_json_tables_load_with_the_rows(populated: Populated, tmp_path: Path) -> None:
    sessions = tables.collect_sessions(populated.store)
    reps = tables.collect_reps(populated.store)
    s = json.loads(tables.write_sessions_json(sessions, tmp_path / "s.json").read_text())
    r = json.loads(tables.write_reps_json(reps, tmp_path / "r.json").read_text())
    assert s["schema"] == tables.SESSIONS_SCHEMA and r["schema"] == tables.REPS_SCHEMA
    assert len(s["rows"]) == 1 and len(r["rows"]) == 3
    assert list(s["rows"][0]) == list(tables.SESSION_COLUMNS)
    assert list(r["rows"][0]) == list(tables.REP_COLUMNS)
    assert s["rows"][0]["session_id"] == populated.sid
    assert s["rows"][0]["pain_before"] == 2 and s["rows"][0]["pain_after"] == 1
    assert s["rows"][0]["created_at"] == sessions[0].created_at.isoformat()  # type: ignore[union-attr]
    assert r["rows"][1]["faults"] == list(reps[1].faults)
    assert r["rows"][0]["peak_trunk_deg"] == reps[0].peak_trunk_deg


def test_tables_from_analysis_folders(populated: Populated, tmp_path: Path) -> None:
    out = tmp_path / "analyses"
    for name in ("clip_a", "clip_b"):
        (out / name).mkdir(parents=True)
        populated.analysis.write_json(out / name / "analysis.json")
    (out / "broken").mkdir()
    (out / "broken" / "error.json").write_text("{}")
    rows = tables.collect_sessions(None, analyses=[out])
    assert [r.session_id for r in rows] == ["clip_a", "clip_b"]
    assert all(r.source == "analysis" and r.created_at is None for r in rows)
    assert rows[0].reps_done == populated.analysis.rep_count
    assert rows[0].target_reps == populated.analysis.protocol["target_reps"]
    assert rows[0].faults["neck_extended"] >= 1
    reps = tables.collect_reps(None, analyses=[out / "clip_a"])
    assert len(reps) == len(populated.analysis.reps)
    assert reps[0].peak_trunk_deg == round(populated.analysis.reps[0].peak_trunk_deg, 3)
    both = tables.collect_sessions(populated.store, analyses=[out / "clip_b/analysis.json"])
    assert [r.source for r in both] == ["session", "analysis"]
    p = tables.write_sessions_csv(both, tmp_path / "both.csv")
    assert tables.read_sessions_csv(p) == both
    with pytest.raises(InputError, match=r"no analysis\.json"):
        tables.collect_sessions(None, analyses=[out / "broken"])


def test_unknown_session_in_tables(populated: Populated) -> None:
    with pytest.raises(StorageError, match="no session"):
        tables.collect_sessions(populated.store, ["nope"])
    with pytest.raises(StorageError, match="no session"):
        tables.collect_reps(populated.store, ["nope"])


# -- FHIR ------------------------------------------------------------------------------------


def _resources(bundle: Bundle, kind: type[T]) -> list[T]:
    """The bundle's resources of one model class (parsed by fhir.resources)."""
    assert bundle.entry is not None
    return [e.resource for e in bundle.entry if isinstance(e.resource, kind)]


def _by_system(raw: dict[str, Any], system: str) -> list[dict[str, Any]]:
    """The raw Observations whose first code is from ``system``."""
    out = []
    for e in raw["entry"]:
        res = e["resource"]
        if res["resourceType"] == "Observation" and res["code"]["coding"][0]["system"] == system:
            out.append(res)
    return out


def test_fhir_symptom_observations(populated: Populated, tmp_path: Path) -> None:
    from pressup.sessions.records import add_symptoms

    add_symptoms(
        populated.store,
        populated.sid,
        [
            {"rep": 0, "pain": 2, "location": "thigh"},
            {"rep": 1, "pain": 4, "location": "buttock"},
        ],
    )
    populated.store.add_events(
        populated.sid,
        [{"t_s": 9.0, "kind": "set_stopped", "reason": "Stop the set: x.", "rules": ["pain_rise"]}],
    )
    bundle = fhir.session_bundle(populated.store, populated.sid, PATIENT, timestamp=STAMP)
    p = fhir.write_bundle(bundle, tmp_path / "b.json")  # validates before writing
    Bundle.model_validate_json(p.read_text())
    by_code = {}
    for o in _by_system(bundle, fhir.MEASURES_SYSTEM):
        by_code.setdefault(o["code"]["coding"][0]["code"], []).append(o)
    places = [o["valueCodeableConcept"]["coding"][0]["code"] for o in by_code["symptom-location"]]
    assert places == ["thigh", "buttock"]
    assert [o["note"][0]["text"] for o in by_code["symptom-location"]] == [
        "before the set",
        "after repetition 1",
    ]
    [response] = by_code["symptom-response"]
    assert response["valueCodeableConcept"]["coding"][0]["code"] == "centralising"
    [stopped] = by_code["set-stopped"]
    assert stopped["valueBoolean"] is True and "pain_rise" in stopped["note"][0]["text"]


def test_fhir_bundle_validates_and_has_the_observations(
    populated: Populated, tmp_path: Path
) -> None:
    bundle = fhir.session_bundle(populated.store, populated.sid, PATIENT, timestamp=STAMP)
    p = fhir.write_bundle(bundle, tmp_path / "bundle.json")
    parsed = Bundle.model_validate_json(p.read_text())
    assert parsed.type == "collection"
    assert [pt.id for pt in _resources(parsed, Patient)] == [PATIENT]
    obs = _resources(parsed, Observation)
    # 4 pain ratings + pain before/after the set + repetitions + peak trunk extension + hold
    assert len(obs) == 9
    assert all(o.status == "final" for o in obs)
    assert all(o.subject is not None and o.subject.reference == f"Patient/{PATIENT}" for o in obs)
    assert parsed.entry is not None
    assert len({e.fullUrl for e in parsed.entry}) == len(parsed.entry) == 10

    raw = json.loads(p.read_text())
    assert raw["resourceType"] == "Bundle" and raw["timestamp"].startswith("2024-05-06T07:08:09")
    pain = _by_system(raw, "http://loinc.org")
    assert [o["code"]["coding"][0]["code"] for o in pain] == ["72514-3"] * 4
    assert [o.get("valueQuantity", {}).get("value") for o in pain] == [2, 4, None, 1]
    assert pain[2]["dataAbsentReason"]["coding"][0]["code"] == "asked-declined"
    assert all(o["valueQuantity"]["code"] == "{score}" for o in pain if "valueQuantity" in o)
    assert pain[0]["note"][0]["text"] == "before the set"
    assert pain[1]["note"][0]["text"] == "after repetition 1"

    reps = populated.store.list_reps(populated.sid)
    session = populated.store.get_session(populated.sid)
    assert session is not None
    measures = {o["code"]["coding"][0]["code"]: o for o in _by_system(raw, fhir.MEASURES_SYSTEM)}
    expect = {
        "repetitions": (3, "{count}"),
        "peak-trunk-extension": (round(max(r["peak_trunk_deg"] for r in reps), 2), "deg"),
        "hold-duration": (round(sum(r["hold_s"] for r in reps) / 3, 2), "s"),
    }
    assert measures["pain-before-set"]["valueQuantity"]["value"] == 2
    assert measures["pain-after-set"]["valueQuantity"]["value"] == 1
    assert set(measures) == {*expect, "pain-before-set", "pain-after-set"}
    for code, (value, unit) in expect.items():
        q = measures[code]["valueQuantity"]
        assert q["value"] == pytest.approx(value)
        assert q["code"] == unit and q["system"] == "http://unitsofmeasure.org"
        assert measures[code]["effectiveDateTime"] == session.created_at.isoformat(
            timespec="milliseconds"
        )


def test_fhir_per_rep_observations_are_linked(populated: Populated) -> None:
    bundle = fhir.session_bundle(populated.store, populated.sid, PATIENT, per_rep=True)
    fhir.validate_bundle(bundle)
    assert len(_resources(Bundle.model_validate(bundle), Observation)) == 9 + 2 * 3
    measures = _by_system(bundle, fhir.MEASURES_SYSTEM)
    for code in ("peak-trunk-extension", "hold-duration"):
        same = [o for o in measures if o["code"]["coding"][0]["code"] == code]
        per_rep = [o for o in same if "derivedFrom" not in o]
        (summary,) = [o for o in same if "derivedFrom" in o]
        assert [o["note"][0]["text"] for o in per_rep] == [f"repetition {n}" for n in (1, 2, 3)]
        refs = [d["reference"] for d in summary["derivedFrom"]]
        assert refs == [f"Observation/{o['id']}" for o in per_rep]


def test_fhir_errors(populated: Populated) -> None:
    with pytest.raises(InputError, match="patient id"):
        fhir.session_bundle(populated.store, populated.sid, "has space")
    with pytest.raises(StorageError, match="no session"):
        fhir.session_bundle(populated.store, "nope", PATIENT)
    bad = fhir.session_bundle(populated.store, populated.sid, PATIENT)
    del bad["entry"][1]["resource"]["code"]
    with pytest.raises(PressupError, match="not valid"):
        fhir.validate_bundle(bad)


# -- OpenSim .trc ------------------------------------------------------------------------------


def test_trc_header_and_rows_as_opensim_reads_them(populated: Populated, tmp_path: Path) -> None:
    track = populated.store.load_track(populated.sid)
    p = tmp_path / "session.trc"
    scale = trc.write_trc(track, p)
    lines = p.read_text().split("\n")
    assert lines[0] == "PathFileType\t4\t(X/Y/Z)\tsession.trc"
    assert lines[1].split("\t") == list(trc.TRC_KEYS)
    values = dict(zip(trc.TRC_KEYS, lines[2].split("\t")))
    assert float(values["DataRate"]) == pytest.approx(track.source.fps)
    assert float(values["CameraRate"]) == float(values["DataRate"])
    assert int(values["NumFrames"]) == track.n_frames == int(values["OrigNumFrames"])
    assert int(values["NumMarkers"]) == 33 and values["Units"] == "mm"
    assert values["OrigDataStartFrame"] == "1"
    labels = lines[3].split("\t")
    assert labels[:2] == ["Frame#", "Time"]
    assert [x for x in labels[2:] if x] == list(LANDMARK_NAMES)
    assert labels[2:5] == ["nose", "", ""]  # each name, then two empty cells
    xyz = [x for x in lines[4].split("\t") if x]
    assert xyz == [f"{a}{i}" for i in range(1, 34) for a in "XYZ"]
    assert lines[5] == ""
    rows = [ln for ln in lines[6:] if ln]
    assert len(rows) == track.n_frames
    times = []
    for k, row in enumerate(rows, start=1):
        cells = row.split("\t")
        assert cells[-1] == "" and len(cells) == 2 + 3 * 33 + 1
        assert int(cells[0]) == k
        times.append(float(cells[1]))
        for c in cells[2:-1]:
            if c:
                float(c)
    assert np.array_equal(np.asarray(times), track.t_s)

    parsed = trc.read_trc(p)
    assert parsed.markers == LANDMARK_NAMES and parsed.data.shape == (track.n_frames, 33, 3)
    assert np.array_equal(parsed.t_s, track.t_s)
    # dropout frames (no person) are empty fields, read as missing markers
    missing = ~track.person_found
    assert missing.any() and np.all(np.isnan(parsed.data[missing]))
    assert np.all(np.isfinite(parsed.data[~missing]))
    # millimetres: X = s x, Y = s (height - y), Z = -s z
    ok = np.flatnonzero(~missing)[5]
    x, y, z = track.data[ok, 0, :3]
    assert parsed.data[ok, 0].tolist() == pytest.approx(
        [scale * x, scale * (track.source.height - y), -scale * z], abs=6e-4
    )


def test_trc_scale_from_trunk_and_given(populated: Populated, tmp_path: Path) -> None:
    track = populated.track
    body_px = 0.7 * track.source.width
    assert trc.trunk_length_px(track) == pytest.approx(0.28 * body_px, rel=0.01)
    scale = trc.estimate_scale_mm_per_px(track)
    assert scale == pytest.approx(450.0 / (0.28 * body_px), rel=0.01)
    p = tmp_path / "given.trc"
    assert trc.write_trc(track, p, scale_mm_per_px=2.0, min_visibility=0.5) == 2.0
    parsed = trc.read_trc(p)
    far = LANDMARK_NAMES.index("right_shoulder")  # far side: visibility 0.4
    near = LANDMARK_NAMES.index("left_shoulder")
    i = int(np.flatnonzero(track.person_found)[0])
    assert np.all(np.isnan(parsed.data[:, far]))
    assert parsed.data[i, near, 0] == pytest.approx(2.0 * track.data[i, near, 0], abs=6e-4)
    with pytest.raises(InputError, match="scale"):
        trc.write_trc(track, p, scale_mm_per_px=0.0)
    empty = track.slice(0, 0)
    with pytest.raises(InputError, match="no frames"):
        trc.write_trc(empty, p, scale_mm_per_px=1.0)
    with pytest.raises(InputError, match="cannot estimate the scale"):
        trc.write_trc(replace(track, data=_no_person(track)), p)


def _no_person(track: PoseTrack) -> npt.NDArray[np.float64]:
    d = np.full_like(track.data, np.nan)
    d[:, :, 3] = 0.0
    return d


def test_trc_last_marker_missing_keeps_the_field_count(
    populated: Populated, tmp_path: Path
) -> None:
    track = populated.track.slice(0, 3)
    d = track.data.copy()
    d[1, -1, :3] = np.nan
    p = tmp_path / "gap.trc"
    trc.write_trc(replace(track, data=d), p, scale_mm_per_px=1.0)
    parsed = trc.read_trc(p)
    assert np.all(np.isnan(parsed.data[1, -1])) and np.all(np.isfinite(parsed.data[1, :-1]))
    assert p.read_text().split("\n")[7].endswith("\t\t\t\t")


# -- CLI ---------------------------------------------------------------------------------------


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(export_app, [str(a) for a in args])
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        pytest.fail(f"pressup export {' '.join(map(str, args))} raised:\n{tb}")
    return result


def one_line_error(result: Result, error: type[PressupError], needle: str) -> None:
    assert result.exit_code == error.exit_code, (result.exit_code, result.output)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and needle in lines[0], lines[0]
    assert "Traceback" not in result.output


def test_cli_tables(populated: Populated, tmp_path: Path) -> None:
    db = ["--database", populated.url]
    r = run("sessions", "-o", tmp_path / "s.csv", *db)
    assert r.exit_code == 0, r.output
    assert tables.read_sessions_csv(tmp_path / "s.csv") == tables.collect_sessions(populated.store)
    r = run("sessions", "--format", "json", "-o", tmp_path / "s.out", *db)
    assert r.exit_code == 0, r.output
    assert len(json.loads((tmp_path / "s.out").read_text())["rows"]) == 1
    r = run("reps", "-o", tmp_path / "sub" / "r.json", "--session", populated.sid, *db)
    assert r.exit_code == 0, r.output
    assert len(json.loads((tmp_path / "sub" / "r.json").read_text())["rows"]) == 3
    r = run("reps", "--format", "csv", "-o", tmp_path / "r.csv", *db)
    assert r.exit_code == 0, r.output
    assert len(tables.read_reps_csv(tmp_path / "r.csv")) == 3
    # only analysis folders: the store is not opened
    folder = tmp_path / "an"
    folder.mkdir()
    populated.analysis.write_json(folder / "analysis.json")
    r = run("sessions", "-o", tmp_path / "a.csv", "--analysis", folder)
    assert r.exit_code == 0, r.output
    (row,) = tables.read_sessions_csv(tmp_path / "a.csv")
    assert row.source == "analysis" and row.session_id == "an"


def test_cli_fhir_and_trc(populated: Populated, tmp_path: Path) -> None:
    db = ["--database", populated.url]
    r = run("fhir", populated.sid, "--patient", PATIENT, "-o", tmp_path / "b.json", *db)
    assert r.exit_code == 0, r.output
    parsed = Bundle.model_validate_json((tmp_path / "b.json").read_text())
    assert len(_resources(parsed, Observation)) == 9
    r = run("trc", populated.sid, "-o", tmp_path / "s.trc", *db)
    assert r.exit_code == 0, r.output
    assert trc.read_trc(tmp_path / "s.trc").t_s.size == populated.track.n_frames
    npz = populated.track.save(tmp_path / "t.npz")
    r = run("trc", "--track", npz, "-o", tmp_path / "t.trc", "--scale-mm-per-px", "1.5")
    assert r.exit_code == 0, r.output
    markers = trc.read_trc(tmp_path / "t.trc")
    i = int(np.flatnonzero(populated.track.person_found)[0])
    assert markers.data[i, 0, 0] == pytest.approx(1.5 * populated.track.data[i, 0, 0], abs=6e-4)


def test_cli_errors_are_one_line(populated: Populated, tmp_path: Path) -> None:
    db = ["--database", populated.url]
    one_line_error(
        run("fhir", "nope", "--patient", PATIENT, "-o", tmp_path / "b.json", *db),
        StorageError,
        "no session with id 'nope'",
    )
    one_line_error(run("trc", "nope", "-o", tmp_path / "x.trc", *db), StorageError, "no session")
    one_line_error(
        run("sessions", "--session", "nope", "-o", tmp_path / "s.csv", *db),
        StorageError,
        "no session",
    )
    one_line_error(
        run("fhir", populated.sid, "--patient", "a b", "-o", tmp_path / "b.json", *db),
        InputError,
        "patient id",
    )
    one_line_error(run("trc", "-o", tmp_path / "x.trc", *db), InputError, "exactly one")
    one_line_error(
        run("trc", "--track", tmp_path / "missing.npz", "-o", tmp_path / "x.trc"),
        InputError,
        "missing.npz",
    )
    one_line_error(
        run("reps", "-o", tmp_path / "r.csv", "--analysis", tmp_path / "none"),
        InputError,
        "analysis.json",
    )
    assert not (tmp_path / "b.json").exists() and not (tmp_path / "x.trc").exists()


def test_cli_help_lists_the_commands() -> None:
    r = run("--help")
    assert r.exit_code == 0
    for cmd in ("sessions", "reps", "fhir", "trc"):
        assert cmd in r.output


def test_wired_into_the_main_cli() -> None:
    """``pressup export`` is wired into the main app (``pressup.cli``)."""
    from pressup.cli import app

    assert any(g.name == "export" for g in app.registered_groups)
    result = CliRunner().invoke(app, ["export", "--help"])
    assert result.exit_code == 0 and "fhir" in result.output
