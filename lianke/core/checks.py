"""System checks (``lianke check``) of the database layout the object framework relies on."""

from __future__ import annotations

from django.apps import apps
from django.core import checks
from django.db import models


@checks.register(checks.Tags.models)
def foreign_key_indexes(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every foreign key of Lianke's models has exactly one index leading with it: its own, or a
    composite index or unique constraint. Two (W001) serve no query better than one and cost
    every insert — the batch path's budget is counted in microseconds a row —; none (W002) makes
    related lists and deletes scan the table."""
    configs = app_configs or apps.get_app_configs()
    found: list[checks.CheckMessage] = []
    for config in configs:
        if config.name.startswith("lianke."):
            for model in config.get_models():
                if not model._meta.proxy:
                    found += index_warnings(model)
    return found


def index_warnings(model: type[models.Model]) -> list[checks.CheckMessage]:
    """W001 / W002 for the foreign keys of one model."""
    leaders = {
        index.fields[0] for index in model._meta.indexes if index.fields and index.condition is None
    } | {
        constraint.fields[0]
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint)
        and constraint.fields
        and constraint.condition is None
    }
    found: list[checks.CheckMessage] = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey):
            continue
        if not field.db_index and field.name not in leaders:
            found.append(
                checks.Warning(
                    f"{model._meta.label}.{field.name} has no index leading with it: reading a "
                    "record's related rows, and deleting the related record, would scan the table.",
                    hint="Keep db_index=True, or add a composite index that leads with it.",
                    obj=model,
                    id="lianke.W002",
                )
            )
        elif field.db_index and field.name in leaders:
            found.append(
                checks.Warning(
                    f"{model._meta.label}.{field.name} has its own index, but a composite index "
                    "already leads with it.",
                    hint="Declare the foreign key with db_index=False.",
                    obj=model,
                    id="lianke.W001",
                )
            )
    return found
