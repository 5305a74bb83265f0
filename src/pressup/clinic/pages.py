"""The clinic's server-rendered pages (Jinja templates in ``clinic/templates``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
NO_STORE = {"Cache-Control": "no-store"}


def render(name: str, status_code: int = 200, /, **context: Any) -> HTMLResponse:
    """Template ``name`` (``.html.j2`` added) as a reply nobody caches."""
    context.setdefault("account", None)
    context.setdefault("csrf", "")
    html = _ENV.get_template(f"{name}.html.j2").render(**context)
    return HTMLResponse(html, status_code=status_code, headers=NO_STORE)


__all__ = ["NO_STORE", "TEMPLATES", "render"]
