"""The signed-in user's own pages: profile › API tokens (list, create — the key shown once —,
revoke; every query is limited to ``request.user``'s tokens: someone else's token id is a 404);
and for administrators, Settings › Audit (the data-protection audit, ``org.audit``) and
Settings › API tokens (every user's live tokens, revoke)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, Model, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from lianke.core.pagination import InvalidCursor, SortSpec, paginate
from lianke.core.search import textsearch
from lianke.core.ui.filtersets import local_midnight

from . import access, tokens
from .choices import Action
from .forms import ApiTokenForm, AuditFilterForm
from .models import ApiToken, AuditEvent
from .users import is_administrator

AUDIT_PAGE = 50


def administrators_only(view=None, *, of: type[Model] | None = None):
    """The one guard of settings pages: a visitor gets the login page; a signed-in user who
    is not an administrator (``users.is_administrator``) a 403, whatever the method. With
    ``of=<a config model>`` the page opens to whom that model's kind opens it — administrators,
    and the delegates the kind names (``access.has_action``)::

        @administrators_only
        def audit(request): ...

        @administrators_only(of=Schedule)
        def schedules(request): ...
    """

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            allowed = access.has_action(user, of, Action.VIEW) if of is not None else is_administrator(user)
            if not allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate


def _live_tokens(user):
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")


@never_cache
@login_required
def api_tokens(request):
    """GET lists the user's tokens; POST makes one and answers with its key, once. The key is
    rendered into this response only (no redirect, no session: it must never be stored)."""
    form = ApiTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = tokens.issue_token(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_days=form.cleaned_data["expires_days"],
            actor=request.user,
        )
        form = ApiTokenForm()
    return render(
        request,
        "org/api_tokens.html",
        {"form": form, "issued": issued, "tokens": _live_tokens(request.user)},
        status=400 if request.method == "POST" and issued is None else 200,
    )


@never_cache
@login_required
def api_token_revoke(request, pk):
    token = get_object_or_404(_live_tokens(request.user), pk=pk)
    if request.method == "POST":
        tokens.revoke_tokens(
            user=request.user, tokens=ApiToken.objects.filter(pk=token.pk), actor=request.user
        )
        messages.success(request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name})
        return redirect("org:api_tokens")
    return render(
        request, "org/api_token_revoke.html", {"token": token, "back_url": reverse("org:api_tokens")}
    )


TOKENS_PAGE = 50


@never_cache
@administrators_only
def all_api_tokens(request):
    """Settings › API tokens: every user's live tokens, newest first, found by the user's name or
    username or the token's name, a page at a time (``?after=``); each can be revoked."""
    q = textsearch.clean(request.GET.get("q", "")).strip()[:100]
    live = ApiToken.objects.filter(revoked_at__isnull=True).select_related("user")
    if q:
        live = live.filter(Q(user__username__icontains=q) | Q(user__name__icontains=q) | Q(name__icontains=q))
    order = SortSpec(expression=F("created_at"), descending=True, nullable=False)
    try:
        page = paginate(live, order, request.GET.get("after"), TOKENS_PAGE)
    except InvalidCursor:
        page = paginate(live, order, None, TOKENS_PAGE)
    next_url = f"?{urlencode({'q': q, 'after': page.next_cursor})}" if page.next_cursor else None
    return render(request, "org/api_tokens_all.html", {"tokens": page.rows, "q": q, "next_url": next_url})


@never_cache
@administrators_only
def any_api_token_revoke(request, pk):
    """An administrator revokes someone's token (a leaving rep's script, a leaked key): in the
    token's history and the audit with the administrator as the one who did it."""
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=pk, revoked_at__isnull=True)
    if request.method == "POST":
        tokens.revoke_tokens(user=token.user, tokens=ApiToken.objects.filter(pk=token.pk), actor=request.user)
        messages.success(request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name})
        return redirect("api_token_admin:list")
    return render(
        request, "org/api_token_revoke.html", {"token": token, "back_url": reverse("api_token_admin:list")}
    )


@never_cache
@administrators_only
def audit_log(request):
    """Settings › Audit: the audit events, newest first, filtered by kind, user, dates and a text
    (summary or user name), a page of ``AUDIT_PAGE`` at a time by keyset (``?after=``): the
    indexes ``(at, id)``, ``(kind, at, id)`` and ``(actor, at, id)`` serve each filter in order."""
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.select_related("actor")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            events = events.filter(kind=data["kind"])
        if data["user"]:
            events = events.filter(actor=data["user"])
        # no midnight at the calendar's ends: no bound there
        if data["start"] and (start := local_midnight(data["start"])):
            events = events.filter(at__gte=start)
        if data["end"] and (end := local_midnight(data["end"], following=True)):
            events = events.filter(at__lt=end)
        if data["q"]:
            events = events.filter(Q(summary__icontains=data["q"]) | Q(actor_name__icontains=data["q"]))
    elif form.is_bound:
        events = events.none()
    params = request.GET.copy()
    params.pop("after", None)
    try:
        page = paginate(
            events,
            SortSpec(expression=F("at"), descending=True, nullable=False),
            request.GET.get("after"),
            AUDIT_PAGE,
        )
    except InvalidCursor:
        page = paginate(
            events, SortSpec(expression=F("at"), descending=True, nullable=False), None, AUDIT_PAGE
        )
    next_url = None
    if page.next_cursor:
        params["after"] = page.next_cursor
        next_url = "?" + params.urlencode()
    params.pop("after", None)
    return render(
        request,
        "org/audit_log.html",
        {"form": form, "events": page.rows, "next_url": next_url, "first_url": "?" + params.urlencode()},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
