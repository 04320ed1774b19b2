"""Changing schedules (Settings, for administrators): one transaction, the row locked, the
config kind's permission checked inside, validated, and every change recorded in history as
configuration (old → new), as the settings pages of ``core.admin.HistoryAdmin`` record theirs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianke.core.errors import JobCode, PermissionCode
from lianke.core.models import ObjectChange
from lianke.core.records import audit
from lianke.org import access
from lianke.org.choices import Action

from .models import Schedule

EDITABLE = ("label", "cron", "every", "params", "enabled")
TIMING = ("cron", "every")


def _refuse() -> PermissionDenied:
    return PermissionDenied(_("Only administrators change scheduled jobs."), PermissionCode.PERMISSION_DENIED)


def update_schedule(*, actor, schedule: Schedule, **changes: Any) -> Schedule:
    """Change ``schedule``'s label, timing, parameters or whether it runs. A new timing, or
    turning it on, starts it afresh (``active_since``: the periods it missed are not caught
    up); a code schedule whose timing an administrator changed keeps it over the declaration."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        stored = Schedule.objects.select_for_update().filter(pk=schedule.pk).first()
        if stored is None or not access.can(actor, stored, Action.EDIT):
            raise _refuse()
        before = audit.config_snapshot(stored)
        if "cron" in changes:
            changes["cron"] = " ".join((changes["cron"] or "").split())
        changed = {k: v for k, v in changes.items() if getattr(stored, k) != v}
        if not changed:
            return stored
        for name, value in changed.items():
            setattr(stored, name, value)
        if set(changed) & set(TIMING):
            if stored.source == Schedule.Source.CODE:
                stored.timing_customised = True
            stored.active_since = timezone.now()
        if changed.get("enabled") is True:
            stored.active_since = timezone.now()
        stored.full_clean()
        stored.save()
        audit.record(
            ObjectChange.ActionChoices.UPDATE, stored, before, audit.config_snapshot(stored), actor=actor
        )
    return stored


def create_schedule(
    *, actor, job: str, label: str = "", cron: str = "", every=None, params=None, enabled: bool = True
) -> Schedule:
    """A schedule of the ``configurable`` job ``job`` made in Settings, with its own timing and
    parameters."""
    if not access.has_action(actor, Schedule, Action.CREATE):
        raise _refuse()
    schedule = Schedule(
        job=job,
        label=label,
        cron=" ".join((cron or "").split()),
        every=every,
        params=params or {},
        enabled=enabled,
        source=Schedule.Source.SETTINGS,
    )
    schedule.full_clean()
    with transaction.atomic():
        schedule.save()
        audit.record(
            ObjectChange.ActionChoices.CREATE, schedule, None, audit.config_snapshot(schedule), actor=actor
        )
    return schedule


def delete_schedule(*, actor, schedule: Schedule) -> None:
    """Delete a schedule made in Settings (with its run log); a code schedule is turned off
    instead, never deleted."""
    with transaction.atomic():
        stored = Schedule.objects.select_for_update().filter(pk=schedule.pk).first()
        if stored is None or not access.can(actor, stored, Action.DELETE):
            raise _refuse()
        if stored.source == Schedule.Source.CODE:
            raise ValidationError(
                _("A job's own schedule cannot be deleted; turn it off instead."),
                code=JobCode.CODE_SCHEDULE,
            )
        before, pk = audit.config_snapshot(stored), stored.pk
        stored.delete()
        stored.pk = pk
        audit.record(ObjectChange.ActionChoices.DELETE, stored, before, None, actor=actor)
