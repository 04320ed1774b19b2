"""The REST API: authentication, keyset pagination, filters (custom fields too), search, the
write verbs, the recycle bin, transfer, error bodies that name the field, and the schema."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client
from django.utils.html import escape
from rest_framework.test import APIClient

from lianke.core.models import CustomField, ObjectChange
from lianke.core.objecttypes.registry import registry
from lianke.core.pagination import encode_cursor
from lianke.core.records import services
from lianke.customers.models import Account, Contact
from lianke.org.tokens import issue_token
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db

ACCOUNT = "customers.account"
ACCOUNTS = "/api/customers/accounts/"
CONTACTS = "/api/customers/contacts/"
OPPORTUNITIES = "/api/sales/opportunities/"


def detail(pk, action=None, base=ACCOUNTS):
    return f"{base}{pk}/" + (f"{action}/" if action else "")


def account(owner, name="上海宝钢", **extra):
    return Account.objects.create(name=name, owner=owner, **extra)


@pytest.fixture
def fields(db):
    """Custom fields on accounts: a select, an integer and a text."""
    return {
        "tier": CustomField.objects.create(
            object_type=ACCOUNT,
            name="tier",
            label="客户分级",
            type="select",
            options=[{"key": "gold", "label": "金牌"}, {"key": "silver", "label": "银牌"}],
        ),
        "employees": CustomField.objects.create(
            object_type=ACCOUNT, name="employees", label="员工人数", type="integer"
        ),
        "note": CustomField.objects.create(object_type=ACCOUNT, name="note", label="备注", type="text"),
    }


@pytest.fixture
def rep(org, api_for):
    """rep_js's API client."""
    return api_for(org.rep_js)


def assert_json_error(response, *path):
    """A 400 whose JSON body names the field along ``path`` (e.g. "custom_fields", "tier")."""
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    node = response.json()
    for key in path:
        assert key in node, f"{key!r} not in {node!r}"
        node = node[key]
    assert node, "the error names the field but says nothing"
    return node


# ---------------------------------------------------------------------------------- authentication
def test_token_authenticated_client_lists_own_accounts(org, rep):
    # given an account of rep_js
    mine = account(org.rep_js)
    # when they list accounts with their token
    r = rep.get(ACCOUNTS)
    # then they get it
    assert r.status_code == 200
    assert [row["id"] for row in r.json()["results"]] == [mine.pk]


def test_session_authenticated_browser_reads_the_api(org, client_for):
    # given a logged-in browser session
    mine = account(org.rep_js)
    # when it calls the API
    r = client_for(org.rep_js).get(ACCOUNTS)
    # then the session authenticates it
    assert r.status_code == 200
    assert r.json()["results"][0]["id"] == mine.pk


def test_session_write_without_csrf_token_is_refused(org):
    # given a logged-in browser session that does not send the CSRF token
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org.rep_js)
    # when it posts to the API
    r = browser.post(ACCOUNTS, {"name": "CSRF"}, content_type="application/json")
    # then it is refused and nothing is created
    assert r.status_code == 403
    assert not Account.all_objects.filter(name="CSRF").exists()


def test_unauthenticated_request_gets_401_and_no_data(org):
    # given an account and a client without credentials
    account(org.rep_js)
    # when it reads and writes
    reads = APIClient().get(ACCOUNTS)
    writes = APIClient().post(ACCOUNTS, {"name": "Anon"}, format="json")
    # then both are 401 with a JSON body
    assert reads.status_code == 401
    assert "results" not in reads.json()
    assert writes.status_code == 401
    assert not Account.all_objects.filter(name="Anon").exists()


def test_wrong_token_gets_401(org):
    # given a made-up token
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    # when it calls the API
    # then it is not authenticated
    assert client.get(ACCOUNTS).status_code == 401


def test_token_of_a_deactivated_user_stops_working(org):
    # given rep_js's token, then rep_js leaves
    key = issue_token(user=org.rep_js, name="ERP").key
    org.rep_js.is_active = False
    org.rep_js.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    # when the token is used
    # then it is refused
    assert client.get(ACCOUNTS).status_code == 401


@pytest.mark.parametrize("url", [ACCOUNTS, CONTACTS, OPPORTUNITIES, "/api/marketing/leads/"])
def test_user_without_a_role_gets_403_on_every_endpoint(org, api_for, url):
    # given a logged-in user without any role
    client = api_for(org.nobody)
    # when they list or create
    # then both are forbidden
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "x"}, format="json").status_code == 403


# ---------------------------------------------------------------------------------- pagination
def test_list_follows_next_links_through_every_record_exactly_once(org, rep):
    # given seven accounts
    ids = {account(org.rep_js, name=f"客户{i}").pk for i in range(7)}
    # when we follow ``next`` three at a time
    seen, url, pages = [], f"{ACCOUNTS}?page_size=3", 0
    while url:
        r = rep.get(url)
        assert r.status_code == 200
        seen += [row["id"] for row in r.json()["results"]]
        url, pages = r.json()["next"], pages + 1
    # then every account came once, newest id first, on three pages
    assert seen == sorted(ids, reverse=True)
    assert pages == 3


def test_without_ordering_a_list_comes_in_the_list_pages_order(org, rep):
    # given three accounts, the oldest of them changed last
    old, middle, new = (account(org.rep_js, name=f"客户{i}") for i in range(3))
    old.name = "客户0改"
    services.save_record(actor=org.rep_js, instance=old)
    # when the API lists them without ``ordering``, a page of two
    first = rep.get(ACCOUNTS, {"page_size": 2}).json()
    rest = rep.get(first["next"]).json()
    # then they come as on the list page: most recently changed first, each once
    names = [row["name"] for row in first["results"] + rest["results"]]
    assert names == ["客户0改", "客户2", "客户1"]
    assert names == [a.name for a in Account.objects.order_by(*registry.get(ACCOUNT).default_ordering)]


def test_the_schema_names_each_lists_default_order(org, rep):
    schema = json.loads(rep.get("/api/schema/", {"format": "json"}).content)
    params = {p["name"]: p for p in schema["paths"]["/api/activities/activities/"]["get"]["parameters"]}
    assert "default -occurred_at" in params["ordering"]["description"]


@pytest.mark.parametrize("ordering", ["updated_at", "-updated_at", "created_at", "-created_at", "id"])
def test_next_link_keeps_the_filters_and_ordering(org, rep, ordering):
    # given five distributors created within the same few milliseconds, and one end customer
    for i in range(5):
        account(org.rep_js, name=f"经销商{i}", account_type="distributor")
    account(org.rep_js, name="终端", account_type="end_customer")
    # when we page through distributors two at a time
    first = rep.get(ACCOUNTS, {"account_type": "distributor", "ordering": ordering, "page_size": 2}).json()
    assert "cursor=" in first["next"]
    names = [row["name"] for row in first["results"]]
    url, pages = first["next"], 1
    while url and pages < 10:
        pages += 1
        page = rep.get(url).json()
        names += [row["name"] for row in page["results"]]
        url = page["next"]
    # then the next links stayed within the filter and the order, each record exactly once
    expected = [f"经销商{i}" for i in range(5)]
    assert names == (expected[::-1] if ordering.startswith("-") else expected)
    assert pages == 3


@pytest.mark.parametrize("ordering", ["cf_employees", "-cf_employees", "cf_note", "-name"])
def test_paging_by_a_custom_field_or_name_visits_every_record_once(org, rep, fields, ordering):
    # given accounts with and without custom values
    for i in range(5):
        account(org.rep_js, name=f"客户{i}", custom_data={"employees": i * 10, "note": f"n{i}"})
    account(org.rep_js, name="空白")
    # when we follow the next links two at a time
    seen, url, pages = [], f"{ACCOUNTS}?page_size=2&ordering={ordering}", 0
    while url and pages < 10:
        page = rep.get(url).json()
        seen += [row["name"] for row in page["results"]]
        url, pages = page["next"], pages + 1
    # then every account came exactly once (empty values last)
    assert sorted(seen) == sorted([f"客户{i}" for i in range(5)] + ["空白"])
    if ordering != "-name":
        assert seen[-1] == "空白"


@pytest.mark.parametrize("ordering", ["owner", "-custom_data", "description", "cf_nope", "id; DROP TABLE x"])
def test_unknown_ordering_is_a_400_naming_the_parameter(org, rep, ordering):
    # given an ordering that is not a sortable field or custom field (relations, JSON, long text)
    # when the list is requested with it
    r = rep.get(ACCOUNTS, {"ordering": ordering})
    # then the error names ``ordering``
    assert_json_error(r, "ordering")


@pytest.mark.parametrize("page_size", ["abc", "0", "-5", "1.5"])
def test_page_size_must_be_a_positive_whole_number(org, rep, page_size):
    # when the list is requested with a bad page size
    r = rep.get(ACCOUNTS, {"page_size": page_size})
    # then the error names ``page_size``
    assert_json_error(r, "page_size")


def test_a_huge_page_size_is_capped_not_refused(org, rep):
    # given two accounts
    account(org.rep_js, name="甲")
    account(org.rep_js, name="乙")
    # when a very large page is asked for
    r = rep.get(ACCOUNTS, {"page_size": "1000000"})
    # then both come back on one page
    assert r.status_code == 200
    assert len(r.json()["results"]) == 2
    assert r.json()["next"] is None


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("ordering", "cursor"),
    [
        ("-id", "!!!not-base64!!!"),
        ("-id", _b64("not json")),
        ("-id", _b64('{"a": 1}')),
        ("-id", _b64('[1, "x"]')),
        ("-id", _b64("[[1], 2]")),
        ("-id", _b64('["abc", 2]')),
        ("-updated_at", _b64('["not a date", 2]')),
        ("created_at", _b64("[12345678901234567890123, 2]")),
        ("id", _b64("[1, 123456789012345678901234567890]")),
        ("id", _b64("[123456789012345678901234567890, 1]")),
        ("id", _b64("[Infinity, 1]")),
        ("id", _b64("[NaN, 1]")),
        ("cf_employees", _b64('["many", 1]')),
        ("-cf_employees", _b64('["1e999999", 1]')),
    ],
)
def test_invalid_cursor_is_a_400_naming_the_cursor(org, rep, fields, ordering, cursor):
    # given a few accounts
    account(org.rep_js, name="甲")
    # when the list is asked for with a broken or forged cursor
    r = rep.get(ACCOUNTS, {"ordering": ordering, "cursor": cursor})
    # then the error names ``cursor`` (never a 500)
    assert_json_error(r, "cursor")


def test_a_cursor_only_moves_within_the_callers_scope(org, rep):
    # given rep_zj's account with a higher id than rep_js's
    mine = account(org.rep_js, name="mine")
    theirs = account(org.rep_zj, name="theirs")
    # when rep_js forges a cursor positioned just past rep_zj's account
    r = rep.get(ACCOUNTS, {"ordering": "id", "cursor": encode_cursor(mine.pk - 1, mine.pk - 1)})
    # then only their own account is returned
    assert [row["id"] for row in r.json()["results"]] == [mine.pk]
    assert theirs.pk not in [row["id"] for row in r.json()["results"]]


# ---------------------------------------------------------------------------------- filters & search
def test_filter_by_standard_choice_field(org, rep):
    # given a distributor and an end customer
    distributor = account(org.rep_js, name="经销商", account_type="distributor")
    account(org.rep_js, name="终端", account_type="end_customer")
    # when filtered by type
    r = rep.get(ACCOUNTS, {"account_type": "distributor"})
    # then only the distributor
    assert [row["id"] for row in r.json()["results"]] == [distributor.pk]


def test_filter_by_custom_select_and_number_range(org, rep, fields):
    # given accounts with different tiers and sizes
    big_gold = account(org.rep_js, name="大金", custom_data={"tier": "gold", "employees": 500})
    account(org.rep_js, name="小金", custom_data={"tier": "gold", "employees": 20})
    account(org.rep_js, name="大银", custom_data={"tier": "silver", "employees": 800})
    account(org.rep_js, name="空白")
    # when filtered by ``cf_tier`` and ``cf_employees__gte``
    gold = rep.get(ACCOUNTS, {"cf_tier": "gold"}).json()["results"]
    big = rep.get(ACCOUNTS, {"cf_employees__gte": "100"}).json()["results"]
    both = rep.get(ACCOUNTS, {"cf_tier": "gold", "cf_employees__gte": "100"}).json()["results"]
    small = rep.get(ACCOUNTS, {"cf_employees__lte": "100"}).json()["results"]
    # then each filter applies, and combine with AND
    assert {row["name"] for row in gold} == {"大金", "小金"}
    assert {row["name"] for row in big} == {"大金", "大银"}
    assert [row["id"] for row in both] == [big_gold.pk]
    assert {row["name"] for row in small} == {"小金"}


def test_filter_by_custom_text_field_is_a_contains_match(org, rep, fields):
    # given accounts with notes
    account(org.rep_js, name="甲", custom_data={"note": "重点跟进 Q3"})
    account(org.rep_js, name="乙", custom_data={"note": "暂停"})
    # when filtered
    r = rep.get(ACCOUNTS, {"cf_note": "跟进"})
    # then the one containing the text
    assert [row["name"] for row in r.json()["results"]] == ["甲"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cf_employees__gte": "many"}, "cf_employees__gte"),
        ({"cf_tier": "platinum"}, "cf_tier"),
        ({"account_type": "bogus"}, "account_type"),
        ({"created_at__gte": "yesterday"}, "created_at__gte"),
        ({"owner": "999999"}, "owner"),
    ],
)
def test_invalid_filter_value_is_a_400_naming_the_filter(org, rep, fields, params, field):
    # when a filter gets a value it cannot use
    r = rep.get(ACCOUNTS, params)
    # then the JSON error names that filter
    assert_json_error(r, field)


def test_search_matches_name_short_name_and_phone(org, rep):
    # given three accounts
    by_name = account(org.rep_js, name="南京钢铁")
    by_phone = account(org.rep_js, name="苏州精工", phone="0512-66881234")
    account(org.rep_js, name="无锡机械")
    # when searched
    # then the text is found in any search field
    assert [r["id"] for r in rep.get(ACCOUNTS, {"search": "南京"}).json()["results"]] == [by_name.pk]
    assert [r["id"] for r in rep.get(ACCOUNTS, {"search": "66881234"}).json()["results"]] == [by_phone.pk]
    assert rep.get(ACCOUNTS, {"search": "杭州"}).json()["results"] == []


def test_search_text_with_a_null_character_is_refused_not_a_500(org, rep):
    # given an account
    account(org.rep_js, name="南京钢铁")
    # when searched with a NUL character (PostgreSQL cannot compare text with it)
    r = rep.get(ACCOUNTS, {"search": "南京\x00"})
    # then a JSON error naming ``search``
    assert_json_error(r, "search")


def test_search_and_filters_never_reach_outside_the_scope(org, rep):
    # given rep_zj's account with the same name as rep_js's
    mine = account(org.rep_js, name="同名客户")
    account(org.rep_zj, name="同名客户")
    # when rep_js searches and filters by the other owner
    found = rep.get(ACCOUNTS, {"search": "同名"}).json()["results"]
    by_owner = rep.get(ACCOUNTS, {"owner": org.rep_zj.pk}).json()["results"]
    # then only their own
    assert [row["id"] for row in found] == [mine.pk]
    assert by_owner == []


# ---------------------------------------------------------------------------------- create / read
def test_create_makes_the_caller_owner_and_books_it_to_their_department(org, rep, fields):
    # when rep_js creates an account without naming an owner
    r = rep.post(
        ACCOUNTS,
        {
            "name": "常州电机",
            "account_type": "distributor",
            "custom_fields": {"tier": "金牌", "employees": "1,200"},
        },
        format="json",
    )
    # then it is theirs, in their team, with custom values normalised, and history says API
    assert r.status_code == 201, r.content
    data = r.json()
    assert (data["owner"], data["department"]) == (org.rep_js.pk, org.js_team.pk)
    assert data["custom_fields"] == {"tier": "gold", "employees": 1200}
    created = Account.all_objects.get(pk=data["id"])
    assert created.created_by_id == org.rep_js.pk
    change = ObjectChange.objects.get(content_type__model="account", object_id=created.pk, action="create")
    assert (change.user_id, change.source) == (org.rep_js.pk, "api")


def test_retrieve_returns_the_record_with_its_active_custom_fields(org, rep, fields):
    # given an account with a value of a field that was since deactivated
    record = account(org.rep_js, name="扬州重工", custom_data={"tier": "gold", "old": "x"})
    CustomField.objects.create(object_type=ACCOUNT, name="old", label="旧字段", type="text", is_active=False)
    # when retrieved
    r = rep.get(detail(record.pk))
    # then the active fields show, the inactive one stays hidden
    assert r.status_code == 200
    assert r.json()["name"] == "扬州重工"
    assert r.json()["custom_fields"] == {"tier": "gold"}


def test_create_with_a_hidden_account_is_a_field_error(org, rep):
    # given rep_zj's account
    theirs = account(org.rep_zj, name="浙江客户")
    # when rep_js creates a contact at it
    r = rep.post(CONTACTS, {"name": "王五", "account": theirs.pk}, format="json")
    # then the ``account`` field is refused, as if it did not exist
    assert_json_error(r, "account")
    assert not Contact.all_objects.filter(name="王五").exists()


# ---------------------------------------------------------------------------------- update
def test_patch_merges_custom_fields_instead_of_replacing_them(org, rep, fields):
    # given an account with two custom values
    record = account(org.rep_js, custom_data={"tier": "gold", "employees": 50})
    # when one of them is patched
    r = rep.patch(detail(record.pk), {"custom_fields": {"employees": 80}}, format="json")
    # then the other is kept
    assert r.status_code == 200, r.content
    assert r.json()["custom_fields"] == {"tier": "gold", "employees": 80}
    assert Account.all_objects.get(pk=record.pk).custom_data == {"tier": "gold", "employees": 80}


def test_patch_with_null_clears_one_custom_field(org, rep, fields):
    # given an account with two custom values
    record = account(org.rep_js, custom_data={"tier": "gold", "employees": 50})
    # when one is set to null
    r = rep.patch(detail(record.pk), {"custom_fields": {"tier": None}}, format="json")
    # then only that one is gone
    assert r.status_code == 200
    assert Account.all_objects.get(pk=record.pk).custom_data == {"employees": 50}


def test_patch_keeps_values_of_deactivated_custom_fields(org, rep, fields):
    # given a stored value of a field that was deactivated since
    record = account(org.rep_js, custom_data={"legacy": "keep me"})
    CustomField.objects.create(object_type=ACCOUNT, name="legacy", label="旧", type="text", is_active=False)
    # when another field is patched
    r = rep.patch(detail(record.pk), {"custom_fields": {"note": "新备注"}}, format="json")
    # then the stored value survives
    assert r.status_code == 200
    assert Account.all_objects.get(pk=record.pk).custom_data == {"legacy": "keep me", "note": "新备注"}


def test_owner_is_read_only_on_update(org, rep):
    # given rep_js's account
    record = account(org.rep_js)
    # when they try to hand it to rep_js2 by PATCH
    r = rep.patch(detail(record.pk), {"owner": org.rep_js2.pk, "city": "南京"}, format="json")
    # then the other fields change, ownership does not (that is what /transfer/ is for)
    assert r.status_code == 200
    record = Account.all_objects.get(pk=record.pk)
    assert (record.owner_id, record.city) == (org.rep_js.pk, "南京")


def test_department_and_timestamps_cannot_be_written(org, rep):
    # given rep_js's account
    record = account(org.rep_js)
    # when the payload names another department and a creation time
    r = rep.patch(
        detail(record.pk),
        {"department": org.zj.pk, "created_at": "2000-01-01T00:00:00Z", "is_deleted": True},
        format="json",
    )
    # then they are ignored
    assert r.status_code == 200
    record = Account.all_objects.get(pk=record.pk)
    assert record.department_id == org.js_team.pk
    assert record.created_at.year != 2000
    assert not record.is_deleted


def test_put_replaces_the_standard_fields(org, rep):
    # given an account with a city and a phone
    record = account(org.rep_js, name="旧名", city="南京", phone="025-12345678")
    # when PUT with a new name only
    r = rep.put(detail(record.pk), {"name": "新名"}, format="json")
    # then the name changes and the omitted optional fields keep their stored values
    assert r.status_code == 200, r.content
    record = Account.all_objects.get(pk=record.pk)
    assert (record.name, record.city, record.phone) == ("新名", "南京", "025-12345678")


def test_put_without_the_required_fields_is_a_400(org, rep):
    # given an account
    record = account(org.rep_js)
    # when PUT omits the name
    r = rep.put(detail(record.pk), {"city": "南京"}, format="json")
    # then the error names ``name`` and nothing changes
    assert_json_error(r, "name")
    assert Account.all_objects.get(pk=record.pk).city == ""


def test_update_records_history_with_old_and_new_values(org, rep):
    # given an account
    record = account(org.rep_js, city="南京")
    # when the city is patched
    rep.patch(detail(record.pk), {"city": "苏州"}, format="json")
    # then history has the change from the API
    change = ObjectChange.objects.get(object_id=record.pk, action="update")
    assert ("city", "南京", "苏州") in change.diff()
    assert change.source == "api"


# ---------------------------------------------------------------------------------- delete / transfer
def test_delete_moves_the_record_and_its_contacts_to_the_recycle_bin(org, rep):
    # given an account with a contact
    record = account(org.rep_js)
    contact = Contact.objects.create(name="张三", account=record, owner=org.rep_js)
    # when the account is deleted through the API
    r = rep.delete(detail(record.pk))
    # then both rows still exist, marked deleted in one batch, and the API no longer finds them
    assert r.status_code == 204
    record, contact = Account.all_objects.get(pk=record.pk), Contact.all_objects.get(pk=contact.pk)
    assert record.is_deleted and contact.is_deleted
    assert record.deletion_batch == contact.deletion_batch
    assert record.deleted_by_id == org.rep_js.pk
    assert rep.get(detail(record.pk)).status_code == 404
    assert rep.get(detail(contact.pk, base=CONTACTS)).status_code == 404


def test_a_deleted_record_can_be_restored_with_what_was_deleted_with_it(org, rep):
    # given an account with a contact, deleted through the API
    record = account(org.rep_js)
    contact = Contact.objects.create(name="张三", account=record, owner=org.rep_js)
    rep.delete(detail(record.pk))
    # when rep_js restores it from the recycle bin
    services.restore_records(actor=org.rep_js, records=[Account.all_objects.get(pk=record.pk)])
    # then both are back in the API
    assert rep.get(detail(record.pk)).status_code == 200
    assert rep.get(detail(contact.pk, base=CONTACTS)).status_code == 200


def test_deleting_twice_is_a_404_not_a_second_delete(org, rep):
    # given a deleted account
    record = account(org.rep_js)
    rep.delete(detail(record.pk))
    changes = ObjectChange.objects.count()
    # when deleted again
    r = rep.delete(detail(record.pk))
    # then 404 and no new history
    assert r.status_code == 404
    assert ObjectChange.objects.count() == changes


def test_transfer_gives_the_record_and_its_related_records_to_the_new_owner(org, api_for, stages):
    # given rep_js's account with a contact and an opportunity, and their manager
    record = account(org.rep_js)
    contact = Contact.objects.create(name="张三", account=record, owner=org.rep_js)
    opportunity = Opportunity.objects.create(
        name="年度框架", account=record, owner=org.rep_js, stage_set=stages["set"], stage=stages["first"]
    )
    # when the manager transfers the account to rep_js2
    r = api_for(org.manager_js).post(
        detail(record.pk, "transfer"), {"new_owner": org.rep_js2.pk}, format="json"
    )
    # then all three move, with the new owner's department
    assert r.status_code == 200, r.content
    assert r.json() == {"transferred": 3}
    for obj in (record, contact, opportunity):
        obj = type(obj).all_objects.get(pk=obj.pk)
        assert (obj.owner_id, obj.department_id) == (org.rep_js2.pk, org.js_team.pk)


def test_transfer_without_related_moves_only_the_record(org, api_for):
    # given an account with a contact
    record = account(org.rep_js)
    contact = Contact.objects.create(name="张三", account=record, owner=org.rep_js)
    # when transferred without related records
    r = api_for(org.manager_js).post(
        detail(record.pk, "transfer"), {"new_owner": org.rep_js2.pk, "with_related": False}, format="json"
    )
    # then the contact stays with rep_js
    assert r.json() == {"transferred": 1}
    assert Contact.all_objects.get(pk=contact.pk).owner_id == org.rep_js.pk


@pytest.mark.parametrize("new_owner", [None, "abc", 999999, "inactive"])
def test_transfer_to_a_missing_or_inactive_user_is_a_400_naming_new_owner(org, api_for, new_owner):
    # given an account and an inactive user
    record = account(org.rep_js)
    if new_owner == "inactive":
        org.rep_js2.is_active = False
        org.rep_js2.save()
        new_owner = org.rep_js2.pk
    # when the manager transfers it to that user
    r = api_for(org.manager_js).post(detail(record.pk, "transfer"), {"new_owner": new_owner}, format="json")
    # then the error names ``new_owner`` and the owner stays
    assert_json_error(r, "new_owner")
    assert Account.all_objects.get(pk=record.pk).owner_id == org.rep_js.pk


def test_transfer_needs_the_transfer_permission(org, rep):
    # given rep_js's own account (sales reps may not transfer)
    record = account(org.rep_js)
    # when they try
    r = rep.post(detail(record.pk, "transfer"), {"new_owner": org.rep_js2.pk}, format="json")
    # then 403 and nothing moves
    assert r.status_code == 403
    assert Account.all_objects.get(pk=record.pk).owner_id == org.rep_js.pk


# ---------------------------------------------------------------------------------- error bodies
BAD_ACCOUNT_PAYLOADS = [
    pytest.param({}, ("name",), id="missing-name"),
    pytest.param({"name": None}, ("name",), id="null-name"),
    pytest.param({"name": "x" * 201}, ("name",), id="too-long-name"),
    pytest.param({"name": ["a", "b"]}, ("name",), id="list-as-name"),
    pytest.param({"name": "零\x00字节"}, ("name",), id="nul-character-in-name"),
    pytest.param({"name": "甲", "account_type": "bogus"}, ("account_type",), id="invalid-choice"),
    pytest.param({"name": "甲", "email": "not-an-email"}, ("email",), id="invalid-email"),
    pytest.param({"name": "甲", "website": "javascript:alert(1)"}, ("website",), id="unsafe-url"),
    pytest.param({"name": "甲", "credit_code": "123"}, ("credit_code",), id="invalid-credit-code"),
    pytest.param({"name": "甲", "parent": "abc"}, ("parent",), id="wrong-type-parent"),
    pytest.param({"name": "甲", "parent": 999999}, ("parent",), id="missing-parent"),
    pytest.param({"name": "甲", "owner": 999999}, ("owner",), id="missing-owner"),
    pytest.param({"name": "甲", "custom_fields": [1, 2]}, ("custom_fields",), id="custom-fields-not-object"),
    pytest.param({"name": "甲", "custom_fields": {"bogus": 1}}, ("custom_fields", "bogus"), id="unknown-cf"),
    pytest.param(
        {"name": "甲", "custom_fields": {"tier": "platinum"}},
        ("custom_fields", "tier"),
        id="invalid-cf-option",
    ),
    pytest.param(
        {"name": "甲", "custom_fields": {"tier": {"key": "gold"}}}, ("custom_fields", "tier"), id="cf-object"
    ),
    pytest.param(
        {"name": "甲", "custom_fields": {"employees": "many"}},
        ("custom_fields", "employees"),
        id="cf-not-int",
    ),
    pytest.param(
        {"name": "甲", "custom_fields": {"employees": 1.5}}, ("custom_fields", "employees"), id="cf-fraction"
    ),
    pytest.param(
        {"name": "甲", "custom_fields": {"employees": True}}, ("custom_fields", "employees"), id="cf-bool-int"
    ),
    pytest.param(
        {"name": "甲", "custom_fields": {"note": "x" * 256}}, ("custom_fields", "note"), id="cf-too-long"
    ),
    pytest.param(
        {"name": "甲", "custom_fields": {"note": "零\x00字节"}},
        ("custom_fields", "note"),
        id="cf-nul-character",
    ),
]


@pytest.mark.parametrize(("payload", "path"), BAD_ACCOUNT_PAYLOADS)
def test_invalid_create_is_a_json_400_naming_the_field_and_saves_nothing(org, rep, fields, payload, path):
    # given the count of accounts
    before = Account.all_objects.count()
    # when an invalid account is posted
    r = rep.post(ACCOUNTS, payload, format="json")
    # then the error names the field and nothing is saved
    assert_json_error(r, *path)
    assert Account.all_objects.count() == before


# On update ``owner`` is read-only (ignored, see test_owner_is_read_only_on_update).
BAD_PATCHES = [p for p in BAD_ACCOUNT_PAYLOADS[2:] if p.id != "missing-owner"]


@pytest.mark.parametrize(("payload", "path"), BAD_PATCHES)
def test_invalid_patch_is_a_json_400_naming_the_field_and_changes_nothing(org, rep, fields, payload, path):
    # given an existing account
    record = account(org.rep_js, name="原名", custom_data={"employees": 5})
    payload = {k: v for k, v in payload.items() if not (k == "name" and v == "甲")}
    # when patched with an invalid value
    r = rep.patch(detail(record.pk), payload, format="json")
    # then the error names the field and the record is unchanged
    assert_json_error(r, *path)
    record = Account.all_objects.get(pk=record.pk)
    assert (record.name, record.custom_data) == ("原名", {"employees": 5})


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "1e30"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "0.001"}, "amount"),
        ({"expected_close_date": "2025-13-45"}, "expected_close_date"),
        ({"expected_close_date": 20250101}, "expected_close_date"),
        ({"stage": "quote-of-another-set"}, "stage"),
        ({"stage": "lost"}, "loss_reason"),
        ({"source": ["web"]}, "source"),
    ],
)
def test_invalid_opportunity_values_are_json_400s_naming_the_field(org, rep, stages, payload, field):
    # given a valid opportunity payload of rep_js's own account
    mine = account(org.rep_js)
    data = {
        "name": "年度框架",
        "account": mine.pk,
        "stage_set": stages["set"].pk,
        "stage": stages["first"].pk,
        "amount": "100.00",
    }
    if payload.get("stage") == "quote-of-another-set":
        from lianke.sales.models import Stage, StageSet

        other = StageSet.objects.create(name="渠道")
        payload = {"stage": Stage.objects.create(stage_set=other, name="报价", order=1).pk}
    elif payload.get("stage") == "lost":
        payload = {"stage": stages["lost"].pk}
    data.update(payload)
    # when it is posted
    r = rep.post(OPPORTUNITIES, data, format="json")
    # then the error names the field and nothing is saved
    assert_json_error(r, field)
    assert not Opportunity.all_objects.exists()


def test_missing_required_custom_field_is_a_400_naming_it(org, rep):
    # given a required custom field on accounts
    CustomField.objects.create(
        object_type=ACCOUNT, name="region_code", label="区域编码", type="text", required=True
    )
    # when an account is created without it, then with it
    missing = rep.post(ACCOUNTS, {"name": "甲"}, format="json")
    blank = rep.post(ACCOUNTS, {"name": "甲", "custom_fields": {"region_code": "  "}}, format="json")
    given = rep.post(ACCOUNTS, {"name": "甲", "custom_fields": {"region_code": "JS-01"}}, format="json")
    # then the first two name the field; the third is saved; a PATCH may then omit it
    assert_json_error(missing, "custom_fields", "region_code")
    assert_json_error(blank, "custom_fields", "region_code")
    assert given.status_code == 201
    assert rep.patch(detail(given.json()["id"]), {"city": "南京"}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"name": "甲",', "application/json"),
        ("not json at all", "application/json"),
        ('{"name": "\\ud800"}', "application/json"),
        ("[1, 2, 3]", "application/json"),
        ('"just a string"', "application/json"),
        ("<xml/>", "application/xml"),
    ],
)
def test_malformed_body_is_a_json_4xx_not_a_500(org, rep, body, content_type):
    # when the body cannot be parsed (or is not an object)
    r = rep.generic("POST", ACCOUNTS, body.encode(), content_type=content_type)
    # then a JSON client error, and nothing saved
    assert r.status_code in (400, 415), r.content
    assert r["Content-Type"].startswith("application/json")
    assert r.json()
    assert not Account.all_objects.exists()


def test_duplicate_credit_code_is_a_field_error_even_when_the_other_account_is_hidden(org, rep):
    # given rep_zj's account with a credit code rep_js cannot see
    account(org.rep_zj, name="浙江", credit_code="91320000134764356K")
    # when rep_js creates one with the same code
    r = rep.post(ACCOUNTS, {"name": "江苏", "credit_code": "91320000134764356k"}, format="json")
    # then a 400 naming the field (not an IntegrityError 500)
    assert r.status_code == 400, r.content
    assert "credit_code" in json.dumps(r.json())


# ---------------------------------------------------------------------------------- hostile text
@pytest.mark.parametrize(
    "hostile",
    ['=HYPERLINK("http://x","click")', "<script>alert(1)</script>", "'; DROP TABLE customers_account; --"],
)
def test_hostile_text_is_stored_as_text_and_returned_unchanged(org, rep, client_for, fields, hostile):
    # when an account is created with a hostile name and custom value
    r = rep.post(ACCOUNTS, {"name": hostile, "custom_fields": {"note": hostile}}, format="json")
    # then it is stored and returned byte for byte, and the web page escapes it
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    back = rep.get(detail(pk)).json()
    assert (back["name"], back["custom_fields"]["note"]) == (hostile, hostile)
    assert Account.all_objects.get(pk=pk).name == hostile
    page = client_for(org.rep_js).get(registry.get(ACCOUNT).url("detail", pk=pk)).content.decode()
    assert escape(hostile) in page
    assert "<script>alert(1)</script>" not in page
    assert rep.get(ACCOUNTS, {"search": hostile}).json()["results"][0]["id"] == pk


# ---------------------------------------------------------------------------------- schema
def test_openapi_schema_is_valid_json_listing_every_endpoint(org, api_for):
    # when the schema is fetched as JSON
    r = api_for(org.rep_js).get("/api/schema/", {"format": "json"})
    # then it parses and lists list, detail and transfer for every object type
    assert r.status_code == 200
    schema = json.loads(r.content)
    assert schema["openapi"].startswith("3.")
    for ot in registry:
        base = f"/api/{ot.app_label}/{ot.api_plural}/"
        assert base in schema["paths"]
        assert f"{base}{{id}}/" in schema["paths"]
        assert f"{base}{{id}}/transfer/" in schema["paths"]
    params = {p["name"] for p in schema["paths"][ACCOUNTS]["get"]["parameters"]}
    assert {"cursor", "page_size", "ordering", "search", "owner"} <= params


def test_api_docs_page_answers(org, client_for):
    # when a logged-in user opens the API docs
    r = client_for(org.rep_js).get("/api/docs/")
    # then the page renders
    assert r.status_code == 200
    assert b"redoc" in r.content.lower()


def test_api_sorts_by_a_field_and_by_a_custom_field_like_the_list_page(org, rep):
    # given three accounts with names and a custom date out of order
    from lianke.core.models import CustomField
    from lianke.customers.models import Account

    CustomField.objects.create(object_type=ACCOUNT, name="signed", label="签约日期", type="date")
    for name, day in [("乙公司", "2024-03-01"), ("甲公司", "2024-01-01"), ("丙公司", None)]:
        Account.objects.create(name=name, owner=org.rep_js, custom_data={"signed": day} if day else {})
    # when the API is asked to order by name, and by the custom date descending (NULLs last)
    by_name = [a["name"] for a in rep.get(ACCOUNTS, {"ordering": "name"}).json()["results"]]
    by_date = [
        a["name"] for a in rep.get(ACCOUNTS, {"ordering": "-cf_signed", "page_size": 1}).json()["results"]
    ]
    # then the order follows the key (and keyset paging starts with the latest date)
    assert by_name == sorted(by_name)
    assert by_date == ["乙公司"]


# ---------------------------------------------------------------------------------- old dates
RFC3339 = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("0999-01-01T00:00:00+08:00", "0999-01-01T00:00:00+08:00"),
        ("1850-06-01T12:30:00+08:00", "1850-06-01T12:30:00+08:00"),
        ("0001-01-01T12:00:00+08:00", "0001-01-01T12:00:00+08:00"),
        ("2026-03-01T09:15:00+08:00", "2026-03-01T09:15:00+08:00"),
    ],
)
def test_old_datetimes_round_trip_through_the_api_as_rfc3339(org, api_for, sent, shown):
    import datetime as dt
    import re

    CustomField.objects.create(object_type="activities.activity", name="since", label="起始", type="datetime")
    api = api_for(org.admin)
    created = api.post(
        "/api/activities/activities/",
        {"subject": "旧日期", "kind": "task", "due_at": sent, "custom_fields": {"since": sent}},
        format="json",
    )
    assert created.status_code == 201, created.content
    row = api.get(f"/api/activities/activities/{created.json()['id']}/").json()
    for value in (row["due_at"], row["custom_fields"]["since"]):
        # a valid RFC 3339 timestamp (four-digit year, an offset in whole minutes) of the same instant
        assert re.fullmatch(RFC3339, value), value
        assert dt.datetime.fromisoformat(value) == dt.datetime.fromisoformat(sent)
    assert row["due_at"] == shown
    # and what was read can be sent back unchanged
    again = api.patch(f"/api/activities/activities/{row['id']}/", {"due_at": row["due_at"]}, format="json")
    assert again.status_code == 200
    assert again.json()["due_at"] == shown


def test_old_dates_round_trip_through_the_api(org, api_for):
    CustomField.objects.create(object_type="customers.contact", name="founded", label="成立", type="date")
    api = api_for(org.admin)
    created = api.post(
        CONTACTS,
        {"name": "王磊", "birthday": "0999-01-02", "custom_fields": {"founded": "0099-12-31"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    row = api.get(f"{CONTACTS}{created.json()['id']}/").json()
    assert (row["birthday"], row["custom_fields"]["founded"]) == ("0999-01-02", "0099-12-31")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/customers/accounts/abc/", 404),  # a key is a number
        ("/api/customers/accounts/1.5/", 404),
        ("/api/customers/accounts/99999999999999999999999/", 404),
        ("/api/customers/accounts/?owner=-5819136402539658696120761", 400),  # beyond 64 bits
        ("/api/customers/accounts/?owner=9223372036854775808", 400),
        ("/api/customers/accounts/?owner=abc", 400),
        ("/api/customers/accounts/?parent=99999999999999999999999", 400),
        ("/api/activities/activities/?assignee=99999999999999999999999", 400),
    ],
)
def test_a_malformed_key_in_a_path_or_filter_is_a_4xx_never_a_500(org, api_for, path, status):
    """Found by running schemathesis over the schema: a non-numeric id in a detail URL and an
    integer filter beyond 64 bits answered 500 (SQLite cannot bind such a number)."""
    response = api_for(org.admin).get(path)
    assert response.status_code == status, response.content[:300]
    if status == 400:
        [field] = [k for k in response.json() if k != "errors"]  # the filter it names
        assert field in path
        assert {e["field"] for e in response.json()["errors"]} == {field}


def test_a_key_beyond_64_bits_in_a_list_filter_shows_the_list_with_the_error(org, client_for):
    response = client_for(org.admin).get("/customers/account/?owner=-5819136402539658696120761")
    assert response.status_code == 200
    assert "owner" in response.context["filterset"].form.errors


@pytest.mark.parametrize(
    ("who", "path", "status", "code"),
    [
        (None, "/api/customers/accounts/", 401, "not_authenticated"),
        ("rep_js", "/api/customers/accounts/999999/", 404, "not_found"),
        ("nobody", "/api/customers/accounts/", 403, "permission_denied"),
    ],
)
def test_a_refusal_carries_a_stable_code_beside_its_translated_message(org, api_for, who, path, status, code):
    from rest_framework.test import APIClient

    client = api_for(getattr(org, who)) if who else APIClient()
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["detail"]


def test_a_date_filter_at_the_ends_of_the_calendar_is_no_bound_not_a_server_error(org, rep, fields):
    # found by schemathesis: local midnight of 0001-01-01 in Asia/Shanghai is before year 1 in UTC
    mine = account(org.rep_js)
    CustomField.objects.create(object_type=ACCOUNT, name="signed", label="签约时间", type="datetime")
    for query in (
        {"created_at__gte": "0001-01-01"},
        {"updated_at__gte": "0001-01-01"},
        {"created_at__lte": "9999-12-31"},
        {"cf_signed__gte": "0001-01-01"},
        {"cf_signed__lte": "9999-12-31"},
    ):
        r = rep.get(ACCOUNTS, query)
        assert r.status_code == 200, (query, r.content)
    assert [row["id"] for row in rep.get(ACCOUNTS, {"created_at__gte": "0001-01-01"}).json()["results"]] == [
        mine.pk
    ]


def test_a_relation_is_checked_against_the_scope_of_whoever_writes_now(org, api_for):
    """The serializer's fields are built once per type: the records a relation accepts must
    still be the current caller's, not those of the caller the fields were first built for."""
    from lianke.core.api.serializers import _FIELDS

    _FIELDS.clear()
    mine, theirs = account(org.rep_js, name="张伟的客户"), account(org.rep_zj, name="李娜的客户")
    rep_js, rep_zj = api_for(org.rep_js), api_for(org.rep_zj)
    for client, own, other in ((rep_js, mine, theirs), (rep_zj, theirs, mine), (rep_js, mine, theirs)):
        body = {"name": "王五", "mobile": "13900000000", "account": own.pk}
        assert client.post("/api/customers/contacts/", body, format="json").status_code == 201
        r = client.post("/api/customers/contacts/", {**body, "account": other.pk}, format="json")
        assert r.status_code == 400
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("account", "does_not_exist")]
    assert Contact.all_objects.filter(name="王五").count() == 3
