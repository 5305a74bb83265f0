"""Settings of the live-coach web app, from arguments and environment variables.

* ``PRESSUP_DATABASE_URL`` - where sessions are stored (default: SQLite in the user's data folder);
* ``PRESSUP_POSE_ASSETS`` - folder holding the ``@mediapipe/pose`` files (``pose.js``, the WASM
  runtime and the models); default: ``web/node_modules/@mediapipe/pose`` in the source tree,
  installed by the README's set-up (``npm ci --prefix web``);
* ``PRESSUP_TIMING=1`` - measure, per frame, the time from the message received to the reply
  sent, and serve the figures at ``GET /api/timing`` (for ``benchmarks/load_ws.py``; off by
  default);
* ``PRESSUP_REQUIRE_SCREENING=0`` - let the coach start without an up-to-date safety screening
  (for automated tests; default: required);
* ``PRESSUP_STORAGE_ALARM_S`` - how long (seconds) the live sessions' writes may make no progress
  before the page is told ``storage_unavailable`` (default 5; a write that fails is told at
  once).
"""

from __future__ import annotations

import math
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from pressup.errors import InputError
from pressup.sessions.store import default_database_url
from pressup.web.writer import ALARM_S

REPO_ROOT = Path(__file__).resolve().parents[3]


def default_pose_assets() -> Path | None:
    env = os.environ.get("PRESSUP_POSE_ASSETS")
    if env:
        return Path(env)
    cand = REPO_ROOT / "web" / "node_modules" / "@mediapipe" / "pose"
    return cand if cand.is_dir() else None


def storage_alarm_from_env() -> float:
    """``PRESSUP_STORAGE_ALARM_S`` in seconds (default :data:`~pressup.web.writer.ALARM_S`).

    Raises:
        InputError: not a positive number.
    """
    raw = os.environ.get("PRESSUP_STORAGE_ALARM_S", "").strip()
    if not raw:
        return ALARM_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"PRESSUP_STORAGE_ALARM_S: expected seconds > 0, got {raw!r}")
    return value


@dataclass
class Settings:
    """Where the app listens, how it is locked, and where it keeps things.

    Attributes:
        host: interface to bind; 127.0.0.1 keeps the coach on this machine.
        port: TCP port (0 = pick a free one when serving).
        token: per-launch secret that the page carries in its URL.
        database_url: SQLAlchemy URL of the session store.
        pose_assets_dir: folder with the ``@mediapipe/pose`` files, or None.
        protocol_path: custom protocol TOML, or None for the default.
        timing: record the server-side time of every frame reply (``GET /api/timing``).
        require_screening: refuse to open a coaching session (WebSocket ``hello``) unless the
            safety screening is done, not locked and not due again
            (:func:`pressup.sessions.plan.gate`).
        storage_alarm_s: seconds without a completed write (writes waiting) before the page
            is told ``storage_unavailable`` (:class:`~pressup.web.writer.StoreWriter`).
    """

    host: str = "127.0.0.1"
    port: int = 0
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    database_url: str = field(default_factory=default_database_url)
    pose_assets_dir: Path | None = field(default_factory=default_pose_assets)
    protocol_path: Path | None = None
    timing: bool = field(default_factory=lambda: os.environ.get("PRESSUP_TIMING") == "1")
    require_screening: bool = field(
        default_factory=lambda: os.environ.get("PRESSUP_REQUIRE_SCREENING", "1") != "0"
    )
    storage_alarm_s: float = field(default_factory=storage_alarm_from_env)

    def allowed_hosts(self) -> set[str]:
        """Host names the app answers to (the ``Host`` header; anything else may be a DNS
        rebinding attack): ``127.0.0.1``, ``localhost`` and the configured host."""
        return {"127.0.0.1", "localhost", self.host.strip("[]").lower()}

    def allowed_origins(self) -> set[str]:
        """Origins of the app's own page (``Origin`` headers accepted)."""
        hosts = (
            {self.host, "127.0.0.1", "localhost"}
            if self.host in ("127.0.0.1", "localhost")
            else {self.host}
        )
        return {f"http://{h}:{self.port}" for h in hosts}

    def page_url(self) -> str:
        return f"http://{self.host}:{self.port}/?token={self.token}"
