"""Who is asking: passwords, sign-in sessions, roles, CSRF and the audit trail.

* Passwords are Argon2id hashes (argon2-cffi); a sign-in for an unknown name still runs one
  hash, so the answer takes as long either way.
* A sign-in is a row in ``auth_sessions`` keyed by the SHA-256 of the cookie's secret; the
  cookie is ``HttpOnly``, ``SameSite=Lax``, ``Path=/`` and ``Secure`` (unless
  ``PRESSUP_COOKIE_SECURE=0``). Nothing about a sign-in lives in one process's memory.
* Every state-changing request (not ``GET``/``HEAD``/``OPTIONS``) must carry the CSRF token
  (:func:`csrf_guard`): the sign-in's token, or before signing in the ``pressup_csrf``
  cookie's value (double submit), in a form field ``csrf_token``, a header ``X-CSRF-Token`` /
  ``X-Pressup-Token`` or ``?token=`` (the coach page's way); and an ``Origin``, when the
  browser sends one, must be the public origin.
* Roles: :data:`PatientAuth`, :data:`ClinicianAuth` (a clinician, or an admin who is also
  one), :data:`AdminAuth`; :func:`care_of` gives a clinician a patient whose care team they
  are in (404 otherwise, the same answer as for a patient that does not exist).
* :func:`audit` appends to the audit log (who, role, action, patient, address).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any
from urllib.parse import parse_qs

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection
from starlette.responses import Response

from pressup.clinic.settings import ClinicSettings
from pressup.errors import StorageUnavailableError
from pressup.protocol import ProtocolSpec
from pressup.sessions.clinic import (
    MAX_ROW_ID,
    AccountRecord,
    AuthSessionRecord,
    PatientStore,
    add_audits,
    auth_session,
    patient_in_care,
    patient_store,
)
from pressup.sessions.store import Store
from pressup.web.deps import same_secret
from pressup.web.failures import unavailable_reply

log = logging.getLogger("pressup.clinic")

#: The cookie holding the CSRF token before signing in (double submit on the sign-in forms).
PRE_CSRF_COOKIE = "pressup_csrf"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_UNSET = object()  # "not looked up yet" (None: looked up, nobody)


def token_hash(secret: str) -> str:
    """SHA-256 hex of a cookie secret or invitation code (what the database keeps)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


class Passwords:
    """Argon2id hashing with the configured cost."""

    MIN_LENGTH = 10

    def __init__(self, memory_kib: int, time_cost: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=Type.ID
        )
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Does ``password`` match ``stored`` (``None``: no password yet; a dummy hash is
        checked so that the time taken says nothing)?"""
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except VerifyMismatchError:
            return False
        except (VerificationError, InvalidHashError) as exc:
            log.warning("password check failed on a malformed hash: %s", exc)
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    @classmethod
    def check_new(cls, password: str, again: str) -> str | None:
        """Why a new password is refused (plain words), or ``None``."""
        if password != again:
            return "The two passwords are not the same."
        if len(password) < cls.MIN_LENGTH:
            return f"Please choose a password of at least {cls.MIN_LENGTH} characters."
        if len(password) > 1024:
            return "Please choose a password of at most 1024 characters."
        return None


@dataclass(frozen=True)
class Auth:
    """A signed-in browser and its account."""

    session: AuthSessionRecord
    account: AccountRecord


class SignInRequired(Exception):
    """Raised by the dependencies when nobody is signed in (401, or a redirect for pages)."""


# -- the app's parts ----------------------------------------------------------------------------


def clinic_settings(conn: HTTPConnection) -> ClinicSettings:
    settings: ClinicSettings = conn.app.state.clinic_settings
    return settings


def base_store(conn: HTTPConnection) -> Store:
    store: Store = conn.app.state.store
    return store


def clinic_spec(conn: HTTPConnection) -> ProtocolSpec:
    spec: ProtocolSpec = conn.app.state.spec
    return spec


def passwords(conn: HTTPConnection) -> Passwords:
    pw: Passwords = conn.app.state.passwords
    return pw


ClinicSettingsDep = Annotated[ClinicSettings, Depends(clinic_settings)]
BaseStoreDep = Annotated[Store, Depends(base_store)]
ClinicSpecDep = Annotated[ProtocolSpec, Depends(clinic_spec)]
PasswordsDep = Annotated[Passwords, Depends(passwords)]


def client_address(conn: HTTPConnection) -> str:
    """The client's address (the first ``X-Forwarded-For`` hop with ``PRESSUP_TRUST_PROXY``)."""
    settings = clinic_settings(conn)
    if settings.trust_proxy:
        forwarded = conn.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first[:64]
    return conn.client.host if conn.client is not None else "-"


# -- who is signed in -----------------------------------------------------------------------------


def _cookie_sign_in(conn: HTTPConnection) -> Auth | None:
    """The sign-in row of this request's cookie, verified or waiting for its second factor
    (read once per request), or ``None``."""
    cached = getattr(conn.state, "sign_in", _UNSET)
    if cached is None or isinstance(cached, Auth):
        return cached
    settings = clinic_settings(conn)
    secret = conn.cookies.get(settings.cookie_name)
    found = auth_session(base_store(conn), token_hash(secret), now_utc()) if secret else None
    auth = Auth(found[0], found[1]) if found is not None else None
    conn.state.sign_in = auth
    return auth


def current_auth(conn: HTTPConnection) -> Auth | None:
    """The sign-in of this request's cookie, or ``None`` (also while it waits for its second
    factor: such a sign-in signs nobody in)."""
    found = _cookie_sign_in(conn)
    auth = found if found is not None and found.session.verified else None
    conn.state.auth = auth
    return auth


def pending_auth(conn: HTTPConnection) -> Auth | None:
    """The sign-in of this request's cookie that waits for its second factor, or ``None``."""
    found = _cookie_sign_in(conn)
    return found if found is not None and not found.session.verified else None


def signed_in(request: Request) -> Auth:
    auth = current_auth(request)
    if auth is None:
        raise SignInRequired()
    return auth


SignedIn = Annotated[Auth, Depends(signed_in)]


def _a(noun: str) -> str:
    """``noun`` with its indefinite article ("a clinician", "an admin")."""
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _forbidden(need: str, auth: Auth) -> HTTPException:
    return HTTPException(
        status_code=403,
        detail=f"this needs {_a(need)} account; you are signed in as {_a(auth.account.role)}",
    )


def patient_auth(auth: SignedIn) -> Auth:
    if auth.account.role != "patient":
        raise _forbidden("patient", auth)
    return auth


def clinician_auth(auth: SignedIn) -> Auth:
    if not auth.account.can_treat:
        raise _forbidden("clinician", auth)
    return auth


def admin_auth(auth: SignedIn) -> Auth:
    if not auth.account.can_admin:
        raise _forbidden("admin", auth)
    return auth


def staff_auth(auth: SignedIn) -> Auth:
    if auth.account.role == "patient":
        raise _forbidden("clinician or admin", auth)
    return auth


PatientAuth = Annotated[Auth, Depends(patient_auth)]
ClinicianAuth = Annotated[Auth, Depends(clinician_auth)]
AdminAuth = Annotated[Auth, Depends(admin_auth)]
StaffAuth = Annotated[Auth, Depends(staff_auth)]


@dataclass(frozen=True)
class Care:
    """A clinician looking after one of their patients, and that patient's store."""

    auth: Auth
    patient: AccountRecord
    store: PatientStore


#: A record's id in a path: a whole number a row can have (422 otherwise, saying so).
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def care_of(patient_id: RowId, auth: ClinicianAuth, store: BaseStoreDep) -> Care:
    """The patient ``patient_id`` whose care team the clinician is in (404 when there is no
    such patient, or the clinician is not in their care team)."""
    patient = patient_in_care(store, patient_id, auth.account.id)
    if patient is None:
        raise HTTPException(status_code=404, detail=f"no patient {patient_id} in your care")
    return Care(auth, patient, patient_store(store, patient))


CareDep = Annotated[Care, Depends(care_of)]


def own_store(auth: PatientAuth, store: BaseStoreDep) -> PatientStore:
    return patient_store(store, auth.account)


OwnStore = Annotated[PatientStore, Depends(own_store)]


def audit(
    conn: HTTPConnection,
    actor: AccountRecord | None,
    action: str,
    patient: AccountRecord | None,
    *,
    target: AccountRecord | None = None,
) -> None:
    """Append one audit entry for this request (``actor`` ``None``: not signed in;
    ``target``: the account the action was about, when not only the patient's)."""
    audit_each(conn, actor, action, [patient], target=target)


def audit_each(
    conn: HTTPConnection,
    actor: AccountRecord | None,
    action: str,
    patients: Sequence[AccountRecord | None],
    *,
    target: AccountRecord | None = None,
) -> None:
    """Append one audit entry per patient of ``patients`` for this request, in one write."""
    add_audits(
        base_store(conn),
        actor=actor,
        action=action,
        patients=patients,
        address=client_address(conn),
        target=target,
    )


# -- CSRF -------------------------------------------------------------------------------------


async def _submitted_token(request: Request) -> str | None:
    for header in ("x-csrf-token", "x-pressup-token"):
        value = request.headers.get(header)
        if value:
            return value
    if request.query_params.get("token"):
        return request.query_params["token"]
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body = await request.body()
        if len(body) > 65_536:
            return None
        values = parse_qs(body.decode("utf-8", "replace")).get("csrf_token")
        return values[0] if values else None
    return None


async def csrf_guard(request: Request, call_next: Any) -> Response:
    """Refuse (403) a state-changing request from another origin or without the CSRF token.

    The security headers are the outer guard's (:class:`pressup.web.guard.OuterGuard`, on
    every reply, errors included), ``Referrer-Policy: no-referrer`` among them. With that
    policy Chromium posts a form with ``Origin: null``, which the origin check here refuses;
    so every clinic page asks for ``same-origin`` itself (``<meta name="referrer">`` in
    ``templates/base.html.j2``): its forms keep their ``Origin`` and no referrer (nor an
    invitation code in it) goes to another site."""
    if request.method not in SAFE_METHODS:
        settings = clinic_settings(request)
        origin = request.headers.get("origin")
        if origin is not None and origin != settings.public_origin:
            return JSONResponse(
                {"detail": f"Origin: expected {settings.public_origin}, got {origin}"},
                status_code=403,
            )
        try:
            auth = current_auth(request)
        except StorageUnavailableError as exc:  # before any route: the app's handler is not here
            log.warning("database unavailable during %s: %s", request.url.path, exc)
            return unavailable_reply(exc)
        expected = (
            auth.session.csrf_token if auth is not None else request.cookies.get(PRE_CSRF_COOKIE)
        )
        got = await _submitted_token(request)
        if not expected or not same_secret(got, expected):
            return JSONResponse(
                {"detail": "CSRF token: expected this sign-in's token, got none or another"},
                status_code=403,
            )
    response: Response = await call_next(request)
    return response


def pre_csrf(request: Request, response: Response) -> str:
    """The CSRF token of a sign-in form: the sign-in's own, or a fresh double-submit cookie."""
    auth = current_auth(request)
    if auth is not None:
        return auth.session.csrf_token
    token = request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(32)
    settings = clinic_settings(request)
    response.set_cookie(
        PRE_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return token


def session_lifetime(settings: ClinicSettings) -> timedelta:
    return timedelta(hours=settings.session_hours)


__all__ = [
    "PRE_CSRF_COOKIE",
    "AdminAuth",
    "Auth",
    "BaseStoreDep",
    "Care",
    "CareDep",
    "ClinicSettingsDep",
    "ClinicSpecDep",
    "ClinicianAuth",
    "OwnStore",
    "Passwords",
    "PasswordsDep",
    "PatientAuth",
    "RowId",
    "SignInRequired",
    "SignedIn",
    "StaffAuth",
    "audit",
    "audit_each",
    "care_of",
    "client_address",
    "csrf_guard",
    "current_auth",
    "now_utc",
    "pending_auth",
    "pre_csrf",
    "signed_in",
    "token_hash",
]
