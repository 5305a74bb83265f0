"""Schemathesis over a pressup app's own OpenAPI, in process (ASGI), as one caller at a time.

:func:`fuzz_app` runs every operation of the app's schema (``app.openapi()``: what FastAPI
serves at ``/openapi.json``; both apps turn that route off) with a few generated requests each,
positive (they fit the schema) and negative (they do not), as each :class:`Caller`: a
signed-in role's cookie and CSRF token, or the coach's launch token and ``Origin``. Each
request is checked for

* no server error: no 5xx, and no exception out of the app (the in-process transport raises
  the app's own exception where a server would answer 500);
* a status code the operation declares, a ``Content-Type`` it declares for that status, and a
  body that fits the schema it declares (``response_schema_conformance``).

Each reply is sorted into "refused at the door" (by a guard: Host, body size, sign-in,
role, CSRF token, ``Origin``, page token, a patient not in the clinician's care) or "past the
guards" (:func:`refused_at_the_door`), so a run can tell how many requests reached the
routes: without that a fuzz whose every request is refused at the door would pass and test
nothing.

Hypothesis runs derandomized (the same requests on every run) with no example database; a
failure is shrunk and printed with the request as a ``curl`` command.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Caller:
    """Who sends the requests: ``headers`` and ``cookies`` on every request, ``query`` values
    for the query parameters of those names (the page token), ``ids`` for the path parameters
    of those names in a share of the requests (records that exist, so that routes get past
    "not found"); ``fresh`` gives a new caller for each request of an operation in
    ``ends_sign_in`` (signing out ends the sign-in the other requests use)."""

    name: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)
    fresh: Callable[[], Caller] | None = None
    ends_sign_in: frozenset[str] = frozenset()


@dataclass
class Tally:
    """What a run sent, per ``(operation, caller)``: requests, those that got past the guards
    (:func:`refused_at_the_door`), the status codes, and every failure (with the request)."""

    sent: Counter[tuple[str, str]] = field(default_factory=Counter)
    passed: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def total(self, counter: Counter[tuple[str, str]], caller: str | None = None) -> int:
        return sum(n for (_, who), n in counter.items() if caller is None or who == caller)

    def open_share(self) -> tuple[int, int]:
        """(past the guards, sent) over the operations each caller may use: those where some
        of its requests got past the guards."""
        open_pairs = [key for key, n in self.passed.items() if n]
        return sum(self.passed[k] for k in open_pairs), sum(self.sent[k] for k in open_pairs)

    def summary(self) -> str:
        callers = sorted({who for _, who in self.sent})
        lines = [
            f"{who}: {self.total(self.sent, who)} requests, "
            f"{self.total(self.passed, who)} past the guards"
            for who in callers
        ]
        lines.append(
            f"all: {len({op for op, _ in self.sent})} operations x {len(callers)} callers, "
            f"{self.total(self.sent)} requests, {self.total(self.passed)} past the guards"
        )
        lines.append(
            "to operations the caller may use: {} of {} past the guards".format(*self.open_share())
        )
        return "\n".join(lines)


def refused_at_the_door(method: str, response: Any) -> bool:
    """Did a guard answer instead of the route: the Host allow-list or the body limit (400,
    413 with the guard's words), a NUL character (422, before any route), sign-in (401; a
    page asked for: 303 to ``/login``), the role, the CSRF token, the ``Origin`` or the page
    token (403), or a patient who is not in the clinician's care (404)?"""
    code = response.status_code
    text = response.text if code in (400, 404, 413, 422) else ""
    return (
        code in (401, 403)
        or (code == 400 and "host not allowed" in text)
        or (code == 413 and "body: expected at most" in text)
        or (code == 422 and "expected text without NUL characters" in text)
        or (code == 404 and "in your care" in text)
        or (code == 303 and method == "GET" and response.headers.get("location") == "/login")
    )


def load_schema(app: FastAPI) -> Any:
    """The app's OpenAPI as a schemathesis schema whose requests go to ``app`` in process."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    schema.config.output.sanitization.update(enabled=False)  # test tokens: show them
    return schema


def _strategy(op: Any, caller: Caller) -> Any:
    query = {p.name: caller.query[p.name] for p in op.query if p.name in caller.query}
    ids = {p.name: caller.ids[p.name] for p in op.path_parameters if p.name in caller.ids}
    fixed = {"query": query or None}
    options = [
        op.as_strategy(GenerationMode.POSITIVE, **fixed, path_parameters=ids or None),
        op.as_strategy(GenerationMode.NEGATIVE, **fixed, path_parameters=ids or None),
    ]
    if ids:  # also ids that may not exist (or do not fit)
        options.append(op.as_strategy(GenerationMode.POSITIVE, **fixed))
        options.append(op.as_strategy(GenerationMode.NEGATIVE, **fixed))
    if query:  # and a generated token: it must be refused, never a server error
        options.append(op.as_strategy(GenerationMode.POSITIVE, path_parameters=ids or None))
    return st.one_of(options)


def fuzz_operation(
    op: Any,
    caller: Caller,
    *,
    examples: int,
    tally: Tally,
    base_url: str | None = None,
) -> None:
    """Up to ``examples`` requests to ``op`` as ``caller``; failures go to ``tally``. Requests
    whose page token was generated (not the caller's) are counted as the caller's with ", token
    generated" added."""
    fixed = {p.name: caller.query[p.name] for p in op.query if p.name in caller.query}

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        print_blob=True,
    )
    @given(case=_strategy(op, caller))
    def run(case: Any) -> None:
        who = caller.fresh() if caller.fresh and op.label in caller.ends_sign_in else caller
        generated = any((case.query or {}).get(k) != v for k, v in fixed.items())
        key = (op.label, f"{caller.name}, token generated" if generated else caller.name)
        # A client of its own for each request (no cookie carried over), not entered: an
        # entered one would start the app's lifespan, and schemathesis' pytest plugin ends
        # that after the test, closing the app's store under the module's other tests.
        client = asgi.ASGIClient(op.schema.app)
        try:
            response = case.call(
                session=client,
                base_url=base_url,
                headers=dict(who.headers),
                cookies=dict(who.cookies),
                allow_redirects=False,
            )
        except Exception as exc:  # the app's own exception: a server would answer 500
            raise AssertionError(
                f"server error: {exc!r}\n{case.as_curl_command(headers=who.headers)}"
            ) from exc
        tally.sent[key] += 1
        tally.passed[key] += not refused_at_the_door(op.method.upper(), response)
        tally.statuses[(*key, response.status_code)] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
        notes = "\n".join(getattr(exc, "__notes__", ()))  # Hypothesis' falsifying example
        tally.failures.append(f"{op.label} as {caller.name}: {exc}\n{notes}")


def fuzz_app(
    app: FastAPI,
    callers: list[Caller],
    *,
    examples: int,
    base_url: str | None = None,
) -> Tally:
    """Every operation of ``app``'s OpenAPI as each of ``callers``; the operations that end
    the caller's sign-in last."""
    schema = load_schema(app)
    tally = Tally()
    for caller in callers:
        ops = [result.ok() for result in schema.get_all_operations()]
        ops.sort(key=lambda op: op.label in caller.ends_sign_in and caller.fresh is None)
        for op in ops:
            fuzz_operation(op, caller, examples=examples, tally=tally, base_url=base_url)
    return tally


def check_tally(tally: Tally, min_share: float) -> None:
    """No failure; every operation got requests past the guards; and of the requests a caller
    sent to the operations it may use (some of its requests got past the guards), at least
    ``min_share`` did."""
    assert tally.failures == [], "\n\n".join(tally.failures)
    operations = {op for op, _ in tally.sent}
    passed_ops = {op for (op, _), n in tally.passed.items() if n}
    assert sorted(operations - passed_ops) == [], "operations no request got through to"
    passed, sent = tally.open_share()
    assert passed >= min_share * sent, (
        f"only {passed} of {sent} requests to operations their caller may use got past the guards"
    )


__all__ = [
    "CHECKS",
    "Caller",
    "Tally",
    "check_tally",
    "fuzz_app",
    "fuzz_operation",
    "load_schema",
    "refused_at_the_door",
]
