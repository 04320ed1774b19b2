"""*Settings › Lead statuses*: administrators rename, reorder, deactivate and add a lead's
statuses and edit which may follow which; the lead's path, form, list, filters and API follow —
through requests as the people concerned, the table compared before and after each refusal."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from lianke.core.models import ObjectChange
from lianke.core.objecttypes.registry import registry
from lianke.marketing import statuses
from lianke.marketing.models import Lead, LeadStatusOption
from lianke.sales.tests.test_stage_path import path_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Labels are asserted in English, the source language (see conftest)."""


@pytest.fixture(autouse=True)
def _as_migrated(db):
    """The table as the migration fills it: the five system statuses. A live-server test that
    ran earlier in the same worker flushes every table, migration data included (the product
    then reads the defaults and stores them with the next save: ``statuses._locked_rows``)."""
    for status in statuses.defaults():
        LeadStatusOption.objects.get_or_create(
            code=status.code,
            defaults={
                "category": status.category,
                "name": status.name,
                "name_en": status.name_en,
                "order": status.order,
                "next_codes": list(status.next_codes),
            },
        )


def stored():
    return (
        list(
            LeadStatusOption.objects.order_by("pk").values_list(
                "code", "name", "name_en", "order", "is_active", "next_codes"
            )
        ),
        ObjectChange.objects.count(),
    )


def history(code):
    row = LeadStatusOption.objects.get(code=code)
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(LeadStatusOption), object_id=row.pk
    ).order_by("id")


def edit(client, code, **changes):
    status = statuses.get(code)
    data = {
        "name": status.name,
        "name_en": status.name_en,
        "is_active": "on" if status.is_active else "",
        "next_codes": list(status.next_codes),
        "previous_codes": [s.code for s in statuses.all_statuses() if code in s.next_codes],
        "state": statuses.state(),
    }
    data.update(changes)
    return client.post(f"/settings/lead-statuses/{code}/", {k: v for k, v in data.items() if v is not None})


def lead(org, status="new", **fields):
    return Lead.objects.create(name="陈静", company="无锡重工", owner=org.rep_js, status=status, **fields)


def test_the_five_system_statuses_are_stored_with_the_transitions_of_before():
    assert [s.code for s in statuses.all_statuses()] == [
        "new",
        "contacted",
        "qualified",
        "unqualified",
        "converted",
    ]
    assert set(statuses.get("qualified").next_codes) == {"contacted", "converted", "unqualified"}
    assert statuses.get("converted").next_codes == ()


# ------------------------------------------------------------------------------- who opens it
def test_the_console_offers_the_page_to_an_administrator(client_for, org):
    home = client_for(org.admin).get("/settings/").content.decode()
    assert 'href="/settings/lead-statuses/"' in home
    for url in (
        "/settings/lead-statuses/",
        "/settings/lead-statuses/add/",
        "/settings/lead-statuses/contacted/",
    ):
        assert client_for(org.admin).get(url).status_code == 200


@pytest.mark.parametrize("who", ["rep_js", "manager_js", "ops"])
def test_nobody_but_an_administrator_opens_or_posts_the_status_pages(client_for, org, who):
    client = client_for(getattr(org, who))
    for url in ("/settings/lead-statuses/", "/settings/lead-statuses/add/", "/settings/lead-statuses/add/"):
        assert client.get(url).status_code == 403
    before = stored()
    assert edit(client, "contacted", name="偷改").status_code == 403
    assert (
        client.post(
            "/settings/lead-statuses/add/", {"new_code": "x1", "name": "x", "category": "new"}
        ).status_code
        == 403
    )
    assert client.post("/settings/lead-statuses/order/", {"ids": ["converted", "new"]}).status_code == 403
    assert client.post("/settings/lead-statuses/new/move/", {"step": "down"}).status_code == 403
    assert stored() == before


def test_the_services_refuse_a_non_administrator(org):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        statuses.save_status(actor=org.rep_js, code="new", name="x")
    with pytest.raises(PermissionDenied):
        statuses.move_status(actor=org.rep_js, code="new", step=1)


# ------------------------------------------------------------------------------------ changes
def test_a_renamed_status_shows_on_the_lead_its_list_and_the_api(client_for, org):
    obj = lead(org, "contacted")
    assert edit(client_for(org.admin), "contacted", name="跟进中", name_en="Following up").status_code == 302
    rep = client_for(org.rep_js)
    page = rep.get(f"/marketing/lead/{obj.pk}/").content.decode()
    assert "Following up" in [label for label, _pos, _tap in path_of(page)]
    assert "Following up" in rep.get("/marketing/lead/").content.decode()
    change = history("contacted").last()
    assert (change.prechange_data["name_en"], change.postchange_data["name_en"]) == (
        "Contacted",
        "Following up",
    )
    assert change.user_id == org.admin.pk


def test_reordering_moves_the_status_on_the_path(client_for, org):
    obj = lead(org, "new")
    admin = client_for(org.admin)
    assert admin.post("/settings/lead-statuses/qualified/move/", {"step": "up"}).status_code == 302
    labels = [
        label
        for label, _p, _t in path_of(
            client_for(org.rep_js).get(f"/marketing/lead/{obj.pk}/").content.decode()
        )
    ]
    assert labels == ["New", "Qualified", "Contacted", "Converted", "Unqualified"]
    order = ["contacted", "new", "qualified", "unqualified", "converted"]
    response = admin.post("/settings/lead-statuses/order/", {"ids": order}, HTTP_ACCEPT="application/json")
    assert response.json() == {"ok": True}
    assert [s.code for s in statuses.all_statuses()] == order


def test_an_order_made_before_someone_added_a_status_is_refused(client_for, org):
    before = stored()
    response = client_for(org.admin).post(
        "/settings/lead-statuses/order/", {"ids": ["new", "contacted"]}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "version_conflict"
    assert stored() == before


def test_a_new_status_of_ones_own_works_like_its_category(client_for, org):
    admin = client_for(org.admin)
    response = admin.post(
        "/settings/lead-statuses/add/",
        {
            "new_code": "nurturing",
            "category": "contacted",
            "name": "培育中",
            "name_en": "Nurturing",
            "is_active": "on",
            "next_codes": ["qualified", "unqualified"],
            "previous_codes": ["new", "contacted"],
            "state": statuses.state(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert "nurturing" in statuses.get("new").next_codes
    assert history("nurturing").get().action == ObjectChange.ActionChoices.CREATE
    assert history("new").last().postchange_data["next_codes"][-1] == "nurturing"
    # a lead moves there from "new", and on to "qualified"
    obj = lead(org, "new")
    rep = client_for(org.rep_js)
    rep.post(f"/marketing/lead/{obj.pk}/move/", {"status": "nurturing"}, HTTP_HX_REQUEST="true")
    assert Lead.all_objects.get(pk=obj.pk).status == "nurturing"
    assert Lead.all_objects.get(pk=obj.pk).get_status_display() == "Nurturing"
    rep.post(f"/marketing/lead/{obj.pk}/move/", {"status": "qualified"}, HTTP_HX_REQUEST="true")
    assert Lead.all_objects.get(pk=obj.pk).status == "qualified"
    # the form offers it, the list filters by it and the API takes it
    other = lead(org, "new")
    rep.post(f"/marketing/lead/{other.pk}/move/", {"status": "nurturing"}, HTTP_HX_REQUEST="true")
    form = rep.get(registry.get("marketing.lead").url("create")).content.decode()
    assert 'value="nurturing"' in form
    listed = rep.get("/marketing/lead/?status=nurturing").content.decode()
    assert f"/marketing/lead/{other.pk}/" in listed and f"/marketing/lead/{obj.pk}/" not in listed
    created = rep.post(
        "/api/marketing/leads/", {"name": "王芳", "status": "nurturing"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    schema = client_for(org.admin).get("/api/schema/?format=json")
    assert b"nurturing" in schema.content


def test_a_deactivated_status_is_no_longer_offered_but_its_leads_keep_it(client_for, org):
    sitting = lead(org, "contacted")
    assert edit(client_for(org.admin), "contacted", is_active="").status_code == 302
    moving = lead(org, "new")
    rep = client_for(org.rep_js)
    page = rep.get(f"/marketing/lead/{moving.pk}/").content.decode()
    assert "Contacted" not in [label for label, _p, _t in path_of(page)]
    rep.post(f"/marketing/lead/{moving.pk}/move/", {"status": "contacted"}, HTTP_HX_REQUEST="true")
    assert Lead.all_objects.get(pk=moving.pk).status == "new"
    # the lead already there keeps it, shown on its path, and moves on
    page = rep.get(f"/marketing/lead/{sitting.pk}/").content.decode()
    assert "Contacted" in [label for label, _p, _t in path_of(page)]
    rep.post(f"/marketing/lead/{sitting.pk}/move/", {"status": "qualified"}, HTTP_HX_REQUEST="true")
    assert Lead.all_objects.get(pk=sitting.pk).status == "qualified"


def test_editing_the_transitions_changes_what_a_lead_may_do(client_for, org):
    obj = lead(org, "new")
    assert edit(client_for(org.admin), "new", next_codes=["qualified"]).status_code == 302
    rep = client_for(org.rep_js)
    rep.post(f"/marketing/lead/{obj.pk}/move/", {"status": "contacted"}, HTTP_HX_REQUEST="true")
    assert Lead.all_objects.get(pk=obj.pk).status == "new"
    rep.post(f"/marketing/lead/{obj.pk}/move/", {"status": "qualified"}, HTTP_HX_REQUEST="true")
    assert Lead.all_objects.get(pk=obj.pk).status == "qualified"


@pytest.mark.parametrize(
    ("code", "changes", "field_code"),
    [
        ("new", {"next_codes": ["contacted", "nowhere"]}, "invalid_choice"),
        ("new", {"previous_codes": ["converted"]}, "invalid_choice"),
        ("new", {"name": ""}, "required"),
        ("new", {"name": "有效"}, "unique"),
        ("new", {"name_en": "qualified"}, "unique"),
    ],
)
def test_a_bad_change_is_refused_with_its_code_and_nothing_changes(
    client_for, org, code, changes, field_code
):
    before = stored()
    response = edit(client_for(org.admin), code, **changes)
    assert response.status_code == 400
    assert f'data-error-code="{field_code}"'.encode() in response.content, response.content.decode()[:4000]
    assert stored() == before


@pytest.mark.parametrize("code", ["new", "qualified", "unqualified", "converted"])
def test_a_system_status_the_code_relies_on_stays_active(client_for, org, code):
    from django.core.exceptions import ValidationError

    before = stored()
    with pytest.raises(ValidationError) as refused:
        statuses.save_status(actor=org.admin, code=code, name=statuses.get(code).name, is_active=False)
    assert refused.value.error_dict["is_active"][0].code == "system_status"
    # the page does not offer it: a deactivation posted by hand is ignored
    assert edit(client_for(org.admin), code, is_active="").status_code == 302
    assert statuses.get(code).is_active
    assert stored()[0] == before[0]


@pytest.mark.parametrize(
    ("data", "field_code"),
    [
        ({"new_code": "Bad Code", "category": "contacted", "name": "x"}, "invalid"),
        ({"new_code": "qualified", "category": "contacted", "name": "x"}, "unique"),
        ({"new_code": "lost_cause", "category": "converted", "name": "x"}, "invalid_choice"),
    ],
)
def test_a_bad_new_status_is_refused(client_for, org, data, field_code):
    before = stored()
    response = client_for(org.admin).post("/settings/lead-statuses/add/", {**data, "is_active": "on"})
    assert response.status_code == 400
    assert f'data-error-code="{field_code}"'.encode() in response.content
    assert stored() == before


def test_a_save_over_someone_elses_change_is_refused(client_for, org):
    admin = client_for(org.admin)
    opened = statuses.state()
    assert edit(admin, "new", name="新线索").status_code == 302
    before = stored()
    response = edit(admin, "contacted", name="已沟通", state=opened)
    assert response.status_code == 400
    assert b'data-error-code="version_conflict"' in response.content
    assert stored() == before
