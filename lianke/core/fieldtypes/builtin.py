"""The built-in field kinds: one class per type, each registered under its stored key.

Messages and codes are those the definition has always raised (tests pin them).
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import FieldCode
from lianke.core.text.phones import PHONE_RE, mailto_url, tel_url
from lianke.org.users import active_users

from .base import (
    FALSE_WORDS,
    MAX_DIGITS,
    TRUE_WORDS,
    FieldKind,
    SortKeyText,
    kinds,
    plain_number,
    register,
    utc_iso,
)

DATE_ATTRS = {"type": "date"}


def check_range(field, number: Decimal) -> None:
    if field.min_value is not None and number < field.min_value:
        raise field._error(
            _("%(field)s: must be at least %(min)s."),
            code=FieldCode.OUT_OF_RANGE,
            min=plain_number(field.min_value),
        )
    if field.max_value is not None and number > field.max_value:
        raise field._error(
            _("%(field)s: must be at most %(max)s."),
            code=FieldCode.OUT_OF_RANGE,
            max=plain_number(field.max_value),
        )


def range_filters(field, method, make) -> dict:
    """``cf_<name>__gte`` and ``__lte``: ``make(label, method)`` builds each filter."""
    return {
        f"__{lookup}": make(format_lazy(text, field=field.display_label), method(lookup))
        for lookup, text in (("gte", _("{field} from")), ("lte", _("{field} to")))
    }


class TextKind(FieldKind):
    key = "text"
    label = _("Text")
    searched_as_text = True
    api_schema = {"type": "string"}  # noqa: RUF012

    def filter_widget(self):
        return forms.TextInput()

    def filters(self, field, method):
        import django_filters

        return {
            "": django_filters.CharFilter(
                label=field.display_label, method=method("icontains"), widget=self.filter_widget()
            )
        }

    def filter(self, field, queryset, lookup, value):
        if lookup != "icontains":
            raise ValueError(lookup)
        return queryset.filter(**{f"custom_data__{field.name}__icontains": value})

    def form_field(self, field, common, *, initial=None, user=None):
        return forms.CharField(max_length=field.max_length or self.default_limit, **common)

    default_limit = 255

    def clean(self, field, value, *, old=None):
        if not isinstance(value, str | int):
            raise field._error(_("%(field)s: enter text."))
        value = str(value).strip()
        limit = field.max_length or self.default_limit
        if len(value) > limit:
            raise field._error(
                _("%(field)s: at most %(limit)d characters (it has %(length)d)."),
                code=FieldCode.TOO_LONG,
                limit=limit,
                length=len(value),
            )
        self.check(field, value)
        return value

    def check(self, field, value: str) -> None:
        """Further checks of a stripped text within its length limit."""


class LongTextKind(TextKind):
    key = "longtext"
    label = _("Long text")
    indexable = False

    def form_field(self, field, common, *, initial=None, user=None):
        return forms.CharField(
            max_length=field.max_length or self.default_limit,
            widget=forms.Textarea(attrs={"rows": 3}),
            **common,
        )

    default_limit = 10000


class PhoneKind(TextKind):
    key = "phone"
    label = _("Phone")
    is_contact = True

    def filter_widget(self):
        from .formfields import phone_filter_input

        return phone_filter_input()

    def link(self, field, value, *, labels=None):
        return tel_url(value)

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.fieldtypes.formfields import PhoneInput

        return forms.CharField(max_length=40, widget=PhoneInput, **common)

    def check(self, field, value):
        if not PHONE_RE.match(value):
            raise field._error(_("%(field)s: enter a valid phone number."))


class EmailKind(TextKind):
    key = "email"
    label = _("Email")
    is_contact = True

    def filter_widget(self):
        from .formfields import email_filter_input

        return email_filter_input()

    def link(self, field, value, *, labels=None):
        return mailto_url(value)

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.fieldtypes.formfields import EmailInput

        return forms.EmailField(max_length=254, widget=EmailInput, **common)

    def check(self, field, value):
        try:
            EmailValidator()(value)
        except ValidationError:
            raise field._error(_("%(field)s: enter a valid email address.")) from None


class URLKind(TextKind):
    key = "url"
    label = _("URL")

    def link(self, field, value, *, labels=None):
        return value

    def form_field(self, field, common, *, initial=None, user=None):
        return forms.URLField(max_length=500, assume_scheme="https", **common)

    def check(self, field, value):
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise field._error(_("%(field)s: enter a valid URL (http or https).")) from None


class NumberKind(FieldKind):
    """Numbers: sorted and compared numerically, filtered by a from/to range."""

    is_number = True
    is_range = True
    decimal_input = True

    def sort_expression(self, field):
        return Cast(
            SortKeyText(field.name, "custom_data"), models.DecimalField(max_digits=30, decimal_places=6)
        )

    def filters(self, field, method):
        import django_filters

        from lianke.core.fieldtypes.formfields import number_input

        return range_filters(
            field,
            method,
            lambda label, m: django_filters.NumberFilter(
                label=label, method=m, widget=number_input(decimal=self.decimal_input)
            ),
        )

    def filter(self, field, queryset, lookup, value):
        # ``value`` was parsed by the typed filter (a Decimal or a date) before it gets here.
        if lookup not in ("gte", "lte"):
            raise ValueError(lookup)
        bound = self.bound(value, lookup)
        if bound is None:  # a bound every value meets (a calendar end): no filter, never a 500
            return queryset
        alias = f"_cf_{field.name}"
        return queryset.alias(**{alias: self.sort_expression(field)}).filter(**{f"{alias}__{lookup}": bound})

    def bound(self, value, lookup):
        """The stored form ``value`` is compared as (``None``: a bound every value meets)."""
        return value


class IntegerKind(NumberKind):
    key = "integer"
    label = _("Integer")
    decimal_input = False
    api_schema = {"type": "integer"}  # noqa: RUF012

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.fieldtypes.formfields import number_input

        return forms.IntegerField(widget=number_input(decimal=False), **common)

    def clean(self, field, value, *, old=None):
        if isinstance(value, bool):
            raise field._error(_("%(field)s: enter a whole number."))
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise field._error(_("%(field)s: enter a whole number.")) from None
        if not number.is_finite() or number != number.to_integral_value():
            raise field._error(_("%(field)s: enter a whole number."))
        if abs(number) > 2**53:
            raise field._error(_("%(field)s: the number is too large."), code=FieldCode.OUT_OF_RANGE)
        check_range(field, number)
        return int(number)


class DecimalKind(NumberKind):
    key = "decimal"
    label = _("Decimal")
    api_schema = {"type": "string", "format": "decimal"}  # noqa: RUF012

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.fieldtypes.formfields import number_input

        return forms.DecimalField(
            max_digits=MAX_DIGITS,
            decimal_places=self.places(field),
            widget=number_input(decimal=True),
            **common,
        )

    def places(self, field) -> int:
        return field.decimal_places

    def clean(self, field, value, *, old=None):
        if isinstance(value, bool):
            raise field._error(_("%(field)s: enter a number."))
        text = str(value).strip().replace(",", "").lstrip("¥￥").rstrip("%")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise field._error(_("%(field)s: enter a number.")) from None
        if not number.is_finite():
            raise field._error(_("%(field)s: enter a number."))
        places = self.places(field)
        try:
            quantized = number.quantize(Decimal(1).scaleb(-places))
        except InvalidOperation:  # more digits than the decimal context holds
            raise field._error(
                _("%(field)s: the number is too large."), code=FieldCode.OUT_OF_RANGE
            ) from None
        if quantized != number:
            raise field._error(
                _("%(field)s: at most %(places)d decimal places."), code=FieldCode.OUT_OF_RANGE, places=places
            )
        number = quantized
        if len(number.as_tuple().digits) > MAX_DIGITS:
            raise field._error(_("%(field)s: the number is too large."), code=FieldCode.OUT_OF_RANGE)
        check_range(field, number)
        return format(number, "f")

    def form_initial(self, field, value):
        return Decimal(value)


class MoneyKind(DecimalKind):
    key = "money"
    label = _("Money (CNY)")

    def places(self, field) -> int:
        return 2

    def display(self, field, value, *, labels=None):
        return f"¥{Decimal(value):,.2f}"


class PercentKind(DecimalKind):
    key = "percent"
    label = _("Percent")

    def display(self, field, value, *, labels=None):
        return f"{value}%"


class DateKind(NumberKind):
    key = "date"
    label = _("Date")
    is_number = False
    api_schema = {"type": "string", "format": "date"}  # noqa: RUF012

    def sort_expression(self, field):
        return FieldKind.sort_expression(self, field)

    def filters(self, field, method):
        import django_filters

        return range_filters(
            field,
            method,
            lambda label, m: django_filters.DateFilter(
                label=label, method=m, widget=forms.DateInput(attrs=DATE_ATTRS)
            ),
        )

    def bound(self, value, lookup):
        return value.isoformat()

    def form_field(self, field, common, *, initial=None, user=None):
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)

    def clean(self, field, value, *, old=None):
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            parsed = parse_date(str(value).strip().replace("/", "-"))
        except ValueError:
            parsed = None
        if parsed is None:
            raise field._error(_("%(field)s: enter a valid date (YYYY-MM-DD)."))
        return parsed.isoformat()


class DateTimeKind(DateKind):
    key = "datetime"
    label = _("Date and time")
    api_schema = {"type": "string", "format": "date-time"}  # noqa: RUF012

    def bound(self, value, lookup):
        # A day filters the whole day, in the server's time zone.
        day = dt.datetime.combine(value, dt.time.min if lookup == "gte" else dt.time.max)
        try:
            return utc_iso(timezone.make_aware(day))
        except OverflowError:  # a calendar end, before 0001-01-01 in UTC
            return None

    def form_field(self, field, common, *, initial=None, user=None):
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), **common
        )

    def clean(self, field, value, *, old=None):
        if not isinstance(value, dt.datetime):
            try:
                value = parse_datetime(str(value).strip())
            except ValueError:
                value = None
            if value is None:
                raise field._error(_("%(field)s: enter a valid date and time."))
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return utc_iso(value)

    def display(self, field, value, *, labels=None):
        parsed = parse_datetime(value)
        if parsed is None:
            return str(value)
        local = timezone.localtime(parsed)
        return f"{local.year:04d}-{local:%m-%d %H:%M}"

    def form_initial(self, field, value):
        parsed = parse_datetime(value)
        return timezone.localtime(parsed) if parsed else None


class BooleanKind(FieldKind):
    key = "boolean"
    label = _("Yes / no")
    api_schema = {"type": "boolean"}  # noqa: RUF012

    def filters(self, field, method):
        import django_filters

        return {
            "": django_filters.ChoiceFilter(
                label=field.display_label,
                choices=[("true", _("Yes")), ("false", _("No"))],
                method=method("exact"),
            )
        }

    def filter(self, field, queryset, lookup, value):
        return queryset.filter(**{f"custom_data__{field.name}": value in (True, "true", "1", "True")})

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.fieldtypes.formfields import BOOLEAN_CHOICES

        return forms.ChoiceField(choices=BOOLEAN_CHOICES, **common)

    def clean(self, field, value, *, old=None):
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise field._error(_("%(field)s: enter yes or no."))

    def display(self, field, value, *, labels=None):
        return str(_("Yes")) if value else str(_("No"))

    def form_initial(self, field, value):
        return "true" if value else "false"


def check_active(field, key: str, old: str | None) -> None:
    option = next(o for o in field.options if o["key"] == key)
    if not option.get("is_active", True) and key != old:
        raise field._error(
            _("%(field)s: the option “%(value)s” is no longer in use."),
            code=FieldCode.INVALID_CHOICE,
            value=field.option_label(key),
        )


class SelectKind(FieldKind):
    key = "select"
    label = _("Single select")
    has_options = True

    def filters(self, field, method):
        import django_filters

        return {
            "": django_filters.MultipleChoiceFilter(
                label=field.display_label, choices=field.option_choices(), method=method("in")
            )
        }

    def filter(self, field, queryset, lookup, value):
        """Any of the chosen options."""
        name = field.name
        if connection.vendor == "postgresql":
            q = Q()
            for key in value:  # jsonb containment uses the GIN index on custom_data
                q |= Q(custom_data__contains={name: key})
            return queryset.filter(q)
        return queryset.filter(**{f"custom_data__{name}__in": list(value)})

    def form_field(self, field, common, *, initial=None, user=None):
        include = [initial] if initial else []
        return forms.ChoiceField(choices=[("", "---------"), *field.option_choices(include)], **common)

    def clean(self, field, value, *, old=None):
        if isinstance(value, list | dict):
            raise field._error(_("%(field)s: choose one option."))
        key = field._match_option(value)
        check_active(field, key, old if isinstance(old, str) else None)
        return key

    def display(self, field, value, *, labels=None):
        return field.option_label(value)


class DependentSelectKind(SelectKind):
    """A single select whose options depend on another field of the record (province → city):
    ``depends_on`` names a select or region field; an option with ``when`` (a list of the
    parent's option keys, or province names for a region) is allowed only for those values, an
    option without it always."""

    key = "dependent"
    label = _("Dependent select")
    PARENT_KINDS = ("select", "region")

    def check_definition(self, field, siblings):
        parent = siblings.get(field.depends_on)
        if parent is None or parent.type not in self.PARENT_KINDS or parent.name == field.name:
            return {
                "depends_on": ValidationError(
                    _("Name a single select or region field of the same object type."),
                    code="invalid_parent",
                )
            }
        if parent.type == "select":
            keys = {o.get("key") for o in parent.options or []}
            for option in field.options or []:
                unknown = [v for v in option.get("when") or [] if v not in keys]
                if unknown:
                    return {
                        "options": ValidationError(
                            _("Option “%(option)s”: “%(value)s” is not an option of %(parent)s."),
                            code="invalid_parent_value",
                            params={
                                "option": option["key"],
                                "value": unknown[0],
                                "parent": parent.display_label,
                            },
                        )
                    }
        return {}

    @staticmethod
    def parent_value(value) -> str | None:
        """The parent's value options are declared for: an option key, or a region's province."""
        if isinstance(value, dict):
            value = value.get("province")
        elif isinstance(value, list | tuple):  # a region form field's parts
            value = value[0] if value else None
        return str(value) if value not in (None, "") else None

    def allowed(self, field, parent_value) -> set[str]:
        return {
            o["key"]
            for o in field.options or []
            if not o.get("when") or (parent_value is not None and parent_value in o["when"])
        }

    def clean_record(self, field, data, definitions, changed, *, record=None):
        if field.name not in changed and field.depends_on not in changed:
            return  # neither changed: a record kept as it was is not refused
        value = data.get(field.name)
        if value is None:
            return
        parent = self.parent_value(data.get(field.depends_on))
        if value not in self.allowed(field, parent):
            parent_field = definitions.get(field.depends_on)
            raise field._error(
                _("%(field)s: “%(value)s” is not allowed when %(parent)s is “%(parent_value)s”."),
                code="option_not_allowed",
                value=field.option_label(value),
                parent=parent_field.display_label if parent_field else field.depends_on,
                parent_value=(
                    parent_field.option_label(parent)
                    if parent_field and parent_field.type == "select"
                    else parent
                )
                or "—",
            )

    def bind_form(self, field, form):
        """Offer only the options the parent's value (posted, else stored) allows; the form
        page fetches them again when the parent changes (``BusinessForm.depends_on``)."""
        parent_name = f"cf_{field.depends_on}"
        if parent_name in form.fields:
            parent = self.parent_value(form[parent_name].value())
            form.depends_on = {**form.depends_on, field.filter_name: parent_name}
        else:  # the parent is hidden from this user: its stored value decides
            parent = self.parent_value((form.instance.custom_data or {}).get(field.depends_on))
        form_field = form.fields[field.filter_name]
        allowed = self.allowed(field, parent)
        current = form_field.initial
        form_field.choices = [
            (key, label) for key, label in form_field.choices if key == "" or key in allowed or key == current
        ]


NUMERIC_MODEL_FIELDS = (models.IntegerField, models.DecimalField, models.FloatField)


class FormulaKind(DecimalKind):
    """A number computed from other fields of the same record (``amount * rate``): recomputed on
    every write, stored like a decimal so it filters and sorts, never set by anybody."""

    key = "formula"
    label = _("Formula")
    computed = True

    def form_field(self, field, common, *, initial=None, user=None):
        form_field = super().form_field(field, common, initial=initial, user=user)
        form_field.disabled, form_field.required = True, False  # computed: shown, never posted
        return form_field

    def clean(self, field, value, *, old=None):
        if old is not None and str(value).strip() == str(old):
            return old  # a client sending back what it read changes nothing
        raise field._error(
            _("%(field)s is computed from other fields and cannot be set."), code="computed_field"
        )

    @staticmethod
    def tree(field):
        from .formula import parse

        cached = getattr(field, "_formula_tree", None)
        if cached is None or cached[0] != field.formula:
            cached = (field.formula, parse(field.formula))
            field._formula_tree = cached
        return cached[1]

    def inputs(self, field):
        from .formula import FormulaError, names

        try:
            return names(self.tree(field))
        except FormulaError:
            return []

    def check_definition(self, field, siblings):
        from lianke.core.objecttypes.registry import registry

        from .formula import FormulaError, names

        try:
            tree = self.tree(field)
        except FormulaError as exc:
            return {"formula": ValidationError(exc.message, code=exc.code, params=exc.params)}
        ot = registry.get(field.object_type)
        model_numbers = {
            f.name
            for f in ot.model._meta.concrete_fields
            if isinstance(f, NUMERIC_MODEL_FIELDS) and f.editable
        }
        for name in names(tree):
            sibling = siblings.get(name)
            is_number = sibling is not None and getattr(kinds.get(sibling.type), "is_number", False)
            if name == field.name or not (is_number or (sibling is None and name in model_numbers)):
                return {
                    "formula": ValidationError(
                        _("“%(name)s” is not a number field of this object type."),
                        code="unknown_field",
                        params={"name": name},
                    )
                }
        # A cycle through other formulas (a = b + 1, b = a × 2) could never be computed.
        graph = {field.name: names(tree)}
        for name, sibling in siblings.items():
            if sibling.type == self.key:
                try:
                    graph[name] = names(self.tree(sibling))
                except Exception:  # noqa: BLE001 - a broken sibling reads nothing
                    graph[name] = []
        stack, seen = list(graph[field.name]), set()
        while stack:
            name = stack.pop()
            if name == field.name:
                return {
                    "formula": ValidationError(
                        _("The formula refers back to itself through other formulas."), code="formula_cycle"
                    )
                }
            if name not in seen:
                seen.add(name)
                stack.extend(graph.get(name, []))
        return {}

    def clean_record(self, field, data, definitions, changed, *, record=None):
        if record is None:
            return  # computed where the whole record is at hand (``services.compute_custom``)
        value = self.compute(field, data, definitions, record, set())
        if value is None:
            data.pop(field.name, None)
        else:
            data[field.name] = value

    def compute(self, field, data, definitions, record, visiting: set) -> str | None:
        from .formula import FormulaError, evaluate

        try:
            tree = self.tree(field)
        except FormulaError:
            return None
        visiting = visiting | {field.name}

        def resolve(name):
            definition = definitions.get(name)
            if definition is not None:
                if definition.type == self.key:
                    if name in visiting:
                        return None
                    value = self.compute(definition, data, definitions, record, visiting)
                else:
                    value = data.get(name)
            else:
                value = getattr(record, name, None) if record is not None else None
            if value is None or isinstance(value, bool | list | dict):
                return None
            try:
                return Decimal(str(value))
            except InvalidOperation:
                return None

        number = evaluate(tree, resolve)
        if number is None:
            return None
        try:
            number = number.quantize(Decimal(1).scaleb(-field.decimal_places))
        except InvalidOperation:
            return None
        if len(number.as_tuple().digits) > MAX_DIGITS:
            return None
        return format(number, "f")


def contains_any(queryset, name: str, values) -> "models.QuerySet":
    """Records whose list under ``name`` holds any of ``values`` (option keys, user ids)."""
    if connection.vendor == "postgresql":
        q = Q()
        for item in values:  # jsonb containment uses the GIN index on custom_data
            q |= Q(custom_data__contains={name: [item]})
        return queryset.filter(q)
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    q = Q()
    for index, item in enumerate(values):
        sql = f"EXISTS (SELECT 1 FROM json_each({table}.custom_data, '$.{name}') WHERE value = %s)"
        key_alias = f"_cf_{name}_{index}"
        queryset = queryset.alias(**{key_alias: RawSQL(sql, [item], output_field=models.BooleanField())})  # noqa: S611 - name matches ^[a-z][a-z0-9_]*$, value is a parameter
        q |= Q(**{key_alias: True})
    return queryset.filter(q)


class MultiSelectKind(FieldKind):
    key = "multiselect"
    label = _("Multiple select")
    has_options = True
    indexable = False
    api_schema = {"type": "array", "items": {"type": "string"}}  # noqa: RUF012

    def filters(self, field, method):
        import django_filters

        return {
            "": django_filters.MultipleChoiceFilter(
                label=field.display_label, choices=field.option_choices(), method=method("contains_any")
            )
        }

    def filter(self, field, queryset, lookup, value):
        """Has any of the chosen options."""
        return contains_any(queryset, field.name, value)

    def form_field(self, field, common, *, initial=None, user=None):
        return forms.MultipleChoiceField(
            choices=field.option_choices(initial or []), widget=forms.CheckboxSelectMultiple, **common
        )

    def clean(self, field, value, *, old=None):
        items = value if isinstance(value, list | tuple) else re.split(r"[,，;；]", str(value))
        keys = []
        for item in items:
            if isinstance(item, list | dict):
                raise field._error(_("%(field)s: choose from the options."))
            if str(item).strip():
                key = field._match_option(item)
                check_active(field, key, key if isinstance(old, list) and key in old else None)
                if key not in keys:
                    keys.append(key)
        return keys or None

    def display(self, field, value, *, labels=None):
        return "、".join(field.option_label(v) for v in value)


def exact_id(queryset, name: str, value):
    """The stored id, whether or not it could be chosen today (a user who has left, a record
    hidden from the viewer); the rows listed are still the viewer's own."""
    if not value.is_finite() or value != value.to_integral_value() or abs(value) > 2**53:
        return queryset.none()
    return queryset.filter(**{f"custom_data__{name}": int(value)})


class IdKind(FieldKind):
    """A stored id of another record (a user, a lookup's target), named once per page."""

    api_schema = {"type": "integer"}  # noqa: RUF012

    def filters(self, field, method):
        import django_filters

        return {"": django_filters.NumberFilter(label=field.display_label, method=method("exact"))}

    def filter(self, field, queryset, lookup, value):
        return exact_id(queryset, field.name, value)

    def display(self, field, value, *, labels=None):
        return (labels or {}).get(value, f"#{value}")


class UserKind(IdKind):
    key = "user"
    label = _("User")

    def related_model(self, field):
        from django.contrib.auth import get_user_model

        return get_user_model()

    def labels(self, field, ids):
        return {u.pk: str(u) for u in self.related_model(field).objects.filter(pk__in=ids)}

    def form_field(self, field, common, *, initial=None, user=None):
        # A data field, not an assignment: anybody active, grouped and searchable.
        from lianke.core.fieldtypes.people import PeopleField, Purpose

        return PeopleField(Purpose(), user, **common)

    def clean(self, field, value, *, old=None):
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        if isinstance(value, user_model):
            value = value.pk
        text = str(value).strip()
        query = active_users()
        user_id = (
            query.filter(pk=int(text)).values_list("pk", flat=True).first()
            if text.isdigit()
            else query.filter(models.Q(username=text) | models.Q(name=text))
            .values_list("pk", flat=True)
            .first()
        )
        if user_id is None:
            raise field._error(
                _("%(field)s: no active user “%(value)s”."), code=FieldCode.INVALID_CHOICE, value=text
            )
        return user_id


class UsersKind(UserKind):
    """Several users (a project team): a list of user ids, in the order chosen."""

    key = "users"
    label = _("Multiple users")
    indexable = False
    api_schema = {"type": "array", "items": {"type": "integer"}}  # noqa: RUF012
    limit = 50

    def form_field(self, field, common, *, initial=None, user=None):
        # Checkboxes grouped by department with the people search, as the owner filter.
        from lianke.core.fieldtypes.people import PeopleChecks, Purpose, user_label

        purpose = Purpose()
        multiple = forms.ModelMultipleChoiceField(
            queryset=purpose.users(user), widget=PeopleChecks(purpose), **common
        )
        multiple.label_from_instance = user_label  # type: ignore[method-assign]
        return multiple

    def clean(self, field, value, *, old=None):
        """Ids, usernames or names (a list, or text split at commas); only active users, but
        one already stored stays when they have left since (as an inactive option does)."""
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        if isinstance(value, models.QuerySet):
            value = list(value)
        items = value if isinstance(value, list | tuple) else re.split(r"[,，;；、]", str(value))
        texts = []
        for item in items:
            if isinstance(item, user_model):
                item = item.pk
            if isinstance(item, list | dict | bool):
                raise field._error(_("%(field)s: choose users."), code="invalid_users")
            if str(item).strip():
                texts.append(str(item).strip())
        if len(texts) > self.limit:
            raise field._error(
                _("%(field)s: at most %(limit)d users."), code="too_many_users", limit=self.limit
            )
        kept = set(old) if isinstance(old, list) else set()
        digits = {int(t) for t in texts if t.isdigit() and len(t) < 19}
        names = [t for t in texts if not t.isdigit()]
        found: dict[str, int] = {}
        if digits:
            active = models.Q(is_active=True) | models.Q(pk__in=kept & digits)
            found.update(
                {
                    str(pk): pk
                    for pk in user_model.objects.filter(active, pk__in=digits).values_list("pk", flat=True)
                }
            )
        if names:
            rows = user_model.objects.filter(
                models.Q(username__in=names) | models.Q(name__in=names), is_active=True
            ).values_list("pk", "username", "name")
            for pk, username, name in rows:
                found.setdefault(username, pk)
                found.setdefault(name, pk)
        ids: list[int] = []
        for text in texts:
            if text not in found:
                raise field._error(
                    _("%(field)s: no active user “%(value)s”."), code="unknown_user", value=text
                )
            if found[text] not in ids:
                ids.append(found[text])
        return ids or None

    def display(self, field, value, *, labels=None):
        return "、".join(IdKind.display(self, field, v, labels=labels) for v in value)

    def form_initial(self, field, value):
        return list(value)

    def filter(self, field, queryset, lookup, value):
        """Has this user among its users (whether or not they are active today)."""
        if not value.is_finite() or value != value.to_integral_value() or abs(value) > 2**53:
            return queryset.none()
        return contains_any(queryset, field.name, [int(value)])


class FileKind(IdKind):
    """One attachment of the record held in a field (a signed contract's scan): the stored value
    is the attachment's id. The form uploads it through ``core.records.attachments`` (its checks: size,
    content sniffed, images re-encoded); the API and the batch name an attachment already on the
    record. Shown by its file name, linked to the attachment URL, whose download checks that the
    reader may see the record."""

    key = "file"
    label = _("File")
    is_upload = True
    indexable = False

    def form_field(self, field, common, *, initial=None, user=None):
        return forms.FileField(**{**common, "required": False, "initial": None})

    def clean(self, field, value, *, old=None):
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or len(text) > 18:
            raise field._error(
                _("%(field)s: give the ID of an attachment of this record."), code="invalid_file"
            )
        return int(text)

    def filters(self, field, method):
        return {}

    def related_model(self, field):
        Attachment = _attachment_model()

        return Attachment

    def labels(self, field, ids):
        Attachment = _attachment_model()

        return dict(Attachment.objects.filter(pk__in=ids).values_list("pk", "name"))

    def link(self, field, value, *, labels=None):
        from django.urls import reverse

        if value not in (labels or {}):
            return None
        return reverse("core:attachment_download", kwargs={"pk": value})

    def clean_record(self, field, data, definitions, changed, *, record=None):
        """The attachment must be one of this record's (checked where the record is at hand)."""
        value = data.get(field.name)
        if record is None or value is None:
            return
        loaded = (record.loaded_values() or {}) if record.pk else {}
        if (loaded.get("custom_data") or {}).get(field.name) == value:
            return  # kept as it was (even if the file was deleted since)
        from django.contrib.contenttypes.models import ContentType

        Attachment = _attachment_model()

        if (
            record.pk is None
            or not Attachment.objects.filter(
                pk=value, content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
            ).exists()
        ):
            raise field._error(
                _("%(field)s: no attachment with ID “%(value)s” on this record."),
                code="file_not_found",
                value=value,
            )


class LookupKind(IdKind):
    key = "lookup"
    label = _("Lookup to another object")

    def related_model(self, field):
        from lianke.core.objecttypes.registry import registry

        if field.target_object_type not in registry:
            return None
        return registry.get(field.target_object_type).model

    def labels(self, field, ids):
        from lianke.core.objecttypes.registry import registry

        target = registry.get(field.target_object_type)
        return {r.pk: target.title(r) for r in target.model.objects.filter(pk__in=ids)}

    def link(self, field, value, *, labels=None):
        from lianke.core.objecttypes.registry import registry

        if value not in (labels or {}):  # a record the reader cannot open is no link
            return None
        return registry.get(field.target_object_type).record_url(value)

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.fieldtypes.formfields import LookupSelect
        from lianke.core.objecttypes.registry import registry

        target = registry.get(field.target_object_type)
        return forms.ModelChoiceField(
            queryset=target.model._default_manager.all(), widget=LookupSelect(target.key), **common
        )

    def clean(self, field, value, *, old=None):
        from lianke.core.objecttypes.registry import registry

        target = registry.get(field.target_object_type)
        if isinstance(value, models.Model):
            value = value.pk
        text = str(value).strip()
        # The target must be a record the acting user can see (fail closed).
        if not text.isdigit() or not target.model.objects.filter(pk=int(text)).exists():
            raise field._error(
                _("%(field)s: no %(target)s with ID “%(value)s”."),
                code=FieldCode.DOES_NOT_EXIST,
                value=text,
                target=target.label,
            )
        return int(text)


REGION_PARTS = ("province", "city", "district")


class RegionKind(FieldKind):
    key = "region"
    label = _("Region (province / city / district)")
    api_schema = {  # noqa: RUF012
        "type": "object",
        "properties": {part: {"type": "string"} for part in REGION_PARTS},
    }

    def filters(self, field, method):
        import django_filters

        from lianke.core.text.regions import PROVINCES

        return {
            "": django_filters.ChoiceFilter(
                label=field.display_label, choices=PROVINCES, method=method("province")
            )
        }

    def filter(self, field, queryset, lookup, value):
        return queryset.filter(**{f"custom_data__{field.name}__province": value})

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.fieldtypes.formfields import RegionField

        return RegionField(**common)

    def clean(self, field, value, *, old=None):
        from lianke.core.text.regions import PROVINCE_NAMES

        if isinstance(value, str):
            parts = [p for p in re.split(r"[/／\s]+", value.strip()) if p]
            value = dict(zip(REGION_PARTS, parts, strict=False))
        if not isinstance(value, dict) or set(value) - set(REGION_PARTS):
            raise field._error(_("%(field)s: enter province, city and district."))
        region = {k: str(value.get(k) or "").strip()[:50] for k in REGION_PARTS}
        if region["province"] not in PROVINCE_NAMES:
            raise field._error(
                _("%(field)s: “%(value)s” is not a province."),
                code=FieldCode.INVALID_CHOICE,
                value=region["province"],
            )
        return {k: v for k, v in region.items() if v}

    def display(self, field, value, *, labels=None):
        return " ".join(value.get(k, "") for k in REGION_PARTS if value.get(k))

    def form_initial(self, field, value):
        return [value.get(k, "") for k in REGION_PARTS]


for _kind in (
    TextKind,
    LongTextKind,
    IntegerKind,
    DecimalKind,
    MoneyKind,
    PercentKind,
    DateKind,
    DateTimeKind,
    BooleanKind,
    SelectKind,
    MultiSelectKind,
    DependentSelectKind,
    FormulaKind,
    FileKind,
    UserKind,
    UsersKind,
    LookupKind,
    PhoneKind,
    EmailKind,
    URLKind,
    RegionKind,
):
    register(_kind())


def _attachment_model():
    """``core.models.Attachment``, looked up in the app registry: the models sit above the field
    types (a custom field's type is a kind), so the file kind names the model, not its module."""
    from django.apps import apps

    return apps.get_model("core", "Attachment")
