"""The REST API's token authentication: ``Authorization: Token <key>`` (or ``Bearer <key>``)
with a key made by ``org.tokens``.

A refused key is a 401 with ``{"code": …, "detail": …}`` (``token_invalid``, ``token_revoked``,
``token_expired``, ``user_inactive``). A read-only token is refused every unsafe method here,
before any view runs — 403 ``token_read_only`` — so no endpoint, present or future, has to
remember the check.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from . import tokens

KEYWORDS = (b"token", b"bearer")
MAX_KEY_LENGTH = 200

READ_ONLY = _("This API token is read-only: it may not change data. Use a read-and-write token.")
MALFORMED = _("Send the API token as “Authorization: Token <key>”.")


def _failed(code: str, message) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed({"code": code, "detail": message})


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in KEYWORDS:
            return None  # another scheme (or none): not ours to refuse
        if len(header) != 2 or len(header[1]) > MAX_KEY_LENGTH:
            raise _failed("token_invalid", MALFORMED)
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise _failed("token_invalid", MALFORMED) from None
        try:
            token = tokens.check_key(key)
        except tokens.TokenRefused as refused:
            raise _failed(refused.code, refused.message) from None
        if token.read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied({"code": "token_read_only", "detail": READ_ONLY})
        tokens.mark_used(token)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema (``/api/docs/``) describes the token."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token lk_<prefix>_<secret>` (or `Bearer …`): an API token from your profile.",
        }
