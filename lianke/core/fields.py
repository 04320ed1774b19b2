"""Model fields with a business meaning: money, phone numbers and their searchable digits."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _

from . import phones


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
        from .formfields import PhoneInput

        return super().formfield(**{"widget": PhoneInput, **kwargs})

    def display_url(self, value) -> str | None:
        return phones.tel_url(value)


class PhoneDigitsField(models.CharField):
    """The digits-only form of the phone field ``source`` (see :mod:`lianke.core.phones`),
    derived on every save, never edited, not part of the history: what search matches with an
    index. Saves with ``update_fields`` (``BusinessModel.save``) and ``bulk_update`` callers
    (:func:`refresh_phone_digits`) keep it in step too."""

    derived = True

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.update(max_length=phones.MAX_DIGITS, blank=True, default="", editable=False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        for key in ("max_length", "blank", "default", "editable"):
            kwargs.pop(key, None)
        kwargs["source"] = self.source
        return name, "lianke.core.fields.PhoneDigitsField", args, kwargs

    def digits_of(self, instance) -> str:
        return phones.phone_digits(getattr(instance, self.source))

    def pre_save(self, model_instance, add):
        value = self.digits_of(model_instance)
        setattr(model_instance, self.attname, value)
        return value


def digits_fields(model) -> list[PhoneDigitsField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, PhoneDigitsField)]


def digits_field_name(model, phone_field: str) -> str | None:
    """The name of the digits column kept for ``phone_field`` of ``model``, if there is one."""
    return next((f.name for f in digits_fields(model) if f.source == phone_field), None)


def refresh_phone_digits(objects: Iterable[models.Model], changed: Iterable[str]) -> list[str]:
    """Recompute, on ``objects``, the digits of the phone fields among ``changed`` (for writes
    that bypass ``save()``, such as ``bulk_update``); the digits columns to write with them."""
    objects, changed = list(objects), set(changed)
    if not objects:
        return []
    names = []
    for field in digits_fields(type(objects[0])):
        if field.source in changed:
            for obj in objects:
                setattr(obj, field.attname, field.digits_of(obj))
            names.append(field.name)
    return names
