"""Forms of the signed-in user's own pages (profile › API tokens) and of Settings › Audit."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import CodedErrorsForm, FieldCode
from lianke.core.ui.filtersets import KeyChoiceField

from .choices import AuditKind, TokenScope
from .tokens import MAX_EXPIRY_DAYS


class ApiTokenForm(CodedErrorsForm, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses it, e.g. “ERP sync” or “Sales report script”."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text=_("Either way the token sees and changes only what you may."),
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text=_("Empty: never expires."),
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the token a name."), code=FieldCode.REQUIRED)
        return name


class AuditFilterForm(CodedErrorsForm, forms.Form):
    """The audit page's filters; every one optional."""

    kind = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=[("", _("All events")), *AuditKind.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    user = KeyChoiceField(
        label=_("User"),
        required=False,
        queryset=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )
    q = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "type": "search"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from lianke.core.fieldtypes.people import PeopleSelect, Purpose

        from .models import User

        # Anybody who ever acted, the departed included; the picker offers the active ones and
        # searches them all.
        field = self.fields["user"]
        field.queryset = User.objects.order_by("username")  # type: ignore[attr-defined]
        field.widget = PeopleSelect(Purpose(), attrs={"class": "form-select form-select-sm"})
        field.widget.choices = field.choices  # type: ignore[attr-defined]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error(
                "end",
                forms.ValidationError(
                    _("The end date is before the start date."), code=FieldCode.OUT_OF_RANGE
                ),
            )
        return data
