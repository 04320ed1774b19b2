"""Config kind (org.kinds.Config): settings are the administrators' — Django's model permissions
do not open them to anyone else — except what a config type delegates: a pool's own
administrators manage that pool's people (Settings › Pools), every change in history."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.test import Client

from lianke.core.models import ObjectChange
from lianke.marketing.models import Lead
from lianke.org import access
from lianke.org.choices import Action
from lianke.org.models import Department, Role, User
from lianke.pools.models import Pool
from lianke.pools.services import update_pool

pytestmark = pytest.mark.django_db


def web(user) -> Client:
    c = Client(headers={"accept-language": "en"})
    c.force_login(user)
    return c


@pytest.fixture
def pools(org):
    js = Pool.objects.create(name="江苏线索公海", object_type="marketing.lead")
    js.admins.add(org.manager_js)
    js.members.add(org.rep_js)
    zj = Pool.objects.create(name="浙江线索公海", object_type="marketing.lead")
    zj.admins.add(org.rep_zj)
    return {"js": js, "zj": zj}


# ---------------------------------------------------------------------------------- admin only
SETTINGS = [
    ("org", "role", Role),
    ("org", "department", Department),
    ("org", "user", User),
    ("core", "customfield", None),
    ("sales", "stageset", None),
]


@pytest.mark.parametrize(("app", "model", "_cls"), SETTINGS)
def test_a_staff_user_with_every_django_permission_still_cannot_open_a_settings_page(org, app, model, _cls):
    # given the sales ops user made staff and given every Django permission on the model
    ops = org.ops
    ops.is_staff = True
    ops.save()
    ct = ContentType.objects.get(app_label=app, model=model)
    ops.user_permissions.add(*Permission.objects.filter(content_type=ct))
    ops = User.objects.get(pk=ops.pk)
    # then the settings page refuses (settings are the administrators')
    assert web(ops).get(f"/admin/{app}/{model}/").status_code == 403
    assert web(ops).get(f"/admin/{app}/{model}/add/").status_code == 403
    # and the administrator opens it
    assert web(org.admin).get(f"/admin/{app}/{model}/").status_code == 200


def test_a_staff_user_cannot_grant_himself_a_wider_role(org):
    ops = org.ops
    ops.is_staff = True
    ops.save()
    ops.user_permissions.add(*Permission.objects.filter(content_type__app_label="org"))
    role = org.roles["sales_ops"]
    r = web(User.objects.get(pk=ops.pk)).post(
        f"/admin/org/role/{role.pk}/change/", {"name": "超级运营", "description": "", "is_active": "on"}
    )
    assert r.status_code == 403
    assert Role.objects.get(pk=role.pk).name == role.name


# ---------------------------------------------------------------------------------- delegated
def test_a_pools_administrator_manages_that_pool_and_no_other(org, pools):
    manager = org.manager_js
    assert access.can(manager, pools["js"], Action.EDIT)
    assert not access.can(manager, pools["zj"], Action.EDIT)
    # a delegate edits; creating or deleting pools stays with the administrators
    assert not access.has_action(manager, Pool, Action.CREATE)
    assert not access.has_action(manager, Pool, Action.DELETE)
    # a member and a stranger manage nothing
    assert not access.can(org.rep_js, pools["js"], Action.EDIT)
    assert not access.can(org.nobody, pools["js"], Action.VIEW)


def test_the_pool_settings_page_of_the_admin_site_shows_a_staff_user_only_the_pools_he_manages(org, pools):
    ops = org.ops
    ops.is_staff = True
    ops.save()
    ops.user_permissions.add(*Permission.objects.filter(content_type__app_label="pools"))
    pools["zj"].admins.add(ops)
    page = web(User.objects.get(pk=ops.pk)).get("/admin/pools/pool/").content.decode()
    assert "浙江线索公海" in page and "江苏线索公海" not in page
    assert web(User.objects.get(pk=ops.pk)).get("/admin/pools/pool/add/").status_code == 403
    assert (
        web(User.objects.get(pk=ops.pk)).get(f"/admin/pools/pool/{pools['js'].pk}/change/").status_code != 200
    )


def test_settings_pools_lists_the_pools_one_manages(org, pools):
    page = web(org.manager_js).get("/settings/pools/").content.decode()
    assert "江苏线索公海" in page and "浙江线索公海" not in page
    everything = web(org.admin).get("/settings/pools/").content.decode()
    assert "江苏线索公海" in everything and "浙江线索公海" in everything
    # someone who manages no pool has no such page
    assert web(org.rep_js).get("/settings/pools/").status_code == 403


def test_a_pools_administrator_adds_a_member_who_then_sees_its_records_and_history_says_so(org, pools):
    # given a lead in the Jiangsu pool that rep_js2 cannot see
    lead = Lead.objects.create(name="陈静", company="无锡重工", owner=org.rep_js)
    Lead.all_objects.filter(pk=lead.pk).update(owner=None, department=None, pool=pools["js"])
    assert web(org.rep_js2).get(f"/marketing/lead/{lead.pk}/").status_code == 404
    # when the pool's administrator adds rep_js2 to the pool
    r = web(org.manager_js).post(
        f"/settings/pools/{pools['js'].pk}/edit/",
        {"name": "江苏线索公海", "description": "", "members": [org.rep_js.pk, org.rep_js2.pk]},
    )
    assert r.status_code == 302
    # then rep_js2 sees the pool's lead
    assert web(org.rep_js2).get(f"/marketing/lead/{lead.pk}/").status_code == 200
    # and the change is in history: who, old → new
    change = ObjectChange.objects.filter(content_type__model="pool", object_id=pools["js"].pk).latest("pk")
    assert change.user == org.manager_js
    assert (change.prechange_data["members"], change.postchange_data["members"]) == (
        [org.rep_js.pk],
        sorted([org.rep_js.pk, org.rep_js2.pk]),
    )


def test_another_pools_settings_are_not_reachable_by_url(org, pools):
    r = web(org.manager_js).post(
        f"/settings/pools/{pools['zj'].pk}/edit/", {"name": "改名", "members": [org.manager_js.pk]}
    )
    assert r.status_code == 404
    zj = Pool.objects.get(pk=pools["zj"].pk)
    assert zj.name == "浙江线索公海" and list(zj.members.all()) == []
    assert not ObjectChange.objects.filter(content_type__model="pool").exists()


def test_a_delegate_cannot_make_himself_administrator_of_more_or_change_what_is_not_delegated(org, pools):
    # the page has no such fields: a posted "admins" is ignored
    web(org.manager_js).post(
        f"/settings/pools/{pools['js'].pk}/edit/",
        {"name": "江苏线索公海", "members": [org.rep_js.pk], "admins": [org.manager_js.pk, org.rep_js.pk]},
    )
    assert list(Pool.objects.get(pk=pools["js"].pk).admins.all()) == [org.manager_js]
    # and the service refuses them outright
    with pytest.raises(PermissionDenied):
        update_pool(actor=org.manager_js, pool=pools["js"], admins=[org.rep_js.pk])
    with pytest.raises(PermissionDenied):
        update_pool(actor=org.manager_js, pool=pools["zj"], name="改名")
    assert Pool.objects.get(pk=pools["zj"].pk).name == "浙江线索公海"


def test_a_bad_pool_form_says_which_field_and_changes_nothing(org, pools):
    r = web(org.manager_js).post(f"/settings/pools/{pools['js'].pk}/edit/", {"name": "", "members": ["x"]})
    assert r.status_code == 400
    form = r.context["form"]
    assert set(form.errors) == {"name", "members"}
    assert Pool.objects.get(pk=pools["js"].pk).name == "江苏线索公海"


def test_a_save_over_someone_elses_change_since_is_refused_not_overwriting_it(org, pools):
    # given two administrators of the pool who opened its page at the same time
    pools["js"].admins.add(org.admin)
    url = f"/settings/pools/{pools['js'].pk}/edit/"
    first, second = web(org.manager_js), web(org.admin)
    state = first.get(url).context["form"]["state"].value()
    assert second.get(url).context["form"]["state"].value() == state
    # when the first adds rep_js2 and the second, from his stale page, adds ops
    assert (
        first.post(
            url, {"name": "江苏线索公海", "members": [org.rep_js.pk, org.rep_js2.pk], "state": state}
        ).status_code
        == 302
    )
    r = second.post(url, {"name": "江苏线索公海", "members": [org.rep_js.pk, org.ops.pk], "state": state})
    # then the second save is refused with the reason, and the first one's member stays
    assert r.status_code == 400
    assert "Someone changed this pool since you opened it" in r.content.decode()
    assert set(pools["js"].members.values_list("username", flat=True)) == {"rep_js", "rep_js2"}


def test_the_user_menu_offers_pools_to_their_administrators_from_the_next_request_on(org, pools):
    # the manager administers a pool, the rep does not, the administrator sees every pool
    assert 'id="nav-pools"' in web(org.manager_js).get("/").content.decode()
    assert 'id="nav-pools"' in web(org.admin).get("/").content.decode()
    rep = web(org.rep_js2)
    assert 'id="nav-pools"' not in rep.get("/").content.decode()
    # when the rep is made an administrator of a pool (however the row is written)
    pools["zj"].admins.through.objects.bulk_create(
        [pools["zj"].admins.through(pool_id=pools["zj"].pk, user_id=org.rep_js2.pk)]
    )
    # then the next page offers the pools page, and it opens
    assert 'id="nav-pools"' in rep.get("/").content.decode()
    assert rep.get("/settings/pools/").status_code == 200
