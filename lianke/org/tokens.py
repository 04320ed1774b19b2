"""API tokens: issue, check, revoke — one place for the profile page, the ``token`` command,
the settings and the API's authentication.

Why here: a token is a credential of a user, and the ``org`` app owns users (and the password
and active flag whose changes revoke tokens, ``User.save``); ``core`` stays free of account
matters and every app's API authenticates through :mod:`lianke.org.authentication`.

A key reads ``lk_<prefix>_<secret>``: ``prefix`` (8 lowercase letters and digits) is not secret
and finds the row; ``secret`` (40 letters and digits, ~238 bits) is random. Only the SHA-256 of
the whole key is stored — a slow password hash buys nothing against a key that cannot be
guessed, and a fast one keeps authentication to one indexed lookup — and compared in constant
time. The key is returned once, by :func:`issue_token`, and never stored or logged.

``last_used_at`` moves at most once a minute (:data:`LAST_USED_RESOLUTION`): a client polling
the API does not write a row per request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import string
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianke.core.models import ObjectChange
from lianke.core.records import audit

from .choices import AuditKind, TokenRevocation, TokenScope
from .models import ApiToken, User

logger = logging.getLogger("lianke.security")

KEY_PREFIX = "lk"
PREFIX_LENGTH = 8
SECRET_LENGTH = 40
PREFIX_ALPHABET = string.ascii_lowercase + string.digits
SECRET_ALPHABET = string.ascii_letters + string.digits
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
MAX_EXPIRY_DAYS = 3650


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its key: the only moment the key exists outside the client."""

    token: ApiToken
    key: str


class TokenRefused(Exception):
    """A key that authenticates nobody, with a stable ``code`` and a message for the client."""

    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code = code
        self.message = message


INVALID = ("token_invalid", _("Invalid API token."))
REVOKED = ("token_revoked", _("This API token has been revoked; create a new one in your profile."))
EXPIRED = ("token_expired", _("This API token has expired; create a new one in your profile."))
INACTIVE = ("user_inactive", _("The user of this API token is inactive."))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _i in range(length))


def _parse(key: str) -> str | None:
    """The prefix of a well-formed key, else ``None``."""
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    prefix, secret = parts[1], parts[2]
    if len(prefix) != PREFIX_LENGTH or len(secret) != SECRET_LENGTH:
        return None
    if not (set(prefix) <= set(PREFIX_ALPHABET) and set(secret) <= set(SECRET_ALPHABET)):
        return None
    return prefix


def _snapshot(token: ApiToken) -> dict:
    """The token as history tells it: never the hash."""
    return {
        k: v for k, v in audit.snapshot(token).items() if k not in ("key_hash", "last_used_at", "prefix")
    } | {"prefix": token.display_key}


def _record(action: str, token: ApiToken, before: dict | None, after: dict, *, actor=None) -> None:
    """History of the token, filed under its user (``history_for(user)`` lists it)."""
    change = audit.build_change(action, token, before, after, actor=actor)
    change.related_content_type = ContentType.objects.get_for_model(User)
    change.related_object_id = token.user_id
    change.save()


def _audit(kind: str, token: ApiToken, actor) -> None:
    """The token's creation or revocation in the data-protection audit (never its key)."""
    from . import audit as security_audit

    security_audit.record(
        kind,
        actor=actor,
        object_type=ApiToken._meta.label_lower,
        summary=f"{token.user.get_username()} · {token.name} ({token.display_key})",
        data={
            "token_id": token.pk,
            "user_id": token.user_id,
            "scope": token.scope,
            "reason": token.revoked_reason,
        },
    )


def issue_token(
    *,
    user: User,
    name: str,
    scope: str = TokenScope.READ_WRITE,
    expires_days: int | None = None,
    actor: User | None = None,
) -> IssuedToken:
    """A new token for ``user``; the returned key is shown once and stored only as its hash."""
    if scope not in TokenScope.values:
        raise ValueError(f"unknown token scope {scope!r}")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise ValueError(f"expiry must be 1 to {MAX_EXPIRY_DAYS} days")
    expires_at = timezone.now() + dt.timedelta(days=expires_days) if expires_days else None
    for _attempt in range(5):
        prefix = _random(PREFIX_ALPHABET, PREFIX_LENGTH)
        key = f"{KEY_PREFIX}_{prefix}_{_random(SECRET_ALPHABET, SECRET_LENGTH)}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
                    name=name.strip()[:100],
                    prefix=prefix,
                    key_hash=hash_key(key),
                    scope=scope,
                    expires_at=expires_at,
                )
                _record(ObjectChange.ActionChoices.CREATE, token, None, _snapshot(token), actor=actor)
                _audit(AuditKind.TOKEN_CREATED, token, actor)
        except IntegrityError:  # the prefix is taken (about one in 10^12): draw again
            continue
        return IssuedToken(token=token, key=key)
    raise RuntimeError("could not draw a free token prefix")


def revoke_tokens(
    *,
    user: User,
    reason: str = TokenRevocation.REVOKED,
    tokens=None,
    actor: User | None = None,
) -> int:
    """Revoke ``user``'s live tokens (or only ``tokens``, a queryset of them); each revocation
    goes into history. Returns how many were revoked."""
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if tokens is not None:
        live = live.filter(pk__in=tokens.values("pk"))
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for token in live.select_for_update().order_by("pk"):
            before = _snapshot(token)
            token.revoked_at, token.revoked_reason = now, reason
            token.save(update_fields=["revoked_at", "revoked_reason"])
            _record(ObjectChange.ActionChoices.UPDATE, token, before, _snapshot(token), actor=actor)
            _audit(AuditKind.TOKEN_REVOKED, token, actor)
            count += 1
    return count


def check_key(key: str) -> ApiToken:
    """The live token of ``key`` (its user loaded), or :class:`TokenRefused`."""
    prefix = _parse(key)
    token = (
        ApiToken.objects.select_related("user").filter(prefix=prefix).first() if prefix is not None else None
    )
    # Compare even without a row, so a well-formed unknown prefix costs the same as a wrong secret.
    stored = token.key_hash if token is not None else "0" * 64
    if not hmac.compare_digest(stored, hash_key(key)) or token is None:
        raise TokenRefused(*INVALID)
    if token.revoked_at is not None:
        raise TokenRefused(*REVOKED)
    if token.is_expired:
        raise TokenRefused(*EXPIRED)
    if not token.user.is_active:
        raise TokenRefused(*INACTIVE)
    return token


def mark_used(token: ApiToken) -> None:
    """Note that ``token`` was used now — at most once per :data:`LAST_USED_RESOLUTION`, and
    only by the first of parallel requests (the condition is in the UPDATE)."""
    now = timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > stale:
        return
    try:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
        ).update(last_used_at=now)
    except OperationalError as exc:
        # SQLite busy past its timeout: the request still runs; the next one notes the use.
        if connection.in_atomic_block or "is locked" not in str(exc):
            raise
        logger.info("API token %s: last use not noted, the database is busy", token.display_key)
        return
    token.last_used_at = now
