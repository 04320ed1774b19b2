"""Migration operations shared by the apps: SQL that runs on one database vendor only (and
says so), statistics for re-created indexes, a foreign key's own index dropped or created
without rebuilding its table, and the data migration that fills derived columns (phone digits,
company keys)."""

from django.db import migrations, models


class VendorOnly(migrations.RunSQL):
    """Raw SQL for one database vendor; a no-op on the other."""

    vendor = ""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class PostgreSQLOnly(VendorOnly):
    """Raw SQL for PostgreSQL (trigram and GIN indexes); a no-op on SQLite."""

    vendor = "postgresql"


class SQLiteOnly(VendorOnly):
    """Raw SQL for SQLite (statistics); a no-op on PostgreSQL."""

    vendor = "sqlite"


class AlterForeignKeyIndex(migrations.AlterField):
    """``AlterField`` of a foreign key whose only change is ``db_index``: the state changes as
    ``AlterField``'s, the database only drops or creates the key's own index. SQLite remakes a
    table for any ``AlterField`` — at ten million activities, a copy of the table for an index."""

    def _fields(self, app_label, from_state, to_state):
        old = from_state.apps.get_model(app_label, self.model_name)._meta.get_field(self.name)
        model = to_state.apps.get_model(app_label, self.model_name)
        new = model._meta.get_field(self.name)

        def shape(field):
            _name, path, args, kwargs = field.deconstruct()
            return path, args, {k: v for k, v in kwargs.items() if k != "db_index"}

        if shape(old) != shape(new):
            raise ValueError(f"{self.model_name}.{self.name}: only db_index may change here")
        return model, old, new

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model, old, new = self._fields(app_label, from_state, to_state)
        self._apply(schema_editor, model, new, drop=old.db_index and not new.db_index)

    database_backwards = database_forwards  # from the state the database is in, to the other

    @staticmethod
    def _apply(schema_editor, model, field, *, drop: bool) -> None:
        if not drop:
            if field.db_index:
                schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))
            return
        table = model._meta.db_table
        declared = {index.name for index in model._meta.indexes}
        with schema_editor.connection.cursor() as cursor:
            constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
        for name, info in constraints.items():
            own = info["columns"] == [field.column] and info["index"] and not info["unique"]
            if own and not info["primary_key"] and name not in declared:
                schema_editor.execute(schema_editor._delete_index_sql(model, name))


def analyze(*tables: str) -> SQLiteOnly:
    """Statistics for the indexes a migration re-created. SQLite keeps them per index and drops
    them with it (PostgreSQL's are per column and stay): without them its planner takes a new
    index for a selective one — a department's records collected and sorted (11 ms) instead of
    the list's order walked (1 ms)."""
    return SQLiteOnly([f'ANALYZE "{table}"' for table in tables], reverse_sql=migrations.RunSQL.noop)


def trigram_indexes(
    table: str, fields: tuple[str, ...], *, concurrently: bool = False
) -> list[PostgreSQLOnly]:
    """Trigram GIN indexes matching Django's ``icontains`` SQL (``UPPER(col::text) LIKE …``).
    ``concurrently`` builds them without blocking writes to a large table (the migration must
    then be ``atomic = False``). The system check ``lianke.W003`` (``core.checks``) reports a
    registered type's search field that has none."""
    how = "CONCURRENTLY " if concurrently else ""
    ops = [PostgreSQLOnly("CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop)]
    for field in fields:
        name = f"{table}_{field}_trgm"
        ops.append(
            PostgreSQLOnly(
                f'CREATE INDEX {how}IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{field}"::text)) gin_trgm_ops)',
                reverse_sql=f'DROP INDEX {how}IF EXISTS "{name}"',
            )
        )
    return ops


def without_trigram_indexes(table: str, fields: tuple[str, ...]) -> list[PostgreSQLOnly]:
    """The trigram indexes of :func:`trigram_indexes` dropped (a column no search reads as
    contained text any more); backwards they are made again."""
    return [
        PostgreSQLOnly(op.reverse_sql, reverse_sql=op.sql)
        for op in trigram_indexes(table, fields)[1:]  # (the extension stays)
    ]


class AddFilledField(migrations.AddField):
    """``AddField`` of a column that every existing row gets filled from its other columns, by
    the SQL expression ``postgresql`` or ``sqlite`` (column names quoted).

    On PostgreSQL the column is added as a stored generated column — one rewrite of the table,
    its indexes rebuilt in bulk — and then made a plain one (``DROP EXPRESSION``): an ``UPDATE``
    of every row instead inserts into each of the table's indexes row by row and leaves a dead
    copy of every row (a million accounts: more than 7 minutes). On SQLite, the column is added
    and filled by one ``UPDATE``."""

    def __init__(self, model_name, name, field, *, postgresql: str, sqlite: str, preserve_default=True):
        self.postgresql, self.sqlite = postgresql, sqlite
        super().__init__(model_name, name, field, preserve_default)

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, args, {**kwargs, "postgresql": self.postgresql, "sqlite": self.sqlite}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        if field.db_index or field.unique or field.is_relation:  # (what AddField would add with it)
            raise ValueError(f"{self.model_name}.{self.name}: declare its index in Meta, a plain column only")
        connection = schema_editor.connection
        table, column = (connection.ops.quote_name(n) for n in (model._meta.db_table, field.column))
        if connection.vendor == "postgresql":
            kind = field.db_type(connection) + ("" if field.null else " NOT NULL")
            schema_editor.execute(
                f"ALTER TABLE {table} ADD COLUMN {column} {kind} GENERATED ALWAYS AS ({self.postgresql}) STORED"
            )
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} DROP EXPRESSION")
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)
        schema_editor.execute(f"UPDATE {table} SET {column} = {self.sqlite}")  # noqa: S608 - from model meta


def _from_pinyin(model_name: str, name: str, field, pinyin: str, *, postgresql: str, sqlite: str):
    """:class:`AddFilledField` from the pinyin column ``pinyin`` (``{p}`` in the expressions; in
    SQLite's, ``{rest}`` is what follows its first space)."""
    p = f'"{pinyin}"'
    rest = f"substr({p}, instr({p}, ' ') + 1)"
    return AddFilledField(
        model_name, name, field, postgresql=postgresql.format(p=p), sqlite=sqlite.format(p=p, rest=rest)
    )


def add_initials(model_name: str, name: str, field, *, pinyin: str) -> AddFilledField:
    """The initials column ``name`` (``core.fields.PinyinInitialsField``) added beside the filled
    pinyin column ``pinyin``, and filled with its second token (the first reading's initials) —
    what ``derive`` gives, without converting millions of names again."""
    return _from_pinyin(
        model_name,
        name,
        field,
        pinyin,
        postgresql="split_part({p}, ' ', 2)",
        sqlite="CASE WHEN instr({p}, ' ') = 0 THEN '' WHEN instr({rest}, ' ') = 0 THEN {rest}"
        " ELSE substr({rest}, 1, instr({rest}, ' ') - 1) END",
    )


def add_other_readings(model_name: str, name: str, field, *, pinyin: str) -> AddFilledField:
    """A person's other-readings column ``name`` (``core.fields.PinyinOtherReadingsField``) added
    beside the filled pinyin column ``pinyin``, and filled with its tokens after the first two,
    each after a space — what ``derive`` gives."""
    return _from_pinyin(
        model_name,
        name,
        field,
        pinyin,
        postgresql="CASE WHEN split_part({p}, ' ', 3) = '' THEN '' ELSE regexp_replace({p}, '^[^ ]* [^ ]*', '') END",
        sqlite="CASE WHEN instr({p}, ' ') > 0 AND instr({rest}, ' ') > 0 THEN substr({rest}, instr({rest}, ' ')) ELSE '' END",
    )


def search_indexes(table: str, fields: tuple[str, ...]) -> list[PostgreSQLOnly]:
    """Trigram GIN indexes matching Django's ``icontains`` SQL (``UPPER(col::text) LIKE …``) and a
    ``jsonb_path_ops`` GIN index for custom-field equality/containment filters."""
    ops = trigram_indexes(table, fields)
    ops.append(
        PostgreSQLOnly(
            f'CREATE INDEX IF NOT EXISTS "{table}_custom_gin" ON "{table}" USING gin (custom_data jsonb_path_ops)',
            reverse_sql=f'DROP INDEX IF EXISTS "{table}_custom_gin"',
        )
    )
    return ops


def fill_derived(app_label: str, model_name: str, *columns: str) -> migrations.RunPython:
    """A data migration: fill the derived columns ``columns`` (``core.fields.DerivedField``: a
    phone's digits, a company name's key) of every row, deleted ones too, with the field's own
    ``derive`` — the function saves use — in batches of 5,000 rows in id order. Rows whose
    sources are all empty keep the default ``""``. Backwards it does nothing: the schema
    migration drops the columns. Run it again (a new migration) when a derivation changes."""

    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        fields = [model._meta.get_field(c) for c in columns]
        sources = [f.source for f in fields]
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        key = quote(model._meta.pk.column)
        update = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {key} = %s"  # noqa: S608 - names from model meta
        has_source = models.Q()
        for source in sources:
            has_source |= ~models.Q(**{source: ""})
        rows = model._base_manager.using(connection.alias).filter(has_source).order_by("pk")
        last = 0
        while batch := list(rows.filter(pk__gt=last).values_list("pk", *sources)[:5000]):
            with connection.cursor() as cursor:
                cursor.executemany(
                    update,
                    [
                        (*(f.derive(v) for f, v in zip(fields, values, strict=True)), pk)
                        for pk, *values in batch
                    ],
                )
            last = batch[-1][0]

    return migrations.RunPython(forwards, migrations.RunPython.noop)


def fill_phone_digits(app_label: str, model_name: str, columns: dict[str, str]) -> migrations.RunPython:
    """:func:`fill_derived` of the digits columns ``{digits column: phone column}`` (the form
    the phone migrations were written with)."""
    return fill_derived(app_label, model_name, *columns)
