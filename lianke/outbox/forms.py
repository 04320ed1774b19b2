from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lianke.core import outgoing
from lianke.core.errors import CodedErrorsForm, RequestCode

from .models import EVENT_CHOICES, Webhook


class WebhookForm(CodedErrorsForm, forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EVENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every event."),
    )
    secret = forms.CharField(
        label=_("Secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Signs every message (X-Lianke-Signature). Stored encrypted; leave empty to keep it."),
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "object_type", "events", "secret", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["secret"].required = True
            self.fields["secret"].help_text = _("Signs every message (X-Lianke-Signature). Stored encrypted.")
        for name, field in self.fields.items():
            if name not in ("events", "is_active"):
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)
        self.fields["is_active"].widget.attrs["class"] = "form-check-input"

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            outgoing.check_url(url)
        except outgoing.OutgoingRefused as exc:
            raise forms.ValidationError(
                _("This address may not be called: %(reason)s"),
                code=RequestCode.URL_REFUSED,
                params={"reason": exc},
            ) from exc
        return url

    def save(self, commit=True):
        if self.cleaned_data.get("secret"):
            self.instance.secret = self.cleaned_data["secret"]
        return super().save(commit)
