from django.utils.translation import gettext_lazy as _

from lianke.core.objecttypes.registry import ObjectType, Related, register
from lianke.org.defaults import CATALOG, SELLING
from lianke.org.kinds import Catalog, Child

from .forms import OpportunityForm
from .models import Competitor, Opportunity, OpportunityCompetitor
from .stages import OpportunityStagePath


@register
class OpportunityObject(ObjectType):
    model = Opportunity
    factory = "lianke.sales.factories.OpportunityFactory"
    default_grants = SELLING
    api_plural = "opportunities"
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
    related = (
        Related("sales.opportunitycompetitor", "opportunity", ("competitor", "threat", "offered_price")),
    )
    stage_path = OpportunityStagePath(
        "stage",
        reason_fields=("loss_reason", "loss_note"),
        card_template="sales/partials/card.html",
        sum_field="amount",
    )
    form_base = OpportunityForm


@register
class CompetitorObject(ObjectType):
    """Competitors: shared reference data (read by everyone with the view permission)."""

    model = Competitor
    factory = "lianke.sales.factories.CompetitorFactory"
    access = Catalog()
    default_grants = CATALOG
    icon = "shield"
    nav_order = 60
    search_fields = ("name", "short_name")
    list_columns = ("name", "short_name", "website", "updated_at")
    card_fields = ("short_name", "website")
    filter_fields = ("name",)
    sections = (
        (_("Basic information"), ("name", "short_name", "website")),
        (_("Analysis"), ("products", "strengths", "weaknesses")),
        (_("Description"), ("description",)),
    )
    timeline = False


@register
class OpportunityCompetitorObject(ObjectType):
    """A competitor on an opportunity: a child of the opportunity."""

    model = OpportunityCompetitor
    factory = "lianke.sales.factories.OpportunityCompetitorFactory"
    access = Child("opportunity")
    icon = "shield-exclamation"
    nav_order = 35
    in_nav = False  # reached from its opportunity
    in_global_search = False
    title_field = "competitor"
    search_fields = ("competitor__name", "opportunity__name")
    list_columns = ("competitor", "opportunity", "threat", "offered_price", "updated_at")
    card_fields = ("opportunity", "threat", "offered_price")
    filter_fields = ("opportunity", "competitor", "threat")
    sections = (
        (_("Competitor"), ("opportunity", "competitor", "threat", "offered_price")),
        (_("Notes"), ("notes",)),
    )
    list_select_related = ("competitor", "opportunity")
    timeline = False
