"""Settings › Users › Hand over (``/settings/users/<id>/handover/``): an administrator chooses
the colleague who takes over a leaving user's work, sees what moves (``core.records.handover``'s
preview, fetched by htmx as the choice changes), confirms, and reads what moved."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from lianke.org.users import active_users
from lianke.org.views import administrators_only

from ..errors import CodedErrorsForm
from ..fieldtypes.people import PeopleSelect, Purpose, user_label
from ..records import handover as service
from ..ui.filtersets import KeyChoiceField


class HandoverForm(CodedErrorsForm, forms.Form):
    to_user = KeyChoiceField(label=_("Hand over to"), queryset=None)
    deactivate = forms.BooleanField(
        label=_("Deactivate the leaving user once everything has moved"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, from_user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["to_user"]
        # Any user is accepted here so that the service's own rules (an active colleague, not
        # himself) answer with their codes; the picker offers the active ones.
        field.queryset = get_user_model().objects.all()  # type: ignore[attr-defined]
        field.label_from_instance = user_label  # type: ignore[attr-defined]
        widget = PeopleSelect(Purpose(), attrs={"class": "form-select"})
        widget.offered = active_users().exclude(pk=from_user.pk)
        field.widget = widget
        widget.choices = field.choices  # type: ignore[attr-defined]
        widget.is_required = True


@never_cache
@administrators_only
def user_handover(request, pk):
    """GET: the form, and with ``to_user`` the preview (the fragment alone for htmx). POST: the
    handover itself, then the report."""
    from_user = get_object_or_404(get_user_model(), pk=pk)
    data = request.POST if request.method == "POST" else (request.GET if "to_user" in request.GET else None)
    form = HandoverForm(data, from_user=from_user)
    report = None
    status = 200
    if form.is_bound and form.is_valid():
        to_user = form.cleaned_data["to_user"]
        try:
            report = service.handover(
                request.user,
                from_user,
                to_user,
                dry_run=request.method != "POST",
                deactivate=form.cleaned_data["deactivate"],
            )
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            status = 400
        except PermissionDenied:
            raise
    elif form.is_bound:
        status = 400
    context = {"from_user": from_user, "form": form, "report": report}
    if request.headers.get("HX-Request") == "true" and request.method == "GET":
        return render(request, "core/settings/handover_preview.html", context, status=status)
    template = (
        "core/settings/handover_done.html" if report and not report.dry_run else "core/settings/handover.html"
    )
    return render(request, template, context, status=status)
