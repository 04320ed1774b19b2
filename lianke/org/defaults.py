"""The standard roles a new installation starts with (administrators edit them in Settings)."""

from django.utils.translation import gettext_lazy as _

from .choices import Action, Scope
from .models import Role, RolePermission

ALL = [a.value for a in Action]
WORK = [Action.VIEW, Action.CREATE, Action.EDIT, Action.DELETE]
SALES_OBJECTS = (
    "customers.account",
    "customers.contact",
    "sales.opportunity",
    "activities.activity",
    "marketing.lead",
)

CATALOG_EDIT = [Action.VIEW, Action.CREATE, Action.EDIT, Action.DELETE, Action.EXPORT, Action.IMPORT]

# role name → (description, {object type: (actions, scope)}). Catalog types (competitors) are
# read by everyone who sells and maintained by managers and sales operations; child types
# (opportunity competitors) take their parent's grants and have none of their own.
DEFAULT_ROLES = {
    "sales_rep": (
        _("Sales rep: works their own accounts, contacts, leads and opportunities."),
        {**dict.fromkeys(SALES_OBJECTS, (WORK, Scope.OWN)), "sales.competitor": ([Action.VIEW], Scope.ALL)},
    ),
    "sales_manager": (
        _(
            "Sales manager: everything in their department and its sub-departments, incl. transfer and export."
        ),
        {
            **dict.fromkeys(SALES_OBJECTS, (ALL, Scope.DEPARTMENT_TREE)),
            "sales.competitor": (CATALOG_EDIT, Scope.ALL),
        },
    ),
    "team_lead": (
        _("Team lead: their own and their subordinates' records."),
        {
            **{key: ([*WORK, Action.TRANSFER], Scope.SUBORDINATES) for key in SALES_OBJECTS},
            "sales.competitor": ([Action.VIEW], Scope.ALL),
        },
    ),
    "marketing": (
        _("Marketing: all leads; reads accounts and contacts of the department tree."),
        {
            "marketing.lead": (ALL, Scope.ALL),
            "customers.account": ([Action.VIEW], Scope.DEPARTMENT_TREE),
            "customers.contact": ([Action.VIEW], Scope.DEPARTMENT_TREE),
            "activities.activity": (WORK, Scope.OWN),
            "sales.competitor": ([Action.VIEW], Scope.ALL),
        },
    ),
    "sales_ops": (
        _("Sales operations: reads and exports everything, transfers records between reps."),
        {
            **{
                key: ([Action.VIEW, Action.EXPORT, Action.IMPORT, Action.TRANSFER], Scope.ALL)
                for key in SALES_OBJECTS
            },
            "sales.competitor": (CATALOG_EDIT, Scope.ALL),
        },
    ),
    "executive": (
        _("Executive: reads everything."),
        {key: ([Action.VIEW, Action.EXPORT], Scope.ALL) for key in (*SALES_OBJECTS, "sales.competitor")},
    ),
}
ROLE_NAMES = {
    "sales_rep": "销售代表",
    "sales_manager": "销售经理",
    "team_lead": "销售主管",
    "marketing": "市场专员",
    "sales_ops": "销售运营",
    "executive": "高管",
}


def ensure_default_roles() -> dict[str, Role]:
    roles = {}
    for code, (description, grants) in DEFAULT_ROLES.items():
        role, _created = Role.objects.get_or_create(
            name=ROLE_NAMES[code], defaults={"description": str(description)}
        )
        for object_type, (actions, scope) in grants.items():
            RolePermission.objects.update_or_create(
                role=role,
                object_type=object_type,
                defaults={"actions": [str(a) for a in actions], "scope": scope},
            )
        roles[code] = role
    return roles
