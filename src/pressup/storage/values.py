"""Checks and conversions shared by the storage modules: arguments are validated before
anything is written (malformed ones raise :class:`~pressup.errors.InputError`), timestamps are
timezone-aware UTC, long id lists are split for ``IN (...)`` queries, and rows are copied into
plain records (:func:`record_of`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timezone
from typing import Any, TypeVar

import numpy as np

from pressup.errors import InputError

#: The largest id an ``Integer`` primary key holds on every backend (PostgreSQL's ``integer``
#: is 32-bit, SQLite's 64-bit): a larger id names no row, and the database refuses to compare
#: with it (an error, not "not found").
MAX_ROW_ID = 2**31 - 1


def utc_now() -> datetime:
    """This moment, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """SQLite gives back naive datetimes (written as UTC); PostgreSQL aware ones."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def req_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{name}: expected an integer, got {value!r}")
    n = int(value)
    if minimum is not None and n < minimum:
        raise InputError(f"{name}: expected an integer >= {minimum}, got {n}")
    return n


#: Most ids in one ``IN (...)`` (SQLite allows 32766 bound parameters; PostgreSQL more).
IN_CHUNK = 500


def id_chunks(ids: list[str]) -> list[list[str]]:
    """``ids`` in runs of at most :data:`IN_CHUNK`."""
    return [ids[i : i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]


def opt_int(name: str, value: Any, *, minimum: int | None = None) -> int | None:
    return None if value is None else req_int(name, value, minimum=minimum)


def opt_float(name: str, value: Any) -> float | None:
    """A finite float, or None for None/NaN/infinity."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise InputError(f"{name}: expected a number, got {value!r}")
    f = float(value)
    return f if math.isfinite(f) else None


def req_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name}: expected true or false, got {value!r}")
    return bool(value)


def req_text(name: str, value: Any, *, max_len: int | None = None) -> str:
    if not isinstance(value, str):
        raise InputError(f"{name}: expected a string, got {value!r}")
    if max_len is not None and not 0 < len(value) <= max_len:
        raise InputError(f"{name}: expected 1..{max_len} characters, got {len(value)}")
    return value


__all__ = [
    "IN_CHUNK",
    "as_utc",
    "id_chunks",
    "opt_float",
    "opt_int",
    "req_bool",
    "req_int",
    "req_text",
    "utc_now",
]


def choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``.

    Raises:
        InputError: it is not.
    """
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


R = TypeVar("R")


def record_of(cls: type[R], row: Any) -> R:
    """A plain record (a dataclass ``cls``) copied from an ORM ``row`` with the same attribute
    names: datetimes come back timezone-aware UTC (:func:`as_utc`), JSON objects as copies."""
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        value = getattr(row, f.name)
        if isinstance(value, datetime):
            value = as_utc(value)
        elif isinstance(value, dict):
            value = dict(value)
        values[f.name] = value
    return cls(**values)
