"""A list's state lives in its URL: every link that must keep it (export, saved views, sort, page
size, tabs, bulk actions, back to the list) is built from it; "select all matching" sends the
filter; saved views are private or shared with roles and departments; "mine / my team" tabs."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from lianke.core.models import CustomField, ObjectChange, SavedView
from lianke.core.objecttypes.registry import registry
from lianke.core.ui.liststate import ListState
from lianke.core.views.objects import BulkActionView
from lianke.customers.models import Account
from lianke.org.models import Role, RolePermission

pytestmark = pytest.mark.django_db

LIST = "/customers/account/"


@pytest.fixture
def accounts(org):
    CustomField.objects.create(
        object_type="customers.account",
        name="grade",
        label="客户分级",
        label_en="Tier",
        type="select",
        options=[{"key": "key", "label": "重点客户"}, {"key": "normal", "label": "普通客户"}],
    )
    rows = {}
    for name, owner, level, grade in [
        ("苏州精工", "rep_js", "key", "key"),
        ("无锡机械", "rep_js", "b", "normal"),
        ("常州电子", "rep_js2", "key", "key"),
        ("南通纺织", "lead_js", "c", "normal"),
        ("宁波宏达", "rep_zj", "key", "key"),
    ]:
        rows[name] = Account.objects.create(
            name=name,
            owner=getattr(org, owner),
            level=level,
            phone="0512-66881234",
            custom_data={"grade": grade},
        )
    return rows


def query_of(url: str) -> dict:
    return {k: sorted(v) for k, v in parse_qs(urlsplit(url).query).items()}


def view_tree_but(user, action: str) -> None:
    """Give ``user`` two roles on accounts: view the department tree, ``action`` only their own."""
    viewer = Role.objects.create(name="查看本部门及下级")
    RolePermission.objects.create(
        role=viewer, object_type="customers.account", actions=["view"], scope="department_tree"
    )
    doer = Role.objects.create(name=f"{action}: own")
    RolePermission.objects.create(role=doer, object_type="customers.account", actions=[action], scope="own")
    user.roles.set([viewer, doer])


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


# ---------------------------------------------------------------------------------- the URL is the state
def test_every_link_of_a_filtered_list_keeps_its_filters_sort_columns_page_size_and_tab(
    org, accounts, english
):
    # given the manager's list filtered, sorted, with chosen columns, page size and tab
    state = "level=key&sort=name&cols=name&cols=phone&per_page=25&scope=team"
    page = Client()
    page.force_login(org.manager_js)
    response = page.get(f"{LIST}?{state}")
    html = response.content.decode()
    want = query_of("?" + state)
    # then the export links, the saved-view form, the bulk form and the tabs all carry that state
    exports = re.findall(r'id="export-(?:all-)?(?:xlsx|csv)" href="([^"]+)"', html)
    assert len(exports) == 4
    for url in exports:
        got = query_of(url.replace("&amp;", "&"))
        assert {k: v for k, v in got.items() if k not in ("format", "columns")} == want
    save_query = re.search(r'id="save-view-form".*?name="query" value="([^"]*)"', html, re.S).group(1)
    assert query_of("?" + save_query.replace("&amp;", "&")) == want
    bulk_query = re.search(r'id="bulk-form".*?name="query" value="([^"]*)"', html, re.S).group(1)
    assert query_of("?" + bulk_query.replace("&amp;", "&")) == want
    mine_tab = re.search(r'href="([^"]+)"[^>]*data-tab="mine"', html).group(1).replace("&amp;", "&")
    assert query_of(mine_tab) == {**want, "scope": ["mine"]}
    # and the sort header reverses the sort without dropping the filters
    name_header = re.search(r'href="([^"]+)"[^>]*data-sort="name"', html).group(1).replace("&amp;", "&")
    assert query_of(name_header) == {**want, "sort": ["-name"]}
    # and the page size menu shows 25
    assert re.search(r'<option value="25" selected>', html)


def test_an_htmx_filter_response_brings_export_and_save_links_for_the_new_filter(org, accounts):
    # given the manager's list
    c = Client()
    c.force_login(org.manager_js)
    # when the filter form is submitted by htmx (only the results are swapped)
    response = c.get(LIST, {"cf_grade": "key"}, headers={"HX-Request": "true", "HX-Target": "object-list"})
    html = response.content.decode()
    # then the fragment holds the export links and saved-view form of the new state, and the
    # filter sheet's "show N results" button is updated out of band
    assert "<html" not in html
    assert re.search(r'id="export-xlsx" href="[^"]*cf_grade=key', html)
    assert re.search(r'name="query" value="cf_grade=key"', html)
    assert 'id="apply-label" hx-swap-oob="true"' in html


def test_list_state_ignores_the_page_position_and_compares_queries_in_any_order():
    ot = registry.get("customers.account")
    state = ListState(ot, "b=2&after=xyz&a=1&a=3")
    assert state.query == "b=2&a=1&a=3"
    assert state.same_as("a=3&a=1&b=2")
    assert not state.same_as("a=1&b=2")
    assert state.url(sort="name") == f"{LIST}?b=2&a=1&a=3&sort=name"
    assert ListState(ot, "per_page=1000").per_page == 50  # only the offered sizes


def test_back_to_the_list_from_a_record_returns_to_the_list_as_it_was_left(org, accounts):
    # given the manager filtered the list, then opened a record
    c = Client()
    c.force_login(org.manager_js)
    c.get(LIST, {"level": "key", "sort": "-name"})
    detail = c.get(f"{LIST}{accounts['苏州精工'].pk}/")
    # then the breadcrumb leads back to the filtered, sorted list
    assert detail.context["list_url"] == f"{LIST}?level=key&sort=-name"
    assert f'href="{LIST}?level=key&amp;sort=-name"' in detail.content.decode()


# ---------------------------------------------------------------------------------- export
def test_export_of_visible_columns_or_of_every_field_including_custom_fields(org, accounts):
    c = Client(headers={"accept-language": "en"})
    c.force_login(org.manager_js)
    # when the manager exports the visible columns of a filtered list, then every field
    visible = csv_rows(c.get(f"{LIST}export/", {"level": "key", "cols": ["name"], "format": "csv"}))
    everything = csv_rows(c.get(f"{LIST}export/", {"level": "key", "format": "csv", "columns": "all"}))
    # then the first has the one column, the second phone, owner and the custom field too
    assert visible[0] == ["Account name"]
    assert sorted(r[0] for r in visible[1:]) == ["常州电子", "苏州精工"]
    header = everything[0]
    assert {"Account name", "Phone", "Owner", "Tier", "Department", "Created at"} <= set(header)
    assert len(everything) == 3
    row = dict(zip(header, everything[1], strict=True))
    assert row["Tier"] == "重点客户" and row["Phone"] == "0512-66881234"


def test_export_follows_the_mine_tab_and_the_sort(org, accounts):
    c = Client()
    c.force_login(org.manager_js)
    rows = csv_rows(c.get(f"{LIST}export/", {"scope": "mine", "format": "csv", "cols": ["name"]}))
    assert rows[1:] == []  # the manager owns none of them
    rows = csv_rows(
        c.get(f"{LIST}export/", {"sort": "name", "format": "csv", "cols": ["name"], "level": "key"})
    )
    assert [r[0] for r in rows[1:]] == sorted(["常州电子", "苏州精工"])


def test_export_uses_the_export_scope_not_the_wider_view_scope(org, accounts):
    # given a rep who views the department tree but exports only their own records
    view_tree_but(org.rep_js, "export")
    c = Client()
    c.force_login(org.rep_js)
    # when the rep exports
    rows = csv_rows(c.get(f"{LIST}export/", {"format": "csv", "cols": ["name"]}))
    # then the file holds only their own accounts, though the list shows the whole department
    assert sorted(r[0] for r in rows[1:]) == ["无锡机械", "苏州精工"]
    assert c.get(LIST).context["count"] == 4


# ---------------------------------------------------------------------------------- select all matching
def _bulk_edit_all(client, query, value="新城"):
    return client.post(
        f"{LIST}bulk/",
        {
            "all_matching": "1",
            "query": query,
            "bulk_action": "edit",
            "field": "city",
            "value": value,
            "next": LIST,
        },
    )


def test_select_all_matching_sends_the_filter_and_edits_exactly_the_matching_records(org, accounts):
    c = Client()
    c.force_login(org.manager_js)
    response = _bulk_edit_all(c, "level=key")
    assert response.status_code == 302
    changed = set(Account.objects.filter(city="新城").values_list("name", flat=True))
    # the Zhejiang key account is outside the manager's scope and untouched
    assert changed == {"苏州精工", "常州电子"}
    assert ObjectChange.objects.filter(action="update").count() == 2


def test_select_all_matching_refuses_everything_when_one_match_may_not_be_edited(org, accounts):
    # given a rep who sees the department tree but edits only their own records
    view_tree_but(org.rep_js, "edit")
    c = Client()
    c.force_login(org.rep_js)
    # when they bulk-edit all key accounts (one is a colleague's)
    response = _bulk_edit_all(c, "level=key")
    # then nothing changes at all
    assert response.status_code == 403
    assert not Account.objects.filter(city="新城").exists()


def test_select_all_matching_above_the_bulk_limit_is_refused_with_a_message(
    org, accounts, monkeypatch, english
):
    monkeypatch.setattr(BulkActionView, "MAX", 1)
    c = Client()
    c.force_login(org.manager_js)
    response = _bulk_edit_all(c, "level=key")
    assert response.status_code == 302
    assert not Account.objects.filter(city="新城").exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["At most 1 records at once; narrow the filter."]


def test_the_same_record_ticked_in_the_table_and_on_its_card_is_changed_once(org, accounts):
    c = Client()
    c.force_login(org.rep_js)
    pk = accounts["苏州精工"].pk
    c.post(f"{LIST}bulk/", {"pk": [pk, pk], "bulk_action": "edit", "field": "city", "value": "昆山"})
    assert Account.objects.get(pk=pk).city == "昆山"
    assert ObjectChange.objects.filter(action="update", object_id=pk).count() == 1


OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    " https://evil.example/",
    "https://testserver.evil.example/",
]


@pytest.mark.parametrize("target", OFF_SITE)
@pytest.mark.parametrize("htmx", [False, True])
def test_a_bulk_action_returns_only_to_a_local_page(org, accounts, target, htmx):
    c = Client()
    c.force_login(org.rep_js)
    pk = accounts["苏州精工"].pk
    response = c.post(
        f"{LIST}bulk/",
        {"pk": [pk], "bulk_action": "edit", "field": "city", "value": "昆山", "next": target},
        **({"HTTP_HX_REQUEST": "true"} if htmx else {}),
    )
    location = response["HX-Redirect"] if htmx else response["Location"]
    assert location.startswith(LIST)
    assert Account.objects.get(pk=pk).city == "昆山"


def test_a_bulk_action_returns_to_the_local_page_it_came_from(org, accounts):
    c = Client()
    c.force_login(org.rep_js)
    pk = accounts["苏州精工"].pk
    back = f"{LIST}?level=key&sort=name"
    response = c.post(
        f"{LIST}bulk/",
        {"pk": [pk], "bulk_action": "edit", "field": "city", "value": "昆山", "next": back},
    )
    assert response["Location"] == back


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_language_and_logout_redirect_only_to_local_pages(org, target):
    c = Client()
    login = c.post("/login/", {"username": "rep_js", "password": "pw-rep_js", "next": target})
    assert login.status_code == 302 and login["Location"] == "/"
    language = c.post("/i18n/setlang/", {"language": "en", "next": target})
    assert language.status_code == 302 and not language["Location"].startswith(("http", "//", "/\\"))
    logout = c.post("/logout/", {"next": target})
    assert logout.status_code == 302 and logout["Location"].startswith("/login/")


# ---------------------------------------------------------------------------------- tabs
@pytest.mark.parametrize(
    ("user", "tab", "expected"),
    [
        ("manager_js", "mine", set()),
        ("manager_js", "team", {"苏州精工", "无锡机械", "常州电子", "南通纺织"}),
        ("lead_js", "team", {"苏州精工", "无锡机械", "南通纺织"}),
        ("rep_js", "mine", {"苏州精工", "无锡机械"}),
        ("rep_js", "team", {"苏州精工", "无锡机械"}),
    ],
)
def test_mine_and_my_team_tabs_on_the_list_and_the_api(org, accounts, api_for, user, tab, expected):
    # "my team": the user, everyone below them, and the members of the departments they manage
    org.js.manager = org.manager_js
    org.js.save()
    c = Client()
    c.force_login(getattr(org, user))
    page = c.get(LIST, {"scope": tab})
    api = api_for(getattr(org, user)).get("/api/customers/accounts/", {"scope": tab})
    assert {obj.name for obj, _c, _k in page.context["rows"]} == expected
    assert {row["name"] for row in api.json()["results"]} == expected


def test_the_team_tab_is_offered_only_to_someone_who_leads_people(org, accounts):
    rep, lead = Client(), Client()
    rep.force_login(org.rep_zj)
    lead.force_login(org.lead_js)
    assert [t["key"] for t in rep.get(LIST).context["tabs"]] == ["", "mine"]
    assert [t["key"] for t in lead.get(LIST).context["tabs"]] == ["", "mine", "team"]


# ---------------------------------------------------------------------------------- saved views
def _save(client, name, query="level=key", **shares):
    return client.post(
        "/views/customers.account/save/",
        {
            "name": name,
            "query": query,
            "shared_roles": shares.get("roles", []),
            "shared_departments": shares.get("departments", []),
        },
    )


def _visible(user) -> set[str]:
    return set(SavedView.objects.visible_to(user, "customers.account").values_list("name", flat=True))


def test_a_saved_view_is_private_unless_shared(org, accounts):
    c = Client()
    c.force_login(org.rep_js)
    response = _save(c, "重点客户", "level=key&after=abc&sort=name")
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?level=key&sort=name"
    view = SavedView.objects.get()
    assert view.query == "level=key&sort=name"  # no page position
    assert _visible(org.rep_js) == {"重点客户"}
    assert _visible(org.rep_js2) == set()  # same team, same role: still private


def test_a_view_shared_with_a_role_or_a_department_reaches_exactly_those_people(org, accounts):
    c = Client()
    c.force_login(org.manager_js)
    rep_role = org.roles["sales_rep"]
    # a manager may share with their own roles and department only
    assert _save(c, "给销售代表", roles=[rep_role.pk]).status_code == 302
    assert not SavedView.objects.exists()
    assert _save(c, "给江苏", departments=[org.js.pk]).status_code == 302
    assert _visible(org.rep_js) == {"给江苏"}  # a sub-department of Jiangsu
    assert _visible(org.rep_zj) == set()  # the sister company
    # an administrator shares with any role
    admin = Client()
    admin.force_login(org.admin)
    _save(admin, "给销售代表", roles=[rep_role.pk])
    assert _visible(org.rep_zj) == {"给销售代表"}
    assert _visible(org.ops) == set()


def test_a_rep_cannot_share_a_view_with_another_department(org, accounts):
    c = Client()
    c.force_login(org.rep_js)
    _save(c, "偷偷分享", departments=[org.zj.pk])
    assert not SavedView.objects.exists()


def test_saving_a_view_again_under_its_name_replaces_it_and_only_the_author_deletes_it(org, accounts):
    c = Client()
    c.force_login(org.rep_js)
    _save(c, "我的", "level=key")
    _save(c, "我的", "level=b")
    view = SavedView.objects.get()
    assert view.query == "level=b"
    other = Client()
    other.force_login(org.manager_js)
    assert other.post(f"/views/{view.pk}/delete/").status_code == 404
    assert c.post(f"/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.exists()


def test_a_saved_view_opened_by_a_colleague_shows_only_what_the_colleague_may_see(org, accounts):
    admin = Client()
    admin.force_login(org.admin)
    _save(admin, "所有重点", departments=[org.group.pk])
    rep = Client()
    rep.force_login(org.rep_zj)
    page = rep.get(LIST, {"level": "key"})
    names = [obj.name for obj, _c, _k in page.context["rows"]]
    assert names == ["宁波宏达"]
    assert [v["view"].name for v in page.context["saved_views"]] == ["所有重点"]
    assert page.context["saved_views"][0]["active"]


# ---------------------------------------------------------------------------------- many ticked ids
def _many_accounts(org, n):
    Account.objects.bulk_create(
        Account(name=f"批量客户{i:04d}", owner=org.rep_js, department=org.js_team) for i in range(n)
    )
    return list(Account.objects.filter(name__startswith="批量客户").values_list("pk", flat=True))


def test_the_list_sends_ticked_records_as_one_field(org, accounts):
    # the checkboxes carry no name: the script joins the ticked ids into one hidden field, so a
    # large selection never exceeds the request's field limit
    html = Client()
    html.force_login(org.rep_js)
    page = html.get(LIST).content.decode()
    assert 'name="pks"' in page
    assert re.search(r'class="[^"]*row-select[^"]*"[^>]*name="pk"', page) is None


def test_a_thousand_ticked_ids_in_one_field_are_applied(org, settings):
    ids = _many_accounts(org, 1000)
    c = Client()
    c.force_login(org.rep_js)
    response = c.post(
        f"{LIST}bulk/",
        {
            "pks": ",".join(map(str, ids)),
            "bulk_action": "edit",
            "field": "city",
            "value": "昆山",
            "next": LIST,
        },
    )
    assert response.status_code == 302
    assert Account.objects.filter(city="昆山").count() == 1000


def test_fifteen_hundred_ticked_ids_are_refused_with_a_message_not_a_400(org, english):
    ids = _many_accounts(org, 1500)
    c = Client()
    c.force_login(org.rep_js)
    response = c.post(
        f"{LIST}bulk/",
        {
            "pks": ",".join(map(str, ids)),
            "bulk_action": "edit",
            "field": "city",
            "value": "昆山",
            "next": LIST,
        },
    )
    assert response.status_code == 302
    assert [str(m) for m in response.wsgi_request._messages] == [
        "At most 1000 records at once; narrow the filter or use “select all matching”."
    ]
    assert not Account.objects.filter(city="昆山").exists()


@pytest.mark.parametrize("pks", ["1,x", "1;2", "-1", "1,,2e3", "9" * 40])
def test_a_malformed_id_list_is_refused_and_changes_nothing(org, accounts, english, pks):
    c = Client()
    c.force_login(org.rep_js)
    response = c.post(
        f"{LIST}bulk/", {"pks": pks, "bulk_action": "edit", "field": "city", "value": "昆山", "next": LIST}
    )
    assert response.status_code == 302
    assert [str(m) for m in response.wsgi_request._messages] == [
        "The selection is not valid; select the records again."
    ]
    assert not Account.objects.filter(city="昆山").exists()


def test_ticked_ids_with_spaces_and_repeats_are_read(org, accounts):
    c = Client()
    c.force_login(org.rep_js)
    a, b = accounts["苏州精工"].pk, accounts["无锡机械"].pk
    c.post(
        f"{LIST}bulk/", {"pks": f" {a}, {b},{a} ", "bulk_action": "edit", "field": "city", "value": "昆山"}
    )
    assert set(Account.objects.filter(city="昆山").values_list("pk", flat=True)) == {a, b}


# ---------------------------------------------------------------------------------- rows in Python
# The rows' markup as the list template wrote it before rows were built in Python.
ROW_TEMPLATE = """{% load i18n %}<tr>
  <td class="select-col"><input type="checkbox" class="form-check-input row-select" value="{{ obj.pk }}" aria-label="{% translate 'Select' %}"></td>
  {% for cell in cells %}<td>{% if forloop.first %}<a class="fw-semibold" href="{{ obj.get_absolute_url }}">{{ cell.text|default:"—" }}</a>{% elif cell.url %}<a href="{{ cell.url }}">{{ cell.text }}</a>{% else %}{{ cell.text }}{% endif %}</td>{% endfor %}
</tr>"""
CARD_TEMPLATE = """{% load i18n %}<li class="card object-card mb-2" data-pk="{{ obj.pk }}">
  <div class="card-body d-flex align-items-center gap-2 p-2">
    <label class="card-select"><input type="checkbox" class="form-check-input row-select" value="{{ obj.pk }}" aria-label="{% translate 'Select' %}"></label>
    <div class="flex-grow-1 min-w-0">
      <a class="card-title d-block fw-semibold text-break stretched-link mb-0" href="{{ obj.get_absolute_url }}">{{ card.title|default:"—" }}</a>
      {% if card.fields %}<div class="small text-muted text-break">{% for c in card.fields %}{{ c.text }}{% if not forloop.last %} · {% endif %}{% endfor %}</div>{% endif %}
      <div class="small text-muted d-flex flex-wrap column-gap-2">
        {% if card.has_last_activity %}<span class="card-last-activity"><i class="bi bi-clock-history"></i> {% if card.last_activity_at %}{% blocktranslate with day=card.last_activity_at|date:"Y-m-d" %}followed up {{ day }}{% endblocktranslate %}{% else %}{% translate "no follow-up yet" %}{% endif %}</span>{% endif %}
        <span>{% if obj.owner %}<i class="bi bi-person"></i> {{ obj.owner }}{% else %}<i class="bi bi-inbox"></i> {{ obj.pool }}{% endif %}</span>
      </div>
    </div>
    {% if card.phone.url %}<a class="btn btn-outline-success btn-call" href="{{ card.phone.url }}" aria-label="{% blocktranslate with number=card.phone.text %}Call {{ number }}{% endblocktranslate %}"><i class="bi bi-telephone"></i></a>{% endif %}
  </div>
</li>"""


def _tight(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_list_rows_and_cards_built_in_python_are_the_templates_markup(org, accounts, language):
    from django.template import engines
    from django.utils import timezone, translation

    from lianke.sales.models import Competitor

    Account.all_objects.filter(name="苏州精工").update(
        last_activity_at=timezone.now(), short_name="<b>精工</b>"
    )
    Competitor.objects.create(name="宝钢 <i>")
    engine = engines["django"]
    row_template, card_template = engine.from_string(ROW_TEMPLATE), engine.from_string(CARD_TEMPLATE)
    checked = 0
    for url, user in [
        (LIST, org.rep_js),
        (LIST + "?cols=name&cols=owner&cols=phone&cols=cf_grade", org.admin),
        ("/sales/competitor/", org.admin),
        ("/customers/contact/", org.admin),
    ]:
        client = Client()
        client.force_login(user)
        client.cookies["django_language"] = language
        response = client.get(url)
        assert response.status_code == 200
        with translation.override(language):
            for row in response.context["rows"]:
                context = {"obj": row.obj, "cells": row.cells, "card": row.card}
                assert _tight(row.tr()) == _tight(row_template.render(context))
                assert _tight(row.card_li()) == _tight(card_template.render(context))
                checked += 1
    assert checked >= 6


def test_a_list_counts_exactly_as_far_as_a_bulk_action_reaches_and_no_further(org, client_for, monkeypatch):
    """Up to the bulk actions' limit the list says how many records match; beyond it, "more
    than N", counted without reading past the limit's next row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lianke.core.views import objects

    assert BulkActionView.MAX == objects.COUNT_CAP == 1000  # one limit for both
    monkeypatch.setattr(objects, "COUNT_CAP", 3)
    web = client_for(org.rep_js)
    for i in range(3):
        Account.objects.create(name=f"江苏客户{i}", owner=org.rep_js)
    response = web.get(LIST)
    assert (response.context["count"], response.context["count_more"]) == (3, False)
    assert re.search(r'id="result-count"[^>]*>共 3 条记录<', response.content.decode())
    Account.objects.create(name="江苏客户3", owner=org.rep_js)
    with CaptureQueriesContext(connection) as queries:
        response = web.get(LIST)
    assert (response.context["count"], response.context["count_more"]) == (3, True)
    assert re.search(r'id="result-count"[^>]*>超过 3 条记录<', response.content.decode())
    [counted] = [q["sql"] for q in queries if "COUNT(" in q["sql"] and "customers_account" in q["sql"]]
    assert "LIMIT 4" in counted
