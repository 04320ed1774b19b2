"""The department tree walked in Python gives what django-tree-queries' recursive query gives:
the same tree order, ancestors and descendants, for any shape of tree."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lianke.org.models import Department
from lianke.org.paths import department_paths
from lianke.org.tree import tree

# Each new department's parent: none (a root) or one made before it; orders collide, names differ
# (siblings of the same order and name have no defined order in either).
shapes = st.lists(
    st.tuples(
        st.integers(-1, 30),
        st.sampled_from(["销售一部", "销售二部", "江苏公司", "A", "b"]),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=25,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shapes)
def test_the_tree_walked_in_python_is_the_recursive_querys(shape):
    Department.objects.all().delete()
    made: list[Department] = []
    for index, (parent_index, name, order) in enumerate(shape):
        parent = made[parent_index] if 0 <= parent_index < len(made) else None
        made.append(Department.objects.create(name=f"{name}{index}", parent=parent, sort_order=order))
    departments = tree()
    by_query = list(Department.objects.with_tree_fields().values_list("pk", flat=True))
    assert departments.order() == by_query
    assert list(department_paths()) == by_query
    for d in made:
        assert departments.ancestors(d.pk) == list(
            Department.objects.ancestors(d, include_self=True).values_list("pk", flat=True)
        )
        assert sorted(departments.descendants(d.pk)) == sorted(
            Department.objects.descendants(d, include_self=True).values_list("pk", flat=True)
        )


@pytest.mark.django_db
def test_an_unknown_department_has_no_ancestors_or_descendants():
    Department.objects.create(name="大明集团")
    assert tree().ancestors(987654) == []
    assert tree().descendants(987654) == []
