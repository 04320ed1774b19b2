"""System checks (``lianke check``) of the database layout the object framework relies on, and
of the object types' declarations."""

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


@checks.register()
def object_type_declarations(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every registered object type declares what the platform needs of it (see
    ``declaration_messages``), and one type at most makes up the record timelines."""
    from .registry import registry

    found: list[checks.CheckMessage] = []
    for object_type in registry:
        found += declaration_messages(object_type)
    sources = [t.key for t in registry if t.timeline_url_name]
    if len(sources) > 1:
        found.append(
            checks.Error(
                f"Several object types declare timeline_url_name ({', '.join(sources)}): a record's "
                "timeline would come from only one of them.",
                hint="Only the type whose records make up the timelines (activities) declares it.",
                id="lianke.E003",
            )
        )
    return found


def declaration_messages(object_type) -> list[checks.CheckMessage]:
    """The declarations one object type is missing or gets wrong: its default grants (every type
    but a child's says what the standard roles may do — ``{}`` for none — and names only
    standard roles, its own actions and known scopes) and its test factory."""
    from lianke.org.choices import Scope
    from lianke.org.defaults import DEFAULT_ROLES
    from lianke.org.kinds import Child

    name = type(object_type).__name__
    grants = object_type.default_grants
    found: list[checks.CheckMessage] = []
    if isinstance(object_type.access, Child):
        if grants is not None:
            found.append(
                checks.Error(
                    f"{name} ({object_type.key}) is a child type but declares default_grants: it "
                    "takes its parent's grants, roles cannot grant it.",
                    hint="Remove default_grants.",
                    obj=type(object_type),
                    id="lianke.E001",
                )
            )
    elif grants is None:
        found.append(
            checks.Warning(
                f"{name} ({object_type.key}) declares no default_grants: no standard role "
                "reaches its records.",
                hint="Declare default_grants = {role key: (actions, scope)} (org.defaults' SELLING "
                "or CATALOG, with the type's exceptions), or {} if only administrators reach it.",
                obj=type(object_type),
                id="lianke.W003",
            )
        )
    actions = {str(a) for a, _label in object_type.actions}
    for role, (granted, scope) in (grants or {}).items():
        unknown = sorted({str(a) for a in granted} - actions)
        if role not in DEFAULT_ROLES or unknown or scope not in Scope.values:
            found.append(
                checks.Error(
                    f"{name} ({object_type.key}) grants the role {role!r} {sorted(map(str, granted))} "
                    f"on {scope!r}: "
                    + (
                        "no such standard role."
                        if role not in DEFAULT_ROLES
                        else f"actions {unknown} are not this type's."
                        if unknown
                        else "no such scope."
                    ),
                    hint=f"Standard roles: {', '.join(DEFAULT_ROLES)}; actions: {', '.join(sorted(actions))}.",
                    obj=type(object_type),
                    id="lianke.E002",
                )
            )
    if not object_type.factory:
        found.append(
            checks.Warning(
                f"{name} ({object_type.key}) names no test factory: the permission matrices "
                "cannot build its records.",
                hint="Declare a factory-boy factory in the app's factories.py and name it in "
                "factory = 'lianke.<app>.factories.<Name>'.",
                obj=type(object_type),
                id="lianke.W004",
            )
        )
    return found
