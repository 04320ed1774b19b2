from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from lianke.core.services import VersionConflict

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
    return response
