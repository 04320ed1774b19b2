"""People pickers: the server search offers exactly the people the rule allows, found by name
or username and grouped by department path; forms show a lone choice fixed; department paths
name departments wherever one is chosen. The break-it side (owner, assignee and transfer
target outside the scope, by every path) lives in the permission matrix."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianke.activities.models import Activity
from lianke.core.fieldtypes.people import PeopleOptions
from lianke.customers.models import Account
from lianke.org.models import Collaborator, Department, User
from lianke.org.paths import department_paths

pytestmark = pytest.mark.django_db

JS = "江苏公司"
JS_TEAM = "江苏公司 / 江苏销售一部"


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English, the source language (see conftest)."""


def picker(client, purpose, **params):
    return client.get(reverse("core:user_picker", kwargs={"purpose": purpose}), params)


def groups(response) -> dict[str, list[str]]:
    """``{optgroup label: [option texts]}`` of a picker answer or page, in order."""
    html = response.content.decode()
    found = {}
    for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', html, re.S):
        found[label] = re.findall(r"<option [^>]*>([^<]*)</option>", body)
    return found


def chosen(response) -> list[str]:
    return re.findall(r'<option value="(\d+)" selected>', response.content.decode())


# ---------------------------------------------------------------------------------- the search
def test_the_owner_picker_offers_a_manager_their_company_grouped_by_department_path(org, client_for):
    # given the Jiangsu manager (department tree) creating an account
    # when the owner picker asks for options
    r = picker(client_for(org.manager_js), "customers.account.create")
    # then Jiangsu people come grouped by path (the group root left out), named with username
    assert r.status_code == 200
    assert groups(r) == {
        JS: ["王芳 (manager_js)"],
        JS_TEAM: ["孙丽 (rep_js2)", "张伟 (rep_js)", "赵强 (lead_js)"],
    }


def test_the_picker_finds_people_by_part_of_the_name_or_of_the_username(org, client_for):
    client = client_for(org.manager_js)
    # when the manager types part of a name, then part of a username
    by_name = picker(client, "customers.account.create", q="张")
    by_username = picker(client, "customers.account.create", q="js2")
    # and when a required field's search finds one person while nobody is chosen
    single = picker(client, "customers.account.transfer", q="孙", required="1")
    # then each finds the one person, and the required field's search chooses them
    assert groups(by_name) == {JS_TEAM: ["张伟 (rep_js)"]}
    assert groups(by_username) == {JS_TEAM: ["孙丽 (rep_js2)"]}
    assert chosen(by_name) == []
    assert chosen(single) == [str(org.rep_js2.pk)]
    assert 'value=""' not in single.content.decode()


def test_the_picker_keeps_the_chosen_person_whatever_the_search_but_only_if_allowed(org, client_for):
    client = client_for(org.manager_js)
    # when the manager, having chosen the lead, searches for someone else
    kept = picker(client, "customers.account.create", q="孙", selected=org.lead_js.pk)
    # and when a forged request claims a Zhejiang rep as chosen
    forged = picker(client, "customers.account.create", selected=org.rep_zj.pk)
    # then the lead stays, chosen, next to the match; the Zhejiang rep never appears
    assert groups(kept) == {JS_TEAM: ["孙丽 (rep_js2)", "赵强 (lead_js)"]}
    assert chosen(kept) == [str(org.lead_js.pk)]
    assert "rep_zj" not in forged.content.decode()


def test_the_transfer_picker_follows_the_transfer_scope_not_the_create_scope(org, client_for):
    # given operations: no create right, transfer within everything
    client = client_for(org.ops)
    # when the transfer picker and the owner picker ask
    transfer = picker(client, "customers.account.transfer", q="rep_zj")
    create = picker(client, "customers.account.create")
    # then anybody may be found for a transfer, and creating is refused
    assert groups(transfer) == {"浙江公司 / 浙江销售一部": ["李娜 (rep_zj)"]}
    assert create.status_code == 403


@pytest.mark.parametrize(
    "purpose",
    ["customers.nothing.create", "customers.account.delete", "customers.account", "nonsense"],
)
def test_an_unknown_purpose_is_not_found(org, client_for, purpose):
    assert picker(client_for(org.admin), purpose).status_code == 404


def test_the_picker_asks_for_a_sign_in_and_refuses_users_without_the_right(org, client, client_for):
    # when an anonymous visitor and a user without roles ask
    anonymous = picker(client, "any")
    no_role = picker(client_for(org.nobody), "customers.account.create")
    # then the visitor is sent to sign in and the user is refused
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert no_role.status_code == 403


def test_the_collaborator_picker_offers_anybody_but_the_owner_and_those_already_sharing(org, client_for):
    # given the rep's account, already shared with a colleague
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    Collaborator.objects.create(
        content_type=ContentType.objects.get_for_model(Account), object_id=account.pk, user=org.rep_js2
    )
    purpose = "customers.account.collaborator"
    # when the rep asks for collaborators, and a Zhejiang rep asks about the same record
    r = picker(client_for(org.rep_js), purpose, record=account.pk)
    stranger = picker(client_for(org.rep_zj), purpose, record=account.pk)
    missing = picker(client_for(org.rep_js), purpose)
    # then people from anywhere are offered (a pre-sales engineer of the other company too),
    # but not the owner nor the colleague already sharing; the stranger learns nothing
    people = [name for names in groups(r).values() for name in names]
    assert "李娜 (rep_zj)" in people and "王芳 (manager_js)" in people
    assert "张伟 (rep_js)" not in people and "孙丽 (rep_js2)" not in people
    assert stranger.status_code == 404
    assert missing.status_code == 404


def test_the_filter_variant_answers_checkboxes_grouped_by_department(org, client_for):
    # when the owner filter's search asks for checkboxes
    r = picker(client_for(org.rep_js), "any", q="李", mode="checks", name="owner", id="id_owner")
    # then it answers one checkbox named like the filter, under its department
    html = r.content.decode()
    assert "浙江公司 / 浙江销售一部" in html
    assert re.findall(r'<input [^>]*name="owner" value="(\d+)"', html) == [str(org.rep_zj.pk)]
    assert (
        picker(client_for(org.rep_js), "any", mode="checks", name='x" onclick="', id="y").status_code == 404
    )


def test_the_picker_costs_the_same_few_queries_for_three_people_or_sixty(org, client_for):
    # given the manager's picker answered once
    client = client_for(org.manager_js)
    picker(client, "customers.account.create")  # warm the session and the content types
    with CaptureQueriesContext(connection) as few:
        picker(client, "customers.account.create")
    # when sixty more people join Jiangsu teams
    for i in range(60):
        team = Department.objects.create(name=f"销售{i % 5}部", parent=org.js)
        User.objects.create_user(f"extra{i}", name=f"员工{i}", department=team)
    picker(client, "customers.account.create")  # the departments changed: read them once again
    with CaptureQueriesContext(connection) as many:
        r = picker(client, "customers.account.create")
    # then the answer lists the first fifty and says there are more, for the same queries
    assert len(many) == len(few)
    assert sum(len(names) for names in groups(r).values()) == 50
    assert "More people: type to narrow the list" in r.content.decode()


# ---------------------------------------------------------------------------------- forms
def test_a_reps_new_record_form_shows_the_rep_as_the_fixed_owner(org, client_for):
    # when a rep (own records) opens the new-account form
    html = client_for(org.rep_js).get("/customers/account/new/").content.decode()
    # then the owner is the rep, shown as text with a hidden value: no picker to open
    assert f'<input type="hidden" name="owner" value="{org.rep_js.pk}" id="id_owner">' in html
    assert "张伟 (rep_js)" in html
    assert '<select name="owner"' not in html


def test_a_managers_new_record_form_has_a_searchable_owner_picker_grouped_by_department(org, client_for):
    # when the manager opens the new-account form
    r = client_for(org.manager_js).get("/customers/account/new/")
    html = r.content.decode()
    # then the owner select offers their company by department, the manager chosen, and a
    # search box that asks the server for the same purpose
    assert '<select name="owner"' in html
    assert groups(r) == {
        JS: ["王芳 (manager_js)"],
        JS_TEAM: ["孙丽 (rep_js2)", "张伟 (rep_js)", "赵强 (lead_js)"],
    }
    assert chosen(r) == [str(org.manager_js.pk)]
    assert 'hx-get="/people/customers.account.create/?required=1"' in html


def test_the_list_bulk_bar_offers_the_transfer_scope_without_blocking_the_other_bulk_actions(org, client_for):
    # when the team lead opens the account list
    client = client_for(org.lead_js)
    html = client.get("/customers/account/").content.decode()
    # then the bulk bar's new owner picker is not "required" in the browser (the same form sends
    # bulk edits and deletes) ...
    select = re.search(r'<select name="new_owner"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    assert select.group(1) == ""  # its people come when it is first shown, not with every page
    tag = select.group(0).split(">")[0]
    attributes = re.sub(r'"[^"]*"', '""', tag)  # the attribute names, values emptied
    assert not re.search(r"\srequired\b", attributes)
    # ... and, once shown, lists the lead and his subordinate only
    assert 'hx-trigger="intersect once"' in tag
    url = re.search(r'hx-get="([^"]+)"', tag).group(1).replace("&amp;", "&")
    options = client.get(url).content.decode()
    assert re.findall(r"<option value=\"\d+\">([^<]*)</option>", options) == [
        "张伟 (rep_js)",
        "赵强 (lead_js)",
    ]
    assert "孙丽" not in options
    assert f'value="{org.rep_zj.pk}"' not in options


def test_the_quick_task_form_offers_a_rep_only_himself_as_assignee(org, client_for):
    # given the rep's account
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    ct = ContentType.objects.get_for_model(Account)
    # when the rep opens its timeline
    r = client_for(org.rep_js).get(f"/activities/timeline/{ct.pk}/{account.pk}/")
    # then the assignee list holds nobody but the rep (the empty choice means "me" too)
    assert groups(r) == {JS_TEAM: ["张伟 (rep_js)"]}


def test_the_owner_of_a_task_a_manager_assigned_elsewhere_can_still_edit_it(org, client_for):
    # given the manager made a task of rep_js's for rep_js2 (outside rep_js's reach)
    task = Activity.objects.create(
        subject="回访", kind="task", owner=org.rep_js, assignee=org.rep_js2, due_at="2025-01-08T10:00Z"
    )
    # when rep_js renames it, leaving the assignee as it is
    r = client_for(org.rep_js).post(
        f"/activities/activity/{task.pk}/edit/",
        {
            "kind": "task",
            "subject": "回访客户",
            "occurred_at": "2025-01-06T10:00",
            "assignee": org.rep_js2.pk,
            "due_at": "2025-01-08T10:00",
        },
    )
    # then it saves: only a changed assignee is checked
    assert r.status_code == 302, r.context["form"].errors
    task.refresh_from_db()
    assert (task.subject, task.assignee) == ("回访客户", org.rep_js2)


def test_posting_a_collaborator_again_changes_their_access(org, client_for):
    # given the rep's account shared read-only with a colleague
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    url = f"/customers/account/{account.pk}/collaborators/"
    client = client_for(org.rep_js)
    client.post(url, {"user": org.rep_js2.pk, "access": "read"})
    # when the colleague is posted again with write access
    r = client.post(url, {"user": org.rep_js2.pk, "access": "write"})
    # then the one share now allows writing
    assert r.status_code == 302
    assert list(Collaborator.objects.values_list("user__username", "access")) == [("rep_js2", "write")]


def test_adding_the_owner_as_collaborator_is_refused_with_a_message_and_changes_nothing(org, client_for):
    # given the rep's account
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    client = client_for(org.rep_js)
    # when the rep posts himself, then a pre-sales engineer of the other company
    refused = client.post(
        f"/customers/account/{account.pk}/collaborators/",
        {"user": org.rep_js.pk, "access": "read"},
        follow=True,
    )
    shared_before = Collaborator.objects.count()
    added = client.post(
        f"/customers/account/{account.pk}/collaborators/", {"user": org.rep_zj.pk, "access": "read"}
    )
    # then the first says why and adds nobody; the second is added
    assert "Collaborator: 张伟 (rep_js) owns this record." in refused.content.decode()
    assert shared_before == 0
    assert added.status_code == 302
    assert list(Collaborator.objects.values_list("user__username", "access")) == [("rep_zj", "read")]


# ---------------------------------------------------------------------------------- department paths
def test_department_paths_leave_out_a_single_root_and_come_in_tree_order_from_one_query(org):
    # when the paths are computed
    with CaptureQueriesContext(connection) as queries:
        paths = department_paths()
    # then one query gives every department's path, the group root only for itself
    assert len(queries) == 1
    assert list(paths.values()) == ["大明集团", JS, JS_TEAM, "浙江公司", "浙江公司 / 浙江销售一部"]


def test_department_paths_keep_the_roots_when_there_are_several(org):
    # given a second top-level organisation
    Department.objects.create(name="合资公司")
    # then every path starts at its root
    assert department_paths()[org.js_team.pk] == "大明集团 / 江苏公司 / 江苏销售一部"


def test_the_record_page_shows_the_department_path(org, client_for):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    html = client_for(org.rep_js).get(f"/customers/account/{account.pk}/").content.decode()
    assert JS_TEAM in html


def test_settings_choose_and_filter_departments_by_path(org, client_for):
    # given two teams of the same name in two companies
    Department.objects.create(name="销售一部", parent=org.js)
    Department.objects.create(name="销售一部", parent=org.zj)
    admin = client_for(org.admin)
    # when the administrator opens a user, a department and the user list
    user_form = admin.get(reverse("admin:org_user_change", args=[org.rep_js.pk])).content.decode()
    department_form = admin.get(
        reverse("admin:org_department_change", args=[org.js_team.pk])
    ).content.decode()
    user_list = admin.get(reverse("admin:org_user_changelist")).content.decode()
    # then the two teams read as paths in the department choices, the parent choices and the filter
    for page in (user_form, department_form, user_list):
        assert "江苏公司 / 销售一部" in page and "浙江公司 / 销售一部" in page
    assert f'<option value="{org.js_team.pk}" selected>{JS_TEAM}</option>' in user_form


# ---------------------------------------------------------------------------------- written out in Python
# The pickers' markup as their templates wrote it before it was built in Python.
CHECKS_TEMPLATE = '{% load i18n %}{% for group, people in options.groups %}<div class="people-group small text-muted fw-semibold">{{ group }}</div>{% for pk, label, chosen in people %}<div class="form-check"><input class="form-check-input" type="checkbox" name="{{ name }}" value="{{ pk }}" id="{{ id }}_{{ pk }}"{% if chosen %} checked{% endif %}><label class="form-check-label" for="{{ id }}_{{ pk }}">{{ label }}</label></div>{% endfor %}{% endfor %}{% if options.more %}<div class="small text-muted">{% translate "More people: type to narrow the list" %}</div>{% elif not options.groups %}<div class="small text-muted">{% translate "Nobody found" %}</div>{% endif %}\n'
OPTIONS_TEMPLATE = '{% load i18n %}{% if options.blank %}<option value=""{% if not options.chosen %} selected{% endif %}>---------</option>{% endif %}{% for group, people in options.groups %}<optgroup label="{{ group }}">{% for pk, label, chosen in people %}<option value="{{ pk }}"{% if chosen %} selected{% endif %}>{{ label }}</option>{% endfor %}</optgroup>{% endfor %}{% if options.more %}<option value="" disabled>{% translate "More people: type to narrow the list" %}</option>{% elif not options.groups %}<option value="" disabled>{% translate "Nobody found" %}</option>{% endif %}\n'


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "options",
    [
        PeopleOptions(groups=[], more=False, blank=True, chosen=False),
        PeopleOptions(groups=[], more=True, blank=False, chosen=False),
        PeopleOptions(
            groups=[
                ("江苏公司 / 销售一部", [(3, "张伟 (zhang.wei)", True), (4, "<b>李</b> (li&)", False)]),
                ('浙江 "公司"', [(12, "王芳", False)]),
            ],
            more=True,
            blank=True,
            chosen=True,
        ),
        PeopleOptions(groups=[("A", [(1, "a", False)])], more=False, blank=True, chosen=False),
    ],
)
def test_picker_options_written_in_python_are_the_templates_markup(options, language):
    from django.template import engines
    from django.utils import translation

    engine = engines["django"]
    with translation.override(language):
        checks = engine.from_string(CHECKS_TEMPLATE).render(
            {"options": options, "name": "owner", "id": "id_owner"}
        )
        assert options.checks_html("owner", "id_owner") == checks.strip()
        assert (
            options.options_html()
            == engine.from_string(OPTIONS_TEMPLATE).render({"options": options}).strip()
        )
