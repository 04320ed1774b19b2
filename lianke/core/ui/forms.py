"""Create/edit forms generated from the registry, with the object's custom fields added at
runtime. Relations are limited by the data-scope filter (the default managers are restricted),
and relations to large tables use a server-side search widget."""

from __future__ import annotations

import weakref
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from lianke.org import fieldaccess
from lianke.org.choices import Action

from ..errors import BulkCode, CodedErrorList
from ..fieldtypes import kinds
from ..fieldtypes.formfields import EmailInput, LookupSelect, number_input
from ..fieldtypes.people import PeopleField, Purpose
from ..models.customfields import clean_custom_data


def _widget_for(field: models.Field):
    if field.choices:
        return None
    if isinstance(field, models.EmailField):
        return EmailInput()
    if isinstance(field, models.DecimalField | models.IntegerField) and not field.primary_key:
        return number_input(decimal=isinstance(field, models.DecimalField))
    if isinstance(field, models.DateTimeField):
        return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    if isinstance(field, models.DateField):
        return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    if isinstance(field, models.TextField):
        return forms.Textarea(attrs={"rows": 3})
    return None


class BusinessForm(forms.ModelForm):
    """Base of every generated form. ``object_type`` and ``user`` are set per instance."""

    object_type = None
    #: ``{field: the field its choices follow}``: when the second changes on the page, the first's
    #: options are fetched again (``?refresh=<field>`` on the form's URL, see ``refreshed_value``).
    depends_on: dict[str, str] = {}

    def __init__(self, *args, user=None, **kwargs):
        # Each error knows its code (``core.errors``): the templates render it as ``data-error-code``.
        kwargs.setdefault("error_class", CodedErrorList)
        super().__init__(*args, **kwargs)
        self.user = user
        ot = self.object_type
        for name, field in self.fields.items():
            model_field = ot.opts.get_field(name) if name in ot.form_fields else None
            if isinstance(model_field, models.ForeignKey):
                # Never reuse the class-level queryset: it was filtered for whoever built the
                # class. A fresh one runs through the current user's data scope.
                field.queryset = model_field.related_model._default_manager.all()
                if ot.is_lookup_relation(model_field):
                    # Restricted default manager: only records the user may see are valid.
                    field.widget = LookupSelect(
                        model_field.related_model._meta.label_lower, attrs={"class": "form-select"}
                    )
                    field.widget.choices = field.choices
                elif model_field.related_model is get_user_model():
                    self.fields[name] = PeopleField(
                        self._people_purpose(model_field),
                        user,
                        label=field.label,
                        required=field.required,
                        help_text=field.help_text,
                        initial=field.initial,
                    )
        if self.instance._state.adding and ot.is_owned and "owner" not in self.fields:
            # Only the owners the user may create records for; a rep with "own records" sees
            # himself, fixed. The service checks the same rule again before it writes.
            self.fields["owner"] = PeopleField(
                Purpose(action=Action.CREATE, object_type=ot.key),
                user,
                label=_("Owner"),
                initial=user.pk if user else None,
                help_text=_("You can create records only for owners within your data scope."),
            )
        # Field permissions (``org.fieldaccess``): a hidden field is no field of the form, a
        # read-only or masked one is shown disabled (masked: the masked value) and what is
        # posted for it is ignored — the service refuses any change to it anyway.
        self.field_access = fieldaccess.field_access(user, ot.model)
        self.custom_definitions = [d for d in ot.custom_fields() if self.field_access.visible(d.filter_name)]
        stored = self.instance.custom_data or {}
        for definition in self.custom_definitions:
            value = stored.get(definition.name)
            self.fields[definition.filter_name] = definition.to_form_field(
                initial=definition.form_initial(value), user=user
            )
        for definition in self.custom_definitions:  # e.g. a dependent select's choices
            kinds[definition.type].bind_form(definition, self)
        self.locked_fields: set[str] = set()
        for name in list(self.fields):
            if name == "owner" or self.field_access.editable(name):
                continue
            if not self.field_access.visible(name):
                del self.fields[name]
                continue
            self.locked_fields.add(name)
            field = self.fields[name]
            field.disabled, field.required = True, False
            if self.field_access.masked(name):
                # Never the real value in the page: a plain text box with the masked one.
                raw = stored.get(name[3:]) if name.startswith("cf_") else getattr(self.instance, name, "")
                self.fields[name] = forms.CharField(
                    label=field.label, required=False, disabled=True, help_text=field.help_text
                )
                self.initial[name] = self.field_access.mask(name, raw)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput | forms.MultiWidget):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)

    def dependencies(self):
        """``[(dependent bound field, source bound field)]`` for the form page."""
        return [
            (self[t], self[s]) for t, s in self.depends_on.items() if t in self.fields and s in self.fields
        ]

    def refreshed_options(self, name: str) -> dict:
        """The widget context of a dependent select, for ``core/partials/select_options.html``."""
        field = self.fields[name]
        return field.widget.get_context(self.add_prefix(name), self.refreshed_value(name), {})["widget"]

    def refreshed_value(self, name: str):
        """The value a dependent field shows once its source changed (default: what was posted)."""
        return self[name].value()

    def _people_purpose(self, model_field) -> Purpose:
        """Who a user field offers: an assignment field (a task's assignee) the users the
        actor may assign to when creating or editing (the current value stays valid); any
        other user field anybody active."""
        ot: Any = self.object_type
        if model_field.name not in ot.assignment_fields:
            return Purpose()
        if self.instance._state.adding:
            return Purpose(action=Action.CREATE, object_type=ot.key)
        keep = getattr(self.instance, model_field.attname)
        return Purpose(action=Action.EDIT, object_type=ot.key, keep=keep)

    def custom_field_names(self):
        return [d.filter_name for d in self.custom_definitions]

    def sections(self):
        """``[(label, [bound fields])]`` in the order the registry declares, custom fields last
        (grouped by their own section name)."""
        result = []
        for label, names in self.object_type.sections:
            bound = [self[n] for n in names if n in self.fields]
            if label == self.object_type.sections[0][0] and "owner" in self.fields:
                bound.insert(0, self["owner"])
            if bound:
                result.append((label, bound))
        groups: dict[str, list] = {}
        for d in self.custom_definitions:
            groups.setdefault(d.section or str(_("More information")), []).append(self[d.filter_name])
        result.extend(groups.items())
        return result

    def clean(self):
        cleaned = super().clean()
        for name in self.locked_fields:  # never written: the record keeps what it has
            cleaned.pop(name, None)
        incoming = {}
        self.uploads: dict = {}  # files of file fields, stored once the record is (the view)
        for d in self.custom_definitions:
            if d.filter_name in self.errors or d.filter_name in self.locked_fields:
                continue
            if self.fields[d.filter_name].disabled:  # computed (a formula): never posted
                continue
            if kinds[d.type].is_upload:  # no file chosen: the field keeps its file
                if cleaned.get(d.filter_name):
                    self.uploads[d.name] = cleaned[d.filter_name]
                continue
            value = cleaned.get(d.filter_name)
            incoming[d.name] = value.pk if isinstance(value, models.Model) else value
        try:
            self.cleaned_custom_data = clean_custom_data(
                [d for d in self.custom_definitions if d.filter_name not in self.locked_fields],
                incoming,
                existing=self.instance.custom_data or {},
                pending=self.uploads,  # a required file chosen here is stored after the record
            )
        except ValidationError as exc:
            for key, errors in exc.error_dict.items():
                if key in self.fields:
                    for error in errors:
                        self.add_error(key, error)
                else:
                    self.add_error(None, errors)
        if "owner" in self.fields and cleaned.get("owner"):
            self.instance.owner = cleaned["owner"]
        return cleaned

    def save(self, commit=True):
        instance = super().save(commit=False)
        instance.custom_data = getattr(self, "cleaned_custom_data", instance.custom_data)
        return instance


_FORMS: weakref.WeakKeyDictionary[Any, type] = weakref.WeakKeyDictionary()


def style_settings_form(form: forms.BaseForm) -> None:
    """Bootstrap's classes on a settings form's widgets (the console's pages that apps bring:
    stage sets, lead statuses): check boxes, selects, the rest as text boxes."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


def form_for(object_type) -> type:
    """The type's form class (generated from its declaration, on its ``form_base``), built once
    per registered type: the forms own it, the registry builds no form."""
    form = _FORMS.get(object_type)
    if form is None:
        form = _FORMS[object_type] = build_form(object_type)
    return form


def build_form(object_type):
    fields = list(object_type.form_fields)
    widgets = {}
    for name in fields:
        widget = _widget_for(object_type.field(name))
        if widget is not None:
            widgets[name] = widget
    meta = type("Meta", (), {"model": object_type.model, "fields": fields, "widgets": widgets})
    base = object_type.form_base or BusinessForm
    return type(f"{object_type.model.__name__}Form", (base,), {"Meta": meta, "object_type": object_type})


# ---------------------------------------------------------------------------------- bulk edit
def bulk_edit_fields(ot, definitions) -> list[tuple[str, str]]:
    """The fields the current user may set in bulk (only those they may edit)."""
    fields = fieldaccess.current(ot.model)
    names = [
        n
        for n in ot.form_fields
        if (not isinstance(ot.field(n), models.ForeignKey) or not ot.is_lookup_relation(ot.field(n)))
        and fields.editable(n)
    ]
    return [(n, capfirst(ot.field(n).verbose_name)) for n in names] + [
        (d.filter_name, d.display_label) for d in definitions if fields.editable(d.filter_name)
    ]


def clean_bulk_value(ot, field: str, raw):
    """The bulk bar's field and value: a standard field's posted text through the field the
    form uses; a custom field's raw value is left to the service."""
    definitions = {d.filter_name: d for d in ot.custom_fields()}
    if field in definitions and not fieldaccess.current(ot.model).editable(field):
        raise ValidationError(_("This field cannot be edited in bulk."), code=BulkCode.NOT_EDITABLE)
    if field in definitions:
        # Cleaned by the service (``services.bulk_edit``), the one check for every caller.
        return definitions[field].name, raw, True
    if field not in dict(bulk_edit_fields(ot, [])):
        raise ValidationError(_("This field cannot be edited in bulk."), code=BulkCode.NOT_EDITABLE)
    model_field = ot.field(field)
    form_field = model_field.formfield()
    if isinstance(model_field, models.ForeignKey):
        form_field.queryset = model_field.related_model._default_manager.all()
    value = form_field.clean(raw)
    if isinstance(model_field, models.ForeignKey):
        return field, value, False
    model_field.clean(value, None)
    return field, value, False
