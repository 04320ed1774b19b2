"""Migration operations that run on one database vendor only (and say so)."""

from django.db import migrations


class PostgreSQLOnly(migrations.RunSQL):
    """Raw SQL for PostgreSQL (trigram and GIN indexes); a no-op on SQLite."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def search_indexes(table: str, fields: tuple[str, ...]) -> list[PostgreSQLOnly]:
    """Trigram GIN indexes matching Django's ``icontains`` SQL (``UPPER(col::text) LIKE …``) and a
    ``jsonb_path_ops`` GIN index for custom-field equality/containment filters."""
    ops = [PostgreSQLOnly("CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop)]
    for field in fields:
        name = f"{table}_{field}_trgm"
        ops.append(
            PostgreSQLOnly(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{field}"::text)) gin_trgm_ops)',
                reverse_sql=f'DROP INDEX IF EXISTS "{name}"',
            )
        )
    ops.append(
        PostgreSQLOnly(
            f'CREATE INDEX IF NOT EXISTS "{table}_custom_gin" ON "{table}" USING gin (custom_data jsonb_path_ops)',
            reverse_sql=f'DROP INDEX IF EXISTS "{table}_custom_gin"',
        )
    )
    return ops
