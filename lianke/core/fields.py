"""Model fields with a business meaning: money, phone numbers, and the columns derived from a
field for an index (a phone's digits, a company name's key, a name's pinyin); and the
``any_of`` lookup of integer columns (many keys as one parameter)."""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Iterable
from typing import Any, ClassVar

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from .text import phones


class PhoneInput(forms.TextInput):
    """A phone number: ``type=tel`` and ``inputmode=tel`` bring up the dial pad on a phone (the
    form widget of :class:`PhoneField`, and of the phone custom fields and filters)."""

    input_type = "tel"

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "tel", "autocomplete": "tel", **(attrs or {})})


class MoneyField(models.DecimalField):
    """An exact CNY amount (two decimal places); shown as ¥1,234.50."""

    money = True
    description = _("Money")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "lianke.core.fields.MoneyField", args, kwargs


class PhoneField(models.CharField):
    """A phone number as typed, for people to read. ``kind`` is ``"mobile"`` (a mainland mobile,
    11 digits) or ``"phone"`` (any number: landline with area code, extension, abroad). The kind
    brings the validator; every phone gets the dial-pad input and a ``tel:`` link. Pair it with
    a :class:`PhoneDigitsField` to make it searchable however it is formatted."""

    MOBILE, ANY = "mobile", "phone"
    description = _("Phone number")

    def __init__(self, *args, kind: str = ANY, **kwargs):
        if kind not in (self.MOBILE, self.ANY):
            raise ValueError(f"PhoneField kind must be {self.MOBILE!r} or {self.ANY!r}, not {kind!r}")
        self.kind = kind
        self.default_validators = [phones.validate_mobile if kind == self.MOBILE else phones.validate_phone]
        kwargs.setdefault("max_length", 20 if kind == self.MOBILE else 30)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        if self.kind != self.ANY:
            kwargs["kind"] = self.kind
        return name, "lianke.core.fields.PhoneField", args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"widget": PhoneInput, **kwargs})

    def display_url(self, value) -> str | None:
        return phones.tel_url(value)


@functools.cache
def _text(name: str) -> Any:
    """``lianke.core.text.<name>``, imported on first use and kept: pypinyin's dictionaries take
    ~0.2 s to load, which a process that never derives a column need not pay — and an import
    statement in ``derive`` cost ~1.5 µs a call, a tenth of a batch row's derived columns."""
    return importlib.import_module(f"lianke.core.text.{name}")


class DerivedField(models.CharField):
    """A column derived from the field ``source`` on every save (``derive(value)``), never edited,
    not part of the history: what an index answers equality or prefix questions with. Saves with
    ``update_fields`` (``Record.save``), batch inserts (``core.records.batch.insert`` runs ``pre_save``) and
    ``bulk_update`` callers (:func:`refresh_derived`) keep it in step; a data migration fills it
    for existing rows (``core.migration_operations.fill_derived``)."""

    derived = True
    path = ""  # the dotted path migrations name the field by
    fixed: ClassVar[dict[str, Any]] = {}  # the options the subclass sets itself (left out of migrations)

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.update(blank=True, default="", editable=False, **self.fixed)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        for key in ("blank", "default", "editable", *self.fixed):
            kwargs.pop(key, None)
        kwargs["source"] = self.source
        return name, self.path, args, kwargs

    def derive(self, value) -> str:
        raise NotImplementedError

    def value_of(self, instance) -> str:
        return self.derive(getattr(instance, self.source))

    def pre_save(self, model_instance, add):
        value = self.derive(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


class PhoneDigitsField(DerivedField):
    """The digits-only form of the phone field ``source`` (see :mod:`lianke.core.text.phones`): what
    phone search matches with an index."""

    path = "lianke.core.fields.PhoneDigitsField"
    fixed: ClassVar[dict[str, Any]] = {"max_length": phones.MAX_DIGITS}

    def derive(self, value) -> str:
        return phones.phone_digits(value)


class CompanyKeyField(DerivedField):
    """The company key of the name field ``source`` (:func:`lianke.core.text.identity.company_key`):
    what the duplicate check matches names by, with an index."""

    path = "lianke.core.fields.CompanyKeyField"
    fixed: ClassVar[dict[str, Any]] = {"max_length": 200}

    def derive(self, value) -> str:
        return _text("identity").company_key(value)[:200]


class _PinyinPart(DerivedField):
    """A column derived from the pinyin forms of the name field ``source``
    (:func:`lianke.core.text.pinyin.forms`, a person's surname readings with ``person=True``):
    the part of them that ``part`` keeps."""

    fixed: ClassVar[dict[str, Any]] = {"max_length": 255}
    person_default = False

    def __init__(self, *args, person: bool | None = None, **kwargs):
        self.person = self.person_default if person is None else person
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.person != self.person_default:
            kwargs["person"] = self.person
        return name, path, args, kwargs

    def derive(self, value) -> str:
        forms = _text("pinyin").forms
        return self.part(forms(value, person=True) if self.person else forms(value))

    def part(self, name_forms: str) -> str:
        return name_forms


class PinyinField(_PinyinPart):
    """The pinyin forms of the name field ``source`` (full pinyin and initials, space-separated;
    a person's surname readings with ``person=True``): what a search typed in pinyin ("zgsy",
    "zhongguo") matches by prefix, with an index."""

    path = "lianke.core.fields.PinyinField"


class PinyinInitialsField(_PinyinPart):
    """The initials of the first reading of the name field ``source`` (``"zgsy"`` for 中国石油, the
    second token of its forms), beside its :class:`PinyinField`: like the full pinyin, a prefix
    a b-tree serves — how many names start with "mash", and which, the index
    ``(initials, id)`` answers alone. A company's name has one reading, so its two columns hold
    every form; a person's has a :class:`PinyinOtherReadingsField` as well."""

    path = "lianke.core.fields.PinyinInitialsField"

    def part(self, name_forms: str) -> str:
        return _text("pinyin").initials_of(name_forms)


class PinyinOtherReadingsField(_PinyinPart):
    """A person's other reading of the name field ``source`` (单伟: ``" danwei dw"``, each token
    after a space: :func:`lianke.core.text.pinyin.other_readings_of`), "" for most names: the
    forms that are searched as contained text (``icontains " dw"``), through a trigram index
    that holds only the few names with a surname read its own way."""

    path = "lianke.core.fields.PinyinOtherReadingsField"
    person_default = True

    def part(self, name_forms: str) -> str:
        return _text("pinyin").other_readings_of(name_forms)


def company_key_fields(model) -> list[CompanyKeyField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, CompanyKeyField)]


def pinyin_fields(model) -> list[PinyinField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, PinyinField)]


def initials_fields(model) -> list[PinyinInitialsField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, PinyinInitialsField)]


def contained_pinyin_fields(model) -> list[DerivedField]:
    """The pinyin columns searched as contained text (``icontains " q"``), through a trigram
    index: a person's other readings (:class:`PinyinOtherReadingsField`), and a pinyin column
    with no initials column beside it, whose later tokens are its initials and other readings
    (the users the people pickers search, a small table)."""
    split = {f.source for f in initials_fields(model)}
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, PinyinOtherReadingsField) or (isinstance(f, PinyinField) and f.source not in split)
    ]


def derived_fields(model) -> list[DerivedField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, DerivedField)]


def digits_fields(model) -> list[PhoneDigitsField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, PhoneDigitsField)]


def digits_field_name(model, phone_field: str) -> str | None:
    """The name of the digits column kept for ``phone_field`` of ``model``, if there is one."""
    return next((f.name for f in digits_fields(model) if f.source == phone_field), None)


def refresh_derived(objects: Iterable[models.Model], changed: Iterable[str]) -> list[str]:
    """Recompute, on ``objects``, the derived columns whose source is among ``changed`` (for
    writes that bypass ``save()``, such as ``bulk_update``); the derived columns to write with them."""
    objects, changed = list(objects), set(changed)
    if not objects:
        return []
    names = []
    for field in derived_fields(type(objects[0])):
        if field.source in changed:
            for obj in objects:
                setattr(obj, field.attname, field.value_of(obj))
            names.append(field.name)
    return names


# Up to this many keys, PostgreSQL is given them as rows to look up (see ``AnyOf``).
LOOKED_UP_BY_KEY = 2500


@models.IntegerField.register_lookup
class AnyOf(models.lookups.In):
    """``pk__any_of=[...]``: ``IN`` for many values, as one parameter instead of thousands bound
    and parsed — on PostgreSQL one array literal of the column's own type
    (``= ANY('{1,2,…}'::bigint[])``), which the planner sees whole, as it does an ``IN`` list;
    on SQLite a JSON array read by ``json_each``. 9,568 ids: SQLite 42 → 14 ms; PostgreSQL
    76 → 8 ms (the ``IN`` list cost ~70 ms of parameter handling; a list of Python ints adapts
    as ``int4[]``, which against a ``bigint`` key the planner costs as a full scan).

    On PostgreSQL, up to ``LOOKED_UP_BY_KEY`` keys are rows to look up (``IN (SELECT
    unnest(…))``), more one condition (``= ANY(…)``). For a page in list order (``ORDER BY
    updated_at … LIMIT 6``), given the array whole, the planner walks the order's index and tests
    each row against it, meeting the page after about table ÷ keys × page rows; given rows (it
    estimates 200), it fetches them by key and sorts them. At a million accounts: 1,302 keys,
    a walk of 4,741 rows (11–17 ms) against 5.7 ms by key; 9,568 keys, a walk of 468 rows
    (1.7 ms) against 42 ms by key. The two meet near √(table × page): 2,450 keys for a million
    rows and a page of six."""

    lookup_name = "any_of"

    def get_prep_lookup(self):
        if isinstance(self.rhs, list | tuple) and all(type(v) is int for v in self.rhs):
            return list(self.rhs)  # keys as they come from the database: nothing to prepare
        return super().get_prep_lookup()

    def _plain_ints(self) -> bool:
        return not hasattr(self.rhs, "resolve_expression") and all(type(v) is int for v in self.rhs)

    def as_postgresql(self, compiler, connection):
        if not self._plain_ints():
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        array = "{" + ",".join(map(str, self.rhs)) + "}"
        array_type = f"{self.lhs.output_field.cast_db_type(connection)}[]"
        if len(self.rhs) <= LOOKED_UP_BY_KEY:
            return f"{lhs} IN (SELECT unnest(%s::{array_type}))", (*lhs_params, array)
        return f"{lhs} = ANY(%s::{array_type})", (*lhs_params, array)

    def as_sqlite(self, compiler, connection):
        if not self._plain_ints():
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, json.dumps(self.rhs))
