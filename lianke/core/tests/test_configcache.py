"""Configuration kept across requests (``core.configcache``): whatever path changes it — the ORM,
``QuerySet.update``, ``bulk_create``, a many-to-many table, raw SQL, a rolled-back transaction —
the next request answers by the new configuration, never by what a process kept."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from lianke.core import configcache
from lianke.core.checks import config_triggers
from lianke.core.models import CustomField
from lianke.customers.models import Account
from lianke.org.choices import Action, FieldMode, Scope
from lianke.org.models import Collaborator, Department, FieldPermission, Role, RolePermission, User

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/customers/accounts/"
LEADS = "/api/marketing/leads/"


def token() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {configcache.TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def names(client, url=ACCOUNTS) -> set[str] | int:
    """The names the client's list shows, or the status of a refusal."""
    response = client.get(url)
    if response.status_code != 200:
        return response.status_code
    return {row["name"] for row in response.json()["results"]}


@pytest.fixture
def accounts(org):
    return {
        u.username: Account.objects.create(name=u.username, owner=u, phone="021-55550000")
        for u in (org.rep_js, org.rep_js2, org.lead_js, org.rep_zj)
    }


# ------------------------------------------------------------------------ the token itself
def _role_update(org):
    Role.objects.filter(pk=org.roles["sales_rep"].pk).update(is_active=False)


def _grant_raw_sql(org):
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RolePermission._meta.db_table} SET scope = %s WHERE role_id = %s",
            [Scope.ALL, org.roles["sales_rep"].pk],
        )


def _field_rules_bulk(org):
    FieldPermission.objects.bulk_create(
        [
            FieldPermission(
                role=org.roles["sales_rep"], object_type="customers.account", field="phone", mode="hidden"
            )
        ]
    )


def _department_move(org):
    Department.objects.filter(pk=org.js_team.pk).update(parent=org.zj)


def _role_of_user_removed(org):
    org.rep_js.roles.remove(org.roles["sales_rep"])


def _role_of_user_raw(org):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {User.roles.through._meta.db_table} WHERE user_id = %s", [org.rep_js.pk])


def _superior(org):
    User.objects.filter(pk=org.rep_js.pk).update(superior=org.rep_zj)


def _user_department(org):
    User.objects.filter(pk=org.rep_js.pk).update(department=org.zj_team)


def _user_deactivated(org):
    User.objects.filter(pk=org.rep_js.pk).update(is_active=False)


def _superuser(org):
    User.objects.filter(pk=org.rep_js.pk).update(is_superuser=True)


def _custom_field(org):
    CustomField.objects.bulk_create([CustomField(object_type="customers.account", name="tier", label="分级")])


def _pool_member(org):
    from lianke.pools.models import Pool

    pool = Pool.objects.create(name="公海", object_type="marketing.lead")
    before = token()
    pool.members.add(org.rep_js)
    assert token() != before


def _record_deleted(org):
    Role.objects.filter(pk=org.roles["sales_rep"].pk).delete()


CHANGES = [
    _role_update,
    _grant_raw_sql,
    _field_rules_bulk,
    _department_move,
    _role_of_user_removed,
    _role_of_user_raw,
    _superior,
    _user_department,
    _user_deactivated,
    _superuser,
    _custom_field,
    _pool_member,
    _record_deleted,
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__.strip("_") for c in CHANGES])
def test_every_way_of_changing_configuration_replaces_the_token(org, change):
    before = token()
    assert before
    change(org)
    assert token() not in (None, before)


def test_a_users_email_password_or_last_login_leave_the_token_alone(org):
    before = token()
    User.objects.filter(pk=org.rep_js.pk).update(email="zw@example.com", mobile="13900001111")
    org.rep_js.set_password("another-pw-2026")
    org.rep_js.save(update_fields=["password"])
    from django.contrib.auth.models import update_last_login

    update_last_login(None, org.rep_js)
    assert token() == before


def test_business_records_leave_the_token_alone(org, accounts):
    before = token()
    Account.objects.create(name="新客户", owner=org.rep_js)
    Account.objects.filter(owner=org.rep_js).update(phone="021-55551111")
    assert token() == before


# ------------------------------------------------------------- the next request sees it
def test_a_renamed_or_new_colleague_is_in_the_owner_filter_at_the_next_request(org, accounts, client_for):
    """The people a picker opens with are kept across requests: a name changed by raw SQL, a
    new colleague and a deactivated one show (or go) at once, and a warm list page reads no
    users for its pickers."""
    from django.test.utils import CaptureQueriesContext

    web = client_for(org.manager_js)

    def owner_filter() -> str:
        html = web.get("/customers/account/").content.decode()
        start = html.index('name="owner"')
        return html[start : html.index("</fieldset>", start)]

    assert "张伟" in owner_filter()
    with CaptureQueriesContext(connection) as queries:
        owner_filter()
    assert not [q for q in queries if 'FROM "org_user"' in q["sql"] and "ORDER BY" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {User._meta.db_table} SET name = %s WHERE id = %s", ["张伟强", org.rep_js.pk])
    User.objects.create_user("new.hire", password="pw-2026-x", name="新同事", department=org.js_team)
    User.objects.filter(pk=org.rep_zj.pk).update(is_active=False)
    shown = owner_filter()
    assert "张伟强" in shown and "新同事" in shown
    assert org.rep_zj.username not in shown


def _filter_form(web, url="/customers/account/") -> str:
    html = web.get(url).content.decode()
    start = html.index('<form id="filter-form"')
    return html[start : html.index("</form>", start)]


def _counting_renders(monkeypatch) -> list[str]:
    from lianke.core.views import objects

    renders: list[str] = []
    real = objects.split_filters
    monkeypatch.setattr(
        objects, "split_filters", lambda ot, *a, **k: renders.append(ot.key) or real(ot, *a, **k)
    )
    return renders


def test_a_list_keeps_its_filter_form_per_user_and_follows_every_change(
    org, accounts, client_for, monkeypatch
):
    """A list's filter form is rendered once per user, type, language and chosen filters:
    another user's rules never show through it, and a field rule, a new option or a
    new custom field added behind the ORM's back shows at the next request."""
    from django.test.utils import CaptureQueriesContext

    field = CustomField.objects.create(
        object_type="customers.account", name="grade", label="客户分级", type="select",
        options=[{"key": "key", "label": "重点客户"}],
    )  # fmt: skip
    rep, manager = client_for(org.rep_js), client_for(org.manager_js)
    assert 'name="phone"' in _filter_form(manager) and "重点客户" in _filter_form(manager)
    FieldPermission.objects.bulk_create(
        [FieldPermission(role=org.roles["sales_rep"], object_type="customers.account", field="phone",
                         mode=FieldMode.HIDDEN)]
    )  # fmt: skip
    assert 'name="phone"' not in _filter_form(rep)  # the rep's own form, not the manager's
    assert 'name="phone"' in _filter_form(manager)
    renders = _counting_renders(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        warm = _filter_form(manager)
    assert renders == [] and 'name="phone"' in warm
    assert not [q for q in queries if "customers_customfield" in q["sql"] or 'org_user" ORDER' in q["sql"]]
    CustomField.objects.filter(pk=field.pk).update(
        options=[{"key": "key", "label": "重点客户"}, {"key": "new", "label": "新兴客户"}]
    )
    assert "新兴客户" in _filter_form(manager) and renders == ["customers.account"]
    CustomField.objects.bulk_create(
        [CustomField(object_type="customers.account", name="tier", label="合作年限", type="integer")]
    )
    assert 'name="cf_tier__gte"' in _filter_form(manager)
    # A chosen filter is shown as chosen, in a form kept under its own key.
    renders.clear()
    chosen = _filter_form(manager, "/customers/account/?cf_grade=new")
    assert re.search(r'<input[^>]*name="cf_grade"[^>]*value="new"[^>]*checked', chosen)
    assert _filter_form(manager, "/customers/account/?cf_grade=new") == chosen
    assert not re.search(r'<input[^>]*name="cf_grade"[^>]*checked', _filter_form(manager))
    assert renders == ["customers.account"]


def test_every_lists_unfiltered_filter_form_is_rendered_once(org, client_for, monkeypatch):
    """Each registered list's filter form, with no filter chosen, shows watched configuration
    only (a lookup filter lists no records until one is searched or chosen), so it is kept:
    the second request does not render it again."""
    from lianke.core.objecttypes.registry import registry

    renders = _counting_renders(monkeypatch)
    for user in (org.admin, org.manager_js, org.rep_js):
        web = client_for(user)
        for ot in registry:
            configcache.clear()
            if web.get(ot.url_list).status_code == 403:
                continue
            assert web.get(ot.url_list).status_code == 200
            assert renders.count(ot.key) == 1, (user.username, ot.key)
            renders.clear()


def test_a_value_that_read_a_business_table_is_not_kept(org, accounts):
    """``if_watched``: a loader that read records (a chosen account's name in a form, say) is
    run again by the next request, and shows a renamed record at once; one that read only
    watched tables is kept."""
    from lianke.core.context import Source, request_context

    class FakeRequest:
        headers: dict = {}
        user = org.rep_js

    def names():
        return sorted(Account.objects.values_list("name", flat=True))

    def roles():
        return sorted(Role.objects.values_list("name", flat=True))

    configcache.clear()
    with request_context(FakeRequest(), source=Source.WEB):
        assert "rep_js" in configcache.cached(("names",), names, if_watched=True)
        assert configcache.cached(("roles",), roles, if_watched=True) == roles()
    Account.objects.filter(pk=accounts["rep_js"].pk).update(name="苏州精工集团")
    with request_context(FakeRequest(), source=Source.WEB):
        assert "苏州精工集团" in configcache.cached(("names",), names, if_watched=True)
        assert configcache.cached(("roles",), lambda: "not loaded again", if_watched=True) == roles()


def test_a_kind_of_value_kept_up_to_a_limit_drops_the_oldest(org):
    from lianke.core.context import Source, request_context

    class FakeRequest:
        headers: dict = {}
        user = org.rep_js

    configcache.clear()
    loads = []
    with request_context(FakeRequest(), source=Source.WEB):
        for key in ("a", "b", "a", "c", "a", "b"):
            configcache.cached(("probe", key), lambda key=key: loads.append(key) or key, limit=2)
        configcache.cached(("other", 1), lambda: loads.append("other"))
        assert configcache.cached(("probe", "b"), lambda: "reloaded", limit=2) == "b"
    # "c" pushes out "a", the oldest; "a" again pushes out "b", "b" pushes out "c"; the other
    # kind is counted on its own
    assert loads == ["a", "b", "c", "a", "b", "other"]


def test_revoking_a_grant_by_raw_sql_refuses_the_next_request(org, accounts, api_for):
    rep = api_for(org.rep_js)
    assert names(rep) == {"rep_js"}  # kept by this process now
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {RolePermission._meta.db_table} WHERE role_id = %s AND object_type = %s",
            [org.roles["sales_rep"].pk, "customers.account"],
        )
    assert names(rep) == 403


def test_deactivating_a_role_by_update_refuses_the_next_request(org, accounts, api_for):
    rep = api_for(org.rep_js)
    assert names(rep) == {"rep_js"}
    Role.objects.filter(pk=org.roles["sales_rep"].pk).update(is_active=False)
    assert names(rep) == 403


def test_a_wider_grant_by_update_widens_the_next_request(org, accounts, api_for):
    rep = api_for(org.rep_js)
    assert names(rep) == {"rep_js"}
    RolePermission.objects.filter(role=org.roles["sales_rep"], object_type="customers.account").update(
        scope=Scope.ALL
    )
    assert names(rep) == {"rep_js", "rep_js2", "lead_js", "rep_zj"}


def test_a_department_moved_by_update_leaves_its_former_managers_view(org, accounts, api_for):
    manager = api_for(org.manager_js)  # department tree: Jiangsu and its team
    assert names(manager) == {"rep_js", "rep_js2", "lead_js"}
    Department.objects.filter(pk=org.js_team.pk).update(parent=org.zj)
    # the records keep their department (the team), which now lies under Zhejiang
    assert names(manager) == set()


def test_a_new_superior_by_update_changes_the_team_leads_view(org, accounts, api_for):
    lead = api_for(org.lead_js)  # own records and their subordinates'
    assert names(lead) == {"lead_js", "rep_js"}
    User.objects.filter(pk=org.rep_js.pk).update(superior=org.manager_js)
    assert names(lead) == {"lead_js"}


def test_a_field_rule_added_in_bulk_hides_the_field_at_the_next_request(org, accounts, api_for):
    rep = api_for(org.rep_js)
    assert rep.get(ACCOUNTS).json()["results"][0]["phone"] == "021-55550000"
    FieldPermission.objects.bulk_create(
        [
            FieldPermission(
                role=org.roles["sales_rep"],
                object_type="customers.account",
                field="phone",
                mode=FieldMode.HIDDEN,
            )
        ]
    )
    assert "021-55550000" not in rep.get(ACCOUNTS).content.decode()


def test_a_custom_field_added_in_bulk_is_in_the_next_answer(org, accounts, api_for):
    Account.objects.filter(pk=accounts["rep_js"].pk).update(custom_data={"tier": "金牌"})
    rep = api_for(org.rep_js)
    assert rep.get(ACCOUNTS).json()["results"][0]["custom_fields"] == {}  # no such field yet
    CustomField.objects.bulk_create(
        [CustomField(object_type="customers.account", name="tier", label="分级", type="text")]
    )
    assert rep.get(ACCOUNTS).json()["results"][0]["custom_fields"] == {"tier": "金牌"}


def test_a_pool_membership_added_by_raw_sql_opens_the_pool_at_the_next_request(org, api_for):
    from lianke.marketing.models import Lead
    from lianke.pools.models import Pool

    pool = Pool.objects.create(name="江苏线索公海", object_type="marketing.lead")
    lead = Lead.objects.create(name="公海线索甲", owner=org.rep_js)
    Lead.all_objects.filter(pk=lead.pk).update(owner=None, department=None, pool=pool)
    rep = api_for(org.rep_js2)
    assert names(rep, LEADS) == set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Pool.members.through._meta.db_table} (pool_id, user_id) VALUES (%s, %s)",
            [pool.pk, org.rep_js2.pk],
        )
    assert names(rep, LEADS) == {"公海线索甲"}


def test_a_record_shared_by_raw_sql_and_unshared_by_delete_follows_at_the_next_request(
    org, accounts, api_for
):
    from django.contrib.contenttypes.models import ContentType

    rep = api_for(org.rep_js)
    assert names(rep) == {"rep_js"}
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Collaborator._meta.db_table} (content_type_id, object_id, user_id, access, created_at)"
            " VALUES (%s, %s, %s, %s, CURRENT_TIMESTAMP)",
            [ContentType.objects.get_for_model(Account).pk, accounts["rep_zj"].pk, org.rep_js.pk, "read"],
        )
    assert names(rep) == {"rep_js", "rep_zj"}
    Collaborator.objects.filter(user=org.rep_js).delete()
    assert names(rep) == {"rep_js"}


def test_a_saved_view_shared_and_deleted_behind_the_orms_back_follows_at_the_next_request(
    org, accounts, client_for
):
    from lianke.core.models import SavedView

    view = SavedView.objects.create(user=org.rep_js2, object_type="customers.account", name="本周重点")
    colleague = client_for(org.rep_js)
    shown = 'data-saved-view="本周重点"'
    assert shown not in colleague.get("/customers/account/").content.decode()
    with connection.cursor() as cursor:  # shared with the colleague's role
        cursor.execute(
            f"INSERT INTO {SavedView.shared_roles.through._meta.db_table} (savedview_id, role_id) VALUES (%s, %s)",
            [view.pk, org.roles["sales_rep"].pk],
        )
    assert shown in colleague.get("/customers/account/").content.decode()
    SavedView.objects.filter(pk=view.pk).delete()
    assert shown not in colleague.get("/customers/account/").content.decode()


def test_the_web_list_follows_a_grant_revoked_by_update(org, accounts, client_for):
    rep = client_for(org.rep_js)
    assert rep.get("/customers/account/").status_code == 200
    RolePermission.objects.filter(role=org.roles["sales_rep"], object_type="customers.account").update(
        actions=[]
    )
    assert rep.get("/customers/account/").status_code == 403


# ------------------------------------------------------------------- rolled-back changes
def test_a_rolled_back_grant_is_not_kept(org, accounts, api_for):
    rep = api_for(org.rep_js)
    before = token()
    with transaction.atomic():
        RolePermission.objects.filter(role=org.roles["sales_rep"], object_type="customers.account").update(
            scope=Scope.ALL
        )
        # the request runs inside the transaction and keeps the wider grant under its token
        assert len(names(rep)) == 4
        inside = token()
        transaction.set_rollback(True)
    assert token() == before
    assert names(rep) == {"rep_js"}
    # a later change makes a token of its own, never the rolled-back one
    Role.objects.filter(pk=org.roles["team_lead"].pk).update(description="组长")
    assert token() not in (before, inside)
    assert names(rep) == {"rep_js"}


def test_a_change_inside_a_request_is_seen_by_the_same_request(org, accounts):
    """A request that changes configuration through the ORM reads the token again, so a value
    it reads afterwards is not one the process kept from before the change."""
    from lianke.core.context import Source, request_context
    from lianke.org import access

    class FakeRequest:
        headers: dict = {}
        user = org.lead_js

    with request_context(FakeRequest(), source=Source.WEB):
        assert access.subordinate_ids(org.lead_js) == [org.rep_js.pk]  # kept by the process
    with request_context(FakeRequest(), source=Source.WEB):
        assert access.role_scope(org.lead_js, Account, Action.VIEW)  # the token is read here
        org.rep_js.superior = org.manager_js
        org.rep_js.save()
        assert access.subordinate_ids(org.lead_js) == []


# ----------------------------------------------------------------------- no token, no store
def test_without_the_token_row_nothing_is_kept(org, accounts, api_for, monkeypatch):
    from lianke.org import access

    loads = []
    load = access._load_grants
    monkeypatch.setattr(access, "_load_grants", lambda user: loads.append(user.pk) or load(user))
    rep = api_for(org.rep_js)
    assert names(rep) == {"rep_js"}
    assert names(rep) == {"rep_js"}
    assert loads == [org.rep_js.pk]  # kept: loaded once for two requests
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {configcache.TABLE}")  # as a flush leaves it
    assert names(rep) == {"rep_js"}
    assert names(rep) == {"rep_js"}
    assert loads == [org.rep_js.pk] * 3  # no token: loaded by every request
    # a change writes the row again, and the next request follows it
    Role.objects.filter(pk=org.roles["sales_rep"].pk).update(is_active=False)
    assert token() is not None
    assert names(rep) == 403


def test_outside_a_request_nothing_is_kept(org):
    configcache.clear()
    calls = []
    for _ in range(2):
        configcache.cached("probe", lambda: calls.append(1))
    assert len(calls) == 2


# ------------------------------------------------------------------------------ triggers
def test_migrate_installs_the_triggers_and_the_check_finds_a_missing_one(org):
    assert configcache.missing_triggers() == []
    assert config_triggers(databases=["default"]) == []
    name = configcache.trigger_names(connection.vendor, "org_rolepermission")[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f'DROP TRIGGER "{name}"'
            + (' ON "org_rolepermission"' if connection.vendor == "postgresql" else "")
        )
    assert configcache.missing_triggers() == ["org_rolepermission"]
    errors = config_triggers(databases=["default"])
    assert [e.id for e in errors] == ["lianke.E004"]
    assert "org_rolepermission" in errors[0].msg
    # a migrate (here: its post_migrate step) puts them back
    call_command("migrate", verbosity=0)
    assert configcache.missing_triggers() == []
    before = token()
    RolePermission.objects.create(
        role=org.roles["sales_rep"], object_type="marketing.campaign", actions=["view"]
    )
    assert token() != before


def test_every_table_the_loaders_read_is_watched():
    """The loaders read roles, their grants and field rules, who holds which role, departments,
    the users' places in them, shared records, custom fields, saved views, pool memberships and
    (the opportunity list's filter form) stage sets."""
    from lianke.core.models import SavedView
    from lianke.pools.models import Pool
    from lianke.sales.models import Stage, StageSet

    tables = configcache.watched()
    for model in (
        SavedView,
        SavedView.shared_roles.through,
        SavedView.shared_departments.through,
        Collaborator,
        Role,
        RolePermission,
        FieldPermission,
        Department,
        User.roles.through,
        CustomField,
        Pool,
        Pool.members.through,
        Pool.member_departments.through,
        Pool.admins.through,
        StageSet,
        Stage,
    ):
        assert tables[model._meta.db_table] == ()
    assert set(tables["org_user"]) == {
        "is_active", "is_superuser", "department_id", "superior_id",
        "name", "first_name", "last_name", "username",
    }  # fmt: skip


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_truncate_replaces_the_token_on_postgresql(org):
    before = token()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {FieldPermission._meta.db_table}")
    assert token() != before
