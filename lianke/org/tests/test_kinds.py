"""Record kinds (org.kinds): the access policy belongs to the object type, and reads follow it —
what a record shows of its children and of the records it links to, and what an activity's
account opens."""

from __future__ import annotations

import pytest
from django.test import Client

from lianke.activities.models import Activity
from lianke.core.objecttypes.registry import registry
from lianke.core.records import services
from lianke.customers.models import Account, Contact
from lianke.org import access
from lianke.org.kinds import Child, Owned, prefix_q

pytestmark = pytest.mark.django_db


def web(user) -> Client:
    c = Client(headers={"accept-language": "en"})
    c.force_login(user)
    return c


def test_every_registered_type_declares_its_kind_and_the_resolver_uses_it():
    for ot in registry:
        assert ot.kind in {"owned", "pooled", "child", "catalog", "config"}
        assert access.policy_for(ot.model) is ot.access


def test_prefix_q_sees_a_filter_from_a_related_model():
    from django.db.models import Q

    q = prefix_q(Q(owner_id=1) | Q(department_id__in=[2, 3]) | Q(pk__in=[4]), "account")
    assert str(q) == str(
        Q(account__owner_id=1) | Q(account__department_id__in=[2, 3]) | Q(account__pk__in=[4])
    )


# ---------------------------------------------------------------------------------- children's history
@pytest.fixture
def transferred(org):
    """An account rep_js2 took over from rep_js *without* its contact: the contact stays rep_js's."""
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    contact = Contact.objects.create(name="王磊", account=account, owner=org.rep_js, mobile="13912345678")
    services.transfer_records(
        actor=org.manager_js, records=[account], new_owner=org.rep_js2, with_related=False
    )

    contact.description = "私下说预算还能加"
    contact.mobile = "13987654321"
    services.save_record(actor=org.rep_js, instance=contact)
    return account, contact


def test_the_new_owner_does_not_read_the_changes_of_a_contact_left_behind(org, transferred):
    # given the account's new owner, who may not open the contact
    account, contact = transferred
    assert not access.can(org.rep_js2, contact)
    # when they open the account's history and its timeline
    history = web(org.rep_js2).get(f"/customers/account/{account.pk}/history/").content.decode()
    timeline = web(org.rep_js2).get(f"/activities/timeline/{_ct(account)}/{account.pk}/").content.decode()
    # then neither shows the contact's private note or mobile
    for page in (history, timeline):
        assert "私下说预算还能加" not in page
        assert "13987654321" not in page
        assert "王磊" not in page


def test_whoever_may_open_the_contact_reads_its_changes_on_the_account(org, transferred):
    account, _contact = transferred
    history = web(org.manager_js).get(f"/customers/account/{account.pk}/history/").content.decode()
    assert "私下说预算还能加" in history


def _ct(record) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(type(record)).pk


# ---------------------------------------------------------------------------------- linked records
def test_a_linked_record_the_reader_may_not_open_shows_no_name(org):
    # given rep_js's contact on an account of the other company
    account = Account.objects.create(name="宁波宏达钢材", owner=org.rep_zj)
    contact = Contact.objects.create(name="王磊", account=account, owner=org.rep_js)
    c = web(org.rep_js)
    # when rep_js opens the contact, its list and its export
    detail = c.get(f"/customers/contact/{contact.pk}/").content.decode()
    listing = c.get("/customers/contact/").content.decode()
    # then the account is "Restricted record", never its name or a link to it
    for page in (detail, listing):
        assert "宁波宏达钢材" not in page
        assert "Restricted record" in page
        assert f"/customers/account/{account.pk}/" not in page
    # while the owner of both sees the name
    assert "宁波宏达钢材" in web(org.rep_zj).get(f"/customers/account/{account.pk}/").content.decode()


def test_a_linked_record_is_checked_once_per_page_not_once_per_row(org, django_assert_max_num_queries):
    accounts = [Account.objects.create(name=f"客户{i}", owner=org.rep_zj) for i in range(20)]
    for a in accounts:
        Contact.objects.create(name="王", account=a, owner=org.rep_js)
    c = web(org.rep_js)
    c.get("/customers/contact/")
    with django_assert_max_num_queries(40):
        response = c.get("/customers/contact/")
    assert response.content.decode().count("Restricted record") >= 20


# ---------------------------------------------------------------------------------- activities through accounts
@pytest.fixture
def colleagues_note(org):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    note = Activity.objects.create(kind="note", subject="同事的拜访记录", owner=org.rep_js2, account=account)
    return account, note


def test_an_accounts_owner_reads_every_follow_up_on_it(org, colleagues_note):
    account, note = colleagues_note
    c = web(org.rep_js)
    # on the account's timeline and on the activity's own page
    timeline = c.get(f"/activities/timeline/{_ct(account)}/{account.pk}/").content.decode()
    assert "同事的拜访记录" in timeline
    assert c.get(f"/activities/activity/{note.pk}/").status_code == 200
    # but not to edit it, and the activity list stays their own data scope
    assert c.get(f"/activities/activity/{note.pk}/edit/").status_code == 404
    assert "同事的拜访记录" not in c.get("/activities/activity/").content.decode()


def test_a_follow_up_on_someone_elses_account_stays_closed(org, colleagues_note):
    account, note = colleagues_note
    c = web(org.rep_zj)
    assert c.get(f"/activities/activity/{note.pk}/").status_code == 404
    assert c.get(f"/activities/timeline/{_ct(account)}/{account.pk}/").status_code == 404


def test_kind_declarations_describe_themselves():
    assert Owned(through=("account",)).describe() == {"kind": "owned", "through": ("account",)}
    assert Child("account").describe() == {"kind": "child", "parent": "account"}


# ---------------------------------------------------------------------------------- pooled
def _pool(org, **members):
    from lianke.pools.models import Pool

    pool = Pool.objects.create(name="江苏线索公海", object_type="marketing.lead")
    pool.members.set(members.get("members", []))
    pool.admins.set(members.get("admins", []))
    pool.member_departments.set(members.get("departments", []))
    return pool


def _pooled_lead(org, pool, name="公海线索甲"):
    """A lead rep_js owned, returned to the pool: no owner, no department."""
    from lianke.marketing.models import Lead

    lead = Lead.objects.create(name=name, owner=org.rep_js, mobile="13912345678")
    Lead.all_objects.filter(pk=lead.pk).update(owner=None, department=None, pool=pool)
    return Lead.all_objects.get(pk=lead.pk)


POOLED_READERS = [
    ("rep_js2", True, "a member"),
    ("lead_js", True, "an administrator of the pool"),
    ("ops", True, "sales operations (scope: all)"),
    ("admin", True, "an administrator"),
    ("rep_js", False, "the former owner, not a member"),
    ("manager_js", False, "the former owner's manager (department tree)"),
    ("rep_zj", False, "a rep of the other company"),
]


@pytest.mark.parametrize(("user", "sees", "who"), POOLED_READERS)
def test_a_pooled_record_is_read_by_the_pools_people_and_whoever_sees_all(org, user, sees, who, api_for):
    pool = _pool(org, members=[org.rep_js2], admins=[org.lead_js])
    lead = _pooled_lead(org, pool)
    person = getattr(org, user)
    c = web(person)
    # list, record page, global search, API list and detail, export
    shown = {
        "list": "公海线索甲" in c.get("/marketing/lead/", {"search": "公海线索"}).content.decode(),
        "detail": c.get(f"/marketing/lead/{lead.pk}/").status_code == 200,
        "search": "公海线索甲" in c.get("/search/", {"q": "公海线索"}).content.decode(),
        "api": api_for(person).get(f"/api/marketing/leads/{lead.pk}/").status_code == 200,
        "api list": lead.pk
        in [r["id"] for r in api_for(person).get("/api/marketing/leads/").json().get("results", [])],
    }
    assert shown == dict.fromkeys(shown, sees), who


def test_a_pool_department_makes_its_people_members(org):
    pool = _pool(org, departments=[org.js])
    lead = _pooled_lead(org, pool)
    assert access.can(org.rep_js2, lead)  # in a sub-department of Jiangsu
    assert not access.can(org.rep_zj, lead)


def test_only_the_pools_administrators_and_all_scopes_change_a_pooled_record(org):
    from lianke.org.choices import Action

    pool = _pool(org, members=[org.rep_js2], admins=[org.lead_js])
    lead = _pooled_lead(org, pool)
    assert access.can(org.lead_js, lead, Action.EDIT)  # the pool's administrator
    assert not access.can(org.rep_js2, lead, Action.EDIT)  # a member reads, claims later
    assert not access.can(org.rep_js, lead, Action.EDIT)  # the former owner
    assert access.can(org.admin, lead, Action.EDIT)


def test_an_inactive_pool_opens_nothing(org):
    pool = _pool(org, members=[org.rep_js2])
    lead = _pooled_lead(org, pool)
    pool.is_active = False
    pool.save()
    access.clear_cache(org.rep_js2)
    assert not access.can(org.rep_js2, lead)


def test_a_pooled_record_has_an_owner_or_a_pool_never_neither(org):
    from django.db import IntegrityError, transaction

    from lianke.marketing.models import Lead

    lead = Lead.objects.create(name="甲", owner=org.rep_js)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.all_objects.filter(pk=lead.pk).update(owner=None)


def test_a_pooled_records_page_and_card_show_its_pool(org):
    pool = _pool(org, members=[org.rep_js2])
    lead = _pooled_lead(org, pool)
    c = web(org.rep_js2)
    assert "江苏线索公海" in c.get(f"/marketing/lead/{lead.pk}/").content.decode()
    assert "江苏线索公海" in c.get("/marketing/lead/").content.decode()
