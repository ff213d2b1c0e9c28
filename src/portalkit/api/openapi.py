"""The OpenAPI 3.1 document, generated from the route table and the shapes' JSON Schemas
(msgspec's, JSON Schema 2020-12): nothing of it is written by hand (API-1)."""

from __future__ import annotations

import functools
import json
from http import HTTPStatus
from typing import Any

import attrs
import msgspec

from .core import Operation
from .problems import PROBLEM_TYPE
from .shapes import Problem

VERSION = "1"
_REF = "#/components/schemas/{name}"
_ID = {"type": "string", "pattern": "^[A-Za-z0-9_\\-]{1,64}$", "description": "A portal id."}
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DESCRIPTION = """The customer portal's JSON API: everything a signed-in contact does in the portal's pages.

Sign in with `POST session` for a bearer token (send it as `Authorization: Bearer <token>`; never in a
URL), or use the portal's own session cookie and send the token from `GET csrf` in the `X-CSRFToken`
header with every unsafe request. Errors are problem details (RFC 9457). Lists are pages: pass a
page's `next_after` as `after` for the next one. Money is a string with two decimals; times are
ISO 8601 in UTC."""


def document(operations: tuple[Operation, ...], base: str, cookie_name: str = "session") -> dict[str, Any]:
    """The document of ``operations`` served at ``base`` (``/portal/api/v1``)."""
    shapes = sorted(
        {t for op in operations for t in (op.response, op.body, op.query) if t is not None} | {Problem},
        key=lambda t: t.__name__,
    )
    _refs, components = msgspec.json.schema_components(shapes, ref_template=_REF)
    components = _markdown(components)
    queries = {op.query.__name__: components[op.query.__name__] for op in operations if op.query is not None}
    for name in queries:
        components.pop(name, None)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, queries)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Customer portal API", "version": VERSION, "description": DESCRIPTION},
        "servers": [{"url": base or "/"}],
        "tags": [{"name": tag} for tag in dict.fromkeys(op.tag for op in operations)],
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The session token `POST session` returns; it ends at logout, at a "
                    "password change, or after 12 hours.",
                },
                "cookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": cookie_name,
                    "description": "The portal pages' own session; unsafe requests also send the CSRF "
                    "token from `GET csrf` in the X-CSRFToken header.",
                },
            },
        },
    }


@functools.lru_cache(maxsize=16)
def document_bytes(base: str, cookie_name: str = "session") -> bytes:
    from .routes import OPERATIONS

    return json.dumps(document(OPERATIONS, base, cookie_name), separators=(",", ":")).encode()


def _markdown(value: Any) -> Any:
    """Docstrings as the document's CommonMark: ``code`` becomes `code`, lines are joined."""
    if isinstance(value, dict):
        return {
            k: (" ".join(v.replace("``", "`").split()) if k == "description" and isinstance(v, str) else _markdown(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_markdown(v) for v in value]
    return value


def _operation(op: Operation, queries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {"operationId": op.id, "summary": op.summary, "tags": [op.tag]}
    doc = (op.handler.__doc__ or "").strip()
    if doc:
        found["description"] = " ".join(doc.replace("``", "`").split())
    if not op.auth:
        found["security"] = [{}]
    parameters = [{"name": name, "in": "path", "required": True, "schema": _ID} for name in op.params]
    if op.query is not None:
        schema = queries[op.query.__name__]
        required = set(schema.get("required", ()))
        parameters += [
            {"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema["properties"].items()
        ]
    if parameters:
        found["parameters"] = parameters
    if op.body is not None:
        found["requestBody"] = _request_body(op)
    found["responses"] = _responses(op)
    return found


def _request_body(op: Operation) -> dict[str, Any]:
    assert op.body is not None
    ref = {"$ref": _REF.format(name=op.body.__name__)}
    content: dict[str, Any] = {"application/json": {"schema": ref}}
    if op.files:
        upload = {"type": "string", "contentMediaType": "application/octet-stream"}
        names = {f.name for f in attrs.fields(op.body)}
        extra = {name: {"type": "array", "items": upload} for name in op.files if name not in names}
        content["multipart/form-data"] = {"schema": {"allOf": [ref, {"type": "object", "properties": extra}]}}
    return {"required": True, "content": content}


def _responses(op: Operation) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": HTTPStatus(op.status).phrase}
    if op.response is not None:
        ok["content"] = {"application/json": {"schema": {"$ref": _REF.format(name=op.response.__name__)}}}
    elif op.binary is not None:
        ok["content"] = {op.binary: {"schema": {"type": "string", "contentMediaType": op.binary}}}
    elif op.id == "getOpenApi":
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    statuses = set(op.errors) | {400, 401, 500, 503}  # 401: any request with a bad Authorization header
    if op.method in _UNSAFE:
        statuses.add(403)  # a cookie client without the CSRF header
    if op.body is not None:
        statuses |= {411, 413, 415, 422}
    problem = {"content": {PROBLEM_TYPE: {"schema": {"$ref": _REF.format(name="Problem")}}}}
    responses = {str(op.status): ok}
    for status in sorted(statuses):
        entry: dict[str, Any] = {"description": HTTPStatus(status).phrase, **problem}
        if status == 429:
            entry["headers"] = {
                "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
            }
        if status == 401 and op.auth:
            entry["headers"] = {
                "WWW-Authenticate": {"description": "For bearer clients: Bearer.", "schema": {"type": "string"}}
            }
        responses[str(status)] = entry
    return responses
