"""The standard roles: each object type declares its own default grants (``ObjectType.
default_grants``), and together they give the roles a new installation starts with."""

import pytest

from lianke.core.objecttypes.registry import registry
from lianke.org.defaults import DEFAULT_ROLES, ensure_default_roles
from lianke.org.models import RolePermission

WORK = "view create edit delete"
ALL = "view create edit delete export import transfer"
SELLING = {
    "sales_rep": (WORK, "own"),
    "sales_manager": (ALL, "department_tree"),
    "team_lead": (WORK + " transfer", "subordinates"),
    "sales_ops": ("view export import transfer", "all"),
    "executive": ("view export", "all"),
}
CATALOG = {
    "sales_rep": ("view", "all"),
    "sales_manager": ("view create edit delete export import", "all"),
    "team_lead": ("view", "all"),
    "marketing": ("view", "all"),
    "sales_ops": ("view create edit delete export import", "all"),
    "executive": ("view export", "all"),
}
# object type → role → (actions, scope): the roles as they were when core listed the types.
EXPECTED = {
    "customers.account": {**SELLING, "marketing": ("view", "department_tree")},
    "customers.contact": {**SELLING, "marketing": ("view", "department_tree")},
    "marketing.lead": {**SELLING, "marketing": (ALL, "all")},
    "sales.opportunity": SELLING,
    "activities.activity": {**SELLING, "marketing": (WORK, "own")},
    "sales.competitor": CATALOG,
}


@pytest.mark.django_db
def test_the_declared_grants_make_the_standard_roles():
    # when the standard roles are created from the registered types' declarations
    roles = ensure_default_roles()
    # then every role grants exactly what it always did, actions in their order
    assert set(roles) == set(DEFAULT_ROLES)
    granted = {
        (p.object_type, code): (" ".join(p.actions), p.scope)
        for code, role in roles.items()
        for p in RolePermission.objects.filter(role=role)
    }
    expected = {(key, code): grant for key, grants in EXPECTED.items() for code, grant in grants.items()}
    assert granted == expected
    # and running it again changes nothing
    ensure_default_roles()
    assert RolePermission.objects.count() == len(expected)


def test_every_grant_names_a_standard_role_and_an_action_of_its_type():
    for object_type in registry:
        actions = {str(a) for a, _label in object_type.actions}
        for code, (granted, _scope) in (object_type.default_grants or {}).items():
            assert code in DEFAULT_ROLES, (object_type.key, code)
            assert {str(a) for a in granted} <= actions, (object_type.key, code)
