"""*Settings › Stage sets* (``/settings/stage-sets/``): administrators list the stage sets and
edit one with its stages on one page (order by dragging or the up/down buttons, add, remove),
saved as a whole through ``stagesets.save_stage_set``. Who may open the pages is the stage set's
config kind (``org.access``), asked here and again by the service for the write."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from lianke.core.errors import CodedErrorsForm, FieldCode, RecordCode
from lianke.core.search import textsearch
from lianke.core.text.keys import as_key
from lianke.core.ui.forms import style_settings_form
from lianke.org.views import administrators_only

from . import stagesets
from .choices import StageKind
from .models import Opportunity, StageSet

#: Administrators (the settings model's config kind), as every settings page.
settings_page = administrators_only(of=StageSet)


class StageSetForm(CodedErrorsForm, forms.ModelForm):
    class Meta:
        model = StageSet
        fields = stagesets.SET_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_settings_form(self)

    def _post_clean(self):
        """Validated by the service, on the stored set under its lock."""


def _probability(value: str):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _posted_stages(post) -> list[dict] | None:
    """The stage rows as posted, in the page's order (each row's inputs share an index);
    ``None`` if the rows do not line up (not a page of ours)."""
    columns = [post.getlist(f"stage-{name}") for name in ("id", "name", "name_en", "probability", "kind")]
    if len({len(column) for column in columns}) > 1:
        return None
    rows = []
    for pk, name, name_en, probability, kind in zip(*columns, strict=True):
        rows.append(
            {
                "id": as_key(pk),
                # no record holds NUL (and PostgreSQL refuses it)
                "name": textsearch.clean(name).strip(),
                "name_en": textsearch.clean(name_en).strip(),
                "probability": _probability(probability),
                "kind": kind,
                "raw_probability": probability,
            }
        )
    return rows


@settings_page
def stage_set_list(request):
    sets = StageSet.objects.prefetch_related("stages")
    in_use = dict(
        Opportunity.all_objects.values_list("stage_set").annotate(n=Count("id")).values_list("stage_set", "n")
    )
    rows = [(s, in_use.get(s.pk, 0)) for s in sets]
    return render(request, "sales/settings/stage_sets.html", {"rows": rows})


@settings_page
def stage_set_edit(request, pk: int | None = None):
    stage_set = get_object_or_404(StageSet, pk=pk) if pk else None
    form = StageSetForm(request.POST or None, instance=stage_set)
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        rows = _posted_stages(request.POST)
        if rows is None:
            rows = []
            errors.append(
                (
                    RecordCode.VERSION_CONFLICT,
                    _("The stages changed since you opened this page. Reload it and make your change again."),
                )
            )
        elif form.is_valid():
            try:
                saved = stagesets.save_stage_set(
                    actor=request.user,
                    stage_set=stage_set,
                    stages=rows,
                    expected_state=request.POST.get("state") or None,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, listed in exc.error_dict.items():
                        if field in form.fields:
                            form.add_error(field, ValidationError(listed))
                        else:
                            errors += [(e.code or FieldCode.INVALID, m) for e in listed for m in e]
                else:
                    errors += [(e.code or FieldCode.INVALID, m) for e in exc.error_list for m in e]
            else:
                messages.success(request, _("Stage set “%(name)s” saved.") % {"name": saved})
                return redirect("sales_settings:stage_set_edit", pk=saved.pk)
        state = request.POST.get("state", "")
    else:
        rows = [
            {
                "id": s.pk,
                "name": s.name,
                "name_en": s.name_en,
                "probability": s.probability,
                "kind": s.kind,
                "raw_probability": s.probability,
            }
            for s in (stage_set.stages.all() if stage_set else [])
        ]
        if stage_set is None:
            rows = [
                {"id": None, "name": "", "name_en": "", "kind": kind, "raw_probability": p}
                for kind, p in ((StageKind.OPEN, 10), (StageKind.WON, 100), (StageKind.LOST, 0))
            ]
        state = stagesets.state_of(stage_set) if stage_set else ""
    in_use = {}
    if stage_set is not None:
        in_use = dict(
            Opportunity.all_objects.filter(stage_set=stage_set)
            .values_list("stage")
            .annotate(n=Count("id"))
            .values_list("stage", "n")
        )
    for row in rows:
        row["in_use"] = in_use.get(row["id"], 0)
    return render(
        request,
        "sales/settings/stage_set_form.html",
        {
            "form": form,
            "stage_set": stage_set,
            "rows": rows,
            "kinds": StageKind.choices,
            "stage_errors": errors,
            "state": state,
        },
        status=400 if request.method == "POST" else 200,
    )
