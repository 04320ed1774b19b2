"""The data-protection audit (数据保护审计): one log of security-relevant events, one function to
write it.

Why in ``org``: the events are about people and what they may do — sign-ins, tokens, roles,
permissions — which this app owns, and core already imports org, so core's producers (exports,
bulk transfers and deletes, handovers) call :func:`record` without a new dependency.

The producers:

- sign-ins and failed sign-ins: Django's ``user_logged_in`` / ``user_login_failed`` signals
  (connected in ``OrgConfig.ready``; django-axes counts the same failures for its lockouts);
- exports and refused exports: ``core.views.objects.ObjectExportView``;
- bulk transfers and deletes: ``core.records.services.transfer_in_bulk`` / ``delete_in_bulk``;
- permission and role changes: :func:`config_changed`, called by ``core.records.audit.record``
  for every history entry of a settings record, so whatever page writes a role, a grant, a
  field rule or a user's roles (the admin, the settings console) is audited alike;
- API tokens: ``org.tokens.issue_token`` / ``revoke_tokens``;
- handovers of a leaving user: ``core.records.handover.handover``.

An event is written in the caller's transaction when there is one: a change rolled back leaves
no event claiming it happened. What is refused (a failed sign-in, a refused export) is written
on its own. Events are never changed or deleted by the application.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .choices import AuditKind
from .models import AuditEvent, FieldPermission, Role, RolePermission, User

# The fields of a user whose change is a change of what he may do.
USER_PERMISSION_FIELDS = ("roles", "is_superuser", "is_staff", "is_active", "groups", "user_permissions")
# Settings records whose every change is a permission change.
PERMISSION_MODELS: tuple[type[models.Model], ...] = (Role, RolePermission, FieldPermission)


def _current_request():
    from lianke.core import context

    ctx = context.current()
    return (ctx.request if ctx else None), (ctx.user if ctx else None)


def _ip(request) -> str | None:
    if request is None:
        return None
    from .security import client_ip

    return client_ip(request)


def record(
    kind: str,
    *,
    summary: str,
    actor: Any = None,
    actor_name: str | None = None,
    object_type: str = "",
    data: dict | None = None,
    request=None,
) -> AuditEvent:
    """Write one audit event. ``actor`` defaults to whoever the active context acts for and
    ``request`` to the context's request (the IP address is read from it as the login
    throttling reads it, ``org.security.client_ip``). ``summary`` is stored as given (a line in
    the server's language); ``data`` holds the details (ids, counts, the filter)."""
    ctx_request, ctx_user = _current_request()
    request = request if request is not None else ctx_request
    if actor is None:
        actor = ctx_user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    name = actor_name if actor_name is not None else (actor.get_username() if actor is not None else "")
    return AuditEvent.objects.create(
        kind=kind,
        actor=actor,
        actor_name=(name or "")[:150],
        ip=_ip(request),
        object_type=object_type[:100],
        summary=str(summary)[:300],
        data=data or {},
    )


def config_changed(action: str, obj: models.Model, before: dict | None, after: dict | None, *, actor=None):
    """A settings record changed (called by ``core.records.audit.record`` with its history
    entry): a role, a role's grant or field rule, or a user's roles, administrator flag or
    active flag is a permission change of the audit; any other settings change is not."""
    model = type(obj)
    if isinstance(obj, User):
        keys = [k for k in USER_PERMISSION_FIELDS if (before or {}).get(k) != (after or {}).get(k)]
        if before is not None and not keys:
            return None
        changed = keys if before is not None else ["created"]
    elif isinstance(obj, PERMISSION_MODELS):
        changed = sorted(
            k for k in {*(before or {}), *(after or {})} if (before or {}).get(k) != (after or {}).get(k)
        )
    else:
        return None
    return record(
        AuditKind.PERMISSION_CHANGE,
        actor=actor,
        object_type=model._meta.label_lower,
        summary=f"{action} {model._meta.verbose_name} “{obj}”: {', '.join(changed)}",
        data={
            "action": action,
            "object_id": obj.pk,
            "object": str(obj)[:200],
            "changed": changed,
            "before": {k: (before or {}).get(k) for k in changed if k != "created"},
            "after": {k: (after or {}).get(k) for k in changed if k != "created"},
        },
    )


def signed_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: a sign-in, with the address it came from."""
    record(AuditKind.SIGN_IN, actor=user, summary=f"{user.get_username()}", request=request)


def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """``user_login_failed``: the name typed (never the password) and the address."""
    username = str(credentials.get("username") or "")[:150]
    known = User.objects.filter(username=username).first() if username else None
    record(
        AuditKind.SIGN_IN_FAILED,
        actor=known,
        actor_name=username,
        summary=username,
        request=request,
        data={"known_user": known is not None},
    )
