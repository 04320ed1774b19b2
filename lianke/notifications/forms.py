"""The forms of the notification pages: a user's e-mail settings (quiet hours, immediate or
digest, language)."""

from __future__ import annotations

from django import forms

from lianke.core.errors import CodedErrorList

from .models import EmailSettings


class EmailSettingsForm(forms.ModelForm):
    class Meta:
        model = EmailSettings
        fields = ["mode", "quiet_start", "quiet_end", "language"]
        widgets = {
            "mode": forms.RadioSelect,
            "quiet_start": forms.TimeInput(attrs={"type": "time", "class": "form-control"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time", "class": "form-control"}, format="%H:%M"),
            "language": forms.Select(attrs={"class": "form-select"}),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_class", CodedErrorList)
        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = EmailSettings.Mode.choices
