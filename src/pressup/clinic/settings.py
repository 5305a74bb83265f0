"""Settings of ``pressup serve``, from environment variables (pydantic-settings) and the
command line.

Every variable starts with ``PRESSUP_``:

* ``PRESSUP_DATABASE_URL`` - the database (``postgresql+psycopg://user:pass@host/db``; SQLite
  for tests and trials);
* ``PRESSUP_PUBLIC_ORIGIN`` - the address people open, e.g. ``https://clinic.example.org``
  (the ``Origin`` every state-changing request and the WebSocket must come from);
* ``PRESSUP_ALLOWED_HOSTS`` - the host names the server answers to (the ``Host`` header,
  comma-separated, no port; anything else gets HTTP 400: DNS rebinding). Default: the public
  origin's host; ``localhost``, ``127.0.0.1``, ``::1`` and the address the server is bound to
  (``PRESSUP_BIND_HOST``, set by ``pressup serve --host``; not a wildcard such as ``0.0.0.0``)
  are always allowed. Behind a reverse proxy that rewrites ``Host``, add the name it sends;
* ``PRESSUP_BIND_HOST`` - the interface ``pressup serve`` binds (``--host``; the command sets
  it for its workers);
* ``PRESSUP_COOKIE_SECURE`` - mark the sign-in cookie ``Secure`` (default on; turn it off
  only for plain-http tests on one machine);
* ``PRESSUP_SESSION_HOURS``, ``PRESSUP_INVITE_HOURS``, ``PRESSUP_RESET_HOURS`` - how long a
  sign-in, an invitation and a password-reset code last (12, 72 and 24 hours);
* ``PRESSUP_LOGIN_MAX_FAILURES``, ``PRESSUP_LOGIN_WINDOW_MINUTES``,
  ``PRESSUP_LOCKOUT_MINUTES``, ``PRESSUP_ADDRESS_MAX_FAILURES`` - the sign-in rate limit and
  lock-out (kept in the database, so they hold across workers and machines);
* ``PRESSUP_TWO_FACTOR`` - require a second sign-in factor (a code from an authenticator app,
  TOTP) of every clinician and admin (default off: they may set one up themselves; an account
  with one set up is always asked for its code);
* ``PRESSUP_TRUST_PROXY`` - take the client's address from ``X-Forwarded-For`` (set it when
  a reverse proxy you run is in front; uvicorn's ``--forwarded-allow-ips`` does the same);
* ``PRESSUP_MIGRATE_ON_START`` - run the migrations when the app starts (default on);
* ``PRESSUP_POSE_ASSETS``, ``PRESSUP_PROTOCOL``, ``PRESSUP_STORAGE_ALARM_S`` - as for
  ``pressup coach``;
* ``PRESSUP_LOG_LEVEL`` - ``INFO`` by default; logs are JSON lines on stderr.
* ``PRESSUP_TIMING`` - ``1``: time every frame reply inside each worker and serve the figures
  of the worker that answers at ``GET /api/timing`` to a signed-in patient (as the coach's,
  :mod:`pressup.web.timing`; for ``benchmarks/load_ws.py``; off by default).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pressup.web.settings import default_pose_assets
from pressup.web.writer import ALARM_S


class ClinicSettings(BaseSettings):
    """What ``pressup serve`` needs; see the module docstring for the variables."""

    model_config = SettingsConfigDict(env_prefix="PRESSUP_", extra="ignore", frozen=True)

    database_url: str = Field(min_length=1)
    public_origin: str = "http://127.0.0.1:8000"
    #: Comma-separated host names; empty: the public origin's host (see :meth:`host_names`).
    allowed_hosts: str = ""
    #: The interface the server is bound to (``pressup serve --host``); answered to as a host.
    bind_host: str = ""
    cookie_secure: bool = True
    cookie_name: str = "pressup_session"
    session_hours: float = Field(default=12.0, gt=0)
    invite_hours: float = Field(default=72.0, gt=0)
    reset_hours: float = Field(default=24.0, gt=0)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    lockout_minutes: float = Field(default=15.0, gt=0)
    address_max_failures: int = Field(default=20, ge=1)
    trust_proxy: bool = False
    two_factor: bool = False
    migrate_on_start: bool = True
    require_screening: bool = True
    #: Seconds without a completed write before a patient's page is told storage_unavailable.
    storage_alarm_s: float = Field(default=ALARM_S, gt=0)
    pose_assets: Optional[Path] = Field(default_factory=default_pose_assets)
    protocol: Optional[Path] = None
    log_level: str = "INFO"
    #: Time the frame replies (``GET /api/timing``, per worker; off by default).
    timing: bool = False
    #: Argon2id cost: memory in KiB and passes (the library's defaults: 64 MiB, 3 passes).
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_time_cost: int = Field(default=3, ge=1)

    @field_validator("public_origin")
    @classmethod
    def _origin(cls, value: str) -> str:
        v = value.rstrip("/")
        scheme, sep, rest = v.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
            raise ValueError(
                f"expected an origin such as https://clinic.example.org (scheme and host, "
                f"no path), got {value!r}"
            )
        return v

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: str) -> str:
        for name in _split_hosts(value):
            if "*" in name or "/" in name or name.count(":") == 1:
                raise ValueError(
                    f"expected host names without scheme, port or wildcard, such as "
                    f"clinic.example.org,10.0.0.5, got {name!r}"
                )
        return value

    def host_names(self) -> frozenset[str]:
        """The ``Host`` header names the server answers to: ``PRESSUP_ALLOWED_HOSTS`` (or the
        public origin's host) plus ``localhost``, ``127.0.0.1``, ``::1`` and the bind host
        (unless it is a wildcard address)."""
        given = _split_hosts(self.allowed_hosts)
        if not given:
            given = [_origin_host(self.public_origin)]
        bound = [h for h in _split_hosts(self.bind_host) if h not in WILDCARD_HOSTS]
        return frozenset({*LOCAL_HOSTS, *given, *bound})


#: Host names always answered to (a DNS-rebinding page cannot send these).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
#: Bind addresses that mean "every interface": no client sends them as its ``Host``.
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _split_hosts(value: str) -> list[str]:
    names = (n.strip().lower() for n in value.split(","))
    return [n[1:-1] if n.startswith("[") and n.endswith("]") else n for n in names if n]


def _origin_host(origin: str) -> str:
    rest = origin.partition("://")[2]
    if rest.startswith("["):
        return rest[1 : rest.find("]")].lower()
    return rest.rsplit(":", 1)[0].lower() if ":" in rest else rest.lower()


__all__ = ["ClinicSettings"]
