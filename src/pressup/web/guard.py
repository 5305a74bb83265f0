"""The app's outer guard: one ASGI middleware in front of every route, the WebSocket included.

:class:`OuterGuard` holds the parts any pressup server needs (the Host allow-list, the body
size, the headers); :class:`Guard`, the personal coach's, adds the per-launch token rule. The
clinic (``pressup serve``) puts :class:`OuterGuard` in front and keeps its own sign-in and CSRF
checks (:func:`pressup.clinic.auth.csrf_guard`) instead of the token.

* **Host allow-list** (DNS rebinding): the ``Host`` header must name ``127.0.0.1``,
  ``localhost`` or the configured host (:meth:`Settings.allowed_hosts`); otherwise HTTP 400 (a
  WebSocket upgrade too).
* **State changes** (not ``GET``, ``HEAD`` or ``OPTIONS``) need the app's own ``Origin`` and the
  per-launch token (``?token=`` or ``X-Pressup-Token``); otherwise HTTP 403.
* **Body size**: a request body over :data:`MAX_BODY_BYTES` gets HTTP 413, counted while it
  streams in (a ``Content-Length`` over the limit is refused before anything is read), so a
  300 MB POST never sits in memory.
* **Headers on every reply**, errors included: ``Content-Security-Policy`` (own origin only, no
  framing), ``X-Frame-Options: DENY``, ``nosniff``, ``no-referrer``, ``same-origin`` resource
  policy, and ``Cache-Control: no-store`` unless the route set its own (the page's static
  files and the pose runtime may be cached; health data may not). An unhandled error before
  the reply started gets a plain 500 with the same headers (and is raised on to be logged).
* **A refused WebSocket upgrade** (a foreign ``Host`` here; a wrong token or ``Origin``, or no
  sign-in, at the endpoint) is an HTTP reply with the same headers and a short JSON body
  (``{"detail": ...}``; 400 for the host, 503 when the database cannot be used now, 403
  otherwise), sent with the ASGI "WebSocket Denial Response" extension
  (``websocket.http.response.start``/``.body``) when the server offers it, as uvicorn does;
  without it the upgrade is refused by a close (code 1008; 1013 for the database), which the
  server turns into a bare HTTP 403.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from pressup.web.deps import MAX_BODY_BYTES, origin_ok, token_ok
from pressup.web.failures import RETRY_AFTER_S
from pressup.web.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: What the page may load and where it may connect: its own origin only (the pose runtime's
#: WebAssembly needs ``wasm-unsafe-eval``, the reports' inline styles ``unsafe-inline``).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
#: Paths whose replies may be cached (no health data: the page's code and the pose runtime).
CACHEABLE_PREFIXES = ("/static/", "/vendor/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: A WebSocket endpoint's close before accepting, by code, as the HTTP status of the refused
#: upgrade: "Try Again Later" (the database cannot be used now) and "Internal Error"; any
#: other code is a 403.
CLOSE_STATUS = {1013: 503, 1011: 500}


class BodyTooLarge(Exception):
    """The request body went over :data:`MAX_BODY_BYTES` while it was read."""


def host_name(host_header: str) -> str:
    """The host name of a ``Host`` header, without the port (``[::1]:80`` -> ``::1``)."""
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[1 : h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def _too_large(exc: BaseException) -> BodyTooLarge | None:
    """The :class:`BodyTooLarge` in ``exc``, also inside the exception groups of middleware
    that reads the body in a task group (Starlette's ``BaseHTTPMiddleware``)."""
    if isinstance(exc, BodyTooLarge):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _too_large(inner)
        if found is not None:
            return found
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class OuterGuard:
    """The Host allow-list, the streamed body limit and the headers on every reply (see the
    module docstring); no rule on who may change state (:meth:`refusal` is the hook)."""

    def __init__(
        self,
        app: ASGIApp,
        allowed_hosts: Callable[[], Collection[str]],
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host")
        allowed = self.allowed_hosts()
        if host is None or host_name(host) not in allowed:
            detail = f"host not allowed: expected one of {sorted(allowed)}, got {host!r}"
            if scope["type"] == "websocket":
                await receive()  # websocket.connect
                await self._refuse_upgrade(scope, send, 400, detail)
            else:
                await self._refuse(scope, send, 400, detail)
            return
        if scope["type"] == "websocket":
            # the endpoint checks who may connect; a refusal before accepting gets the headers
            await self.app(scope, receive, self._upgrade_refusals(scope, send))
            return
        refused = self.refusal(scope)
        if refused is not None:
            await self._refuse(scope, send, *refused)
            return
        limit = self.max_body_bytes
        length = _header(scope, b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > limit):
            await self._refuse(
                scope, send, 413, f"body: expected at most {limit} bytes, got {length}"
            )
            return
        await self._serve(scope, receive, send)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """``(status, detail)`` to refuse an HTTP request before any route sees it; ``None``:
        go on (the default: the app checks who may do what)."""
        return None

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        read = 0
        started = False
        limit = self.max_body_bytes

        async def counted() -> Message:
            nonlocal read
            msg = await receive()
            if msg["type"] == "http.request":
                read += len(msg.get("body", b""))
                if read > limit:
                    raise BodyTooLarge(f"body: expected at most {limit} bytes, got more")
            return msg

        async def with_headers(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
                msg["headers"] = self._headers(scope, list(msg.get("headers", [])))
            await send(msg)

        try:
            await self.app(scope, counted, with_headers)
        except Exception as exc:
            if started:
                raise
            too_large = _too_large(exc)
            if too_large is not None:
                await self._refuse(scope, send, 413, str(too_large))
                return
            await self._refuse(scope, send, 500, "internal server error")  # not the bare 500
            raise

    def _headers(
        self, scope: Scope, headers: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        names = {bytes(k).lower() for k, _ in headers}
        out = [h for h in headers if bytes(h[0]).lower() not in {k for k, _ in SECURITY_HEADERS}]
        out.extend(SECURITY_HEADERS)
        path = str(scope.get("path", ""))
        if b"cache-control" not in names and not path.startswith(CACHEABLE_PREFIXES):
            out.append((b"cache-control", b"no-store"))
        return out

    async def _refuse(
        self, scope: Scope, send: Send, status: int, detail: str, *, kind: str = "http"
    ) -> None:
        """A short JSON reply ``{"detail": ...}`` with the security headers (``kind``
        ``websocket.http``: the WebSocket Denial Response of an upgrade)."""
        body = json.dumps({"detail": detail}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if status == 503:
            headers.append((b"retry-after", str(RETRY_AFTER_S).encode()))
        await send(
            {
                "type": f"{kind}.response.start",
                "status": status,
                "headers": self._headers(scope, headers),
            }
        )
        await send({"type": f"{kind}.response.body", "body": body})

    async def _refuse_upgrade(self, scope: Scope, send: Send, status: int, detail: str) -> None:
        """Refuse a WebSocket upgrade: an HTTP reply with the security headers when the server
        offers the ASGI "WebSocket Denial Response" extension (uvicorn does), else a close
        before accepting (the server then answers a bare HTTP 403), code 1008 (1013 or 1011
        for a 503 or a 500)."""
        if "websocket.http.response" in scope.get("extensions", {}):
            await self._refuse(scope, send, status, detail, kind="websocket.http")
        else:
            code = next((c for c, s in CLOSE_STATUS.items() if s == status), 1008)
            await send({"type": "websocket.close", "code": code, "reason": detail[:120]})

    def _upgrade_refusals(self, scope: Scope, send: Send) -> Send:
        """``send`` for a WebSocket endpoint: a close before the upgrade was accepted (the
        endpoint or a dependency refused it) becomes :meth:`_refuse_upgrade`'s HTTP 403."""
        answered = False  # the upgrade was accepted or refused

        async def refusing(msg: Message) -> None:
            nonlocal answered
            if msg["type"] == "websocket.close" and not answered:
                answered = True
                status = CLOSE_STATUS.get(msg.get("code", 1000), 403)
                await self._refuse_upgrade(scope, send, status, msg.get("reason") or "forbidden")
                return
            if msg["type"] in ("websocket.accept", "websocket.http.response.start"):
                answered = True
            await send(msg)

        return refusing


class Guard(OuterGuard):
    """The personal coach's guard: :class:`OuterGuard` plus the per-launch token and the app's
    own ``Origin`` on every state change (the WebSocket's endpoint checks its own)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        super().__init__(app, settings.allowed_hosts)
        self.settings = settings

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        if scope["method"] not in SAFE_METHODS and not self._may_change(scope):
            return 403, "forbidden"
        return None

    def _may_change(self, scope: Scope) -> bool:
        query = scope.get("query_string", b"").decode("latin-1")
        token = (parse_qs(query).get("token") or [None])[0] or _header(scope, b"x-pressup-token")
        return origin_ok(_header(scope, b"origin"), self.settings) and token_ok(
            token, self.settings
        )


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "MAX_BODY_BYTES",
    "SECURITY_HEADERS",
    "BodyTooLarge",
    "Guard",
    "OuterGuard",
    "host_name",
]
