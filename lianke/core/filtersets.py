"""One FilterSet per object type, generated from the registry and shared by list pages and the
API (NetBox's pattern). Custom fields get ``cf_<name>`` filters built from their definitions."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django import forms
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from lianke.org import fieldaccess
from lianke.org.users import active_users

from .fields import PhoneField, digits_field_name
from .formfields import PhoneInput, number_input
from .models.customfields import RANGE_TYPES, TEXT_TYPES, FieldType, utc_iso
from .people import PeopleChecks
from .phones import digits_successor, query_digits
from .regions import PROVINCES

DATE_ATTRS = {"type": "date"}


def search_q(fields, text: str) -> Q:
    """OR of case-insensitive ``contains`` over the search fields (trigram-indexed on PostgreSQL)."""
    text = text.replace("\x00", "")  # no record holds NUL, and PostgreSQL refuses it (a 500)
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__icontains": text})
    return q


def digits_prefix_q(column: str, digits: str) -> Q:
    """Numbers in the digits ``column`` that are ``digits`` or start with it: a range, which a
    plain b-tree serves on both databases (``LIKE 'x%'`` would need a special operator class on
    PostgreSQL and a case-sensitive LIKE on SQLite)."""
    q = Q(**{f"{column}__gte": digits})
    upper = digits_successor(digits)
    return q & Q(**{f"{column}__lt": upper}) if upper is not None else q


def phone_search_q(model, fields, text: str) -> Q | None:
    """The digits condition of a search ``text`` that looks like a phone number (see
    ``phones.query_digits``) over the digits columns of the phone ``fields``; else ``None``."""
    digits = query_digits(text)
    columns = [c for c in (digits_field_name(model, name) for name in fields) if c]
    if digits is None or not columns:
        return None
    q = Q()
    for column in columns:
        q |= digits_prefix_q(column, digits)
    return q


SEARCH_CANDIDATES = 1000


def _bounded_ids(queryset, condition: Q) -> list | None:
    """Ids of up to ``SEARCH_CANDIDATES`` matches of ``condition``; ``None`` if there are more."""
    found = list(queryset.filter(condition).order_by().values_list("pk", flat=True)[: SEARCH_CANDIDATES + 1])
    return None if len(found) > SEARCH_CANDIDATES else found


def narrow_to_matches(queryset, q: Q, indexed: Q | None = None):
    """``queryset.filter(q | indexed)`` for a search: ``q`` an OR of ``icontains``, ``indexed``
    a condition a b-tree serves on both databases (a phone number's digits range), planned well.

    Ordered by ``updated_at … LIMIT n``, PostgreSQL walks the updated_at index and tests
    ``LIKE '%text%'`` row by row, expecting matches early (it never estimates such a pattern
    below 0.01% of the table): for a rare text, such as a full phone number, it reads every row
    (seconds at a million). So first collect the matching ids one condition at a time, each
    through its index (trigram, or the digits b-tree) and bounded; when there are few, filter on
    just those. A text with many matches keeps the plain filter, whose ordered scan then meets
    them early.

    SQLite has no trigram index, so the ``icontains`` conditions stay in the final query and
    read the table as every SQLite search does; the ``indexed`` condition is looked up first
    through its own index (bounded the same way) and joins them as a list of ids, so a number's
    matches never depend on that scan meeting them."""
    everything = q | indexed if indexed is not None else q
    if connection.vendor != "postgresql":
        if indexed is None:
            return queryset.filter(q)
        found = _bounded_ids(queryset, indexed)
        return queryset.filter(everything if found is None else Q(pk__in=found) | q)
    conditions = q.children if q.connector == Q.OR and not q.negated else [q]
    if indexed is not None:
        conditions = [*conditions, indexed]  # one query: the digits columns' indexes OR-ed
    ids: set[int] = set()
    for condition in conditions:
        found = _bounded_ids(queryset, condition if isinstance(condition, Q) else Q(condition))
        if found is None:
            return queryset.filter(everything)
        ids.update(found)
    return queryset.filter(pk__in=ids)


def custom_sort_expression(definition):
    """Expression to order by a custom field (numbers numerically, the rest as stored text)."""
    text = KT(f"custom_data__{definition.name}")
    if definition.type in (FieldType.INTEGER, FieldType.DECIMAL, FieldType.MONEY, FieldType.PERCENT):
        return Cast(text, models.DecimalField(max_digits=30, decimal_places=6))
    # A plain text expression: comparisons on the bare key transform would treat the value as
    # JSON (SQLite's json.loads of "2024-01-15" fails) instead of comparing the stored text.
    return Cast(text, models.TextField())


def custom_filter(queryset, definition, lookup: str, value):
    """Apply one custom-field filter; ``lookup`` ∈ exact, in, gte, lte, icontains, contains_any."""
    name = definition.name
    alias = f"_cf_{name}"
    if lookup == "icontains":
        return queryset.filter(**{f"custom_data__{name}__icontains": value})
    if lookup in ("gte", "lte"):
        # ``value`` was parsed by a typed filter (Decimal or date) before it gets here.
        if definition.type == FieldType.DATETIME:
            day = dt.datetime.combine(value, dt.time.min if lookup == "gte" else dt.time.max)
            value = utc_iso(timezone.make_aware(day))
        elif definition.type == FieldType.DATE:
            value = value.isoformat()
        expr = custom_sort_expression(definition)
        return queryset.alias(**{alias: expr}).filter(**{f"{alias}__{lookup}": value})
    if lookup == "in":  # single select: any of the chosen options
        if connection.vendor == "postgresql":
            q = Q()
            for key in value:  # jsonb containment uses the GIN index on custom_data
                q |= Q(custom_data__contains={name: key})
            return queryset.filter(q)
        return queryset.filter(**{f"custom_data__{name}__in": list(value)})
    if lookup == "contains_any":  # multi select: has any of the chosen options
        if connection.vendor == "postgresql":
            q = Q()
            for key in value:
                q |= Q(custom_data__contains={name: [key]})
            return queryset.filter(q)
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        q = Q()
        for index, key in enumerate(value):
            sql = f"EXISTS (SELECT 1 FROM json_each({table}.custom_data, '$.{name}') WHERE value = %s)"
            key_alias = f"{alias}_{index}"
            queryset = queryset.alias(**{key_alias: RawSQL(sql, [key], output_field=models.BooleanField())})  # noqa: S611 - name matches ^[a-z][a-z0-9_]*$, value is a parameter
            q |= Q(**{key_alias: True})
        return queryset.filter(q)
    if lookup == "province":
        return queryset.filter(**{f"custom_data__{name}__province": value})
    if lookup == "exact":
        if definition.type == FieldType.BOOLEAN:
            return queryset.filter(**{f"custom_data__{name}": value in (True, "true", "1", "True")})
        # User / lookup: the stored id, whether or not it could be chosen today (a user who has
        # left, a record hidden from the viewer); the rows listed are still the viewer's own.
        if not value.is_finite() or value != value.to_integral_value() or abs(value) > 2**53:
            return queryset.none()
        return queryset.filter(**{f"custom_data__{name}": int(value)})
    raise ValueError(lookup)


def _phone_filter_input():
    # A filter holds a part of someone else's number: no autofill of the user's own.
    return PhoneInput(attrs={"autocomplete": "off"})


def _email_filter_input():
    # The e-mail keyboard, but no ``type=email``: a part of an address is a valid filter.
    return forms.TextInput(attrs={"inputmode": "email"})


TEXT_FILTER_WIDGETS = {FieldType.PHONE: _phone_filter_input, FieldType.EMAIL: _email_filter_input}


def _custom_filters(definitions) -> dict[str, filters.Filter]:
    """Filters for the active custom fields; methods close over their definition."""
    result: dict[str, filters.Filter] = {}
    for d in definitions:
        label = d.display_label

        def method(lookup, definition=d):
            def apply(queryset, _name, value):
                if value in (None, "", []):
                    return queryset
                return custom_filter(queryset, definition, lookup, value)

            return apply

        if d.type in TEXT_TYPES:
            widget = TEXT_FILTER_WIDGETS.get(d.type, forms.TextInput)()
            result[d.filter_name] = filters.CharFilter(label=label, method=method("icontains"), widget=widget)
        elif d.type == FieldType.SELECT:
            result[d.filter_name] = filters.MultipleChoiceFilter(
                label=label, choices=d.option_choices(), method=method("in")
            )
        elif d.type == FieldType.MULTISELECT:
            result[d.filter_name] = filters.MultipleChoiceFilter(
                label=label, choices=d.option_choices(), method=method("contains_any")
            )
        elif d.type == FieldType.BOOLEAN:
            result[d.filter_name] = filters.ChoiceFilter(
                label=label, choices=[("true", _("Yes")), ("false", _("No"))], method=method("exact")
            )
        elif d.type in RANGE_TYPES:
            for lookup, text in (("gte", _("{field} from")), ("lte", _("{field} to"))):
                if d.type in (FieldType.DATE, FieldType.DATETIME):
                    flt = filters.DateFilter(
                        label=format_lazy(text, field=label),
                        method=method(lookup),
                        widget=forms.DateInput(attrs=DATE_ATTRS),
                    )
                else:
                    flt = filters.NumberFilter(
                        label=format_lazy(text, field=label),
                        method=method(lookup),
                        widget=number_input(decimal=d.type != FieldType.INTEGER),
                    )
                result[f"{d.filter_name}__{lookup}"] = flt
        elif d.type in (FieldType.USER, FieldType.LOOKUP):
            result[d.filter_name] = filters.NumberFilter(label=label, method=method("exact"))
        elif d.type == FieldType.REGION:
            result[d.filter_name] = filters.ChoiceFilter(
                label=label, choices=PROVINCES, method=method("province")
            )
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


class KeysFilter(filters.ModelMultipleChoiceFilter):
    """Records chosen by their keys (owner, related records): a key out of a key's range is an
    invalid choice, like any unknown key."""

    field_class = _KeysField


def key_filter(**kwargs) -> filters.NumberFilter:
    """A filter by one related record's key, typed as a number (a lookup relation)."""
    return filters.NumberFilter(min_value=KEY_MIN, max_value=KEY_MAX, **kwargs)


SCOPE_CHOICES = [("mine", _("Mine")), ("team", _("My team"))]


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
        start = timezone.make_aware(dt.datetime.combine(value, dt.time.min))
        return queryset.filter(**{f"{name}__gte": start})

    def filter_before_day_end(self, queryset, name, value):
        # Index-friendly: ``created_at < next local midnight`` instead of ``date(created_at) <= d``.
        end = timezone.make_aware(dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min))
        return queryset.filter(**{f"{name}__lt": end})

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
        return self.object_type.search(queryset, value)

    def filter_phone(self, queryset, name, value):
        """A phone field's filter: contains the text as typed, or (for a text that looks like a
        number) a number that starts with its digits, however either is formatted."""
        value = (value or "").strip()
        if not value:
            return queryset
        text_q = Q(**{f"{name}__icontains": value})
        return narrow_to_matches(queryset, text_q, phone_search_q(queryset.model, [name], value))


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
                field_name=name, label=label, method="filter_phone", widget=_phone_filter_input()
            )
        }
    text_widget = _email_filter_input() if isinstance(field, models.EmailField) else forms.TextInput()
    return {
        name: filters.CharFilter(field_name=name, lookup_expr="icontains", label=label, widget=text_widget)
    }


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
    return type(f"{object_type.model.__name__}FilterSet", (base,), attrs)
