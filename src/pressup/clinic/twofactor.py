"""Time-based one-time codes (TOTP, RFC 6238 over HOTP, RFC 4226), as authenticator apps make
them: HMAC-SHA-1, 30-second steps, 6 digits. The standard library is enough; no secret leaves
the server but once, when it is set up (shown as text and as an ``otpauth://`` link).

A code is taken for the step it belongs to or one step either side (a phone's clock a little
off), and each step's code once (:func:`matching_step` returns the step; the caller stores it
and refuses that step and older ones afterwards).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_S = 30
DIGITS = 6
#: Steps either side of now whose code is taken.
WINDOW = 1


def new_secret() -> str:
    """A new random secret (160 bits), base32 without padding, as apps take it."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    text = secret.strip().replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def valid_secret(secret: str) -> bool:
    """Is ``secret`` base32 of at least 80 bits (what :func:`new_secret` makes, or an app)?"""
    try:
        return len(_key(secret)) >= 10
    except (ValueError, TypeError):
        return False


def code_at(secret: str, step: int, digits: int = DIGITS) -> str:
    """The code of ``step`` (seconds since 1970 // :data:`STEP_S`)."""
    mac = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_of(unix_s: float) -> int:
    return int(unix_s // STEP_S)


def matching_step(secret: str, code: str, unix_s: float, after: int | None = None) -> int | None:
    """The step whose code ``code`` is, within :data:`WINDOW` steps of ``unix_s`` and later
    than ``after`` (the last step taken), or ``None``."""
    given = code.strip().replace(" ", "")
    if len(given) != DIGITS or not given.isdigit():
        return None
    now = step_of(unix_s)
    for step in range(now - WINDOW, now + WINDOW + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(code_at(secret, step), given):
            return step
    return None


def otpauth_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://totp/`` link an authenticator app reads (typed in, or as a QR code)."""
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret, "issuer": issuer, "digits": DIGITS, "period": STEP_S})
    return f"otpauth://totp/{label}?{query}"


__all__ = [
    "DIGITS",
    "STEP_S",
    "WINDOW",
    "code_at",
    "matching_step",
    "new_secret",
    "otpauth_uri",
    "step_of",
    "valid_secret",
]
