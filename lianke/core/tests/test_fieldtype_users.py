"""The ``users`` custom-field kind: several users in one field (a project team), stored as a list
of user ids — chosen like a single user field (only active users; one who has left since stays),
shown by name, filtered by "contains user", named in history, refused field by field."""

import pytest
from django.core.exceptions import ValidationError

from lianke.core.models import CustomField
from lianke.customers.models import Account
from lianke.org.choices import FieldMode
from lianke.org.models import FieldPermission

pytestmark = pytest.mark.django_db

LIST_URL = "/customers/account/"
API_URL = "/api/customers/accounts/"


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English, the source language (see conftest)."""


@pytest.fixture
def team(db):
    return CustomField.objects.create(
        object_type="customers.account", name="team", label="项目组", type="users"
    )


def account(owner, name="苏州精工机械有限公司", **custom):
    return Account.objects.create(name=name, owner=owner, custom_data=custom)


def test_users_are_stored_as_ids_from_ids_usernames_names_or_text(org, team):
    assert team.clean_value([org.rep_js.pk, "rep_js2", "张伟"]) == [org.rep_js.pk, org.rep_js2.pk]
    assert team.clean_value("rep_js2，张伟") == [org.rep_js2.pk, org.rep_js.pk]
    assert team.clean_value(org.rep_js) == [org.rep_js.pk]
    assert team.clean_value(type(org.rep_js).objects.filter(pk=org.rep_zj.pk)) == [org.rep_zj.pk]
    assert team.clean_value([]) is None
    assert team.import_value("rep_js, rep_zj") == [org.rep_js.pk, org.rep_zj.pk]


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (["ghost"], "unknown_user", "项目组: no active user “ghost”."),
        ([999999], "unknown_user", "项目组: no active user “999999”."),
        ([["x"]], "invalid_users", "项目组: choose users."),
        ([True], "invalid_users", "项目组: choose users."),
        ([str(i) for i in range(51)], "too_many_users", "项目组: at most 50 users."),
    ],
)
def test_bad_users_are_refused_with_a_stable_code(org, team, raw, code, message):
    with pytest.raises(ValidationError) as exc:
        team.clean_value(raw)
    assert exc.value.code == code
    assert exc.value.messages == [message]


def test_an_inactive_user_cannot_be_chosen_but_stays_when_already_there(org, team):
    org.rep_js2.is_active = False
    org.rep_js2.save()
    with pytest.raises(ValidationError, match="no active user"):
        team.clean_value([org.rep_js.pk, org.rep_js2.pk])
    kept = team.clean_value([org.rep_js.pk, org.rep_js2.pk], old=[org.rep_js2.pk])
    assert kept == [org.rep_js.pk, org.rep_js2.pk]


def test_the_form_stores_several_people_and_the_page_shows_their_names(org, team, client_for):
    client = client_for(org.admin)
    form = client.get(f"{LIST_URL}new/").content.decode()
    assert 'name="cf_team"' in form
    data = {"name": "昆山新材料有限公司", "account_type": "end_customer", "owner": org.admin.pk}
    response = client.post(f"{LIST_URL}new/", {**data, "cf_team": [org.rep_js.pk, org.rep_zj.pk]})
    assert response.status_code == 302, response.context["form"].errors
    created = Account.objects.get(name="昆山新材料有限公司")
    assert created.custom_data == {"team": [org.rep_js.pk, org.rep_zj.pk]}
    html = client.get(created.get_absolute_url()).content.decode()
    assert "张伟、李娜" in html
    # an inactive user is refused in the form, and nothing is changed
    org.rep_js2.is_active = False
    org.rep_js2.save()
    edit = client.post(f"{LIST_URL}{created.pk}/edit/", {**data, "cf_team": [org.rep_js2.pk]})
    assert edit.status_code == 400
    assert "cf_team" in edit.context["form"].errors
    assert Account.objects.get(pk=created.pk).custom_data == {"team": [org.rep_js.pk, org.rep_zj.pk]}


def test_the_api_stores_ids_and_refuses_an_unknown_user_with_its_code(org, team, api_for):
    api = api_for(org.admin)
    created = api.post(
        API_URL, {"name": "新客户", "custom_fields": {"team": ["rep_js", org.rep_zj.pk]}}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["custom_fields"] == {"team": [org.rep_js.pk, org.rep_zj.pk]}
    pk = created.json()["id"]
    bad = api.patch(f"{API_URL}{pk}/", {"custom_fields": {"team": ["rep_js", "ghost"]}}, format="json")
    assert bad.status_code == 400
    message = "项目组: no active user “ghost”."
    assert bad.json() == {
        "custom_fields": {"team": [message]},
        "code": "unknown_user",
        "errors": [{"field": "custom_fields.team", "code": "unknown_user", "message": message}],
    }
    assert Account.objects.get(pk=pk).custom_data == {"team": [org.rep_js.pk, org.rep_zj.pk]}


def test_the_list_filters_by_contains_user_on_the_page_and_the_api(org, team, client_for, api_for):
    a = account(org.admin, "甲公司", team=[org.rep_js.pk, org.rep_zj.pk])
    b = account(org.admin, "乙公司", team=[org.rep_zj.pk])
    account(org.admin, "丙公司")
    for query, want in (
        (f"cf_team={org.rep_zj.pk}", {a.pk, b.pk}),
        (f"cf_team={org.rep_js.pk}", {a.pk}),
        (f"cf_team={org.rep_js2.pk}", set()),
        ("cf_team=1.5", set()),
    ):
        page = client_for(org.admin).get(f"{LIST_URL}?{query}")
        api = api_for(org.admin).get(f"{API_URL}?{query}")
        assert {obj.pk for obj, _cells, _card in page.context["rows"]} == want
        assert {row["id"] for row in api.json()["results"]} == want
    bad = api_for(org.admin).get(f"{API_URL}?cf_team=abc")
    assert bad.status_code == 400


def test_the_export_and_the_history_name_the_people(org, team, client_for, api_for):
    api = api_for(org.admin)
    pk = api.post(
        API_URL, {"name": "甲公司", "custom_fields": {"team": [org.rep_js.pk]}}, format="json"
    ).json()["id"]
    patched = api.patch(f"{API_URL}{pk}/", {"custom_fields": {"team": ["rep_js", "rep_zj"]}}, format="json")
    assert patched.status_code == 200, patched.json()
    client = client_for(org.admin)
    response = client.get("/customers/account/export/", {"format": "csv", "cols": ["name", "cf_team"]})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1] == "甲公司,张伟、李娜"
    obj = Account.objects.get(pk=pk)
    html = client.get(f"{obj.get_absolute_url()}history/").content.decode()
    assert "张伟、李娜" in html
    assert f"#{org.rep_zj.pk}" not in html


def test_a_hidden_users_field_is_not_returned_shown_or_filtered(org, team, api_for, client_for):
    FieldPermission.objects.create(
        role=org.roles["sales_manager"],
        object_type="customers.account",
        field="cf_team",
        mode=FieldMode.HIDDEN,
    )
    obj = account(org.manager_js, "甲公司", team=[org.rep_zj.pk])
    api = api_for(org.manager_js)
    assert "team" not in api.get(f"{API_URL}{obj.pk}/").json()["custom_fields"]
    # filtering by it would tell who is in the team: refused, naming the parameter
    filtered = api.get(f"{API_URL}?cf_team={org.rep_zj.pk}")
    assert filtered.status_code == 400
    assert filtered.json()["code"] == "field_not_readable"
    html = client_for(org.manager_js).get(obj.get_absolute_url()).content.decode()
    assert "项目组" not in html
