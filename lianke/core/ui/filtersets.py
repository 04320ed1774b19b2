"""One FilterSet per object type, generated from the registry and shared by list pages and the
API (NetBox's pattern). Custom fields get ``cf_<name>`` filters built from their definitions."""

from __future__ import annotations

import copy
import datetime as dt
import weakref
from typing import Any

import django_filters as filters
from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from lianke.org import fieldaccess
from lianke.org.users import active_users

from ..fields import PhoneField
from ..fieldtypes import kinds
from ..fieldtypes.formfields import email_filter_input, number_input, phone_filter_input
from ..fieldtypes.people import PeopleChecks
from ..html import esc
from ..search.textsearch import Plan, narrow_to_matches, search

DATE_ATTRS = {"type": "date"}


def local_midnight(day: dt.date, *, following: bool = False) -> dt.datetime | None:
    """The local midnight starting ``day`` (or the day after), or ``None`` at the ends of the
    calendar where it does not exist in UTC (0001-01-01 east of Greenwich, 9999-12-31): such a
    bound holds for every record, so it is no bound (never a 500)."""
    try:
        moment = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=following), dt.time.min))
        moment.astimezone(dt.UTC)  # stored in UTC: it must exist there too
    except OverflowError:
        return None
    return moment


def custom_filter(queryset, definition, lookup: str, value):
    """Apply one of a custom field's filters (its kind's ``filter``)."""
    return kinds[definition.type].filter(definition, queryset, lookup, value)


def _custom_filters(definitions) -> dict[str, filters.Filter]:
    """Filters for the active custom fields, as their kinds declare them; methods close over
    their definition. A type with no kind has no filter."""
    result: dict[str, filters.Filter] = {}
    for d in definitions:
        kind = kinds.get(d.type)
        if kind is None:
            continue

        def method(lookup, definition=d):
            def apply(queryset, _name, value):
                if value in (None, "", []):
                    return queryset
                return custom_filter(queryset, definition, lookup, value)

            return apply

        for suffix, flt in kind.filters(d, method).items():
            result[f"{d.filter_name}{suffix}"] = flt
    return result


# The range of a database key (a 64-bit integer): a number outside it is no key of any record,
# and SQLite cannot even bind it (an OverflowError, a 500, where a bad filter must be a 400).
KEY_MIN, KEY_MAX = -(2**63), 2**63 - 1


class _KeysField(filters.fields.ModelMultipleChoiceField):
    def _check_values(self, value):
        for key in value:
            try:
                number = int(str(key))
            except ValueError:
                continue  # not a number: the parent reports it as no valid choice
            if not KEY_MIN <= number <= KEY_MAX:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": key}
                )
        return super()._check_values(value)


class KeyChoiceField(forms.ModelChoiceField):
    """One record chosen by its key (a person, a role): a key out of a key's range is an invalid
    choice like any unknown key, never a query the database cannot take (a 500)."""

    def to_python(self, value):
        if value not in self.empty_values:
            try:
                number = int(str(value))
            except ValueError:
                number = 0  # not a number: the parent reports it as no valid choice
            if not KEY_MIN <= number <= KEY_MAX:
                raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class KeysFilter(filters.ModelMultipleChoiceFilter):
    """Records chosen by their keys (owner, related records): a key out of a key's range is an
    invalid choice, like any unknown key."""

    field_class = _KeysField


def key_filter(**kwargs) -> filters.NumberFilter:
    """A filter by one related record's key, typed as a number (a lookup relation)."""
    return filters.NumberFilter(min_value=KEY_MIN, max_value=KEY_MAX, **kwargs)


SCOPE_CHOICES = [("mine", _("Mine")), ("team", _("My team"))]


class _FilterCopies(dict):
    """The class's filters, copied for an instance one by one with their own ``extra`` (what an
    instance changes: a queryset, a label) instead of django-filter's deep copy of every widget,
    queryset and choice list they hold (most of a list request's filtering time)."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, flt in self.items():
            copies[name] = mine = copy.copy(flt)
            mine.extra = dict(flt.extra)
            mine.__dict__.pop("_field", None)  # the form field: built per instance
            if getattr(flt, "method", None) is not None:
                mine.method = flt.method  # its ``FilterMethod`` calls the copy's parent
        return copies


class BusinessFilterSet(filters.FilterSet):
    """Base of every generated FilterSet: search, "mine / my team", owner, dates and custom fields."""

    search = filters.CharFilter(label=_("Search"), method="filter_search")
    scope = filters.ChoiceFilter(label=_("Whose records"), choices=SCOPE_CHOICES, method="filter_scope")
    owner = KeysFilter(label=_("Owner"), queryset=None, widget=PeopleChecks())
    created_at__gte = filters.DateFilter(
        field_name="created_at",
        label=_("Created from"),
        widget=forms.DateInput(attrs=DATE_ATTRS),
        method="filter_from_day_start",
    )
    created_at__lte = filters.DateFilter(
        field_name="created_at",
        lookup_expr="lt",
        label=_("Created to"),
        widget=forms.DateInput(attrs=DATE_ATTRS),
        method="filter_before_day_end",
    )
    updated_at__gte = filters.DateFilter(
        field_name="updated_at",
        label=_("Updated from"),
        widget=forms.DateInput(attrs=DATE_ATTRS),
        method="filter_from_day_start",
    )

    object_type = None  # set by build_filterset

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Anybody active (whose records the user can see is not worth computing exactly).
        if "owner" in self.filters:
            self.filters["owner"].queryset = active_users()
        # Custom fields are defined at runtime: add their filters per instance.
        for name, flt in _custom_filters(self.object_type.custom_fields()).items():
            flt.model = self._meta.model
            flt.parent = self
            self.filters[name] = flt
            self.base_filters  # noqa: B018 - the class-level filters stay untouched
        # No filter on a field the user may not read in full (hidden or masked): the list
        # pages do not offer it, the API refuses it (``refused``).
        fields = fieldaccess.current(self._meta.model)
        self.refused: list[str] = []
        if fields.restricted:
            for name in [n for n in self.filters if not fields.readable(n)]:
                del self.filters[name]
                if self.data is not None and name in self.data:
                    self.refused.append(name)

    def _names_no_filter(self) -> bool:
        """Bound to data that names none of the filters (an API page with no filter in its
        query): nothing to validate or filter, so no form is built for it."""
        if not self.is_bound:
            return False
        return not any(
            key == name or key.startswith(f"{name}_") for key in self.data for name in self.filters
        )

    def is_valid(self):
        return True if self._names_no_filter() else super().is_valid()

    @property
    def qs(self):
        if not hasattr(self, "_qs") and self._names_no_filter():
            self._qs = self.queryset.all()
        return super().qs

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_styled", False):
            for field in form.fields.values():
                widget = field.widget
                if isinstance(widget, forms.SelectMultiple):
                    # A short scrollable list of checkboxes: one tap per option, on a phone too.
                    field.widget = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
                    field.widget.choices = widget.choices
                elif isinstance(widget, forms.Select):
                    widget.attrs.setdefault("class", "form-select form-select-sm")
                elif not isinstance(widget, forms.CheckboxInput):
                    widget.attrs.setdefault("class", "form-control form-control-sm")
            form._styled = True
        return form

    def filter_from_day_start(self, queryset, name, value):
        start = local_midnight(value)
        return queryset.filter(**{f"{name}__gte": start}) if start else queryset

    def filter_before_day_end(self, queryset, name, value):
        # Index-friendly: ``created_at < next local midnight`` instead of ``date(created_at) <= d``.
        end = local_midnight(value, following=True)
        return queryset.filter(**{f"{name}__lt": end}) if end else queryset

    def filter_scope(self, queryset, _name, value):
        """``mine``: records the user owns; ``team``: owned by the user or the people they lead.
        Within what the user may see anyway (the manager's scope still applies)."""
        from lianke.org.access import team_user_ids

        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none()
        if value == "mine":
            return queryset.filter(owner_id=user.pk)
        return queryset.filter(owner_id__in=team_user_ids(user))

    def filter_search(self, queryset, _name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return search(self.object_type, queryset, value)

    def filter_phone(self, queryset, name, value):
        """A phone field's filter: contains the text as typed, or (for a text that looks like a
        number) a number that starts with its digits, however either is formatted."""
        value = (value or "").strip()
        if not value:
            return queryset
        plan = Plan()
        plan.contained(queryset.model, [name], value)
        plan.digits(queryset.model, [name], value)
        return narrow_to_matches(queryset, plan)


def _filter_for(object_type, name: str) -> dict[str, filters.Filter]:
    field = object_type.field(name)
    label = capfirst(field.verbose_name)
    if field.choices:
        return {name: filters.MultipleChoiceFilter(field_name=name, choices=field.choices, label=label)}
    if isinstance(field, models.ForeignKey):
        if object_type.is_lookup_relation(field):
            return {name: key_filter(field_name=name, label=label)}
        if field.related_model is get_user_model():
            # People (a task's assignee): grouped by department and searchable, like the owner.
            return {
                name: KeysFilter(
                    field_name=name,
                    queryset=active_users(),
                    label=label,
                    widget=PeopleChecks(),
                )
            }
        return {
            name: KeysFilter(field_name=name, queryset=field.related_model._base_manager.all(), label=label)
        }
    if isinstance(field, models.BooleanField):
        return {name: filters.BooleanFilter(field_name=name, label=label)}
    if isinstance(field, models.DateField | models.DecimalField | models.IntegerField):
        lookup_gte, lookup_lte = "gte", "lte"
        is_date = isinstance(field, models.DateField)
        filter_cls = filters.DateFilter if is_date else filters.NumberFilter
        range_widget = (  # a form field copies its widget: one serves both bounds
            forms.DateInput(attrs=DATE_ATTRS)
            if is_date
            else number_input(decimal=isinstance(field, models.DecimalField))
        )
        return {
            f"{name}__gte": filter_cls(
                field_name=name,
                lookup_expr=lookup_gte,
                label=format_lazy(_("{field} from"), field=label),
                widget=range_widget,
            ),
            f"{name}__lte": filter_cls(
                field_name=name,
                lookup_expr=lookup_lte,
                label=format_lazy(_("{field} to"), field=label),
                widget=range_widget,
            ),
        }
    if isinstance(field, PhoneField):
        return {
            name: filters.CharFilter(
                field_name=name, label=label, method="filter_phone", widget=phone_filter_input()
            )
        }
    text_widget = email_filter_input() if isinstance(field, models.EmailField) else forms.TextInput()
    return {
        name: filters.CharFilter(field_name=name, lookup_expr="icontains", label=label, widget=text_widget)
    }


_FILTERSETS: weakref.WeakKeyDictionary[Any, type] = weakref.WeakKeyDictionary()


def filterset_for(object_type) -> type:
    """The type's FilterSet class (shared by the list page and the API), built once per registered
    type: the filtersets own it, the registry builds no filterset."""
    filterset = _FILTERSETS.get(object_type)
    if filterset is None:
        filterset = _FILTERSETS[object_type] = build_filterset(object_type)
    return filterset


def build_filterset(object_type):
    attrs: dict = {"object_type": object_type}
    if not object_type.is_owned:  # no owner: no owner filter, no "mine / my team"
        attrs.update(owner=None, scope=None)
    # Every field can be filtered on; the declared ``filter_fields`` come first on the page.
    names = dict.fromkeys([*object_type.filter_fields, *object_type.detail_fields])
    for name in names:
        attrs.update(_filter_for(object_type, name))
    base = object_type.filterset_base or BusinessFilterSet
    meta = type("Meta", (), {"model": object_type.model, "fields": []})
    attrs["Meta"] = meta
    filterset = type(f"{object_type.model.__name__}FilterSet", (base,), attrs)
    filterset.base_filters = _FilterCopies(filterset.base_filters)
    return filterset


def filter_field_html(bound) -> str:
    """One field of a list's filter form as the sidebar shows it: a check list in a fieldset
    (the choices of a multiple-choice field), any other widget under its label, then the
    field's errors. Written in Python — a list page has about 30 such fields and 60 checkboxes,
    and a template include per field with a loop per check list cost a fifth of the page."""
    widget = bound.field.widget
    if getattr(widget, "input_type", None) == "checkbox" and widget.allow_multiple_selected:
        checks = "".join(
            f'<div class="form-check small">{choice.tag()}<label class="form-check-label" '
            f'for="{esc(choice.id_for_label)}">{esc(choice.choice_label)}</label></div>'
            for choice in bound
        )
        body = (
            f'<fieldset><legend class="form-label mb-0 small fs-6">{esc(bound.label)}</legend>\n'
            f'    <div class="filter-checks border rounded bg-body px-2 py-1">{checks}</div>\n  </fieldset>'
        )
    else:
        body = (
            f'<label class="form-label mb-0 small" for="{esc(bound.id_for_label)}">'
            f"{esc(bound.label)}</label>\n  {bound}"
        )
    errors = "".join(f'<div class="text-danger small">{esc(e)}</div>' for e in bound.errors)
    return mark_safe(f'<div class="mb-2">\n  \n  {body}\n  \n  {errors}\n</div>\n')  # noqa: S308 -- parts escaped
