"""Custom fields indexed for sorting: the flag's limits, the operator command that builds and
drops the indexes out of band, and the list's sort served by them with the same rows."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from lianke.core import cfindexes
from lianke.core.models import CustomField
from lianke.core.objecttypes.registry import registry
from lianke.customers.models import Account

ACCOUNT = "customers.account"

# CREATE INDEX CONCURRENTLY cannot run inside the test's transaction on PostgreSQL.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English."""


def field(name, type_="date", **extra):
    return CustomField.objects.create(object_type=ACCOUNT, name=name, label=name, type=type_, **extra)


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        names = connection.introspection.get_constraints(cursor, Account._meta.db_table)
    return {n for n in names if n.startswith(cfindexes.PREFIX)}


def codes(exc: ValidationError, name: str) -> list[str]:
    return [e.code for e in exc.error_dict[name]]


def test_long_texts_and_multiple_selections_cannot_be_indexed():
    for type_, extra in (("longtext", {}), ("multiselect", {"options": [{"key": "a", "label": "A"}]})):
        definition = CustomField(object_type=ACCOUNT, name="x", label="x", type=type_, indexed=True, **extra)
        with pytest.raises(ValidationError) as caught:
            definition.full_clean()
        assert codes(caught.value, "indexed") == ["not_indexable"]


def test_at_most_three_fields_of_a_type_are_indexed():
    for name in ("a", "b", "c"):
        field(name, indexed=True)
    fourth = CustomField(object_type=ACCOUNT, name="d", label="d", type="date", indexed=True)
    with pytest.raises(ValidationError) as caught:
        fourth.full_clean()
    assert codes(caught.value, "indexed") == ["too_many_indexed"]
    assert "At most 3 fields" in caught.value.error_dict["indexed"][0].messages[0]
    # another type's fields do not count, nor re-saving one of the three
    CustomField(object_type="marketing.lead", name="d", label="d", type="date", indexed=True).full_clean()
    CustomField.objects.get(name="a").full_clean()


def test_the_command_lists_then_builds_then_drops_the_indexes(capsys):
    signed = field("signed", indexed=True)
    field("note", "text")  # not marked: no index
    # listing changes nothing
    call_command("customfield_indexes")
    out = capsys.readouterr().out
    assert "create cf_" in out and f"for {ACCOUNT}.signed" in out and "--apply" in out
    assert index_names() == set()
    # --apply builds one index per sort direction the database can serve
    call_command("customfield_indexes", "--apply")
    built = index_names()
    assert len(built) == (2 if connection.vendor == "postgresql" else 1)
    call_command("customfield_indexes")
    assert "up to date" in capsys.readouterr().out
    # unmarked: dropped on the next run
    signed.indexed = False
    signed.save()
    call_command("customfield_indexes", "--apply")
    assert index_names() == set()


def explain(url_sort: str, org) -> str:
    """The plan of the account list's query sorted by ``url_sort``, as the admin sees it."""
    from lianke.core.context import acting_as
    from lianke.core.pagination import order

    ot = registry.get(ACCOUNT)
    with acting_as(org.admin):
        spec, _key = ot.sort_spec(url_sort)
        queryset = order(ot.list_queryset(Account.objects.all()), spec)[:51]
        sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A table of a dozen rows is cheaper to read and sort: forbid both, so the plan
            # shows whether the index can serve the order at all.
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    return plan


def test_the_list_sorted_by_an_indexed_field_reads_the_index_and_finds_the_same_rows(org, client_for):
    field("signed", indexed=True)
    for i in range(12):
        custom = {"signed": f"2026-0{1 + i % 9}-1{i % 10}"} if i % 4 else {}
        Account.objects.create(name=f"客户{i}", owner=org.rep_js, custom_data=custom)
    web = client_for(org.admin)

    def ids(sort):
        response = web.get("/customers/account/", {"sort": sort, "per_page": 5})
        assert response.status_code == 200
        return [obj.pk for obj, _cells, _card in response.context["rows"]]

    before = {sort: ids(sort) for sort in ("-cf_signed", "cf_signed")}
    call_command("customfield_indexes", "--apply")
    after = {sort: ids(sort) for sort in ("-cf_signed", "cf_signed")}
    assert after == before
    [descending] = [n for n in index_names() if n.endswith("_d")]
    assert descending in explain("-cf_signed", org)
    assert not sorted_apart(explain("-cf_signed", org))  # the index gives the order itself
    if connection.vendor == "postgresql":
        [ascending] = [n for n in index_names() if n.endswith("_a")]
        assert ascending in explain("cf_signed", org)
        assert not sorted_apart(explain("cf_signed", org))


def sorted_apart(plan: str) -> bool:
    """Does the plan sort the rows after reading them (instead of reading them in order)?"""
    return "TEMP B-TREE FOR ORDER BY" in plan or "Sort" in plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite writes JSON key tests from a set")
def test_the_sort_expression_is_written_alike_in_every_process():
    """The index is built by one process (the operator's command) and read by others (the web
    workers): SQLite uses it only where the statement is written exactly alike. Django lists
    the JSON types of a key test from a set, whose order follows each process's string
    hashing; compiled under several hash seeds, the statement must not change."""
    import os
    import subprocess
    import sys

    script = (
        "import django; django.setup()\n"
        "from lianke.core import cfindexes\n"
        "from lianke.core.models import CustomField\n"
        "from lianke.core.objecttypes.registry import registry\n"
        "from lianke.customers.models import Account\n"
        "d = CustomField(object_type='customers.account', name='signed', label='s', type='date')\n"
        "[index] = cfindexes.wanted_indexes(registry.get('customers.account'), d)\n"
        "print(cfindexes._statement(Account, index))\n"
    )
    statements = {
        subprocess.run(  # noqa: S603 -- a fixed command
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3, 4)
    }
    assert len(statements) == 1, statements
    [statement] = statements
    assert "'$.\"signed\"'" in statement  # the path written into the statement, not bound


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL compiles the expression alike")
def test_an_index_built_from_another_statement_is_built_again(capsys):
    """An index built before the expression was written alike in every process may hold another
    order of the JSON types: SQLite would never use it, so the command builds it again."""
    field("signed", indexed=True)
    call_command("customfield_indexes", "--apply")
    [name] = index_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [name])
        [(statement,)] = cursor.fetchall()
        other = statement.replace("'null','false','true'", "'true','null','false'")
        assert other != statement
        cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(other)
    call_command("customfield_indexes")
    assert f"rebuild {name}" in capsys.readouterr().out
    call_command("customfield_indexes", "--apply")
    call_command("customfield_indexes")
    assert "up to date" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [name])
        assert cursor.fetchall() == [(statement,)]
