"""What the apps' OpenAPI says besides a route's own reply: the refusals (of the guards and of
the routes), the redirects, the pages' media types and the JSON bodies a route reads itself.

FastAPI documents a route's success and its parameter validation (422) on its own; the rest
is declared with these helpers, in the routers' ``responses=``, so that the schema a client
(or a fuzzer, ``tests/integration/**/test_*schemathesis.py``) reads lists every status code
a route answers and what comes with it. Every refusal's body is an :class:`ErrorReply`.
"""

from __future__ import annotations

from typing import Any, Union

from pydantic import BaseModel, Field

Responses = dict[Union[int, str], dict[str, Any]]


class ErrorReply(BaseModel):
    """A refusal. ``detail`` says what was expected and what arrived: one sentence, or
    FastAPI's list of field errors (``loc``, ``msg``, ``type``, ``input``) when a parameter
    or the body does not fit the route's declaration."""

    detail: Union[str, list[dict[str, Any]]] = Field(
        description="what was expected and what arrived"
    )


#: What each refusal means, for any route that may answer it.
WHY: dict[int, str] = {
    400: "The Host header names no host this server answers to.",
    401: "Nobody is signed in.",
    403: "Refused: this account may not do this, or the request lacks the page's token or "
    "CSRF token or came from another origin.",
    404: "No such record (or not one this account may see).",
    413: "The body is larger than the server reads.",
    422: "A parameter or the body is not what the route expects.",
    429: "Too many failed sign-ins.",
    503: "The database is unavailable for now; try again shortly.",
}
_ERROR_SCHEMA = ErrorReply.model_json_schema()


def refusals(*codes: int) -> Responses:
    """The refusals ``codes``, each an :class:`ErrorReply` in JSON."""
    return {
        code: {
            "description": WHY[code],
            "content": {"application/json": {"schema": _ERROR_SCHEMA}},
        }
        for code in codes
    }


def page(code: int = 200, description: str = "An HTML page.") -> Responses:
    """An HTML reply with status ``code`` (a page, or a form shown again with its error)."""
    return media("text/html", code, description)


def media(kind: str, code: int = 200, description: str = "The file.") -> Responses:
    """A reply of media type ``kind`` (a page, a script, a download) with status ``code``: a
    JSON object for a JSON type (``application/json``, ``application/fhir+json``), text
    otherwise."""
    schema = {"type": "object"} if kind.endswith("json") else {"type": "string"}
    return {code: {"description": description, "content": {kind: {"schema": schema}}}}


def redirect(description: str) -> Responses:
    """``303 See Other`` to the ``Location`` it names."""
    return {303: {"description": description}}


def merged(*parts: Responses) -> Responses:
    """Several declarations in one; a status code in two of them gets both media types."""
    out: Responses = {}
    for part in parts:
        for code, spec in part.items():
            have = out.setdefault(code, {"description": spec["description"]})
            if "content" in spec:
                have.setdefault("content", {}).update(spec["content"])
    return out


def json_body(model: type[BaseModel], description: str) -> dict[str, Any]:
    """``openapi_extra`` declaring the JSON body a route reads itself (``JsonBody``: its
    size and depth checked before it is parsed, its errors worded by the route) as ``model``'s
    JSON schema."""
    schema = _inline(model.model_json_schema())
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` put in place of their ``$ref`` (a schema inside the
    OpenAPI document has no ``$defs`` of its own to point at)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = walk(schema)
    return out


__all__ = [
    "WHY",
    "ErrorReply",
    "Responses",
    "json_body",
    "media",
    "merged",
    "page",
    "redirect",
    "refusals",
]
