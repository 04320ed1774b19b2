"""Migration operations that run on one database only: the statistics a migration writes after
re-creating indexes on SQLite (``analyze``), and nothing on PostgreSQL; a foreign key's own
index dropped and created again without rebuilding its table (``AlterForeignKeyIndex``)."""

from __future__ import annotations

import pytest
from django.db import connection

from lianke.core.migration_operations import AlterForeignKeyIndex, analyze
from lianke.core.search import fts
from lianke.customers.models import Account

pytestmark = pytest.mark.django_db


class Editor:
    """What ``RunSQL`` needs of a schema editor (a real one cannot open inside a test's
    transaction on SQLite)."""

    connection = connection

    def __init__(self):
        self.executed: list[str] = []

    def execute(self, sql, params=None):
        self.executed.append(sql)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_analyze_writes_the_statistics_of_the_recreated_indexes_on_sqlite_only(org):
    Account.objects.bulk_create(
        [Account(name=f"客户{i}", owner=org.rep_js, department=org.js_team) for i in range(30)]
    )
    editor = Editor()
    analyze("customers_account").database_forwards("customers", editor, None, None)
    if connection.vendor != "sqlite":
        assert editor.executed == []  # PostgreSQL keeps its statistics per column
        return
    assert editor.executed == ['ANALYZE "customers_account"']
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'customers_account'")
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"cust_account_own_upd", "cust_account_dep_upd"} <= indexes


def _indexes_on(table: str, column: str) -> dict[str, bool]:
    """``{index name: partial?}`` of the indexes whose only column is ``column``."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
        if connection.vendor == "postgresql":
            sql = "SELECT indexname, indexdef LIKE '%% WHERE %%' FROM pg_indexes WHERE tablename = %s"
        else:
            sql = "SELECT name, sql LIKE '%% WHERE %%' FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
        cursor.execute(sql, [table])
        partial = dict(cursor.fetchall())
    return {
        name: bool(partial.get(name))
        for name, info in constraints.items()
        if info["columns"] == [column] and info["index"] and not info["primary_key"]
    }


@pytest.mark.django_db(transaction=True)
def test_a_foreign_keys_own_index_is_dropped_and_made_again_without_rebuilding_the_table(org):
    """The parent account's key is indexed only where set: its migration drops the key's own
    index — on SQLite too without copying the table, which ``AlterField`` would — and the way
    back makes it again; the partial index stays."""
    from django.db.migrations.executor import MigrationExecutor

    Account.objects.create(name="上海宝钢集团", owner=org.rep_js, department=org.js_team)
    loader = MigrationExecutor(connection).loader
    before = loader.project_state(("customers", "0017_scope_indexes_live"))
    after = loader.project_state(("customers", "0018_keys_indexed_where_set"))
    operation = next(
        op
        for op in loader.get_migration("customers", "0018_keys_indexed_where_set").operations
        if isinstance(op, AlterForeignKeyIndex) and op.name == "parent"
    )
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    assert _indexes_on("customers_account", "parent_id") == {"cust_account_parent_set": True}
    with connection.execute_wrapper(record), connection.schema_editor() as editor:
        operation.database_backwards("customers", editor, after, before)
    made_again = _indexes_on("customers_account", "parent_id")
    assert len(made_again) == 2 and sorted(made_again.values()) == [False, True]
    with connection.execute_wrapper(record), connection.schema_editor() as editor:
        operation.database_forwards("customers", editor, before, after)
    assert _indexes_on("customers_account", "parent_id") == {"cust_account_parent_set": True}
    assert statements and not [
        s for s in statements if "CREATE TABLE" in s.upper() or "INSERT INTO" in s.upper()
    ]
    assert Account.objects.filter(name="上海宝钢集团").exists()


def test_only_an_index_may_change_through_it():
    from django.db import models
    from django.db.migrations.state import ModelState, ProjectState

    def state(**field_options):
        project = ProjectState()
        project.add_model(ModelState("core", "Thing", [("id", models.AutoField(primary_key=True))]))
        thing = models.ForeignKey("core.Thing", models.CASCADE, **field_options)
        project.add_model(
            ModelState("core", "Other", [("id", models.AutoField(primary_key=True)), ("thing", thing)])
        )
        return project

    operation = AlterForeignKeyIndex(
        "other", "thing", models.ForeignKey("core.Thing", models.CASCADE, null=True)
    )
    with pytest.raises(ValueError, match="only db_index"):
        operation._fields("core", state(), state(null=True))
    operation._fields("core", state(), state(db_index=False))  # the index alone: accepted


def _undo_and_redo_filled_columns(app: str, name: str, previous: str) -> list[str]:
    """Run the migration ``name``'s filled columns and their indexes backwards, then forwards
    again; the statements of the way forward. The states are today's models without (then with)
    those columns, not the migration history's: SQLite rebuilds a table from the state it is
    given, and a state from before a later migration would drop that migration's columns."""
    from django.apps import apps
    from django.db import migrations
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.state import ProjectState

    from lianke.core.migration_operations import AddFilledField

    loader = MigrationExecutor(connection).loader
    migration = loader.get_migration(app, name)
    assert (app, previous) in loader.graph.node_map[(app, name)].parents
    span = [op for op in migration.operations if isinstance(op, AddFilledField | migrations.AddIndex)]
    before = ProjectState.from_apps(apps)
    for op in reversed(span):
        if isinstance(op, migrations.AddIndex):
            before.remove_index(app, op.model_name_lower, op.index.name)
        else:
            before.remove_field(app, op.model_name_lower, op.name)
    states = [before]
    for op in span:  # the state before and after each operation
        state = states[-1].clone()
        op.state_forwards(app, state)
        states.append(state)
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.schema_editor() as editor:
        for i in reversed(range(len(span))):
            span[i].database_backwards(app, editor, states[i + 1], states[i])
    with connection.execute_wrapper(record), connection.schema_editor() as editor:
        for i in range(len(span)):
            span[i].database_forwards(app, editor, states[i], states[i + 1])
    return statements


def _assert_plain_column_filled_without_update(statements, table: str, column: str) -> None:
    if connection.vendor != "postgresql":
        return
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")], statements
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attgenerated, attnotnull FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s",
            [table, column],
        )
        assert cursor.fetchone() == ("", True)  # a plain column, never null


@pytest.mark.django_db(transaction=True)
def test_a_company_names_initials_are_added_filled_from_its_pinyin_without_updating_each_row(org):
    """``add_initials``: the column added beside a filled pinyin column gets what ``derive``
    gives, deleted records too. PostgreSQL fills it in the table's one rewrite (a generated
    column made plain: no ``UPDATE`` of every row), and the column is then written like any
    other."""
    from lianke.core.fields import PinyinInitialsField
    from lianke.core.records import services

    names = ["中国石油", "马鞍山宏图科技有限公司", "ABC钢铁", "a"]
    accounts = [Account.objects.create(name=n, owner=org.rep_js, department=org.js_team) for n in names]
    services.delete_records(actor=org.rep_js, records=accounts[:1])
    statements = _undo_and_redo_filled_columns(
        "customers", "0019_name_initials", "0018_keys_indexed_where_set"
    )
    derive = PinyinInitialsField(source="name").derive
    stored = dict(Account.all_objects.values_list("name", "name_initials"))
    assert [stored[n] for n in names] == [derive(n) for n in names]
    assert [stored[n] for n in names[:2]] == ["zgsy", "mashtkjyxgs"]
    _assert_plain_column_filled_without_update(statements, "customers_account", "name_initials")
    accounts[1].name = "中国石化"
    services.save_record(actor=org.rep_js, instance=accounts[1])
    assert Account.objects.values_list("name_initials", flat=True).get(pk=accounts[1].pk) == "zgsh"


@pytest.mark.django_db(transaction=True)
def test_a_persons_initials_and_other_reading_are_added_filled_from_the_pinyin(org):
    """``add_initials`` and ``add_other_readings`` on a person's name: the first reading's
    initials, and the tokens after them (a surname read its own way) each after a space."""
    from lianke.core.fields import PinyinInitialsField, PinyinOtherReadingsField
    from lianke.customers.models import Contact

    names = ["单伟", "张伟", "曾强", "解放军", "a", "Li Na"]
    for n in names:
        Contact.objects.create(name=n, owner=org.rep_js, department=org.js_team)
    fts.drop([Contact])  # (its triggers name the column; ``migrate`` syncs them after the migration)
    try:
        statements = _undo_and_redo_filled_columns("customers", "0020_person_initials", "0019_name_initials")
    finally:
        fts.sync()
    initials = PinyinInitialsField(source="name", person=True).derive
    other = PinyinOtherReadingsField(source="name").derive
    stored = {
        n: (i, o) for n, i, o in Contact.all_objects.values_list("name", "name_initials", "name_pinyin_other")
    }
    assert [stored[n] for n in names] == [(initials(n), other(n)) for n in names]
    assert [stored[n] for n in names[:3]] == [("sw", " danwei dw"), ("zw", ""), ("zq", " cengqiang cq")]
    _assert_plain_column_filled_without_update(statements, "customers_contact", "name_pinyin_other")


def test_a_filled_field_is_a_plain_column_only():
    """``AddFilledField`` adds the column alone; an index, a unique constraint or a key that
    ``AddField`` would have made with it is refused, not silently left out."""
    from django.db import models
    from django.db.migrations.state import ModelState, ProjectState

    from lianke.core.migration_operations import AddFilledField

    operation = AddFilledField(
        "thing", "code", models.CharField(max_length=5, db_index=True), postgresql="'x'", sqlite="'x'"
    )
    before = ProjectState()
    before.add_model(ModelState("core", "Thing", [("id", models.AutoField(primary_key=True))]))
    after = before.clone()
    operation.state_forwards("core", after)
    with pytest.raises(ValueError, match="a plain column only"):
        operation.database_forwards("core", Editor(), before, after)
