"""The system checks of ``lianke.core.checks``."""

from __future__ import annotations

from django.core import checks
from django.db import models
from django.test.utils import isolate_apps

from lianke.core.checks import foreign_key_indexes, index_warnings


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
