"""Which inputs a batch takes, the hashes that make it resumable, and the reuse rule."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from pressup.analysis import ANALYSIS_REVISION
from pressup.batch.inputs import HashCache, content_hash, expand_inputs, protocol_hash
from pressup.batch.job import Job, one_line, record, reusable, write_result
from pressup.errors import InputError
from pressup.protocol import load_spec


def _touch(p: Path, data: bytes = b"x") -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def test_files_folders_patterns_and_list_files(tmp_path: Path) -> None:
    a = _touch(tmp_path / "clinic" / "a.mp4")
    b = _touch(tmp_path / "clinic" / "deep" / "b.MOV")
    _touch(tmp_path / "clinic" / "notes.txt")
    t = _touch(tmp_path / "tracks" / "t.npz")
    odd = _touch(tmp_path / "odd.bin")
    lst = tmp_path / "list.txt"
    lst.write_text("# videos of Monday\n\ntracks/t.npz\nclinic/a.mp4\n")
    got = expand_inputs([str(tmp_path / "clinic"), str(odd)], [lst])
    assert got == [a, b, odd, tmp_path / "tracks" / "t.npz"]  # a only once
    assert t.exists()
    assert expand_inputs([str(tmp_path / "clinic" / "**" / "*.mp4")]) == [a]
    with pytest.raises(InputError, match="no such file"):
        expand_inputs([str(tmp_path / "nope.mp4")])
    with pytest.raises(InputError, match="matches no video"):
        expand_inputs([str(tmp_path / "*.avi")])
    with pytest.raises(InputError, match="list file not found"):
        expand_inputs([], [tmp_path / "missing.txt"])


def test_hashes(tmp_path: Path) -> None:
    v = _touch(tmp_path / "v.mp4", b"abc")
    assert content_hash(v) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    cache = HashCache(tmp_path / "hashes.json")
    assert cache.get(v) == content_hash(v)
    cache.save()
    _touch(v, b"abcd")  # new size: hashed again, not taken from the cache
    assert HashCache(tmp_path / "hashes.json").get(v) == content_hash(v)
    (tmp_path / "bad.json").write_text("{not json")
    bad = HashCache(tmp_path / "bad.json")
    assert bad.warning is not None and bad.get(v) == content_hash(v)
    spec = load_spec()
    assert protocol_hash(spec) == protocol_hash(load_spec())
    changed = dataclasses.replace(spec, dose=dataclasses.replace(spec.dose, target_hold_s=20.0))
    assert protocol_hash(changed) != protocol_hash(spec)


def test_a_result_is_reused_only_when_nothing_changed(tmp_path: Path) -> None:
    job = Job(str(tmp_path / "v.mp4"), str(tmp_path / "out"), "c" * 64, "p" * 16, "full", True, 0)
    assert reusable(job) is None
    write_result(job, record(job, "failed", "empty", 0.1))
    assert reusable(job) is not None and reusable(job)["reused"] is True  # type: ignore[index]
    for change in ({"content_hash": "d" * 64}, {"protocol_hash": "q" * 16}, {"adaptive": False}):
        assert reusable(dataclasses.replace(job, **change)) is None  # type: ignore[arg-type]
    # a result from before keyframe tracking (no "tracking" in its record) is made again
    older = {k: v for k, v in record(job, "failed", "empty", 0.1).items() if k != "tracking"}
    (tmp_path / "out" / "result.json").write_text(json.dumps(older))
    assert reusable(job) is None
    # ... and so is one made by an earlier revision of the analysis
    earlier = {**record(job, "failed", "empty", 0.1), "analysis_revision": ANALYSIS_REVISION - 1}
    (tmp_path / "out" / "result.json").write_text(json.dumps(earlier))
    assert reusable(job) is None
    write_result(job, record(job, "crashed", "worker died", 0.1))
    assert reusable(job) is None  # a crash is tried again
    write_result(job, record(job, "ok", None, 0.1))
    assert reusable(job) is None  # ok but its analysis.json is missing
    (tmp_path / "out" / "result.json").write_text('{"status": "ok"')
    assert reusable(job) is None  # half-written
    assert json.loads((tmp_path / "out" / "result.json").read_text() + "}")["status"] == "ok"


def test_one_line_reasons() -> None:
    assert one_line(InputError("a.mp4: the file is empty\n(0 bytes)")) == (
        "a.mp4: the file is empty (0 bytes)"
    )
    assert one_line(ValueError("bad\nvalue")) == "ValueError: bad value"
    assert one_line(RuntimeError()) == "RuntimeError: RuntimeError"
