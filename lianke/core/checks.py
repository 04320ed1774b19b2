"""System checks (``lianke check``) of the database layout the object framework relies on, and
of the object types' declarations."""

from __future__ import annotations

import re

from django.apps import apps
from django.core import checks
from django.db import connections, models


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


def _serves_every_lookup(condition, field: str) -> bool:
    """Whether an index whose first field is ``field`` and whose condition is ``condition`` holds
    every row a lookup by that key can find: no condition, or ``field IS NOT NULL`` (which
    ``field = x`` implies; ``models.base.set_only_indexes``)."""
    name = field.removeprefix("-")
    return condition is None or condition == models.Q(**{f"{name}__isnull": False})


def index_warnings(model: type[models.Model]) -> list[checks.CheckMessage]:
    """W001 / W002 for the foreign keys of one model."""
    leaders = {
        index.fields[0]
        for index in model._meta.indexes
        if index.fields and _serves_every_lookup(index.condition, index.fields[0])
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
    from .objecttypes.registry import registry

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


# An expression index as PostgreSQL prints it (``pg_get_indexdef``) serving Django's
# ``icontains`` (``UPPER("col"::text) LIKE …``): ``USING gin (upper((name)::text) gin_trgm_ops)``,
# the cast left out on a text column (``upper(body)``).
_TRIGRAM_RE = re.compile(r"\bupper\(\(?\"?(\w+)\"?\)?(?:::text)?\)\s+gin_trgm_ops", re.IGNORECASE)


@checks.register(checks.Tags.database)
def search_field_indexes(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """On PostgreSQL, every search field of every registered object type (and the pinyin
    columns searched with it) has a trigram GIN index (W005): the indexes are written by hand
    in migrations (``migration_operations.trigram_indexes``), and a search field without one
    makes every search of the type read the whole table. A database check: ``lianke migrate``
    runs it, and ``lianke check --database default``."""
    from .objecttypes.registry import registry

    found: list[checks.CheckMessage] = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor == "postgresql" and not _migrations_pending(connection):
            found += missing_search_indexes(connection, registry)
    return found


@checks.register(checks.Tags.database)
def config_triggers(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Every table that holds configuration kept across requests has the triggers that replace
    the configuration token (E004): without them a change of it would stay unseen by the
    processes that keep it (``core.configcache``). ``lianke migrate`` installs them."""
    from . import configcache

    found: list[checks.CheckMessage] = []
    for alias in databases or ():
        if _migrations_pending(connections[alias]):
            continue
        for table in configcache.missing_triggers(alias):
            found.append(
                checks.Error(
                    f"The configuration table {table} has no trigger that replaces the configuration token.",
                    hint="Run `lianke migrate` (it installs them after every migration).",
                    obj=table,
                    id="lianke.E004",
                )
            )
    return found


def _migrations_pending(connection) -> bool:
    """Whether migrations are still to apply (``lianke migrate`` runs the check before applying
    them: on a new database the indexes are those migrations' to add, nothing to warn about)."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def search_columns(object_type) -> list[tuple[type[models.Model], str, str]]:
    """``(model, column, search field)`` for each column the type's search reads with
    ``icontains``: its search fields (a path such as ``account__name`` ends in the related
    table) and the pinyin columns derived from them whose later tokens are contained text
    (``contained_pinyin_fields``; initials of their own are a b-tree's prefix)."""
    from .fields import contained_pinyin_fields

    columns = []
    for name in object_type.search_fields:
        model: type[models.Model] = object_type.model
        *path, last = name.split("__")
        for part in path:
            model = model._meta.get_field(part).related_model  # type: ignore[assignment]
        columns.append((model, model._meta.get_field(last).column, name))
    for field in contained_pinyin_fields(object_type.model):
        if field.source in object_type.search_fields:
            columns.append((object_type.model, field.column, field.name))
    return columns


def trigram_indexed_columns(connection) -> set[tuple[str, str]]:
    """``(table, column)`` of every valid trigram GIN index on ``UPPER(column)`` in the database
    (an index whose concurrent build failed is left invalid: it serves nothing)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = current_schema() AND i.indisvalid"
        )
        rows = cursor.fetchall()
    return {
        (table, match.group(1))
        for table, definition in rows
        if " USING gin " in definition
        for match in _TRIGRAM_RE.finditer(definition)
    }


def missing_search_indexes(connection, object_types) -> list[checks.CheckMessage]:
    """W005 for the search columns of ``object_types`` that have no trigram index."""
    indexed = trigram_indexed_columns(connection)
    found: list[checks.CheckMessage] = []
    for object_type in object_types:
        for model, column, name in search_columns(object_type):
            table = model._meta.db_table
            if (table, column) not in indexed:
                found.append(
                    checks.Warning(
                        f"{object_type.key} searches {name} ({table}.{column}), which has no trigram "
                        "index: every search of the type reads the whole table.",
                        hint=f'Add *trigram_indexes("{table}", ("{column}",)) '
                        "(lianke.core.migration_operations) to a migration of the app, or run "
                        "`lianke migrate` if one adds it.",
                        obj=object_type.model,
                        id="lianke.W005",
                    )
                )
    return found
