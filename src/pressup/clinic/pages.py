"""The clinic's server-rendered pages (Jinja templates in ``clinic/templates``), and what the
OpenAPI says of the replies the routes share (:data:`SIGNED_IN`, :data:`FORM`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse

from pressup.web.openapi import merged, redirect, refusals

TEMPLATES = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
NO_STORE = {"Cache-Control": "no-store"}
#: A route for signed-in accounts: 401 (a browser asking for a page: 303 to the sign-in form),
#: 403 for another role.
SIGNED_IN = merged(refusals(401, 403), redirect("To /login: a page asked for before signing in."))
#: A form that changes something: 403 without this sign-in's CSRF token (or from another
#: origin), 413 for a body over the limit, 422 for a field that does not fit.
FORM = refusals(403, 413, 422)


def render(name: str, status_code: int = 200, /, **context: Any) -> HTMLResponse:
    """Template ``name`` (``.html.j2`` added) as a reply nobody caches."""
    context.setdefault("account", None)
    context.setdefault("csrf", "")
    html = _ENV.get_template(f"{name}.html.j2").render(**context)
    return HTMLResponse(html, status_code=status_code, headers=NO_STORE)


__all__ = ["FORM", "NO_STORE", "SIGNED_IN", "TEMPLATES", "render"]
