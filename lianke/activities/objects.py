from django.utils.translation import gettext_lazy as _

from lianke.core.objecttypes.registry import ObjectType, register
from lianke.core.records.stages import ChoicePath, StateKind
from lianke.org.choices import Scope
from lianke.org.defaults import SELLING, WORK
from lianke.org.kinds import Owned

from .choices import ActivityKind
from .forms import ActivityForm
from .models import Activity


@register
class ActivityObject(ObjectType):
    model = Activity
    factory = "lianke.activities.factories.ActivityFactory"
    api_plural = "activities"
    in_global_search = False  # ten million follow-ups: searched on their own list, not the top bar
    # Owned; an activity on an account is also readable by whoever may read the account (its
    # page and timeline show every follow-up on it), without widening the activity list.
    access = Owned(through=("account",))
    default_grants = {**SELLING, "marketing": (WORK, Scope.OWN)}  # marketing logs its own follow-ups
    icon = "chat-left-text"
    nav_order = 40
    title_field = "subject"
    search_fields = ("subject", "body")
    list_columns = ("subject", "kind", "occurred_at", "account", "assignee", "due_at", "is_done", "owner")
    card_fields = ("kind", "occurred_at", "account", "due_at")
    filter_fields = ("kind", "assignee", "is_done", "occurred_at", "due_at", "account")
    sections = (
        (
            _("Activity"),
            ("kind", "subject", "body", "occurred_at", "direction", "duration_minutes", "location"),
        ),
        (_("Task"), ("assignee", "due_at", "is_done")),
    )
    default_ordering = ("-occurred_at", "-id")
    form_base = ActivityForm  # an ambiguous @name is refused on the field
    list_select_related = ("account", "assignee")
    assignment_fields = ("assignee",)
    timeline = False  # an activity is a follow-up: it is on a timeline, it has none
    # Activities make up the other records' timelines: the record page loads this fragment.
    timeline_url_name = "activity_views:timeline"
    # A task's lifecycle: to do → done (and back); other activities have none.
    stage_path = ChoicePath(
        "is_done",
        choices=((False, _("To do")), (True, _("Done"))),
        kinds={True: StateKind.WON},
        condition={"kind": ActivityKind.TASK},
    )

    @property
    def serializer_base(self):
        from .serializers import ActivitySerializer

        return ActivitySerializer
