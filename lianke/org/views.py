"""The signed-in user's own pages: profile › API tokens (list, create — the key shown once —,
revoke). Every query is limited to ``request.user``'s tokens: someone else's token id is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from . import tokens
from .forms import ApiTokenForm
from .models import ApiToken


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
    return render(request, "org/api_token_revoke.html", {"token": token})
