"""*Settings › Lead statuses* (``/settings/lead-statuses/``): administrators rename, reorder,
deactivate and add a lead's statuses and say which may follow which — through the services of
``statuses``. Who may open the pages is the status table's config kind (``org.access``), asked
here and again by the service for the write. A drag posts with ``Accept: application/json``
and gets ``{"ok": true}`` or ``{"code", "message"}`` (``static/console/console.js``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lianke.core.errors import CodedErrorsForm, FieldCode, PermissionCode
from lianke.core.ui.forms import style_settings_form
from lianke.org.views import administrators_only

from . import statuses
from .choices import LeadStatus
from .models import Lead, LeadStatusOption

BACK = "marketing_settings:lead_statuses"

#: Administrators (the settings model's config kind), as every settings page.
settings_page = administrators_only(of=LeadStatusOption)


class StatusForm(CodedErrorsForm, forms.Form):
    new_code = forms.CharField(
        label=gettext_lazy("code"),
        max_length=20,
        required=False,
        help_text=gettext_lazy(
            "Lower-case letters, digits and underscores; stored on each lead, never changed."
        ),
    )
    category = forms.ChoiceField(
        label=gettext_lazy("works like"),
        required=False,
        help_text=gettext_lazy("The system status whose meaning this one shares."),
    )
    name = forms.CharField(label=gettext_lazy("name"), max_length=50, required=False)
    name_en = forms.CharField(label=gettext_lazy("name (English)"), max_length=50, required=False)
    is_active = forms.BooleanField(label=gettext_lazy("active"), required=False)
    next_codes = forms.MultipleChoiceField(
        label=gettext_lazy("may move to"), required=False, widget=forms.CheckboxSelectMultiple
    )
    previous_codes = forms.MultipleChoiceField(
        label=gettext_lazy("may be reached from"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, status: statuses.Status | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        others = [
            (s.code, s.label) for s in statuses.all_statuses() if status is None or s.code != status.code
        ]
        # Any code is posted through (the service names an unknown one with its code).
        for name in ("next_codes", "previous_codes"):
            self.fields[name].choices = others
            self.fields[name].valid_value = lambda value: True  # type: ignore[method-assign]
        self.fields["category"].choices = [(c.value, c.label) for c in statuses.OPEN_CATEGORIES]
        if status is not None:
            del self.fields["new_code"], self.fields["category"]
            if status.is_system and status.code not in statuses.OPTIONAL:
                self.fields["is_active"].disabled = True
            if status.category == LeadStatus.CONVERTED:
                self.fields["next_codes"].disabled = True
        style_settings_form(self)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refused(request, exc: Exception):
    if isinstance(exc, PermissionDenied):
        if _wants_json(request):
            return JsonResponse({"code": PermissionCode.PERMISSION_DENIED, "message": str(exc)}, status=403)
        raise exc
    assert isinstance(exc, ValidationError)
    error = exc.error_list[0] if not hasattr(exc, "error_dict") else next(iter(exc.error_dict.values()))[0]
    message = next(iter(error))
    if _wants_json(request):
        return JsonResponse(
            {"code": str(error.code or FieldCode.INVALID), "message": str(message)}, status=400
        )
    messages.error(request, message)
    return redirect(BACK)


@settings_page
def status_list(request):
    counts = dict(Lead.all_objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    labels = {s.code: s.label for s in statuses.all_statuses()}
    rows = [
        {
            "status": s,
            "leads": counts.get(s.code, 0),
            "next": [labels.get(c, c) for c in s.next_codes],
            "category": labels.get(s.category, s.category),
        }
        for s in statuses.all_statuses()
    ]
    return render(request, "marketing/settings/lead_statuses.html", {"rows": rows, "state": statuses.state()})


@settings_page
def status_edit(request, code: str | None = None):
    status = statuses.get(code) if code else None
    if code and status is None:
        raise Http404
    if status is not None:
        initial = {
            "name": status.name,
            "name_en": status.name_en,
            "is_active": status.is_active,
            "next_codes": list(status.next_codes),
            "previous_codes": [s.code for s in statuses.all_statuses() if status.code in s.next_codes],
        }
    else:
        initial = {"is_active": True, "category": LeadStatus.CONTACTED}
    form = StatusForm(request.POST or None, status=status, initial=initial)
    page_errors: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            saved = statuses.save_status(
                actor=request.user,
                code=status.code if status else None,
                expected_state=request.POST.get("state") or None,
                **data,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, listed in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, ValidationError(listed))
            else:  # about the whole table (someone changed it since): above the form, with its code
                page_errors = [(e.code or FieldCode.INVALID, m) for e in exc.error_list for m in e]
        else:
            messages.success(request, _("Status “%(name)s” saved.") % {"name": saved})
            return redirect(BACK)
    state = (request.POST.get("state") if request.method == "POST" else None) or statuses.state()
    return render(
        request,
        "marketing/settings/lead_status_form.html",
        {"form": form, "status": status, "state": state, "page_errors": page_errors},
        status=400 if request.method == "POST" else 200,
    )


@settings_page
@require_POST
def status_order(request):
    try:
        statuses.reorder_statuses(
            actor=request.user,
            codes=request.POST.getlist("ids"),
            expected_state=request.POST.get("state") or None,
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc)
    if _wants_json(request):
        return JsonResponse({"ok": True})
    messages.success(request, _("Order saved."))
    return redirect(BACK)


@settings_page
@require_POST
def status_move(request, code: str):
    try:
        statuses.move_status(
            actor=request.user, code=code, step=-1 if request.POST.get("step") == "up" else 1
        )
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc)
    if _wants_json(request):
        return JsonResponse({"ok": True})
    return redirect(BACK)
