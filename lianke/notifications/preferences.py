"""Which channels a notification goes out on, per recipient: the user's own choice for the type
and channel, else the administrators' default for one of his roles, else the type's declared
default — the first that says something wins.

A user holding several roles whose defaults disagree gets the channel if any of them turns it
on (a default is a service offered, not a restriction). Resolved for all the recipients of one
notification in two queries, whatever their number."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from lianke.core.models import ObjectChange
from lianke.core.records import audit
from lianke.org.models import Role
from lianke.org.users import is_administrator

from . import types
from .models import EmailSettings, Preference, RoleDefault


def role_defaults(kind: str) -> dict[int, dict[str, bool]]:
    """``{role id: {channel: on}}`` set by administrators for ``kind``."""
    result: dict[int, dict[str, bool]] = {}
    for role_id, channel, enabled in RoleDefault.objects.filter(kind=kind).values_list(
        "role_id", "channel", "enabled"
    ):
        result.setdefault(role_id, {})[channel] = enabled
    return result


def channels_for(user_ids: Iterable[int], kind: str) -> dict[int, set[str]]:
    """``{user id: channels on}`` for ``kind``."""
    user_ids = list(user_ids)
    declared = types.get(kind)
    own: dict[int, dict[str, bool]] = {}
    for user_id, channel, enabled in Preference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
        "user_id", "channel", "enabled"
    ):
        own.setdefault(user_id, {})[channel] = enabled
    by_role = role_defaults(kind)
    roles: dict[int, list[int]] = {}
    if by_role:
        through = get_user_model().roles.through
        for user_id, role_id in through.objects.filter(
            user_id__in=user_ids, role_id__in=list(by_role), role__is_active=True
        ).values_list("user_id", "role_id"):
            roles.setdefault(user_id, []).append(role_id)
    result = {}
    for user_id in user_ids:
        on = set()
        for channel in types.CHANNELS:
            on_by_default = channel in declared.channels
            choice = own.get(user_id, {}).get(channel)
            if choice is None:
                said = [by_role[r][channel] for r in roles.get(user_id, ()) if channel in by_role[r]]
                choice = any(said) if said else on_by_default
            if choice:
                on.add(channel)
        result[user_id] = on
    return result


def grid_for(user) -> list[dict]:
    """The preferences page: per type, per channel, what applies and whether it is the user's
    own choice."""
    declared = sorted(types.declared().values(), key=lambda t: str(t.label))
    own = {(p.kind, p.channel): p.enabled for p in Preference.objects.filter(user=user)}
    role_ids = list(user.roles.filter(is_active=True).values_list("pk", flat=True))
    defaults: dict[tuple[str, str], list[bool]] = {}
    for kind, channel, enabled in RoleDefault.objects.filter(role_id__in=role_ids).values_list(
        "kind", "channel", "enabled"
    ):
        defaults.setdefault((kind, channel), []).append(enabled)
    rows = []
    for t in declared:
        cells = []
        for channel in types.CHANNELS:
            said = defaults.get((t.key, channel))
            default = any(said) if said else channel in t.channels
            choice = own.get((t.key, channel))
            cells.append(
                {
                    "channel": channel,
                    "on": default if choice is None else choice,
                    "default": default,
                    "own": choice is not None,
                }
            )
        rows.append({"type": t, "cells": cells})
    return rows


def email_settings(user_id: int) -> EmailSettings:
    """The user's e-mail settings (unsaved defaults when he has none)."""
    found = EmailSettings.objects.filter(user_id=user_id).first()
    return found or EmailSettings(user_id=user_id)


def email_settings_for(user_ids: Iterable[int]) -> dict[int, EmailSettings]:
    user_ids = list(user_ids)
    stored = {s.user_id: s for s in EmailSettings.objects.filter(user_id__in=user_ids)}
    return {pk: stored.get(pk) or EmailSettings(user_id=pk) for pk in user_ids}


def role_defaults_snapshot(role: Role) -> dict:
    return {
        "notification_defaults": {
            f"{kind}/{channel}": enabled
            for kind, channel, enabled in RoleDefault.objects.filter(role=role)
            .order_by("kind", "channel")
            .values_list("kind", "channel", "enabled")
        }
    }


@transaction.atomic
def set_role_defaults(*, actor, role: Role, values: dict[tuple[str, str], bool | None]) -> None:
    """Set ``role``'s defaults (``None``: the type's own default) as ``actor``, an
    administrator; the change goes into the role's history (old → new)."""
    if not is_administrator(actor):
        raise PermissionDenied(_("Only administrators set the defaults of a role."))
    role = Role.objects.select_for_update().get(pk=role.pk)
    before = role_defaults_snapshot(role)
    for (kind, channel), enabled in values.items():
        if kind not in types.declared() or channel not in types.CHANNELS:
            continue
        if enabled is None:
            RoleDefault.objects.filter(role=role, kind=kind, channel=channel).delete()
        else:
            RoleDefault.objects.update_or_create(
                role=role, kind=kind, channel=channel, defaults={"enabled": enabled}
            )
    audit.record(ObjectChange.ActionChoices.UPDATE, role, before, role_defaults_snapshot(role), actor=actor)


def own_snapshot(user) -> dict:
    """A user's own notification choices as his history tells them: per type and channel the
    choices that differ from the defaults, and his e-mail settings."""
    stored = EmailSettings.objects.filter(user=user).first()
    return {
        "notification_preferences": {
            f"{kind}/{channel}": enabled
            for kind, channel, enabled in Preference.objects.filter(user=user)
            .order_by("kind", "channel")
            .values_list("kind", "channel", "enabled")
        },
        "notification_email": {k: v for k, v in audit.snapshot(stored).items() if k not in ("id", "user")}
        if stored is not None
        else {},
    }


def lock_user(user) -> None:
    """Serialise two saves of one user's choices (each one's history starts where the other's
    ended)."""
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def record_own_change(user, before: dict, *, actor=None) -> None:
    """The user's choices changed (``before`` → now): an entry in his history."""
    user = get_user_model().objects.get(pk=user.pk)  # the model instance (a request's user is lazy)
    audit.record(ObjectChange.ActionChoices.UPDATE, user, before, own_snapshot(user), actor=actor or user)
