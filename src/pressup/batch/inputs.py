"""Which videos a batch is over: files, folders, glob patterns and list files, and the keys
that say whether a video's result can be reused (content hash, protocol hash)."""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pressup.errors import InputError
from pressup.pose.video import VIDEO_SUFFIXES
from pressup.protocol import ProtocolSpec

#: Bytes read at a time when hashing a video.
_CHUNK = 1 << 20


#: What a folder or a pattern contributes: videos, and pressup track files (``.npz``: analysed
#: without the pose model, as ``pressup analyze`` does).
INPUT_SUFFIXES = frozenset(VIDEO_SUFFIXES | {".npz"})


def _is_video(p: Path) -> bool:
    return p.suffix.lower() in INPUT_SUFFIXES


def expand_inputs(inputs: Iterable[str], list_files: Iterable[Path] = ()) -> list[Path]:
    """The videos named by ``inputs`` and ``list_files``, each once, in the order given.

    * a file is taken as it is (whatever its suffix: a corrupt or mislabelled file is a
      result too, recorded as failed);
    * a folder gives the videos (and track files) under it, at any depth, sorted (by suffix:
      :data:`INPUT_SUFFIXES`);
    * a pattern with ``*``, ``?`` or ``[`` is expanded (``**`` matches folders at any depth);
    * a list file holds one input of these kinds per line (blank lines and lines starting
      with ``#`` are skipped; relative paths are relative to the list file's folder).

    Raises:
        InputError: an input that is neither a file, a folder nor a pattern matching anything,
            or a missing list file.
    """
    items: list[str] = list(inputs)
    for lf in list_files:
        items.extend(_list_file_items(lf))
    seen: set[Path] = set()
    out: list[Path] = []
    for item in items:
        for p in _paths_of(item):
            r = p.resolve()
            if r not in seen:
                seen.add(r)
                out.append(p)
    return out


def _list_file_items(lf: Path) -> list[str]:
    """The inputs a list file holds, one a line (blank lines and ``#`` lines skipped; relative
    paths made relative to the list file's folder).

    Raises:
        InputError: the list file is missing.
    """
    if not lf.is_file():
        raise InputError(f"{lf}: list file not found")
    items: list[str] = []
    for line in lf.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if s and not s.startswith("#"):
            items.append(s if Path(s).is_absolute() else str(lf.parent / s))
    return items


def _paths_of(item: str) -> list[Path]:
    """The files one input names, in order (duplicates included): see :func:`expand_inputs`.

    Raises:
        InputError: the input is neither a file, a folder nor a pattern matching a video.
    """
    p = Path(item)
    if p.is_dir():
        return [q for q in sorted(p.rglob("*")) if q.is_file() and _is_video(q)]
    if p.is_file():
        return [p]
    if any(c in item for c in "*?["):
        matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
        files = [m for m in matches if m.is_file() and _is_video(m)]
        if not files:
            raise InputError(f"{item}: the pattern matches no video")
        return files
    raise InputError(f"{item}: no such file, folder or pattern")


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, hex."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class HashCache:
    """Content hashes remembered by path, size and modification time (``hashes.json`` in the
    output folder), so that a re-run does not read every video again to find it unchanged."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, Any] = {}
        #: why the cache file could not be used, if it could not (then every video is hashed)
        self.warning: str | None = None
        if path.is_file():
            try:
                loaded = json.loads(path.read_text())
            except (OSError, ValueError) as exc:  # a damaged cache is only slower, never wrong
                self.warning = f"{path}: hash cache unreadable ({exc}); hashing every video again"
                loaded = {}
            self._data = loaded if isinstance(loaded, dict) else {}

    def get(self, video: Path) -> str:
        """The content hash of ``video`` (from the cache when size and mtime are unchanged)."""
        st = video.stat()
        key = str(video.resolve())
        hit = self._data.get(key)
        stamp = [st.st_size, st.st_mtime_ns]
        if isinstance(hit, dict) and hit.get("stamp") == stamp:
            return str(hit["sha256"])
        digest = content_hash(video)
        self._data[key] = {"stamp": stamp, "sha256": digest}
        return digest

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._data, indent=0, sort_keys=True))
        tmp.replace(self.path)


def protocol_hash(spec: ProtocolSpec) -> str:
    """SHA-256 (first 16 hex digits) of every value of the protocol: a changed threshold or
    dose makes a different hash."""
    blob = json.dumps(dataclasses.asdict(spec), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
