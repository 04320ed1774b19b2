from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lianke.core.errors import FieldCode
from lianke.core.records import services

from .models import Opportunity, Stage


def move_stage(
    *, actor, opportunity: Opportunity, stage: Stage, loss_reason: str = "", loss_note: str = ""
) -> Opportunity:
    """Move an opportunity to ``stage`` of its own set, with the loss reason for a lost stage.

    Called through the stage path (``OpportunityStagePath.apply``: the record page's path and the
    board), which holds the row locked, so parallel moves apply one after the other."""
    if stage.stage_set_id != opportunity.stage_set_id:
        raise ValidationError(
            {
                "stage": ValidationError(
                    _("Choose a stage of the opportunity's stage set."), code=FieldCode.INCONSISTENT
                )
            }
        )
    opportunity.stage = stage
    if loss_reason:
        opportunity.loss_reason = loss_reason
        opportunity.loss_note = loss_note[:255]
    return services.save_record(actor=actor, instance=opportunity)
