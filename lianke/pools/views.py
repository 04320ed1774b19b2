"""Settings › Pools for a pool's own administrators (and the product's): the pools one manages,
and who belongs to each. Reads and writes go through the pool's config kind (``access``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from lianke.core.objecttypes.registry import registry
from lianke.org import access
from lianke.org.choices import Action

from .forms import PoolForm
from .models import Pool
from .services import DELEGATED_FIELDS, update_pool


def managed(user):
    """The pools ``user`` may manage (all of them for an administrator)."""
    q = access.scope_q(user, Pool, Action.EDIT)
    return Pool.objects.filter(q).order_by("object_type", "name") if q is not None else Pool.objects.none()


@login_required
def pool_list(request):
    pools = list(
        managed(request.user)
        .annotate(member_count=Count("members", distinct=True))
        .prefetch_related("member_departments", "admins")
    )
    labels = {ot.key: ot.label_plural for ot in registry}
    for pool in pools:
        pool.type_label = labels.get(pool.object_type, pool.object_type)
    if not pools and not request.user.is_superuser:
        raise PermissionDenied
    return render(request, "pools/pool_list.html", {"pools": pools})


@login_required
def pool_edit(request, pk: int):
    pool = managed(request.user).filter(pk=pk).first()
    if pool is None:
        raise Http404
    form = PoolForm(request.POST or None, instance=pool)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in DELEGATED_FIELDS}
        try:
            update_pool(
                actor=request.user, pool=pool, expected_state=form.cleaned_data["state"] or None, **changes
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Pool saved."))
            return redirect("pools:list")
    status = 400 if request.method == "POST" else 200  # a refused form says so
    return render(request, "pools/pool_form.html", {"form": form, "pool": pool}, status=status)
