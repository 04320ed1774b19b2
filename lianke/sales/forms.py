"""The opportunity form (``OpportunityObject.form_base``): the stage set defaults to the company
default, the stage to the set's first open stage, and the stage list holds only the chosen
set's stages — refreshed on the page when the set changes (``BusinessForm.depends_on``)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lianke.core.ui.forms import BusinessForm

from .models import Stage, StageSet


class OpportunityForm(BusinessForm):
    depends_on = {"stage": "stage_set"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stage_sets = self.fields["stage_set"]
        # Active sets, and the one an existing opportunity is in even if it was retired since.
        stage_sets.queryset = StageSet.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.stage_set_id or 0)
        )
        stage_sets.empty_label = None
        stage_set = self.chosen_stage_set()
        stage = self.fields["stage"]
        stage.queryset = Stage.objects.filter(stage_set=stage_set)
        stage.empty_label = None
        # The model's message: a stage of another set (posted by hand) is refused on the field.
        stage.error_messages["invalid_choice"] = _("Choose a stage of the opportunity's stage set.")
        if not self.is_bound and self.instance._state.adding and stage_set is not None:
            self.initial["stage_set"] = stage_set.pk
            if str(self.initial.get("stage", "")) not in {
                str(pk) for pk in stage.queryset.values_list("pk", flat=True)
            }:
                first = stage_set.first_open_stage()
                self.initial["stage"] = first.pk if first else None

    def chosen_stage_set(self) -> StageSet | None:
        """The set whose stages the form offers: the posted one, else the record's, else the one
        the page was opened with (``?stage_set=``), else the company default."""
        queryset = self.fields["stage_set"].queryset
        candidates = []
        if self.is_bound:
            candidates.append(self.data.get(self.add_prefix("stage_set")))
        candidates += [self.instance.stage_set_id, self.initial.get("stage_set")]
        for pk in candidates:
            if pk and str(pk).isdigit() and (found := queryset.filter(pk=pk).first()):
                return found
        return StageSet.default()

    def refreshed_value(self, name):
        """After the set changed: keep the stage if it is in the new set, else its first open one."""
        if name == "stage":
            value = self["stage"].value()
            stages = self.fields["stage"].queryset
            if value and str(value).isdigit() and stages.filter(pk=value).exists():
                return value
            stage_set = self.chosen_stage_set()
            first = stage_set.first_open_stage() if stage_set else None
            return first.pk if first else None
        return super().refreshed_value(name)
