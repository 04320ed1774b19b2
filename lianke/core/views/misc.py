"""Pages that are not one object type's: home, global search, lookups, people pickers,
attachments, saved views."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianke.org import access
from lianke.org.choices import Action

from ..fieldtypes import people
from ..models import Attachment, SavedView
from ..objecttypes.registry import registry
from ..records.attachments import add_attachment, delete_attachment
from ..search import textsearch
from ..ui.display import field_cell
from ..ui.home import workbench
from ..ui.liststate import ListState
from .objects import htmx_redirect, record_by_type_or_404


def search_types() -> list:
    """The object types the top bar's search looks in, in navigation order."""
    return [ot for ot in registry if ot.in_global_search and ot.in_nav and ot.search_fields]


@login_required
def home(request):
    """The workbench: count tiles and the widgets the apps registered (``core.ui.home``)."""
    tiles, widgets = workbench(request)
    return render(request, "core/home.html", {"tiles": tiles, "widgets": widgets})


def newest_matches(ot, queryset, text: str, limit: int) -> list:
    """The ``limit`` most recently updated records of ``queryset`` matching the search ``text``."""
    return list(textsearch.search(ot, queryset, text).order_by("-updated_at", "-pk")[:limit])


def global_search_results(user, text: str, limit: int = 5):
    results = []
    with textsearch.shared_collections():  # (an opportunity's account name: the accounts' ids)
        for ot in search_types():
            results += _type_results(user, ot, text, limit)
    return results


def _type_results(user, ot, text: str, limit: int) -> list[dict]:
    if not access.has_action(user, ot.model, Action.VIEW):
        return []
    found = newest_matches(ot, ot.model.objects.all(), text, limit + 1)
    reach = ot.phone_and_email_fields  # a number found is one tap from being called
    rows = [(r, [c for c in (field_cell(r, n, ot) for n in reach) if c.text]) for r in found[:limit]]
    return [{"type": ot, "rows": rows, "more": len(found) > limit, "list_url": ot.url("list")}]


@login_required
def search(request):
    text = request.GET.get("q", "").strip()[:100]
    results = global_search_results(request.user, text) if len(text) >= 1 else []
    template = "core/search.html#results" if request.headers.get("HX-Request") else "core/search.html"
    return render(request, template, {"q": text, "results": results})


def _viewable_type(user, key: str):
    """The object type a URL names, if it exists (404) and ``user`` may view its records (403)."""
    if key not in registry:
        raise Http404
    ot = registry.get(key)
    if not access.has_action(user, ot.model, Action.VIEW):
        raise PermissionDenied
    return ot


@login_required
def lookup(request, object_type: str):
    """Options for the lookup widget: records of ``object_type`` the user may see."""
    ot = _viewable_type(request.user, object_type)
    text = request.GET.get("q", "").strip()[:100]
    queryset = ot.model.objects.all()
    if text:
        rows = newest_matches(ot, queryset, text, 20)
    else:
        rows = list(queryset.order_by("-updated_at", "-pk")[:20])
    return render(
        request,
        "core/partials/lookup_options.html",
        {"rows": [(r.pk, ot.title(r)) for r in rows], "selected": request.GET.get("selected")},
    )


NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,99}$")


@login_required
def user_picker(request, purpose: str):
    """Options for a people picker: the users the signed-in user may choose for ``purpose``
    (``people.Purpose``), matching ``q`` by name or username, grouped by department path; the
    ``selected`` ones stay if still allowed. ``mode=checks`` answers checkboxes named ``name``."""
    try:
        wanted = people.Purpose.parse(purpose, record=request.GET.get("record"))
    except ValueError:
        raise Http404 from None
    wanted.check_access(request.user)
    options = people.people_options(
        wanted.offered(request.user),
        text=request.GET.get("q", ""),
        selected=request.GET.getlist("selected"),
        required=request.GET.get("required") == "1",
    )
    if request.GET.get("mode") == "checks":
        name, element_id = request.GET.get("name", ""), request.GET.get("id", "")
        if not NAME_RE.match(name) or not NAME_RE.match(element_id):
            raise Http404
        return HttpResponse(options.checks_html(name, element_id))
    return HttpResponse(options.options_html())


@login_required
@require_POST
def attachment_upload(request, content_type_id: int, object_id: int):
    obj = record_by_type_or_404(request.user, content_type_id, object_id)
    upload = request.FILES.get("file")
    if upload is None:
        return HttpResponseBadRequest(_("Choose a file."))
    try:
        add_attachment(actor=request.user, obj=obj, upload=upload)
        messages.success(request, _("Uploaded “%(name)s”.") % {"name": upload.name})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return htmx_redirect(request, obj.get_absolute_url() + "#attachments")


@login_required
def attachment_download(request, pk: int):
    attachment = get_object_or_404(Attachment, pk=pk)
    # Served only if the user may see the record it belongs to (404 otherwise).
    record_by_type_or_404(request.user, attachment.content_type_id, attachment.object_id)
    inline = attachment.is_image or attachment.mime_type == "application/pdf"
    response = FileResponse(attachment.file.open("rb"), as_attachment=not inline, filename=attachment.name)
    response["Content-Type"] = attachment.mime_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    return response


@login_required
@require_POST
def attachment_delete(request, pk: int):
    attachment = get_object_or_404(Attachment, pk=pk)
    obj = record_by_type_or_404(
        request.user, attachment.content_type_id, attachment.object_id
    )  # 404 unless visible
    delete_attachment(actor=request.user, attachment=attachment)  # 403 unless editable
    messages.success(request, _("Deleted the file “%(name)s”.") % {"name": attachment.name})
    return htmx_redirect(request, obj.get_absolute_url() + "#attachments")


@login_required
@require_POST
def saved_view_save(request, object_type: str):
    """Save the list's current state under a name: private, or shared with some of the roles
    and departments the user may share with (``saved_view_share_targets``)."""
    from .objects import saved_view_share_targets

    ot = _viewable_type(request.user, object_type)
    state = ListState(ot, request.POST.get("query", ""))
    name = request.POST.get("name", "").strip()[:100]
    targets = saved_view_share_targets(request.user)
    role_ids = [i for i in request.POST.getlist("shared_roles") if i.isdigit()]
    department_ids = [i for i in request.POST.getlist("shared_departments") if i.isdigit()]
    roles = list(targets["roles"].filter(pk__in=role_ids))
    departments = list(targets["departments"].filter(pk__in=department_ids))
    if not name:
        messages.error(request, _("Give the view a name."))
    elif len(state.query) > 2000:
        messages.error(request, _("This view has too many filters to be saved."))
    elif len(roles) != len(set(role_ids)) or len(departments) != len(set(department_ids)):
        messages.error(request, _("You cannot share views with this role or department."))
    else:
        with transaction.atomic():
            view, _created = SavedView.objects.update_or_create(
                user=request.user, object_type=ot.key, name=name, defaults={"query": state.query}
            )
            view.shared_roles.set(roles)
            view.shared_departments.set(departments)
        messages.success(request, _("Saved the view “%(name)s”.") % {"name": name})
    return redirect(state.url())


@login_required
@require_POST
def saved_view_delete(request, pk: int):
    view = get_object_or_404(SavedView, pk=pk, user=request.user)
    ot = registry.get(view.object_type)
    view.delete()
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": view.name})
    return redirect(ListState.remembered(ot, request.session).url())
