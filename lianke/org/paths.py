"""Department paths ("江苏公司 / 销售一部"): how a department is named wherever one is chosen
or people are grouped by department. Team names repeat from company to company (five
"销售一部"), so a bare name does not say which one is meant; the path does."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.forms.models import ModelChoiceIterator

from lianke.core import context

from .tree import tree

SEPARATOR = " / "


def department_paths() -> dict[int, str]:
    """``{department id: path}`` for every department (inactive ones too: people may still
    belong to them), in tree order, from the request's department tree (``org.tree``).

    The group at the top is left out of the paths below it when it is the only root: every
    path would start with it and say nothing. Within a web or API request the result is kept
    for the request (a page with three pickers asks once)."""
    ctx = context.current()
    cache = ctx.cache if ctx is not None and ctx.request is not None else {}
    if "department_paths" not in cache:
        departments = tree()
        rows = [(pk, [departments.names[a] for a in departments.ancestors(pk)]) for pk in departments.order()]
        roots = sum(1 for _pk, names in rows if len(names) == 1)
        skip = 1 if roots == 1 else 0
        cache["department_paths"] = {
            pk: SEPARATOR.join(names[skip:] if len(names) > skip else names) for pk, names in rows
        }
    return cache["department_paths"]


def department_path(department_id: int | None) -> str:
    """The path of one department ("" for none)."""
    if department_id is None:
        return ""
    return department_paths().get(department_id, "")


class _TreeOrder(ModelChoiceIterator):
    def __iter__(self):
        paths = department_paths()
        self.field.paths = paths
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        order = {pk: index for index, pk in enumerate(paths)}
        for obj in sorted(self.queryset, key=lambda d: order.get(d.pk, len(order))):
            yield self.choice(obj)


class DepartmentPathChoiceField(forms.ModelChoiceField):
    """A department select whose options read as paths, in tree order."""

    iterator = _TreeOrder
    paths: dict[int, str] | None = None

    def label_from_instance(self, obj):
        paths = self.paths if self.paths is not None else department_paths()
        return paths.get(obj.pk) or str(obj)


class DepartmentPathListFilter(admin.RelatedFieldListFilter):
    """The admin's "by department" filter, listing departments by path in tree order."""

    def field_choices(self, field, request, model_admin):
        return list(department_paths().items())
