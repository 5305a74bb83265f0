"""The protocol file: defaults documented in TOML equal the code's, and bad files name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressup.errors import SpecError
from pressup.protocol import ProtocolSpec, default_spec_text, load_spec


def test_default_file_matches_dataclass_defaults() -> None:
    assert load_spec() == ProtocolSpec()


def test_every_default_key_is_explained_by_a_comment() -> None:
    lines = default_spec_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.lstrip().startswith("#") and not line.startswith("["):
            before = lines[i - 1].strip()
            assert before.startswith("#") or "=" in before, f"undocumented key: {line}"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "p.toml"
    p.write_text(text)
    return p


def test_partial_override_keeps_other_defaults(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, "[dose]\ntarget_hold_s = 20\ntarget_reps = 5\n"))
    assert spec.dose.target_hold_s == 20.0
    assert spec.dose.target_reps == 5
    assert spec.positions == ProtocolSpec().positions


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[dose]\ntarget_hold = 10\n", "dose.target_hold"),
        ("[dosage]\n", "[dosage]"),
        ("[dose]\ntarget_reps = 'three'\n", "dose.target_reps"),
        ("[dose]\ntarget_reps = 3.5\n", "dose.target_reps"),
        ("[dose]\ntarget_hold_s = 45\n", "dose.target_hold_s"),
        ("[dose]\nvariant = 'knuckles'\n", "dose.variant"),
        ("[faults]\nelbows_locked_deg = 200\n", "faults.elbows_locked_deg"),
        ("[positions]\ndown_deg = 9\n", "positions.down_deg"),
        ("[dose\n", "not valid TOML"),
        ("[tracking]\nmin_visibility = true\n", "tracking.min_visibility"),
    ],
)
def test_bad_files_name_the_key(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(SpecError) as exc:
        load_spec(_write(tmp_path, text))
    assert needle in str(exc.value)


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "nope.toml")
