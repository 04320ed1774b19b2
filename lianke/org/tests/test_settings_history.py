"""Settings are records too: a change made on the settings pages (roles and their permissions,
users and their roles, departments, pools, stage sets, custom fields) goes into history with who,
when and old → new — never a password hash —, and a role grants only what an object type
declares."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from lianke.core.models import ObjectChange
from lianke.org.defaults import DEFAULT_ROLES
from lianke.org.models import Role, RolePermission

pytestmark = pytest.mark.django_db


EMPTY_INLINE = {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"}


def admin_client(client_for, org):
    return client_for(org.admin)


def last_change(model_name):
    return ObjectChange.objects.filter(content_type__model=model_name).order_by("-id").first()


def test_a_role_edited_in_the_settings_is_in_history_with_its_permissions(org, client_for):
    role = Role.objects.create(name="区域经理")
    perm = RolePermission.objects.create(
        role=role, object_type="customers.account", actions=["view"], scope="own"
    )
    data = {
        "name": "区域经理",
        "description": "",
        "is_active": "on",
        "permissions-TOTAL_FORMS": "1",
        "permissions-INITIAL_FORMS": "1",
        "permissions-MIN_NUM_FORMS": "0",
        "permissions-MAX_NUM_FORMS": "1000",
        "permissions-0-id": str(perm.pk),
        "permissions-0-role": str(role.pk),
        "permissions-0-object_type": "customers.account",
        "permissions-0-actions": ["view", "edit", "export"],
        "permissions-0-scope": "department_tree",
        **{f"field_permissions-{k}": v for k, v in EMPTY_INLINE.items()},
    }
    r = client_for(org.admin).post(f"/admin/org/role/{role.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    change = last_change("role")
    assert change.user == org.admin and change.action == "update"
    [(field, old, new)] = change.diff()
    assert field == "permissions"
    assert old == [{"object_type": "customers.account", "actions": ["view"], "scope": "own"}]
    assert new == [
        {
            "object_type": "customers.account",
            "actions": ["view", "edit", "export"],
            "scope": "department_tree",
        }
    ]


def test_a_users_roles_changed_in_the_settings_are_in_history_without_the_password(org, client_for):
    user = org.rep_js
    page = client_for(org.admin).get(f"/admin/org/user/{user.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data = {
        k: (
            [x.pk if hasattr(x, "pk") else x for x in v]
            if isinstance(v, list | tuple)
            else getattr(v, "pk", v)
        )
        for k, v in data.items()
    }
    data["roles"] = [org.roles["sales_manager"].pk]
    data["is_active"] = "on"
    for key in ("date_joined", "last_login"):
        data.pop(key, None)
    data["date_joined_0"], data["date_joined_1"] = "2026-01-01", "09:00:00"
    r = client_for(org.admin).post(f"/admin/org/user/{user.pk}/change/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    change = last_change("user")
    assert ("roles", [org.roles["sales_rep"].pk], [org.roles["sales_manager"].pk]) in change.diff()
    assert "password" not in (change.prechange_data or {}) and "password" not in change.postchange_data


def test_a_deleted_pool_leaves_its_last_state_in_history(org, client_for):
    from lianke.pools.models import Pool

    pool = Pool.objects.create(name="江苏线索公海", object_type="marketing.lead")
    pool.members.set([org.rep_js2])
    r = client_for(org.admin).post(f"/admin/pools/pool/{pool.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    change = last_change("pool")
    assert change.action == "delete" and change.prechange_data["members"] == [org.rep_js2.pk]


@pytest.mark.parametrize(
    ("object_type", "actions", "field"),
    [
        ("no.such", ["view"], "object_type"),
        ("sales.competitor", ["transfer"], "actions"),  # a catalog has no owner to transfer
        ("customers.account", ["view", "fly"], "actions"),
        ("sales.opportunitycompetitor", ["view"], "object_type"),  # a child takes no grants
    ],
)
def test_a_role_grants_only_what_the_type_declares(org, object_type, actions, field):
    role = Role.objects.create(name="试验角色")
    with pytest.raises(ValidationError) as caught:
        RolePermission(role=role, object_type=object_type, actions=actions, scope="own").full_clean()
    assert field in caught.value.error_dict


def test_the_default_roles_grant_only_declared_actions(org):
    for name in DEFAULT_ROLES:
        for perm in RolePermission.objects.filter(role__name=org.roles[name].name):
            perm.full_clean()
