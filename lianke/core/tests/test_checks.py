"""The system checks of ``lianke.core.checks``."""

from __future__ import annotations

import pytest
from django.core import checks
from django.db import connection, models
from django.test.utils import isolate_apps

from lianke.core.checks import (
    foreign_key_indexes,
    index_warnings,
    missing_search_indexes,
    search_columns,
    search_field_indexes,
)
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
        when = models.DateTimeField()

        class Meta:
            app_label = "core"
            indexes = [
                models.Index(fields=["doubled", "when"], name="child_doubled"),
                models.Index(fields=["covered", "when"], name="child_covered"),
                models.Index(fields=["when", "own"], name="child_when"),  # does not lead with own
            ]

    found = {(m.id, m.msg.split(" ")[0]) for m in index_warnings(Child)}
    assert found == {("lianke.W001", "core.Child.doubled"), ("lianke.W002", "core.Child.bare")}
    assert all(isinstance(m, checks.Warning) for m in index_warnings(Child))


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
    assert [(m.id, m.obj) for m in found] == [("lianke.W003", Competitor)]
    assert "sales.competitor searches description (sales_competitor.description)" in found[0].msg
    assert 'trigram_indexes("sales_competitor", ("description",))' in found[0].hint


def test_search_columns_follow_paths_to_the_related_table_and_add_the_pinyin_columns():
    from lianke.core.registry import registry

    competitor_entry = search_columns(registry.get("sales.opportunitycompetitor"))
    assert [(m._meta.db_table, column) for m, column, _ in competitor_entry] == [
        ("sales_competitor", "name"),
        ("sales_opportunity", "name"),
    ]
    account = {
        (m._meta.db_table, column) for m, column, _ in search_columns(registry.get("customers.account"))
    }
    assert ("customers_account", "name_pinyin") in account
