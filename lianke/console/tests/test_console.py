"""The settings console: who may open it, and what each page's write does — through requests as
the people concerned, the database compared before and after each refusal."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from lianke.console import pages, services
from lianke.core.models import CustomField, ObjectChange
from lianke.org.models import Department, Role, RolePermission, User

pytestmark = pytest.mark.django_db


def config_changes(model, pk):
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=pk
    ).order_by("id")


def state():
    """What the console may change, to compare before and after a refusal."""
    return (
        list(
            Department.objects.order_by("pk").values_list(
                "pk", "name", "parent_id", "is_active", "manager_id"
            )
        ),
        list(
            User.objects.order_by("pk").values_list(
                "pk", "superior_id", "department_id", "is_active", "is_superuser"
            )
        ),
        list(
            RolePermission.objects.order_by("pk").values_list(
                "pk", "role_id", "object_type", "actions", "scope"
            )
        ),
        list(CustomField.objects.order_by("pk").values_list("pk", "order", "is_active", "options")),
        ObjectChange.objects.count(),
    )


@pytest.fixture
def fields(org):
    made = []
    for order, name in enumerate(["grade", "region_code", "size"], start=1):
        made.append(
            CustomField.objects.create(
                object_type="customers.account", name=name, label=name, type="text", order=order * 10
            )
        )
    return made


# -------------------------------------------------------------------------------- who opens it
CONSOLE_PAGES = [
    ("get", "/settings/"),
    ("get", "/settings/departments/"),
    ("get", "/settings/departments/new/"),
    ("get", "/settings/users/"),
    ("get", "/settings/users/new/"),
    ("get", "/settings/roles/"),
    ("get", "/settings/roles/new/"),
    ("get", "/settings/fields/"),
    ("get", "/settings/fields/customers.account/"),
    ("get", "/settings/fields/customers.account/new/"),
]


@pytest.mark.parametrize(("method", "url"), CONSOLE_PAGES)
def test_an_administrator_opens_every_console_page(client_for, org, method, url):
    response = getattr(client_for(org.admin), method)(url)
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["rep_js", "manager_js", "ops", "nobody"])
@pytest.mark.parametrize(("method", "url"), CONSOLE_PAGES)
def test_nobody_but_an_administrator_opens_the_console(client_for, org, who, method, url):
    response = getattr(client_for(getattr(org, who)), method)(url)
    assert response.status_code == 403


def test_a_staff_user_who_is_not_an_administrator_is_refused_too(client_for, org):
    org.manager_js.is_staff = True
    org.manager_js.save()
    assert client_for(org.manager_js).get("/settings/roles/").status_code == 403


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("departments/new/", {"name": "黑客部"}),
        ("departments/{js}/move/", {"parent": ""}),
        ("departments/{js}/active/", {"active": "0"}),
        ("users/{rep_js}/edit/", {"username": "rep_js", "is_superuser": "on"}),
        ("users/{rep_zj}/active/", {"active": "0"}),
        (
            "roles/{role}/",
            {
                "name": "销售代表",
                "grant-customers.account-actions": ["view"],
                "grant-customers.account-scope": "all",
            },
        ),
        ("fields/customers.account/order/", {"ids": ["{f2}", "{f1}", "{f0}"]}),
        ("field/{f0}/active/", {"active": "0"}),
        ("field/{f0}/move/", {"step": "down"}),
    ],
)
def test_a_rep_cannot_change_any_setting_by_posting_directly(client_for, org, fields, url, data):
    # given
    ids = {
        "js": org.js.pk,
        "rep_js": org.rep_js.pk,
        "rep_zj": org.rep_zj.pk,
        "role": org.roles["sales_rep"].pk,
        **{f"f{i}": f.pk for i, f in enumerate(fields)},
    }
    data = {
        k: [x.format(**ids) for x in v] if isinstance(v, list) else v.format(**ids) for k, v in data.items()
    }
    before = state()
    # when
    response = client_for(org.rep_js).post("/settings/" + url.format(**ids), data)
    # then
    assert response.status_code == 403
    assert state() == before


def test_the_services_refuse_a_non_administrator_whatever_calls_them(org, fields):
    before = state()
    with pytest.raises(services.PermissionDenied):
        services.move_department(actor=org.manager_js, department=org.js_team, parent=org.zj)
    with pytest.raises(services.PermissionDenied):
        services.save_role(actor=org.manager_js, role=org.roles["sales_manager"], grants={}, name="x")
    with pytest.raises(services.PermissionDenied):
        services.reorder_custom_fields(
            actor=org.manager_js, object_type="customers.account", ids=[f.pk for f in fields]
        )
    assert state() == before


def test_the_home_lists_the_pages_grouped_and_skips_those_not_built(client_for, org):
    response = client_for(org.admin).get("/settings/")
    html = response.content.decode()
    for key in (
        "departments",
        "users",
        "roles",
        "custom_fields",
        "webhooks",
        "pools",
        "jobs",
        "notifications",
        "approvals",
        "audit",
    ):
        assert f'data-settings-page="{key}"' in html
    assert 'id="advanced-settings"' in html


def test_a_page_announced_by_an_address_nothing_answers_is_left_out(client_for, org):
    pages.register("later", title="Later", group=pages.WORKFLOW, path="/settings/not-built-yet/")
    try:
        html = client_for(org.admin).get("/settings/").content.decode()
        assert pages.get("later").url() is None
    finally:
        pages.unregister("later")
    assert 'data-settings-page="later"' not in html


def test_an_app_adds_its_page_with_one_line_and_a_missing_one_is_skipped(client_for, org):
    pages.register("extra", title="Extra", group=pages.INTEGRATIONS, url_name="org:api_tokens")
    pages.register("ghost", title="Ghost", group=pages.INTEGRATIONS, url_name="nowhere:nothing")
    try:
        html = client_for(org.admin).get("/settings/").content.decode()
    finally:
        pages.unregister("extra")
        pages.unregister("ghost")
    assert 'data-settings-page="extra"' in html
    assert 'data-settings-page="ghost"' not in html


def test_a_pools_administrator_sees_only_his_pools_entry(client_for, org):
    from lianke.pools.models import Pool

    pool = Pool.objects.create(name="江苏线索公海", object_type="marketing.lead")
    pool.admins.add(org.manager_js)
    client = client_for(org.manager_js)
    html = client.get("/settings/").content.decode()
    assert 'data-settings-page="pools"' in html
    assert html.count("data-settings-page=") == 1
    assert 'id="advanced-settings"' not in html
    assert 'id="nav-settings"' in html
    # and the other pages stay closed to him
    assert client.get("/settings/users/").status_code == 403


def test_the_top_bar_settings_link_goes_to_the_console_not_the_admin(client_for, org):
    html = client_for(org.admin).get("/").content.decode()
    assert 'id="nav-settings"' in html and 'href="/settings/"' in html
    assert 'href="/admin/"' not in html
    assert 'id="nav-settings"' not in client_for(org.rep_js).get("/").content.decode()


# -------------------------------------------------------------------------------- departments
def test_a_department_moved_under_its_own_child_is_refused_and_nothing_changes(client_for, org):
    before = state()
    response = client_for(org.admin).post(
        f"/settings/departments/{org.js.pk}/move/", {"parent": org.js_team.pk}
    )
    assert response.status_code == 400
    assert 'data-error-code="parent_loop"' in response.content.decode()
    assert state() == before


def test_a_drag_onto_its_own_child_answers_the_code(client_for, org):
    response = client_for(org.admin).post(
        f"/settings/departments/{org.group.pk}/move/",
        {"parent": org.zj_team.pk},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parent_loop"
    assert Department.objects.get(pk=org.group.pk).parent_id is None


def test_moving_a_department_moves_its_people_scope_and_is_history(client_for, org):
    # given the Jiangsu team moved under Zhejiang
    response = client_for(org.admin).post(
        f"/settings/departments/{org.js_team.pk}/move/", {"parent": org.zj.pk}
    )
    # then
    assert response.status_code == 302
    assert Department.objects.get(pk=org.js_team.pk).parent_id == org.zj.pk
    [change] = config_changes(Department, org.js_team.pk)
    assert change.action == "update" and change.user_id == org.admin.pk
    assert change.prechange_data["parent"] == org.js.pk and change.postchange_data["parent"] == org.zj.pk


def test_creating_renaming_and_giving_a_department_a_manager(client_for, org):
    client = client_for(org.admin)
    response = client.post(
        "/settings/departments/new/", {"name": "华东大区", "parent": org.group.pk, "sort_order": 0}
    )
    assert response.status_code == 302
    east = Department.objects.get(name="华东大区")
    assert east.parent_id == org.group.pk
    response = client.post(
        f"/settings/departments/{east.pk}/edit/",
        {"name": "华东区", "parent": org.group.pk, "manager": org.manager_js.pk, "sort_order": 1},
    )
    assert response.status_code == 302
    east.refresh_from_db()
    assert (east.name, east.manager_id) == ("华东区", org.manager_js.pk)
    actions = list(config_changes(Department, east.pk).values_list("action", flat=True))
    assert actions == ["create", "update"]


def test_a_department_with_active_people_is_not_deactivated(client_for, org):
    before = state()
    response = client_for(org.admin).post(
        f"/settings/departments/{org.js_team.pk}/active/", {"active": "0"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "department_in_use"
    assert state() == before


def test_an_empty_department_is_deactivated_and_activated_again(client_for, org):
    empty = Department.objects.create(name="空部门", parent=org.group)
    client = client_for(org.admin)
    client.post(f"/settings/departments/{empty.pk}/active/", {"active": "0"})
    assert not Department.objects.get(pk=empty.pk).is_active
    client.post(f"/settings/departments/{empty.pk}/active/", {"active": "1"})
    assert Department.objects.get(pk=empty.pk).is_active
    assert config_changes(Department, empty.pk).count() == 2


# -------------------------------------------------------------------------------------- users
def user_data(user, **changes):
    data = {
        "username": user.username,
        "name": user.name,
        "email": user.email,
        "department": user.department_id or "",
        "superior": user.superior_id or "",
        "title": user.title,
        "mobile": user.mobile,
        "phone": user.phone,
        "employee_no": user.employee_no,
        "roles": [r.pk for r in user.roles.all()],
    }
    if user.is_superuser:
        data["is_superuser"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_superior_loop_is_refused_and_nothing_changes(client_for, org):
    # rep_js reports to lead_js, who reports to manager_js: manager_js may not report to rep_js
    before = state()
    response = client_for(org.admin).post(
        f"/settings/users/{org.manager_js.pk}/edit/", user_data(org.manager_js, superior=org.rep_js.pk)
    )
    assert response.status_code == 400
    assert 'data-error-code="parent_loop"' in response.content.decode()
    assert state() == before


def test_creating_a_user_with_department_superior_and_roles(client_for, org):
    response = client_for(org.admin).post(
        "/settings/users/new/",
        {
            "username": "rep_new",
            "name": "新人",
            "department": org.js_team.pk,
            "superior": org.lead_js.pk,
            "roles": [org.roles["sales_rep"].pk],
            "password": "a-Long-enough-pass-2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = User.objects.get(username="rep_new")
    assert (new.department_id, new.superior_id) == (org.js_team.pk, org.lead_js.pk)
    assert list(new.roles.values_list("pk", flat=True)) == [org.roles["sales_rep"].pk]
    assert new.check_password("a-Long-enough-pass-2026")
    [change] = config_changes(User, new.pk)
    assert change.action == "create" and "password" not in change.postchange_data
    assert change.postchange_data["roles"] == [org.roles["sales_rep"].pk]


def test_a_new_user_needs_a_password(client_for, org):
    response = client_for(org.admin).post("/settings/users/new/", {"username": "x1", "name": "x"})
    assert response.status_code == 400
    assert not User.objects.filter(username="x1").exists()


def test_editing_roles_of_a_user_is_history(client_for, org):
    client = client_for(org.admin)
    response = client.post(
        f"/settings/users/{org.rep_js.pk}/edit/",
        user_data(org.rep_js, roles=[org.roles["sales_rep"].pk, org.roles["team_lead"].pk]),
    )
    assert response.status_code == 302
    [change] = config_changes(User, org.rep_js.pk)
    assert sorted(change.postchange_data["roles"]) == sorted(
        [org.roles["sales_rep"].pk, org.roles["team_lead"].pk]
    )
    assert change.prechange_data["roles"] == [org.roles["sales_rep"].pk]


def test_a_deactivated_user_cannot_sign_in_and_is_activated_again(client_for, client, org):
    def signs_in():
        response = client.post("/login/", {"username": "rep_zj", "password": "pw-rep_zj"})
        client.logout()
        return response.status_code == 302

    admin = client_for(org.admin)
    admin.post(f"/settings/users/{org.rep_zj.pk}/active/", {"active": "0"})
    assert not User.objects.get(pk=org.rep_zj.pk).is_active
    assert not signs_in()
    admin.post(f"/settings/users/{org.rep_zj.pk}/active/", {"active": "1"})
    assert signs_in()
    assert config_changes(User, org.rep_zj.pk).count() == 2


def test_an_administrator_cannot_deactivate_or_demote_himself(client_for, org):
    before = state()
    client = client_for(org.admin)
    response = client.post(
        f"/settings/users/{org.admin.pk}/active/", {"active": "0"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "own_account"
    response = client.post(
        f"/settings/users/{org.admin.pk}/edit/", user_data(org.admin, is_superuser=None) | {}
    )
    data = user_data(org.admin)
    data.pop("is_superuser")
    response = client.post(f"/settings/users/{org.admin.pk}/edit/", data)
    assert response.status_code == 400 and 'data-error-code="own_account"' in response.content.decode()
    assert state() == before


def test_the_user_list_searches_and_filters_by_department_in_few_queries(
    client_for, org, django_assert_max_num_queries
):
    client = client_for(org.admin)
    html = client.get("/settings/users/", {"q": "张伟"}).content.decode()
    assert f'data-user="{org.rep_js.pk}"' in html and f'data-user="{org.rep_zj.pk}"' not in html
    html = client.get("/settings/users/", {"department": org.zj_team.pk}).content.decode()
    assert f'data-user="{org.rep_zj.pk}"' in html and f'data-user="{org.rep_js.pk}"' not in html
    # by pinyin and by e-mail, as the people pickers and more; a NUL typed in finds nobody (no 500)
    html = client.get("/settings/users/", {"q": "zhangw"}).content.decode()
    assert f'data-user="{org.rep_js.pk}"' in html and f'data-user="{org.rep_zj.pk}"' not in html
    User.objects.filter(pk=org.rep_zj.pk).update(email="li.na@example.com")
    html = client.get("/settings/users/", {"q": "li.na@"}).content.decode()
    assert f'data-user="{org.rep_zj.pk}"' in html and f'data-user="{org.rep_js.pk}"' not in html
    assert client.get("/settings/users/", {"q": "张\x00伟"}).status_code == 200
    for i in range(20):
        User.objects.create_user(f"extra{i}", name=f"员工{i}", department=org.js_team, superior=org.lead_js)
    with django_assert_max_num_queries(14):
        client.get("/settings/users/")


def test_each_user_row_offers_the_hand_over_page(client_for, org):
    html = client_for(org.admin).get("/settings/users/").content.decode()
    assert f'href="/settings/users/{org.rep_js.pk}/handover/"' in html


# -------------------------------------------------------------------------------------- roles
def grid_post(role, **grants):
    data = {"name": role.name, "description": role.description, "is_active": "on"}
    for p in role.permissions.all():
        data[f"grant-{p.object_type}-actions"] = list(p.actions)
        data[f"grant-{p.object_type}-scope"] = p.scope
    for key, (actions, scope) in grants.items():
        data[f"grant-{key}-actions"] = list(actions)
        data[f"grant-{key}-scope"] = scope
    return data


def test_saving_the_role_grid_changes_what_its_users_see_at_once(client_for, org):
    from lianke.customers.factories import AccountFactory

    # given an account of Zhejiang that a Jiangsu rep cannot see
    theirs = AccountFactory(owner=org.rep_zj, name="杭州钢铁")
    rep = client_for(org.rep_js)
    assert rep.get(theirs.get_absolute_url()).status_code == 404
    role = org.roles["sales_rep"]
    account = role.permissions.get(object_type="customers.account")
    # when the administrator widens the reps' scope on accounts to all records
    response = client_for(org.admin).post(
        f"/settings/roles/{role.pk}/", grid_post(role, **{"customers.account": (account.actions, "all")})
    )
    # then
    assert response.status_code == 302
    assert rep.get(theirs.get_absolute_url()).status_code == 200
    # and taking view away closes the list
    client_for(org.admin).post(
        f"/settings/roles/{role.pk}/", grid_post(role, **{"customers.account": ([], "own")})
    )
    assert not role.permissions.filter(object_type="customers.account").exists()
    assert rep.get("/customers/account/").status_code == 403


def test_the_grid_records_the_role_change_as_history(client_for, org):
    role = org.roles["sales_ops"]
    client_for(org.admin).post(
        f"/settings/roles/{role.pk}/", grid_post(role, **{"marketing.lead": (["view"], "department")})
    )
    [change] = config_changes(Role, role.pk)
    before = {p["object_type"]: p for p in change.prechange_data["permissions"]}
    after = {p["object_type"]: p for p in change.postchange_data["permissions"]}
    assert after["marketing.lead"] == {
        "object_type": "marketing.lead",
        "actions": ["view"],
        "scope": "department",
    }
    assert before.get("marketing.lead") != after["marketing.lead"]


def test_a_grid_with_an_unknown_scope_or_action_saves_nothing(client_for, org):
    role = org.roles["sales_rep"]
    before = state()
    response = client_for(org.admin).post(
        f"/settings/roles/{role.pk}/", grid_post(role, **{"customers.contact": (["view"], "galaxy")})
    )
    assert response.status_code == 400
    assert 'data-error-code="invalid_choice"' in response.content.decode()
    with pytest.raises(services.ValidationError) as refused:
        services.save_role(actor=org.admin, role=role, grants={"customers.contact": (["view", "fly"], "own")})
    assert refused.value.error_dict["customers.contact"][0].code == "invalid_choice"
    with pytest.raises(services.ValidationError):
        services.save_role(actor=org.admin, role=role, grants={"nowhere.thing": (["view"], "own")})
    assert state() == before


def test_a_new_role_from_the_grid_and_who_holds_it(client_for, org):
    client = client_for(org.admin)
    response = client.post(
        "/settings/roles/new/",
        {
            "name": "质检",
            "is_active": "on",
            "grant-customers.account-actions": ["view"],
            "grant-customers.account-scope": "all",
        },
    )
    assert response.status_code == 302
    role = Role.objects.get(name="质检")
    assert list(role.permissions.values_list("object_type", "actions", "scope")) == [
        ("customers.account", ["view"], "all")
    ]
    org.rep_zj.roles.add(role)
    html = client.get(f"/settings/roles/{role.pk}/").content.decode()
    assert "李娜" in html


# ------------------------------------------------------------------------------ custom fields
def test_reordering_fields_persists_and_the_record_form_follows(client_for, org, fields):
    client = client_for(org.admin)
    new_order = [fields[2].pk, fields[0].pk, fields[1].pk]
    response = client.post(
        "/settings/fields/customers.account/order/", {"ids": new_order}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {"ok": True}
    stored = list(CustomField.objects.filter(object_type="customers.account").values_list("pk", flat=True))
    assert stored == new_order
    # the record form shows them in that order
    html = client.get("/customers/account/new/").content.decode()
    positions = [html.index(f'name="cf_{name}"') for name in ("size", "grade", "region_code")]
    assert positions == sorted(positions)
    # each field that moved has a history row
    assert config_changes(CustomField, fields[2].pk).count() == 1


def test_an_order_made_before_someone_added_a_field_is_refused(client_for, org, fields):
    CustomField.objects.create(object_type="customers.account", name="late", label="late", type="text")
    before = state()
    response = client_for(org.admin).post(
        "/settings/fields/customers.account/order/",
        {"ids": [f.pk for f in fields]},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "version_conflict"
    assert state() == before


def test_the_phones_up_and_down_buttons_move_one_place(client_for, org, fields):
    client = client_for(org.admin)
    client.post(f"/settings/field/{fields[2].pk}/move/", {"step": "up"})
    order = list(CustomField.objects.filter(object_type="customers.account").values_list("name", flat=True))
    assert order == ["grade", "size", "region_code"]
    response = client.post(
        f"/settings/field/{fields[0].pk}/move/", {"step": "up"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400


def test_a_select_fields_options_are_edited_and_a_bad_list_is_refused(client_for, org):
    client = client_for(org.admin)
    response = client.post(
        "/settings/fields/customers.account/new/",
        {
            "name": "grade",
            "label": "等级",
            "type": "select",
            "options": "a | A级 | Grade A\nb | B级 | Grade B",
            "decimal_places": 2,
            "section": "分级",
        },
    )
    assert response.status_code == 302
    field = CustomField.objects.get(name="grade")
    assert [o["key"] for o in field.options] == ["a", "b"] and field.section == "分级"
    data = {"label": "等级", "options": "a | A级\na | again", "decimal_places": 2}
    before = state()
    response = client.post(f"/settings/field/{field.pk}/edit/", data)
    assert response.status_code == 400 and 'data-error-code="invalid_options"' in response.content.decode()
    assert state() == before
    response = client.post(
        f"/settings/field/{field.pk}/edit/", {**data, "options": "a | A级\n-b | B级\nc | C级"}
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert [(o["key"], o["is_active"]) for o in field.options] == [("a", True), ("b", False), ("c", True)]
    [create, update] = config_changes(CustomField, field.pk)
    assert create.action == "create" and update.prechange_data["options"] != update.postchange_data["options"]


def test_a_deactivated_field_leaves_the_record_form(client_for, org, fields):
    client = client_for(org.admin)
    client.post(f"/settings/field/{fields[1].pk}/active/", {"active": "0"})
    assert not CustomField.objects.get(pk=fields[1].pk).is_active
    html = client.get("/customers/account/new/").content.decode()
    assert 'name="cf_region_code"' not in html and 'name="cf_grade"' in html
    [change] = config_changes(CustomField, fields[1].pk)
    assert (change.prechange_data["is_active"], change.postchange_data["is_active"]) == (True, False)


def test_a_fields_type_and_name_are_not_changed_by_editing(client_for, org, fields):
    client_for(org.admin).post(
        f"/settings/field/{fields[0].pk}/edit/",
        {"name": "other", "type": "integer", "label": "新名", "decimal_places": 2},
    )
    field = CustomField.objects.get(pk=fields[0].pk)
    assert (field.name, field.type, field.label) == ("grade", "text", "新名")


# ------------------------------------------------------------------------- saves over a change
def test_a_role_grid_saved_over_someone_elses_change_is_refused(client_for, org):
    # given the grid opened by one administrator
    role = org.roles["sales_rep"]
    opened = services.state_of(role, services.ROLE_RELATED)
    # and a change saved by another since
    services.save_role(actor=org.admin, role=role, grants={"marketing.lead": (["view"], "all")})
    before = state()
    # when the first saves what he saw
    response = client_for(org.admin).post(
        f"/settings/roles/{role.pk}/",
        {**grid_post(role, **{"customers.contact": (["view"], "all")}), "state": opened},
    )
    # then nothing of his is written, and he is told why
    assert response.status_code == 400
    assert 'data-error-code="version_conflict"' in response.content.decode()
    assert state() == before


@pytest.mark.parametrize("page", ["department", "custom field"])
def test_a_department_or_field_page_saved_over_someone_elses_change_is_refused(client_for, org, fields, page):
    """Both pages carry the state they were opened with; the second of two administrators who
    opened the page is told to reload instead of overwriting the first one's change."""
    import re

    if page == "department":
        url = f"/settings/departments/{org.js_team.pk}/edit/"
        data = {"name": "江苏一组", "parent": org.js_team.parent_id, "sort_order": 0}
        stored = lambda: Department.objects.get(pk=org.js_team.pk).name  # noqa: E731
    else:
        url = f"/settings/field/{fields[0].pk}/edit/"
        data = {"label": "一级", "decimal_places": 2}
        stored = lambda: CustomField.objects.get(pk=fields[0].pk).label  # noqa: E731
    first, second = client_for(org.admin), client_for(org.admin)
    opened = [
        re.search(r'name="state" value="([^"]+)"', c.get(url).content.decode()).group(1)
        for c in (first, second)
    ]
    assert first.post(url, {**data, "state": opened[0]}).status_code == 302
    label_field = "name" if page == "department" else "label"
    response = second.post(url, {**data, label_field: "二改", "state": opened[1]})
    assert response.status_code == 400 and 'data-error-code="version_conflict"' in response.content.decode()
    assert stored() == data[label_field]


def test_a_department_number_no_department_has_lists_nobody(client_for, org):
    for department in ("9" * 30, "²", "٣"):
        assert client_for(org.admin).get("/settings/users/", {"department": department}).status_code == 200


def test_a_user_saved_from_the_page_as_opened_goes_through(client_for, org):
    client = client_for(org.admin)
    html = client.get(f"/settings/users/{org.rep_js.pk}/edit/").content.decode()
    opened = services.state_of(org.rep_js)
    assert f'name="state" value="{opened}"' in html
    response = client.post(
        f"/settings/users/{org.rep_js.pk}/edit/", {**user_data(org.rep_js, title="组长"), "state": opened}
    )
    assert response.status_code == 302
    # the same page posted again is now out of date
    response = client.post(
        f"/settings/users/{org.rep_js.pk}/edit/", {**user_data(org.rep_js, title="经理"), "state": opened}
    )
    assert response.status_code == 400
    assert User.objects.get(pk=org.rep_js.pk).title == "组长"


def test_the_tree_and_the_role_grid_read_in_a_fixed_number_of_queries(
    client_for, org, django_assert_max_num_queries
):
    client = client_for(org.admin)
    client.get("/settings/departments/")  # the configuration kept across requests is read once

    def count(url):
        with django_assert_max_num_queries(60) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    tree, grid = count("/settings/departments/"), count(f"/settings/roles/{org.roles['sales_rep'].pk}/")
    # many more departments, managers, people and role holders
    for i in range(15):
        d = Department.objects.create(name=f"部门{i}", parent=org.js, manager=org.manager_js)
        u = User.objects.create_user(f"p{i}", name=f"人{i}", department=d)
        u.roles.add(org.roles["sales_rep"])
    client.get("/settings/departments/")  # the changed configuration read once again
    assert count("/settings/departments/") == tree
    assert count(f"/settings/roles/{org.roles['sales_rep'].pk}/") == grid
