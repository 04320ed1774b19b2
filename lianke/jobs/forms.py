"""The schedule form of Settings › Scheduled jobs: a name, a cron expression or an interval in
minutes, parameters (JSON, for jobs administrators schedule themselves), on or off. The rules
are the model's (``Schedule.clean``) and the service's; the form only parses."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from lianke.core import schedules
from lianke.core.errors import CodedErrorList, FieldCode


class ScheduleForm(forms.Form):
    job = forms.ChoiceField(label=_("Job"), choices=())
    label = forms.CharField(label=_("Name"), max_length=200, required=False)
    cron = forms.CharField(
        label=_("Cron expression"),
        max_length=100,
        required=False,
        help_text=_(
            "Five fields in local time: minute hour day month weekday, e.g. “0 3 * * *” every day at 3:00."
        ),
    )
    every_minutes = forms.IntegerField(
        label=_("… or every (minutes)"), min_value=1, max_value=525600, required=False
    )
    params = forms.JSONField(label=_("Parameters (JSON)"), required=False, initial=dict)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args, schedule=None, **kwargs):
        kwargs.setdefault("error_class", CodedErrorList)
        if schedule is not None:
            kwargs.setdefault(
                "initial",
                {
                    "job": schedule.job,
                    "label": schedule.label,
                    "cron": schedule.cron,
                    "every_minutes": int(schedule.every.total_seconds() // 60) if schedule.every else None,
                    "params": schedule.params,
                    "enabled": schedule.enabled,
                },
            )
        super().__init__(*args, **kwargs)
        self.schedule = schedule
        for field in self.fields.values():
            checkbox = isinstance(field.widget, forms.CheckboxInput)
            field.widget.attrs.setdefault("class", "form-check-input" if checkbox else "form-control")
        self.fields["job"].widget.attrs["class"] = "form-select"
        self.fields["params"].widget.attrs["rows"] = 3
        if schedule is None:
            self.fields["job"].choices = [
                (name, job.label) for name, job in sorted(schedules.declared().items()) if job.configurable
            ]
        else:
            del self.fields["job"]
            if schedule.source == "code":
                del self.fields["label"]
                if not (schedule.declared and schedule.declared.configurable):
                    del self.fields["params"]

    def clean_params(self):
        value = self.cleaned_data.get("params")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError(
                _('Parameters are a JSON object: {"name": value, …}.'), code=FieldCode.INVALID
            )
        return value

    def changes(self) -> dict:
        """The cleaned values as the service takes them."""
        data = self.cleaned_data
        minutes = data.get("every_minutes")
        out = {
            "cron": data.get("cron") or "",
            "every": dt.timedelta(minutes=minutes) if minutes else None,
            "enabled": bool(data.get("enabled")),
        }
        if "label" in self.fields:
            out["label"] = data.get("label") or ""
        if "params" in self.fields:
            out["params"] = data.get("params") or {}
        return out

    def add_model_errors(self, exc) -> None:
        """A service's ``ValidationError``: each message under its form field."""
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                field = {"every": "every_minutes"}.get(name, name)
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc)
