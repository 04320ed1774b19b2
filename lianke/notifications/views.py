"""The notification pages: the list (``/notifications/``, grouped by day, newest first, keyset
pages), opening one (marks it read and goes to its record), marking read; the user's own
preferences (``/profile/notifications/``: a grid of types × channels, quiet hours, immediate
mail or a daily digest; every change in the user's history, old → new); and the administrators' defaults per role
(``/settings/notifications/``, every change in the role's history). Each query is limited to
the signed-in user's own notifications: another user's id is a 404 or changes nothing."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from lianke.core.pagination import InvalidCursor, paginate
from lianke.core.text.keys import as_key
from lianke.org.models import Role
from lianke.org.views import administrators_only

from . import channels, preferences, service, types
from . import render as rendering
from .api import NEWEST_FIRST, own
from .forms import EmailSettingsForm
from .models import EmailSettings, Preference, RoleDefault
from .rows import attach_actions

PAGE = 30


def _day_label(day: dt.date, today: dt.date) -> str:
    if day == today:
        return _("Today")
    if day == today - dt.timedelta(days=1):
        return _("Yesterday")
    from django.utils import formats

    return formats.date_format(day, "DATE_FORMAT")


@never_cache
@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    queryset = own(request.user)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    try:
        page = paginate(queryset, NEWEST_FIRST, request.GET.get("cursor") or None, PAGE)
    except InvalidCursor:
        return redirect("notifications:list")
    items = rendering.render(request.user, page.rows)
    attach_actions(request, page.rows, items)  # what the reader can do right in a row
    today = timezone.localdate()
    groups: list[dict] = []
    for item in items:
        day = timezone.localtime(item.created_at).date()
        if not groups or groups[-1]["day"] != day:
            groups.append({"day": day, "label": _day_label(day, today), "items": []})
        groups[-1]["items"].append(item)
    return render(
        request,
        "notifications/list.html",
        {"groups": groups, "next_cursor": page.next_cursor, "unread_only": unread_only},
    )


@never_cache
@login_required
def notification_open(request, pk: int):
    """Open a notification: it is read now, and the reader goes to its record (or back to the
    list when it links nowhere)."""
    notification = get_object_or_404(own(request.user), pk=pk)
    service.mark_read(request.user, ids=[notification.pk])
    [item] = rendering.render(request.user, [notification])
    if item.url and url_has_allowed_host_and_scheme(item.url, allowed_hosts={request.get_host()}):
        return redirect(item.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read(request):
    """Mark read: ``ids`` (the form's checked notifications) or ``all``. One's own only."""
    if request.POST.get("all"):
        service.mark_read(request.user, everything=True)
    else:
        ids = [pk for v in request.POST.getlist("ids") if (pk := as_key(v))]
        service.mark_read(request.user, ids=ids)
    if request.headers.get("HX-Request"):
        response = render(request, "notifications/bell.html", {"count": service.unread_count(request.user)})
        response["HX-Refresh"] = "true"
        return response
    back = request.POST.get("next") or ""
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("notifications:list")


# ------------------------------------------------------------------------- preferences
def _cell_name(kind: str, channel: str) -> str:
    return f"pref:{kind}:{channel}"


@never_cache
@login_required
def profile_preferences(request):
    user = request.user
    stored = EmailSettings.objects.filter(user=user).first()
    form = EmailSettingsForm(request.POST or None, instance=stored or EmailSettings(user=user))
    offered = [c for c in channels.registered() if c.available()]
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            preferences.lock_user(user)
            before = preferences.own_snapshot(user)
            settings = form.save(commit=False)
            settings.user = user
            # Saved meanwhile by a parallel request (read before the lock): this save changes it.
            current = EmailSettings.objects.filter(user=user).values_list("pk", flat=True).first()
            if current is not None and settings.pk != current:
                settings.pk, settings._state.adding = current, False
            if not settings.language:
                settings.language = translation.get_language() or ""
            settings.save()
            grid = preferences.grid_for(user)
            keep, drop = [], []
            for row in grid:
                for cell in row["cells"]:
                    if cell["channel"] not in {c.key for c in offered}:
                        continue
                    on = bool(request.POST.get(_cell_name(row["type"].key, cell["channel"])))
                    if on == cell["default"]:
                        drop.append((row["type"].key, cell["channel"]))
                    else:
                        keep.append(
                            Preference(user=user, kind=row["type"].key, channel=cell["channel"], enabled=on)
                        )
            for kind, channel in drop:
                Preference.objects.filter(user=user, kind=kind, channel=channel).delete()
            Preference.objects.bulk_create(
                keep,
                update_conflicts=True,
                unique_fields=["user", "kind", "channel"],
                update_fields=["enabled"],
            )
            preferences.record_own_change(user, before)  # old → new in the user's history
        messages.success(request, _("Notification settings saved."))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "grid": preferences.grid_for(user), "channels": offered},
        status=400 if request.method == "POST" else 200,
    )


# ------------------------------------------------------------------------- role defaults
@never_cache
@administrators_only
def role_defaults(request):
    roles = list(Role.objects.filter(is_active=True).order_by("name"))
    if not roles:
        return render(request, "notifications/role_defaults.html", {"roles": [], "role": None})
    chosen = request.POST.get("role") or request.GET.get("role")
    role = next((r for r in roles if str(r.pk) == chosen), None)
    if chosen and role is None:
        raise Http404
    role = role or roles[0]
    declared = sorted(types.declared().values(), key=lambda t: str(t.label))
    offered = [c for c in channels.registered() if c.available()]
    if request.method == "POST":
        values: dict[tuple[str, str], bool | None] = {}
        for t in declared:
            for c in offered:
                raw = request.POST.get(_cell_name(t.key, c.key), "")
                values[(t.key, c.key)] = {"on": True, "off": False}.get(raw)
        preferences.set_role_defaults(actor=request.user, role=role, values=values)
        messages.success(request, _("Defaults of the role “%(role)s” saved.") % {"role": role.name})
        return redirect(f"{request.path}?role={role.pk}")
    set_values = {(d.kind, d.channel): d.enabled for d in RoleDefault.objects.filter(role=role)}
    rows = [
        {
            "type": t,
            "cells": [
                {
                    "channel": c.key,
                    "name": _cell_name(t.key, c.key),
                    "value": {True: "on", False: "off"}.get(set_values.get((t.key, c.key)), ""),
                    "declared": c.key in t.channels,
                }
                for c in offered
            ],
        }
        for t in declared
    ]
    return render(
        request,
        "notifications/role_defaults.html",
        {"roles": roles, "role": role, "rows": rows, "channels": offered},
    )
