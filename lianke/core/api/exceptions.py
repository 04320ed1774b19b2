"""The API's error bodies: refusals as ``{"detail", "code"}``; invalid input as DRF's
``{"field": ["message"]}`` (as it has always been) plus one list ``errors`` of
``{"field", "code", "message"}`` covering every message, each with a code of ``core.errors``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from lianke.core import errors
from lianke.core.records.services import VersionConflict

from .serializers import ERROR_CODE, django_errors_to_drf


def exception_handler(exc, context):
    """JSON errors that name the field; refusals as ``{"detail", "code"}``; Django's own
    exceptions mapped to 400/403/404; a write from a stale version (``If-Match``) 412 with the
    current version as the ``ETag``."""
    if isinstance(exc, VersionConflict):
        return Response(
            {"code": exc.code, "detail": str(exc), "current_version": exc.current},
            status=412,
            headers={"ETag": f'"{exc.current}"'},
        )
    if isinstance(exc, DjangoValidationError):
        exc = django_errors_to_drf(exc)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        code = response.data.get("code")
        if isinstance(code, list) and len(code) == 1 and getattr(code[0], "code", None) == ERROR_CODE:
            response.data["code"] = str(code[0])
    if (
        response is not None
        and isinstance(exc, exceptions.APIException)
        and isinstance(response.data, dict)
        and "detail" in response.data
        and "code" not in response.data
    ):
        # A refusal (not field errors) says what it is in a stable word beside the translated
        # message: not_authenticated, authentication_failed, permission_denied, not_found,
        # method_not_allowed, throttled, …
        code = exc.get_codes()
        if isinstance(code, str):
            response.data["code"] = code
    if response is not None and response.status_code == 400:
        if isinstance(response.data, list):  # a message on the request as a whole
            response.data = {"non_field_errors": response.data}
        if isinstance(response.data, dict) and "errors" not in response.data:
            response.data["errors"] = error_items(response.data)
    return response


def error_items(data: dict) -> list[dict]:
    """Every message of a 400 body as ``{"field", "code", "message"}``: ``field`` is the field's
    name, dotted below it (``custom_fields.grade``, ``items.0.name``), ``null`` for the request
    or record as a whole (``non_field_errors``, ``detail``). A message without its own code takes
    the body's top-level ``code`` (``field_read_only``…), else ``invalid``."""
    top = data.get("code") if isinstance(data.get("code"), str) else None
    items: list[dict] = []

    def walk(value, field: str | None) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, None if key == api_settings.NON_FIELD_ERRORS_KEY else _join(field, key))
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, _join(field, str(index)) if isinstance(inner, dict) else field)
        elif value is not None:
            code = getattr(value, "code", None)
            if top and code in (None, "", "invalid"):
                code = top
            items.append({"field": field, "code": errors.normalize(code), "message": str(value)})

    for key, value in data.items():
        if key == "code" and isinstance(value, str):
            continue  # the body's code, not a message
        if key == "detail":
            items.append({"field": None, "code": errors.normalize(top), "message": str(value)})
            continue
        walk(value, None if key == api_settings.NON_FIELD_ERRORS_KEY else key)
    return items


def _join(field: str | None, key: str) -> str:
    return f"{field}.{key}" if field else key
