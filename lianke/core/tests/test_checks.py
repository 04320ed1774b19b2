"""The system checks of ``lianke.core.checks``."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.test.utils import isolate_apps

from lianke.core.checks import (
    declaration_messages,
    foreign_key_indexes,
    index_warnings,
    missing_search_indexes,
    object_type_declarations,
    search_columns,
    search_field_indexes,
)
from lianke.core.models.base import set_only_indexes
from lianke.core.objecttypes.registry import registry
from lianke.core.urls import object_urlpatterns
from lianke.core.views.objects import ObjectDetailView
from lianke.sales.models import Competitor


def test_every_foreign_key_of_lianke_has_exactly_one_index_leading_with_it():
    assert [str(m) for m in foreign_key_indexes()] == []


@isolate_apps("lianke.core")
def test_a_second_index_on_a_foreign_key_and_a_missing_one_are_both_reported():
    class Parent(models.Model):  # noqa: DJ008 - never shown
        class Meta:
            app_label = "core"

    class Child(models.Model):  # noqa: DJ008 - never shown
        doubled = models.ForeignKey(Parent, on_delete=models.CASCADE, related_name="+")
        bare = models.ForeignKey(Parent, on_delete=models.CASCADE, related_name="+", db_index=False)
        covered = models.ForeignKey(Parent, on_delete=models.CASCADE, related_name="+", db_index=False)
        own = models.ForeignKey(Parent, on_delete=models.CASCADE, related_name="+")
        set_only = models.ForeignKey(
            Parent, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
        )
        partly = models.ForeignKey(
            Parent, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
        )
        when = models.DateTimeField()

        class Meta:
            app_label = "core"
            indexes = [
                models.Index(fields=["doubled", "when"], name="child_doubled"),
                models.Index(fields=["covered", "when"], name="child_covered"),
                models.Index(fields=["when", "own"], name="child_when"),  # does not lead with own
                # only the rows that hold a key: every lookup by the key finds its rows there
                *set_only_indexes("child", "set_only"),
                # but a condition on anything else leaves rows out
                models.Index(fields=["partly"], condition=models.Q(when__isnull=False), name="child_partly"),
            ]

    found = {(m.id, m.msg.split(" ")[0]) for m in index_warnings(Child)}
    assert found == {
        ("lianke.W001", "core.Child.doubled"),
        ("lianke.W002", "core.Child.bare"),
        ("lianke.W002", "core.Child.partly"),
    }
    assert all(isinstance(m, checks.Warning) for m in index_warnings(Child))


# ---------------------------------------------------------------------- object type declarations
def _variant(key: str, **declared):
    """An instance of the registered type ``key``'s class with ``declared`` changed (never
    registered: the registry and the access policies stay as they are)."""
    return type("Variant", (type(registry.get(key)),), declared)()


def test_every_registered_object_type_declares_what_the_platform_needs():
    assert [str(m) for m in object_type_declarations()] == []


def test_a_type_that_forgets_its_default_grants_or_its_factory_is_reported():
    found = {
        m.id for m in declaration_messages(_variant("sales.competitor", default_grants=None, factory=None))
    }
    assert found == {"lianke.W003", "lianke.W004"}
    # {} is a declaration: only administrators reach the records
    assert declaration_messages(_variant("sales.competitor", default_grants={})) == []


def test_grants_of_an_unknown_role_action_or_scope_and_a_childs_grants_are_errors():
    for grants in (
        {"intern": (["view"], "own")},  # no such role
        {"sales_rep": (["view", "transfer"], "all")},  # a catalogue has no owner to transfer
        {"sales_rep": (["view"], "galaxy")},  # no such scope
    ):
        found = declaration_messages(_variant("sales.competitor", default_grants=grants))
        assert [m.id for m in found] == ["lianke.E002"], grants
        assert all(isinstance(m, checks.Error) for m in found)
    child = _variant("sales.opportunitycompetitor", default_grants={"sales_rep": (["view"], "own")})
    assert [m.id for m in declaration_messages(child)] == ["lianke.E001"]


def test_a_view_replacing_a_page_the_type_has_not_is_refused(monkeypatch):
    # a competitor has no lifecycle, so no board to replace
    monkeypatch.setattr(registry.get("sales.competitor"), "views", {"board": ObjectDetailView})
    with pytest.raises(ImproperlyConfigured, match="board"):
        object_urlpatterns()


@pytest.fixture
def uncovered_type():
    """Competitors as if they were also searched by their description, which no index covers."""
    from lianke.sales.objects import CompetitorObject

    class Uncovered(CompetitorObject):
        search_fields = ("name", "description")

    return Uncovered()


@pytest.mark.django_db
def test_every_search_field_has_a_trigram_index_on_postgresql():
    # given the migrated database; when the database checks run; then none is missing
    # (on SQLite, which has no trigram indexes, the check has nothing to say)
    assert [str(m) for m in search_field_indexes(databases=["default"])] == []


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_a_search_field_without_a_trigram_index_is_reported(uncovered_type):
    # when the check reads the indexes for a type searching an unindexed column
    found = missing_search_indexes(connection, [uncovered_type])
    # then that column is reported, naming the migration operation that adds the index
    assert [(m.id, m.obj) for m in found] == [("lianke.W005", Competitor)]
    assert "sales.competitor searches description (sales_competitor.description)" in found[0].msg
    assert 'trigram_indexes("sales_competitor", ("description",))' in found[0].hint


def test_search_columns_follow_paths_to_the_related_table_and_add_the_contained_pinyin_columns():
    """Pinyin initials have b-tree columns of their own; only a person's other reading (a surname
    read its own way) is contained text, with a trigram index."""
    from lianke.core.objecttypes.registry import registry

    competitor_entry = search_columns(registry.get("sales.opportunitycompetitor"))
    assert [(m._meta.db_table, column) for m, column, _ in competitor_entry] == [
        ("sales_competitor", "name"),
        ("sales_opportunity", "name"),
    ]
    account = {
        (m._meta.db_table, column) for m, column, _ in search_columns(registry.get("customers.account"))
    }
    assert ("customers_account", "name_pinyin") not in account
    contact = {
        (m._meta.db_table, column) for m, column, _ in search_columns(registry.get("customers.contact"))
    }
    assert ("customers_contact", "name_pinyin_other") in contact
    assert ("customers_contact", "name_pinyin") not in contact


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_migrating_a_new_database_warns_of_no_index_its_migrations_are_about_to_add(tmp_path):
    """``lianke migrate`` runs the database checks before applying the migrations: on a new
    database the search indexes are theirs to add, not missing."""
    import os
    import subprocess
    import sys
    import uuid

    import psycopg

    settings_db = connection.settings_dict
    name = f"lianke_fresh_{uuid.uuid4().hex[:8]}"
    server = f"postgresql://{settings_db['USER']}@{settings_db['HOST'] or '127.0.0.1'}:{settings_db['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = os.environ | {"DATABASE_URL": f"{server}/{name}", "LIANKE_DATA_DIR": str(tmp_path)}
        done = subprocess.run(  # noqa: S603 -- the project's own command
            [sys.executable, "-m", "lianke", "migrate", "-v0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        assert "W005" not in done.stdout + done.stderr
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
