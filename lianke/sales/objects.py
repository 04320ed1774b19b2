from django.urls import path
from django.utils.translation import gettext_lazy as _

from lianke.core.registry import ObjectType, register

from .forms import OpportunityForm
from .models import Opportunity
from .stages import OpportunityStagePath


@register
class OpportunityObject(ObjectType):
    model = Opportunity
    icon = "briefcase"
    nav_order = 30
    search_fields = ("name", "account__name")
    list_columns = (
        "name",
        "account",
        "stage",
        "amount",
        "probability",
        "expected_close_date",
        "owner",
        "updated_at",
    )
    card_fields = ("account", "stage", "amount", "expected_close_date")
    filter_fields = (
        "account",
        "stage_set",
        "stage",
        "source",
        "loss_reason",
        "amount",
        "expected_close_date",
    )
    sections = (
        (
            _("Basic information"),
            (
                "name",
                "account",
                "contact",
                "stage_set",
                "stage",
                "amount",
                "probability",
                "expected_close_date",
                "source",
            ),
        ),
        (_("Outcome"), ("closed_at", "loss_reason", "loss_note", "competitors")),
        (_("Description"), ("description",)),
    )
    parent_field = "account"
    list_select_related = ("account", "stage")
    kanban_field = "stage"
    stage_path = OpportunityStagePath(
        "stage", reason_fields=("loss_reason", "loss_note"), card_template="sales/partials/card.html"
    )
    form_base = OpportunityForm

    def extra_urls(self):
        from . import views

        return [
            path(
                "opportunity/kanban/", views.KanbanView.as_view(object_type=self), name="opportunity_kanban"
            ),
        ]
