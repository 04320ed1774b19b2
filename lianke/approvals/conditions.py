"""Conditions of flows and steps: a list of ``{"field", "op", "value"}`` over a record's standard
fields and custom fields (``cf_<name>``), all of which must hold. ``matches`` evaluates one on
a record; ``clean_condition`` checks one as the flow editor saves it (unknown field or
operator: a coded error naming the item)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext as _

from lianke.core.errors import FieldCode

from .models import Op

NUMERIC = (int, float, Decimal)


def value_of(record, field: str) -> Any:
    """The record's value of ``field``: a custom field ``cf_<name>``, a foreign key as its id,
    a choice as its stored value."""
    if field.startswith("cf_"):
        return (getattr(record, "custom_data", None) or {}).get(field[3:])
    try:
        model_field = record._meta.get_field(field)
    except FieldDoesNotExist:
        return None
    return getattr(record, getattr(model_field, "attname", field), None)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == Op.IN:
        options = right if isinstance(right, list | tuple) else [right]
        return any(_compare(left, Op.EQ, option) for option in options)
    a, b = _number(left), _number(right)
    if a is None or b is None:  # compare as text (choices, names, dates in ISO form)
        if left is None:
            return op == Op.NE and right not in (None, "")
        a, b = str(left), str(right)  # type: ignore[assignment]
    if op == Op.EQ:
        return a == b
    if op == Op.NE:
        return a != b
    if op == Op.GT:
        return a > b  # type: ignore[operator]
    if op == Op.GTE:
        return a >= b  # type: ignore[operator]
    if op == Op.LT:
        return a < b  # type: ignore[operator]
    if op == Op.LTE:
        return a <= b  # type: ignore[operator]
    return False


def matches(record, condition: list[dict] | None) -> bool:
    """Does every item of ``condition`` hold on ``record``? An empty condition holds."""
    return all(
        _compare(value_of(record, c.get("field", "")), c.get("op", Op.EQ), c.get("value"))
        for c in condition or []
    )


def clean_condition(model, condition: Any, *, name: str = "condition") -> list[dict]:
    """``condition`` as stored, or a ``ValidationError`` on ``name`` naming the bad item."""
    if condition in (None, ""):
        return []
    if not isinstance(condition, list):
        raise ValidationError(
            {name: ValidationError(_("A condition is a list of rules."), code=FieldCode.INVALID)}
        )
    cleaned = []
    for index, item in enumerate(condition, start=1):
        if not isinstance(item, dict) or "field" not in item:
            raise ValidationError(
                {
                    name: ValidationError(
                        _("Rule %(n)s names no field.") % {"n": index}, code=FieldCode.INVALID
                    )
                }
            )
        field, op = str(item["field"]), str(item.get("op", Op.EQ))
        if not field_exists(model, field):
            raise ValidationError(
                {
                    name: ValidationError(
                        _("Rule %(n)s: “%(field)s” is not a field of this type.")
                        % {"n": index, "field": field},
                        code=FieldCode.UNKNOWN_FIELD,
                    )
                }
            )
        if op not in Op.values:
            raise ValidationError(
                {
                    name: ValidationError(
                        _("Rule %(n)s: “%(op)s” is not an operator.") % {"n": index, "op": op},
                        code=FieldCode.INVALID_CHOICE,
                    )
                }
            )
        cleaned.append({"field": field, "op": op, "value": item.get("value")})
    return cleaned


def field_exists(model, field: str) -> bool:
    """``field`` is a concrete field of ``model`` or one of its type's custom fields."""
    if field.startswith("cf_"):
        from lianke.core.objecttypes.registry import registry

        ot = registry.get_for_model(model, None)
        return ot is not None and any(d.name == field[3:] for d in ot.custom_fields())
    try:
        return model._meta.get_field(field).concrete
    except FieldDoesNotExist:
        return False
