from django.utils.translation import gettext_lazy as _

from lianke.core.objecttypes.registry import ObjectType, register
from lianke.core.text.identity import Identity
from lianke.org.choices import Scope
from lianke.org.defaults import ALL, SELLING
from lianke.org.kinds import Pooled

from .choices import LeadStatus
from .forms import LeadForm
from .models import Lead
from .statuses import LeadStatusPath


@register
class LeadObject(ObjectType):
    model = Lead
    factory = "lianke.marketing.factories.LeadFactory"
    access = Pooled()  # owned, or ownerless in a lead pool (线索公海)
    default_grants = {**SELLING, "marketing": (ALL, Scope.ALL)}  # marketing works every lead
    icon = "funnel"
    nav_order = 5
    search_fields = ("name", "company", "mobile", "phone", "email")
    form_base = LeadForm
    identity = Identity(name_key="company_key", phones=("mobile_digits", "phone_digits"), emails=("email",))
    list_columns = ("name", "company", "status", "source", "mobile", "province", "owner", "updated_at")
    card_fields = ("company", "status", "source")
    card_phone = "mobile"
    filter_fields = ("status", "source", "industry", "province", "city")
    sections = (
        (
            _("Basic information"),
            ("name", "company", "title", "status", "unqualified_reason", "source", "industry"),
        ),
        (_("Contact information"), ("mobile", "phone", "email", "province", "city", "address")),
        (_("Description"), ("description",)),
    )
    # The lead lifecycle (M3) as a path over the statuses an administrator configures (their
    # order and transitions: Settings › Lead statuses); conversion (M5) is its own action.
    stage_path = LeadStatusPath(
        "status",
        workflow_only=(LeadStatus.CONVERTED,),
        reason_fields=("unqualified_reason",),
        reason_prompt=_("Why is the lead unqualified?"),
        reason_action=_("Mark as unqualified"),
    )
