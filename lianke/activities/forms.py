from django import forms

from .models import Activity


class QuickActivityForm(forms.ModelForm):
    """The short form under a record's timeline."""

    class Meta:
        model = Activity
        fields = ["kind", "subject", "body", "occurred_at", "assignee", "due_at"]
        widgets = {
            "kind": forms.Select(attrs={"class": "form-select form-select-sm"}),
            "subject": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "body": forms.Textarea(attrs={"class": "form-control form-control-sm", "rows": 2}),
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local", "class": "form-control form-control-sm"},
                format="%Y-%m-%dT%H:%M",
            ),
            "assignee": forms.Select(attrs={"class": "form-select form-select-sm"}),
            "due_at": forms.DateTimeInput(
                attrs={"type": "datetime-local", "class": "form-control form-control-sm"},
                format="%Y-%m-%dT%H:%M",
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the people the current user may assign activities to (the generated form's
        # rule, checked again by the service), grouped by department and searchable.
        from lianke.core import context
        from lianke.core.people import PeopleField, Purpose
        from lianke.org.choices import Action

        assignee = self.fields["assignee"]
        self.fields["assignee"] = PeopleField(
            Purpose(action=Action.CREATE, object_type="activities.activity"),
            context.require().user,
            small=True,
            label=assignee.label,
            required=False,
        )
        # The timeline form has no time input: an activity logged there happened now.
        self.fields["occurred_at"].required = False

    def clean_occurred_at(self):
        from django.utils import timezone

        return self.cleaned_data.get("occurred_at") or timezone.now()
