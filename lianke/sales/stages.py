"""The opportunity's stage path (S2): the stages of its own stage set, in their order; an
opportunity moves from any stage to any other of its set, through ``services.move_stage``; its
board shows one stage set at a time."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lianke.core.errors import FieldCode
from lianke.core.records.stages import StagePath, State

from .models import Stage, StageSet


def state_of(stage: Stage) -> State:
    return State(str(stage.pk), str(stage), stage.kind, note=f"{stage.probability}%")


class OpportunityStagePath(StagePath):
    def states_of_set(self, stage_set_id) -> list[State]:
        return [state_of(s) for s in Stage.objects.filter(stage_set_id=stage_set_id)]

    def states(self, obj) -> list[State]:
        # Asked several times while one path is drawn: one query per record and stage set.
        cache = obj.__dict__.setdefault("_stage_path_states", {})
        if obj.stage_set_id not in cache:
            cache[obj.stage_set_id] = self.states_of_set(obj.stage_set_id)
        return cache[obj.stage_set_id]

    def current(self, obj) -> str:
        return str(obj.stage_id)

    def board(self, request, queryset):
        """One stage set's board at a time (``?stage_set=``; the default set otherwise)."""
        stage_sets = StageSet.objects.filter(is_active=True)
        stage_set = stage_sets.filter(pk=request.GET.get("stage_set") or 0).first() or StageSet.default()
        states = self.states_of_set(stage_set.pk) if stage_set else []
        return (
            states,
            queryset.filter(stage_set=stage_set),
            {
                "stage_set": stage_set,
                "stage_sets": stage_sets,
                "controls_template": "sales/partials/board_controls.html",
            },
        )

    def unknown_state_error(self, obj, value: str) -> ValidationError:
        return ValidationError(
            {
                "stage": ValidationError(
                    _("Choose a stage of the opportunity's stage set."), code=FieldCode.INCONSISTENT
                )
            }
        )

    def apply(self, *, actor, obj, state: State, reason: Mapping[str, str]):
        from .services import move_stage

        return move_stage(
            actor=actor,
            opportunity=obj,
            stage=Stage.objects.get(pk=state.value),
            loss_reason=reason.get("loss_reason", ""),
            loss_note=reason.get("loss_note", ""),
        )
