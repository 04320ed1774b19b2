"""The built-in field kinds: one class per type, each registered under its stored key.

Messages and codes are those the definition has always raised (tests pin them).
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import FieldCode
from lianke.core.phones import PHONE_RE

from .base import FALSE_WORDS, MAX_DIGITS, TRUE_WORDS, FieldKind, plain_number, register, utc_iso


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


class TextKind(FieldKind):
    key = "text"

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

    def form_field(self, field, common, *, initial=None, user=None):
        return forms.CharField(
            max_length=field.max_length or self.default_limit,
            widget=forms.Textarea(attrs={"rows": 3}),
            **common,
        )

    default_limit = 10000


class PhoneKind(TextKind):
    key = "phone"

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.formfields import PhoneInput

        return forms.CharField(max_length=40, widget=PhoneInput, **common)

    def check(self, field, value):
        if not PHONE_RE.match(value):
            raise field._error(_("%(field)s: enter a valid phone number."))


class EmailKind(TextKind):
    key = "email"

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.formfields import EmailInput

        return forms.EmailField(max_length=254, widget=EmailInput, **common)

    def check(self, field, value):
        try:
            EmailValidator()(value)
        except ValidationError:
            raise field._error(_("%(field)s: enter a valid email address.")) from None


class URLKind(TextKind):
    key = "url"

    def form_field(self, field, common, *, initial=None, user=None):
        return forms.URLField(max_length=500, assume_scheme="https", **common)

    def check(self, field, value):
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise field._error(_("%(field)s: enter a valid URL (http or https).")) from None


class IntegerKind(FieldKind):
    key = "integer"

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.formfields import number_input

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


class DecimalKind(FieldKind):
    key = "decimal"

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.formfields import number_input

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

    def places(self, field) -> int:
        return 2

    def display(self, field, value, *, labels=None):
        return f"¥{Decimal(value):,.2f}"


class PercentKind(DecimalKind):
    key = "percent"

    def display(self, field, value, *, labels=None):
        return f"{value}%"


class DateKind(FieldKind):
    key = "date"

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


class DateTimeKind(FieldKind):
    key = "datetime"

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

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.formfields import BOOLEAN_CHOICES

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


class MultiSelectKind(FieldKind):
    key = "multiselect"

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


class UserKind(FieldKind):
    key = "user"

    def form_field(self, field, common, *, initial=None, user=None):
        # A data field, not an assignment: anybody active, grouped and searchable.
        from lianke.core.people import PeopleField, Purpose

        return PeopleField(Purpose(), user, **common)

    def clean(self, field, value, *, old=None):
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        if isinstance(value, user_model):
            value = value.pk
        text = str(value).strip()
        query = user_model.objects.filter(is_active=True)
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

    def display(self, field, value, *, labels=None):
        return (labels or {}).get(value, f"#{value}")


class LookupKind(FieldKind):
    key = "lookup"

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.formfields import LookupSelect
        from lianke.core.registry import registry

        target = registry.get(field.target_object_type)
        return forms.ModelChoiceField(
            queryset=target.model._default_manager.all(), widget=LookupSelect(target.key), **common
        )

    def clean(self, field, value, *, old=None):
        from lianke.core.registry import registry

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

    def display(self, field, value, *, labels=None):
        return (labels or {}).get(value, f"#{value}")


REGION_PARTS = ("province", "city", "district")


class RegionKind(FieldKind):
    key = "region"

    def form_field(self, field, common, *, initial=None, user=None):
        from lianke.core.formfields import RegionField

        return RegionField(**common)

    def clean(self, field, value, *, old=None):
        from lianke.core.regions import PROVINCE_NAMES

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
    UserKind,
    LookupKind,
    PhoneKind,
    EmailKind,
    URLKind,
    RegionKind,
):
    register(_kind())
