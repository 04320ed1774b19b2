"""The quick follow-up form under a record's timeline: the fields each kind of activity needs;
the activity's own form (``ActivityObject.form_base``). Both refuse an ``@name`` several people
answer to (nobody would be told), naming the field and the name."""

import json

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import CodedErrorList
from lianke.core.ui.forms import BusinessForm

from .choices import ActivityKind
from .models import Activity

# Besides type, subject and details, what each kind asks for (in this order on the page).
KIND_FIELDS = {
    ActivityKind.NOTE: (),
    ActivityKind.CALL: ("direction", "duration_minutes"),
    ActivityKind.VISIT: ("location", "occurred_at"),
    ActivityKind.MEETING: ("occurred_at", "duration_minutes", "location"),
    ActivityKind.EMAIL: ("direction",),
    ActivityKind.SMS: ("direction",),
    ActivityKind.TASK: ("assignee", "due_at"),
}
KIND_PLACEHOLDERS = {
    ActivityKind.NOTE: _("e.g. the customer plans to expand production"),
    ActivityKind.CALL: _("e.g. phone call about the purchase plan"),
    ActivityKind.VISIT: _("e.g. visit to the purchasing department"),
    ActivityKind.MEETING: _("e.g. annual cooperation talks"),
    ActivityKind.EMAIL: _("e.g. sent the quotation"),
    ActivityKind.SMS: _("e.g. delivery notice"),
    ActivityKind.TASK: _("e.g. prepare the quotation"),
}
OPTIONAL_FIELDS = tuple(dict.fromkeys(name for names in KIND_FIELDS.values() for name in names))
DATETIME = {"type": "datetime-local", "class": "form-control form-control-sm"}


class MentionsCheck:
    """A form mixin: an ``@name`` in the subject or the details that several active users
    answer to is an error on that field (``ambiguous_mention``) asking for ``@username``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_class", CodedErrorList)
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        from .notifications import MENTION_FIELDS, ambiguity_errors

        texts = {
            name: (str(self.fields[name].label), cleaned.get(name) or "")
            for name in MENTION_FIELDS
            if name in self.fields
        }
        for name, error in ambiguity_errors(texts).items():
            self.add_error(name, error)
        return cleaned


class ActivityForm(MentionsCheck, BusinessForm):
    """The activity's page form (generated from its declaration)."""


class QuickActivityForm(MentionsCheck, forms.ModelForm):
    """Type, subject and details, plus the fields of the chosen kind (``KIND_FIELDS``); the
    others are shown only for their kinds (``data-show-for``, app.js) and ignored on the server."""

    class Meta:
        model = Activity
        fields = ["kind", "subject", "body", *OPTIONAL_FIELDS]
        widgets = {
            "kind": forms.Select(attrs={"class": "form-select form-select-sm"}),
            "subject": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "body": forms.Textarea(attrs={"class": "form-control form-control-sm", "rows": 2}),
            "direction": forms.Select(attrs={"class": "form-select form-select-sm"}),
            "duration_minutes": forms.NumberInput(
                attrs={"class": "form-control form-control-sm", "min": 0, "inputmode": "numeric"}
            ),
            "location": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "occurred_at": forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"),
            "assignee": forms.Select(attrs={"class": "form-select form-select-sm"}),
            "due_at": forms.DateTimeInput(attrs={**DATETIME, "required": True}, format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the people the current user may assign activities to (the generated form's
        # rule, checked again by the service), grouped by department and searchable.
        from lianke.core import context
        from lianke.core.fieldtypes.people import PeopleField, Purpose
        from lianke.org.choices import Action

        assignee = self.fields["assignee"]
        self.fields["assignee"] = PeopleField(
            Purpose(action=Action.CREATE, object_type="activities.activity"),
            context.require().user,
            small=True,
            label=assignee.label,
            required=False,
        )
        # An activity logged without a time happened now.
        self.fields["occurred_at"].required = False
        self.kind = self._chosen_kind()
        if self.is_bound:
            # Values of fields the kind does not have are ignored, whatever was sent. (A task
            # without a due date is refused by the model's own validation.)
            self.data = self.data.copy()
        for name in OPTIONAL_FIELDS:
            if name not in KIND_FIELDS[self.kind]:
                self.data.pop(name, None)
                # Hidden until the kind changes (app.js); disabled, so never sent nor required.
                self.fields[name].widget.attrs["disabled"] = True
        # Field permissions: a field the user may not set on an activity is not offered (the
        # service refuses it anyway).
        from lianke.org import fieldaccess

        self.field_access = fieldaccess.current(Activity)
        for name in [n for n in self.fields if n not in ("kind", "subject")]:
            if not self.field_access.editable(name):
                del self.fields[name]
        subject = self.fields["subject"].widget.attrs
        subject["placeholder"] = KIND_PLACEHOLDERS[self.kind]
        subject["data-placeholders"] = json.dumps(
            {str(kind): str(text) for kind, text in KIND_PLACEHOLDERS.items()}, ensure_ascii=False
        )

    def _chosen_kind(self) -> str:
        kind = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        return kind if kind in KIND_FIELDS else ActivityKind.NOTE

    @property
    def kind_fields(self):
        """``(bound field, kinds it belongs to, shown now)`` for each kind-specific field."""
        for name in OPTIONAL_FIELDS:
            if name not in self.fields:
                continue
            kinds = " ".join(str(k) for k, names in KIND_FIELDS.items() if name in names)
            yield self[name], kinds, name in KIND_FIELDS[self.kind]

    def clean_occurred_at(self):
        return self.cleaned_data.get("occurred_at") or timezone.now()
