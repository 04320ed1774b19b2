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
        from django.contrib.auth import get_user_model

        self.fields["assignee"].queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )
        # The timeline form has no time input: an activity logged there happened now.
        self.fields["occurred_at"].required = False

    def clean_occurred_at(self):
        from django.utils import timezone

        return self.cleaned_data.get("occurred_at") or timezone.now()
