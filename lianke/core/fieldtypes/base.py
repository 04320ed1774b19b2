"""The ``FieldKind`` base class, the registry of kinds by stored type, and value helpers."""

import datetime as dt
from decimal import Decimal

MAX_DIGITS = 18
TRUE_WORDS = {"1", "true", "yes", "y", "on", "是", "真"}
FALSE_WORDS = {"0", "false", "no", "n", "off", "否", "假"}


def plain_number(number) -> str:
    """``100000.0000`` → ``100000`` (``normalize()`` alone would give ``1E+5``)."""
    return format(Decimal(number).normalize(), "f")


def utc_iso(value: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC with a four-digit year (``strftime("%Y")`` drops the
    leading zeros of years before 1000, which would neither parse nor sort as text)."""
    utc = value.astimezone(dt.UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


class FieldKind:
    """What one custom-field type does with values. Subclass, set ``key`` and register it.

    ``field`` is the ``CustomField`` definition (its options, limits and ``_error`` helper).
    ``clean`` receives a value that is already known to be non-empty, not too deep and free of
    NUL characters, and returns the stored form or raises ``ValidationError`` naming the field.
    """

    key: str = ""

    def clean(self, field, value, *, old=None):
        raise NotImplementedError

    def form_field(self, field, common: dict, *, initial=None, user=None):
        """The Django form field; ``common`` holds label, required, help text and initial. The
        form's value is passed through ``clean`` afterwards, so validation stays in one place."""
        raise NotImplementedError

    def display(self, field, value, *, labels=None) -> str:
        """Human text for a stored, non-empty value. ``labels`` maps ids to names."""
        return str(value)

    def form_initial(self, field, value):
        """A stored, non-empty value → what the form field shows."""
        return value


kinds: dict[str, FieldKind] = {}


def register(kind: FieldKind) -> FieldKind:
    """Register ``kind`` under its ``key`` (a stored ``CustomField.type`` value)."""
    if not kind.key:
        raise ValueError("A field kind needs a key.")
    kinds[kind.key] = kind
    return kind


def unregister(key: str) -> None:
    kinds.pop(key, None)
