"""Forms of the signed-in user's own pages (profile › API tokens)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import CodedErrorsForm, FieldCode

from .choices import TokenScope
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
