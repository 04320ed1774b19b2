"""The flow editor's forms: a flow's settings, its steps (a formset, in order) and the test run.

Conditions are written one rule a line — ``amount >= 1000000``, ``customer_type in a, b``,
``cf_region = 华东`` — and lifecycle moves one ``field = value`` a line: short to type on a
phone, and shown back the same way. The services (``flows.save_flow``) check the fields.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import CodedErrorsForm, FieldCode
from lianke.core.text.keys import as_key
from lianke.core.ui.filtersets import KeyChoiceField
from lianke.org import users
from lianke.org.models import Role, User

from . import flowtypes, purposes
from .models import ApproverKind, Mode, Trigger

# The operators people type, longest first (so ">=" is not read as ">").
OPERATORS = (
    (">=", "gte"),
    ("≥", "gte"),
    ("<=", "lte"),
    ("≤", "lte"),
    ("!=", "ne"),
    ("≠", "ne"),
    ("=", "eq"),
    (">", "gt"),
    ("<", "lt"),
)
SYMBOLS = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
RULE = re.compile(r"^\s*(?P<field>[\w.]+)\s+in\s+(?P<value>.+)$", re.IGNORECASE)


def _value(text: str):
    text = text.strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return int(number) if number == number.to_integral_value() and "." not in text else float(number)


def parse_condition(text: str) -> list[dict]:
    rules = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        found = RULE.match(line)
        if found:
            values = [_value(v) for v in found["value"].split(",") if v.strip()]
            rules.append({"field": found["field"], "op": "in", "value": values})
            continue
        for symbol, op in OPERATORS:
            if symbol in line:
                field, _sep, value = line.partition(symbol)
                if field.strip() and value.strip():
                    rules.append({"field": field.strip(), "op": op, "value": _value(value)})
                    break
        else:
            raise forms.ValidationError(
                gettext("Line %(n)s: write a rule as “field operator value”, e.g. “amount >= 100000”.")
                % {"n": n},
                code=FieldCode.INVALID,
            )
    return rules


def show_condition(rules) -> str:
    lines = []
    for rule in rules or []:
        value = rule.get("value")
        if rule.get("op") == "in":
            lines.append(f"{rule['field']} in {', '.join(str(v) for v in value or [])}")
        else:
            lines.append(f"{rule['field']} {SYMBOLS.get(rule.get('op', 'eq'), '=')} {value}")
    return "\n".join(lines)


def parse_moves(text: str) -> dict:
    moves = {}
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        field, sep, value = line.partition("=")
        if not sep or not field.strip():
            raise forms.ValidationError(
                gettext("Line %(n)s: write “field = value”.") % {"n": n}, code=FieldCode.INVALID
            )
        moves[field.strip()] = value.strip()
    return moves


def show_moves(moves) -> str:
    return "\n".join(f"{k} = {v}" for k, v in (moves or {}).items())


class ConditionField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm font-monospace"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return show_condition(value) if isinstance(value, list) else value

    def clean(self, value):
        return parse_condition(super().clean(value))


class MovesField(ConditionField):
    def prepare_value(self, value):
        return show_moves(value) if isinstance(value, dict) else value

    def clean(self, value):
        return parse_moves(forms.CharField.clean(self, value))


def field_choices(
    object_type: str, *, users_only: bool = False, numbers_only: bool = False
) -> list[tuple[str, str]]:
    """The type's fields as flows name them (custom fields ``cf_<name>``)."""
    ot = flowtypes.get(object_type)
    if ot is None:
        return []
    choices = []
    for f in ot.model._meta.concrete_fields:
        if f.primary_key or f.name in ("version", "custom_data", "is_deleted", "deleted_at"):
            continue
        if users_only and not (f.many_to_one and f.related_model is User):
            continue
        if numbers_only and f.get_internal_type() not in (
            "DecimalField",
            "IntegerField",
            "BigIntegerField",
            "PositiveIntegerField",
        ):
            continue
        choices.append((f.name, f"{f.verbose_name} ({f.name})"))
    if not users_only:
        for d in ot.custom_fields():
            choices.append((f"cf_{d.name}", f"{d.label} (cf_{d.name})"))
    return choices


def active_users():
    return users.active_users().order_by("username")


SMALL = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}
CHECK = {"class": "form-check-input"}


class FlowForm(CodedErrorsForm, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(SMALL))
    position = forms.IntegerField(label=_("Order"), min_value=0, initial=0, widget=forms.NumberInput(SMALL))
    is_active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, widget=forms.CheckboxInput(CHECK)
    )
    purpose = forms.ChoiceField(
        label=_("Used for"),
        required=False,
        widget=forms.Select(SELECT),
        help_text=_(
            "What the approval decides: an ordinary submit, or a use an app declares (e.g. customer registration)."
        ),
    )
    trigger = forms.ChoiceField(label=_("Trigger"), choices=Trigger.choices, widget=forms.Select(SELECT))
    condition = ConditionField(
        label=_("Condition"), help_text=_("One rule a line, e.g. “amount >= 100000”; all must hold.")
    )
    editable_fields = forms.MultipleChoiceField(
        label=_("Editable while pending"), required=False, widget=forms.CheckboxSelectMultiple
    )
    exposed_fields = forms.MultipleChoiceField(
        label=_("Fields shown to approvers"), required=False, widget=forms.CheckboxSelectMultiple
    )
    on_approve = MovesField(label=_("When approved, set"), help_text=_("One “field = value” a line."))
    on_reject = MovesField(label=_("When rejected, set"), help_text=_("One “field = value” a line."))
    fallback_approver = KeyChoiceField(
        label=_("Fallback approver"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.Select(SELECT),
    )
    allow_self_approval = forms.BooleanField(
        label=_("The submitter may approve"), required=False, widget=forms.CheckboxInput(CHECK)
    )
    amount_field = forms.ChoiceField(label=_("Amount field"), required=False, widget=forms.Select(SELECT))
    amount_tolerance = forms.DecimalField(
        label=_("Re-approval tolerance (%)"),
        min_value=0,
        max_digits=6,
        decimal_places=2,
        initial=0,
        widget=forms.NumberInput(SMALL),
    )

    def __init__(self, *args, object_type: str, **kwargs):
        super().__init__(*args, **kwargs)
        fields = field_choices(object_type)
        self.fields["purpose"].choices = [
            ("", _("Records submitted for approval")),
            *((p.key, p.label) for p in purposes.for_type(object_type)),
        ]
        self.fields["editable_fields"].choices = [("*", _("Everything (the flow locks nothing)")), *fields]
        self.fields["exposed_fields"].choices = fields
        self.fields["amount_field"].choices = [("", "—"), *field_choices(object_type, numbers_only=True)]
        self.fields["fallback_approver"].queryset = active_users()


class StepForm(CodedErrorsForm, forms.Form):
    name = forms.CharField(label=_("Step"), max_length=100, required=False, widget=forms.TextInput(SMALL))
    approver_kind = forms.ChoiceField(
        label=_("Approvers"),
        choices=[("", "—"), *ApproverKind.choices],
        required=False,
        widget=forms.Select(SELECT),
    )
    role = KeyChoiceField(
        label=_("Role"), queryset=Role.objects.none(), required=False, widget=forms.Select(SELECT)
    )
    levels = forms.IntegerField(
        label=_("Levels up"),
        min_value=1,
        max_value=10,
        initial=1,
        required=False,
        widget=forms.NumberInput(SMALL),
    )
    user_ids = forms.ModelMultipleChoiceField(
        label=_("Users"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple({"class": "form-select form-select-sm", "size": 4}),
    )
    user_field = forms.ChoiceField(label=_("User field"), required=False, widget=forms.Select(SELECT))
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices, widget=forms.Select(SELECT))
    condition = ConditionField(label=_("Only when"))
    time_limit_hours = forms.IntegerField(
        label=_("Time limit (hours)"), min_value=1, required=False, widget=forms.NumberInput(SMALL)
    )

    def __init__(self, *args, object_type: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.filter(is_active=True).order_by("name")
        self.fields["user_ids"].queryset = active_users()
        self.fields["user_field"].choices = [("", "—"), *field_choices(object_type, users_only=True)]

    def as_step(self) -> dict:
        data = dict(self.cleaned_data)
        data["role"] = data["role"].pk if data.get("role") else None
        data["user_ids"] = [u.pk for u in data.get("user_ids") or []]
        return data


class BaseStepFormSet(forms.BaseFormSet):
    def steps(self) -> list[dict]:
        """The filled-in steps, in order (an empty or deleted row is left out)."""
        return [
            form.as_step()
            for form in self.forms
            if form.cleaned_data
            and form.cleaned_data.get("approver_kind")
            and not form.cleaned_data.get("DELETE")
        ]


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=1, can_delete=True, max_num=20)


class TestRunForm(CodedErrorsForm, forms.Form):
    record = forms.IntegerField(label=_("Record ID"), min_value=1, widget=forms.NumberInput(SMALL))
    submitter = KeyChoiceField(
        label=_("Submitted by"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Empty: the record's owner."),
        widget=forms.Select(SELECT),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submitter"].queryset = active_users()


class OutOfOfficeForm(CodedErrorsForm, forms.Form):
    """The profile's out-of-office delegation: who gets my approval tasks, from when until
    when, and a note. The service checks the rest (an active delegate, not oneself, no circle,
    the end after the start)."""

    delegate = forms.TypedChoiceField(label=_("My approvals go to"), coerce=int)
    starts_at = forms.DateTimeField(
        label=pgettext_lazy("out of office", "From"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    ends_at = forms.DateTimeField(
        label=pgettext_lazy("out of office", "Until"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        people = active_users().exclude(pk=user.pk)
        self.fields["delegate"].choices = [("", "—"), *((u.pk, str(u)) for u in people)]
        self.fields["delegate"].widget.attrs["class"] = "form-select"
        # A choice made before the person left, or oneself sent by hand: the service says why not.
        self.fields["delegate"].valid_value = lambda value: as_key(value) is not None
