"""Roll-up custom fields: the kind, and how it is kept in step with the children it counts.

The kind declares the write pipeline's events it hears (``FieldKind.subscribes``); the field
types' one durable subscriber (``fieldtypes.base.dispatch``: it runs inside the transaction,
before commit) hands it every create, change, delete, restore and transfer, and ``on_event``
recomputes the active roll-ups counting that type for the parents concerned: the children's
parents now, and — for a change that moved a child to another parent — the parents they left,
read from the history rows the same write has just recorded (``ObjectChange.prechange_data``).
The parents are locked, their values computed in one aggregate query per roll-up and written
into ``custom_data`` key by key. A roll-up is a derived value like a stage's probability: the
children's changes are in the parent's history already; the derived number is not logged again.

Models and the registry are imported inside the methods (the models import the field kinds
this kind builds on).
"""

import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..fieldtypes.base import kinds, register
from ..fieldtypes.builtin import NUMERIC_MODEL_FIELDS, DecimalKind
from . import events

ROLLUP_RE = re.compile(r"^\s*(?:(count)|(sum|min|max)\s*\(\s*([a-z][a-z0-9_]*)\s*\))\s*$")


class RollupKind(DecimalKind):
    """Count, sum, minimum or maximum over the records of a child type (an account's number of
    opportunities, the sum of their amounts): ``target_object_type`` names the child type,
    ``formula`` the aggregate (``count``, ``sum(amount)``, ``max(cf_name)`` or the custom field's
    plain name). Kept in step inside the child's write transaction: the kind hears the child
    types' writes (``subscribes``, ``on_event``)."""

    key = "rollup"
    label = _("Roll-up of related records")
    computed = True
    subscribes = (events.CREATED, events.UPDATED, events.DELETED, events.RESTORED, events.TRANSFERRED)

    def form_field(self, field, common, *, initial=None, user=None):
        form_field = super().form_field(field, common, initial=initial, user=user)
        form_field.disabled, form_field.required = True, False
        return form_field

    def clean(self, field, value, *, old=None):
        if old is not None and str(value).strip() == str(old):
            return old
        raise field._error(
            _("%(field)s is computed from other fields and cannot be set."), code="computed_field"
        )

    def places(self, field) -> int:
        return field.decimal_places

    def parsed(self, field) -> tuple[str, str | None]:
        """``(function, child field)``; raises ``ValueError`` for what is no roll-up."""
        match = ROLLUP_RE.match(field.formula or "")
        if match is None:
            raise ValueError(field.formula)
        if match.group(1):
            return "count", None
        return match.group(2), match.group(3)

    def link(self, field, value=None, *, labels=None):
        return None

    def link_field(self, field):
        """The child's foreign key to the parent type (exactly one), or ``None``."""
        from lianke.core.objecttypes.registry import registry

        if field.target_object_type not in registry or field.object_type not in registry:
            return None
        child = registry.get(field.target_object_type).model
        parent = registry.get(field.object_type).model
        links = [
            f
            for f in child._meta.concrete_fields
            if isinstance(f, models.ForeignKey) and f.related_model is parent
        ]
        return links[0] if len(links) == 1 else None

    def child_definition(self, field, name: str):
        from lianke.core.models.customfields import definitions_for

        name = name.removeprefix("cf_")
        return next(
            (d for d in definitions_for(field.target_object_type, active_only=False) if d.name == name), None
        )

    def check_definition(self, field, siblings):
        from lianke.core.objecttypes.registry import registry

        def error(message, code, **params):
            return {"formula": ValidationError(message, code=code, params=params)}

        if field.target_object_type not in registry:
            return {
                "target_object_type": ValidationError(
                    _("Choose the related object type to roll up."), code="invalid_rollup"
                )
            }
        try:
            function, name = self.parsed(field)
        except ValueError:
            return error(
                _("Enter count, or sum, min or max of a number field: sum(amount)."), "invalid_rollup"
            )
        if self.link_field(field) is None:
            return error(
                _("%(child)s has no single link to %(parent)s."),
                "rollup_no_link",
                child=registry.get(field.target_object_type).label,
                parent=registry.get(field.object_type).label,
            )
        if name is not None and self.child_expression(field, name) is None:
            return error(
                _("“%(name)s” is not a number field of this object type."), "unknown_field", name=name
            )
        return {}

    def model_number(self, field, name: str) -> bool:
        """Whether ``name`` is a numeric standard field of the child type."""
        from django.core.exceptions import FieldDoesNotExist

        from lianke.core.objecttypes.registry import registry

        try:
            model_field = registry.get(field.target_object_type).model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return isinstance(model_field, NUMERIC_MODEL_FIELDS)

    def child_expression(self, field, name: str):
        """What the aggregate reads on the child: a numeric standard field, or a number custom
        field's sort expression (its stored value, cast)."""
        if not name.startswith("cf_") and self.model_number(field, name):
            return models.F(name)
        definition = self.child_definition(field, name)
        kind = kinds.get(definition.type) if definition is not None else None
        if kind is None or not kind.is_number:
            return None
        return kind.sort_expression(definition)

    def foreign_inputs(self, field):
        try:
            _function, name = self.parsed(field)
        except ValueError:
            return []
        if name is None:
            return []
        if not name.startswith("cf_") and self.model_number(field, name):
            return [(field.target_object_type, name)]
        definition = self.child_definition(field, name)
        return [(field.target_object_type, definition.filter_name)] if definition is not None else []

    def values(self, field, parent_ids) -> dict[int, object]:
        """``{parent id: stored value}`` for ``parent_ids``, in one query (deleted children out)."""
        from django.db.models import Count, Max, Min, Sum

        from lianke.core.objecttypes.registry import registry

        function, name = self.parsed(field)
        link = self.link_field(field)
        child: Any = registry.get(field.target_object_type).model
        rows = child.all_objects.filter(is_deleted=False, **{f"{link.name}__in": list(parent_ids)})
        aggregate: Any
        if function == "count" or name is None:
            aggregate = Count("pk")
        else:
            expression = self.child_expression(field, name)
            aggregate = {"sum": Sum, "min": Min, "max": Max}[function](expression)
        found = dict(
            rows.order_by()
            .values_list(link.attname)
            .annotate(value=aggregate)
            .values_list(link.attname, "value")
        )
        result: dict[int, object] = {}
        for pk in parent_ids:
            value = found.get(pk)
            if function == "count":
                result[pk] = int(value or 0)
            elif value is None:
                result[pk] = (
                    format(Decimal(0).quantize(Decimal(1).scaleb(-field.decimal_places)), "f")
                    if function == "sum"
                    else None
                )
            else:
                number = Decimal(str(value)).quantize(Decimal(1).scaleb(-field.decimal_places))
                result[pk] = format(number, "f")
        return result

    # ------------------------------------------------------------------ kept in step
    def on_event(self, event) -> None:
        """A write of records of some type: the roll-ups counting that type follow it."""
        from lianke.core.objecttypes.registry import registry

        definitions = rollups_of(event.object_type)
        if not definitions or event.object_type not in registry:
            return
        child_model: Any = registry.get(event.object_type).model
        by_parent_type: dict[str, list] = {}
        for definition in definitions:
            if definition.object_type not in registry or self.link_field(definition) is None:
                continue
            by_parent_type.setdefault(definition.object_type, []).append(definition)
        for parent_type, group in by_parent_type.items():
            link = self.link_field(group[0])
            if event.name == events.UPDATED:  # only a change of what a roll-up reads
                group = [d for d in group if self._reads(d, link.name) & set(event.changed)]
                if not group:
                    continue
            parents = set(
                child_model.all_objects.filter(pk__in=event.ids)
                .exclude(**{f"{link.attname}__isnull": True})
                .values_list(link.attname, flat=True)
            )
            if event.name == events.UPDATED and link.name in event.changed:
                parents |= _left(child_model, event.ids, link.name)
            if parents:
                refresh(parent_type, group, parents)

    def _reads(self, definition, link_name: str) -> set[str]:
        """The changed-field names (``amount``, ``cf.<name>``) that move this roll-up's value."""
        names = {link_name}
        for _type, name in self.foreign_inputs(definition):
            names.add(f"cf.{name[3:]}" if name.startswith("cf_") else name)
        return names


def rollups_of(child_type: str) -> list:
    """The active roll-up definitions counting records of ``child_type`` (cached per request)."""
    from lianke.core import context
    from lianke.core.models import CustomField

    ctx = context.current()
    key = ("rollups", child_type)
    if ctx is not None and key in ctx.cache:
        return ctx.cache[key]
    result = list(CustomField.objects.filter(type="rollup", target_object_type=child_type, is_active=True))
    if ctx is not None:
        ctx.cache[key] = result
    return result


def _left(child_model, ids, link_name: str) -> set[int]:
    """The parents the children just moved away from: the latest history rows of the write."""
    from django.contrib.contenttypes.models import ContentType

    from lianke.core.models import ObjectChange

    content_type = ContentType.objects.get_for_model(child_model)
    latest: dict[int, dict] = {}
    rows = (
        ObjectChange.objects.filter(content_type=content_type, object_id__in=ids)
        .order_by("object_id", "-id")
        .values_list("object_id", "prechange_data")
    )
    for object_id, before in rows:
        latest.setdefault(object_id, before or {})
    return {b[link_name] for b in latest.values() if isinstance(b.get(link_name), int)}


def refresh(parent_type: str, definitions, parent_ids) -> None:
    """Recompute ``definitions`` (roll-ups of ``parent_type``) for ``parent_ids`` and write the
    values that changed, the parents locked in id order (no deadlock between two writers).

    The parents are locked *before* their children are counted: a writer adding a child to the
    same parent in parallel waits here until the other commits, and then counts that child too
    (counted first, it would write a total missing it over the other's)."""
    from lianke.core.models.customfields import complete_custom_data
    from lianke.core.objecttypes.registry import registry

    model: Any = registry.get(parent_type).model
    rollup: Any = kinds["rollup"]
    parents = list(model.all_objects.select_for_update().filter(pk__in=list(parent_ids)).order_by("pk"))
    values = {d.name: rollup.values(d, parent_ids) for d in definitions}
    everything = registry.get(parent_type).custom_fields()
    for parent in parents:
        data = dict(parent.custom_data or {})
        for name, by_parent in values.items():
            value = by_parent.get(parent.pk)
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        # Formulas of the parent over its roll-ups follow them.
        data = complete_custom_data(everything, data, set(), record=parent)
        if data != (parent.custom_data or {}):
            model.all_objects.filter(pk=parent.pk).update(custom_data=data)


register(RollupKind())
