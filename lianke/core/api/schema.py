"""What the OpenAPI schema says beyond what drf-spectacular infers from the views: the error
responses every operation can give (the exception handler's shapes, ``core.api.exceptions``), so
that a client — and the schema fuzz test — knows every status code it may meet."""

from __future__ import annotations

from django.conf import settings
from rest_framework import permissions

from lianke.core import errors

ERROR_CODE = {
    "type": "string",
    "enum": sorted(errors.ALL),
    "description": "A stable code (`lianke.core.errors`):\n\n"
    + "\n".join(f"- `{code}`: {line}" for code, line in sorted(errors.ALL.items())),
}
ERROR_ITEM = {
    "type": "object",
    "description": "One message of invalid input, with its field and its code.",
    "properties": {
        "field": {
            "type": "string",
            "nullable": True,
            "description": "The field (`custom_fields.<name>` for a custom field); null for the "
            "request or record as a whole.",
        },
        "code": {"$ref": "#/components/schemas/ErrorCode"},
        "message": {"type": "string", "description": "The translated message."},
    },
    "required": ["field", "code", "message"],
}
ERROR = {
    "type": "object",
    "description": "A refusal: a translated message and, where there is one, a stable code.",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
    "additionalProperties": True,
}
FIELD_ERRORS = {
    "type": "object",
    "description": "Invalid input: translated messages by the field (or filter) they concern; "
    "`non_field_errors` for the record as a whole, `custom_fields` nested by custom field; "
    "and `errors`, every one of those messages with its field and its stable code.",
    "properties": {"errors": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorItem"}}},
    "required": ["errors"],
    "additionalProperties": True,
}

_WHY = {
    "400": ("FieldErrors", "Invalid input, by field or filter."),
    "401": ("Error", "Not signed in, or an unknown, expired or revoked token."),
    "403": ("Error", "Signed in, but not allowed to do this."),
    "404": ("Error", "No such record, or not one the caller may see."),
    "409": ("Error", "The record changed meanwhile or conflicts with another one."),
    "412": ("Error", "`If-Match` named a version that is no longer current."),
    "429": ("Error", "Too many requests; try again after `Retry-After` seconds."),
    "503": ("Error", "The database is busy; try again after `Retry-After` seconds."),
}
_UNSAFE = {"post", "put", "patch", "delete"}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation lists the error responses it can
    give — 400/401/403/429 always, 404 where the path names a record, 409/412/503 for writes —
    unless the view already documents them."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR)
    components.setdefault("ErrorCode", ERROR_CODE)
    components.setdefault("ErrorItem", ERROR_ITEM)
    components.setdefault("FieldErrors", FIELD_ERRORS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "head", "options", *_UNSAFE}:
                continue
            codes = ["400", "401", "403", "429"]
            if "{" in path:
                codes.append("404")
            if method in _UNSAFE:
                codes += ["409", "412", "503"]
            responses = operation.setdefault("responses", {})
            for code in codes:
                component, description = _WHY[code]
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}
                        },
                    },
                )
    return result


class DocsReaders(permissions.BasePermission):
    """Who may read the schema and its docs page: anyone signed in (a session or a token), or
    anyone at all if the operator sets ``LIANKE_API_DOCS_PUBLIC=1``."""

    def has_permission(self, request, view):
        return settings.LIANKE_API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)
