"""Lead status lifecycle (M3): allowed moves, refused moves with a clear error, reasons."""

import pytest

from lianke.marketing.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


LIST_URL = "/marketing/lead/"
API_URL = "/api/marketing/leads/"


def lead(org, status="new", **fields):
    return Lead.objects.create(name="陈静", company="无锡重工", owner=org.rep_js, status=status, **fields)


def edit(client, obj, **changes):
    data = {
        "name": obj.name,
        "company": obj.company,
        "status": obj.status,
        "unqualified_reason": obj.unqualified_reason,
    }
    data.update(changes)
    return client.post(f"{LIST_URL}{obj.pk}/edit/", data)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("new", "contacted"),
        ("new", "qualified"),
        ("contacted", "new"),
        ("unqualified", "contacted"),
    ],
)
def test_allowed_status_changes_are_saved(org, client_for, old, new):
    obj = lead(org, old, unqualified_reason="预算不足" if old == "unqualified" else "")
    response = edit(client_for(org.rep_js), obj, status=new)
    assert response.status_code == 302
    assert Lead.objects.get(pk=obj.pk).status == new


CONVERSION_ONLY = "“Converted” is reached through its own action, not by changing the field."


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("new", "converted", CONVERSION_ONLY),
        ("contacted", "converted", CONVERSION_ONLY),
        ("qualified", "converted", CONVERSION_ONLY),  # the conversion (M5) converts, not the field
        ("converted", "new", "“陈静 · 无锡重工” cannot move from “Converted” to “New”."),
        ("converted", "qualified", "“陈静 · 无锡重工” cannot move from “Converted” to “Qualified”."),
        ("unqualified", "qualified", "“陈静 · 无锡重工” cannot move from “Unqualified” to “Qualified”."),
    ],
)
def test_refused_status_changes_give_an_error_on_the_status_and_change_nothing(
    org, client_for, api_for, old, new, message
):
    # given a lead in the old status
    obj = lead(org, old, unqualified_reason="预算不足" if old == "unqualified" else "")
    # when the rep moves it to a status that may not follow, on the form and through the API
    form = edit(client_for(org.rep_js), obj, status=new)
    api = api_for(org.rep_js).patch(f"{API_URL}{obj.pk}/", {"status": new}, format="json")
    # then both explain on the status field and the lead keeps its status
    assert form.status_code == 400
    assert form.context["form"].errors["status"] == [message]
    assert api.status_code == 400
    assert api.json()["status"] == [message]
    assert Lead.objects.get(pk=obj.pk).status == old


def test_an_unqualified_lead_needs_a_reason(org, client_for, api_for):
    # given a contacted lead
    obj = lead(org, "contacted")
    # when it is marked unqualified without a reason
    form = edit(client_for(org.rep_js), obj, status="unqualified", unqualified_reason="  ")
    api = api_for(org.rep_js).patch(f"{API_URL}{obj.pk}/", {"status": "unqualified"}, format="json")
    # then the reason field says why, and the status is unchanged
    assert form.status_code == 400
    assert form.context["form"].errors["unqualified_reason"] == ["Say why the lead is unqualified."]
    assert api.status_code == 400
    assert api.json()["unqualified_reason"] == ["Say why the lead is unqualified."]
    assert Lead.objects.get(pk=obj.pk).status == "contacted"
    # and with a reason it is saved
    assert (
        edit(client_for(org.rep_js), obj, status="unqualified", unqualified_reason="预算不足").status_code
        == 302
    )
    assert Lead.objects.get(pk=obj.pk).status == "unqualified"


def test_a_new_lead_cannot_start_converted(org, client_for, api_for):
    form = client_for(org.rep_js).post(
        f"{LIST_URL}new/", {"name": "陈静", "status": "converted", "owner": org.rep_js.pk}
    )
    api = api_for(org.rep_js).post(API_URL, {"name": "陈静", "status": "converted"}, format="json")
    assert form.status_code == 400
    assert form.context["form"].errors["status"] == [CONVERSION_ONLY]
    assert api.status_code == 400
    assert api.json()["status"] == [CONVERSION_ONLY]
    assert not Lead.objects.exists()


def test_a_new_lead_starts_as_new(org, api_for):
    response = api_for(org.rep_js).post(API_URL, {"name": "陈静", "mobile": "13900139000"}, format="json")
    assert response.status_code == 201
    assert Lead.objects.get().status == "new"
