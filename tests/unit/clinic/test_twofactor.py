"""TOTP codes: RFC 6238's test vectors (SHA-1), the window of one step either side, a code
taken once, and the secrets and links an authenticator app reads."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from pressup.clinic import twofactor

#: RFC 6238, appendix B: the SHA-1 key and (time, 8-digit code) pairs.
RFC_KEY = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("unix_s", "code"), RFC_VECTORS)
def test_the_codes_of_rfc_6238(unix_s: int, code: str) -> None:
    assert twofactor.code_at(RFC_KEY, twofactor.step_of(unix_s), digits=8) == code
    assert twofactor.code_at(RFC_KEY, twofactor.step_of(unix_s)) == code[-6:]


def test_a_code_is_taken_within_a_step_either_side_and_once() -> None:
    secret = twofactor.new_secret()
    now = 1_800_000_015.0
    step = twofactor.step_of(now)
    for offset in (-1, 0, 1):
        code = twofactor.code_at(secret, step + offset)
        assert twofactor.matching_step(secret, code, now) == step + offset
        assert twofactor.matching_step(secret, code, now, after=step + offset) is None
    assert twofactor.matching_step(secret, twofactor.code_at(secret, step + 2), now) is None
    assert twofactor.matching_step(secret, twofactor.code_at(secret, step - 2), now) is None
    spaced = twofactor.code_at(secret, step)
    assert twofactor.matching_step(secret, f" {spaced[:3]} {spaced[3:]} ", now) == step
    for bad in ("", "12345", "1234567", "abcdef"):
        assert twofactor.matching_step(secret, bad, now) is None


def test_secrets_and_the_app_s_link() -> None:
    secret = twofactor.new_secret()
    assert len(secret) == 32 and twofactor.valid_secret(secret)
    assert twofactor.valid_secret(secret.lower())
    assert not twofactor.valid_secret("x") and not twofactor.valid_secret("ABC")
    assert secret != twofactor.new_secret()
    uri = urlsplit(twofactor.otpauth_uri(secret, "dr.who@clinic", "pressup"))
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/pressup%3Adr.who%40clinic")
    assert parse_qs(uri.query) == {
        "secret": [secret],
        "issuer": ["pressup"],
        "digits": ["6"],
        "period": ["30"],
    }
