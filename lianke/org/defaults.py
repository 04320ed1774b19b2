"""The standard roles a new installation starts with (administrators edit them in Settings).

The roles are the platform's: their keys, names and descriptions live here. What each role may
do with a kind of record is declared by that kind's object type (``ObjectType.default_grants``,
usually one of the grant sets below), so this module names no business app and a new type
brings its own grants. ``ensure_default_roles`` reads them from the registry.
"""

from django.utils.translation import gettext_lazy as _

from .choices import Action, Scope
from .models import Role, RolePermission

ALL = [a.value for a in Action]
WORK = [Action.VIEW, Action.CREATE, Action.EDIT, Action.DELETE]
CATALOG_EDIT = [Action.VIEW, Action.CREATE, Action.EDIT, Action.DELETE, Action.EXPORT, Action.IMPORT]

# role key → description.
DEFAULT_ROLES = {
    "sales_rep": _("Sales rep: works their own accounts, contacts, leads and opportunities."),
    "sales_manager": _(
        "Sales manager: everything in their department and its sub-departments, incl. transfer and export."
    ),
    "team_lead": _("Team lead: their own and their subordinates' records."),
    "marketing": _("Marketing: all leads; reads accounts and contacts of the department tree."),
    "sales_ops": _("Sales operations: reads and exports everything, transfers records between reps."),
    "executive": _("Executive: reads everything."),
}
ROLE_NAMES = {
    "sales_rep": "销售代表",
    "sales_manager": "销售经理",
    "team_lead": "销售主管",
    "marketing": "市场专员",
    "sales_ops": "销售运营",
    "executive": "高管",
}

# Grant sets object types declare (``default_grants = {role key: (actions, scope)}``).
# The records sellers work on (accounts, contacts, leads, opportunities, activities): a rep his
# own, a team lead his team's, a manager her department tree's, operations and executives all.
# Marketing is not listed: each such type says what marketing does with it.
SELLING = {
    "sales_rep": (WORK, Scope.OWN),
    "sales_manager": (ALL, Scope.DEPARTMENT_TREE),
    "team_lead": ([*WORK, Action.TRANSFER], Scope.SUBORDINATES),
    "sales_ops": ([Action.VIEW, Action.EXPORT, Action.IMPORT, Action.TRANSFER], Scope.ALL),
    "executive": ([Action.VIEW, Action.EXPORT], Scope.ALL),
}
# A shared catalogue (competitors): every seller reads it, managers and operations maintain it.
CATALOG = {
    "sales_rep": ([Action.VIEW], Scope.ALL),
    "sales_manager": (CATALOG_EDIT, Scope.ALL),
    "team_lead": ([Action.VIEW], Scope.ALL),
    "marketing": ([Action.VIEW], Scope.ALL),
    "sales_ops": (CATALOG_EDIT, Scope.ALL),
    "executive": ([Action.VIEW, Action.EXPORT], Scope.ALL),
}


def default_grants() -> dict[str, dict[str, tuple]]:
    """role key → {object type: (actions, scope)}, from the registered types' declarations
    (a child type declares none: it takes its parent's)."""
    from lianke.core.objecttypes.registry import registry

    grants: dict[str, dict[str, tuple]] = {code: {} for code in DEFAULT_ROLES}
    for object_type in registry:
        for code, grant in (object_type.default_grants or {}).items():
            grants[code][object_type.key] = grant
    return grants


def ensure_default_roles() -> dict[str, Role]:
    roles = {}
    grants = default_grants()
    for code, description in DEFAULT_ROLES.items():
        role, _created = Role.objects.get_or_create(
            name=ROLE_NAMES[code], defaults={"description": str(description)}
        )
        for object_type, (actions, scope) in grants[code].items():
            RolePermission.objects.update_or_create(
                role=role,
                object_type=object_type,
                defaults={"actions": [str(a) for a in actions], "scope": scope},
            )
        roles[code] = role
    return roles
