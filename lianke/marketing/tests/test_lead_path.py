"""The lead's status as a stage path (the generic path over a choices field): it offers only the
declared transitions, refuses the others, asks why for "unqualified", and leaves conversion to
its own workflow."""

import pytest
from django.contrib.contenttypes.models import ContentType

from lianke.core.models import ObjectChange
from lianke.marketing.models import Lead
from lianke.sales.tests.test_stage_path import path_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


def lead(org, status="new", **fields):
    return Lead.objects.create(name="陈静", company="无锡重工", owner=org.rep_js, status=status, **fields)


def tap(client, obj, status, **extra):
    return client.post(f"/marketing/lead/{obj.pk}/move/", {"status": status, **extra}, HTTP_HX_REQUEST="true")


def status_of(obj):
    return Lead.all_objects.get(pk=obj.pk).status


def updates(obj):
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead), object_id=obj.pk, action="update"
    )


@pytest.mark.parametrize(
    ("status", "tappable"),
    [
        ("new", {"Contacted", "Qualified", "Unqualified"}),
        ("qualified", {"Contacted", "Unqualified"}),  # "Converted" is the conversion's, not a tap's
        ("unqualified", {"New", "Contacted"}),
        ("converted", set()),
    ],
)
def test_the_lead_page_offers_only_the_declared_transitions(org, client_for, status, tappable):
    # given a lead in this status
    obj = lead(org, status, unqualified_reason="预算不足" if status == "unqualified" else "")
    # when its owner opens it
    html = client_for(org.rep_js).get(f"/marketing/lead/{obj.pk}/").content.decode()
    steps = path_of(html)
    # then the path shows every status, open ones first, the current one marked
    assert [label for label, _pos, _tap in steps] == [
        "New",
        "Contacted",
        "Qualified",
        "Converted",
        "Unqualified",
    ]
    assert [label for label, pos, _tap in steps if pos == "current"] == [
        {"new": "New", "qualified": "Qualified", "unqualified": "Unqualified", "converted": "Converted"}[
            status
        ]
    ]
    # and only the declared next statuses can be tapped
    assert {label for label, _pos, tap_ in steps if tap_} == tappable


def test_a_declared_transition_moves_the_lead_and_is_in_history(org, client_for):
    obj = lead(org)
    response = tap(client_for(org.rep_js), obj, "contacted")
    assert response.status_code == 204
    assert status_of(obj) == "contacted"
    [change] = updates(obj)
    assert list(change.diff()) == [("status", "new", "contacted")]


@pytest.mark.parametrize(
    ("old", "new"), [("unqualified", "qualified"), ("qualified", "converted"), ("converted", "new")]
)
def test_a_move_outside_the_declared_transitions_is_refused_and_changes_nothing(org, client_for, old, new):
    # given a lead whose lifecycle does not allow the move (conversion is its own workflow)
    obj = lead(org, old, unqualified_reason="预算不足" if old == "unqualified" else "")
    # when the move is posted anyway
    response = tap(client_for(org.rep_js), obj, new)
    # then it is refused, naming the status and both states, and nothing changed
    assert response.status_code == 400
    old_label, new_label = (dict(Lead._meta.get_field("status").flatchoices)[s] for s in (old, new))
    assert response.content.decode() == f"Status: “{obj}” cannot move from “{old_label}” to “{new_label}”."
    assert status_of(obj) == old
    assert not updates(obj).exists()


def test_an_unknown_status_is_refused(org, client_for):
    obj = lead(org)
    response = tap(client_for(org.rep_js), obj, "vip")
    assert response.status_code == 400
    assert response.content.decode() == "Status: Choose one of the states on the path."
    assert status_of(obj) == "new"


def test_unqualified_asks_why_first(org, client_for):
    obj = lead(org)
    client = client_for(org.rep_js)
    # when "unqualified" is tapped without the reason
    refused = tap(client, obj, "unqualified")
    # then the model's rule refuses it on the reason field
    assert refused.status_code == 400
    assert refused.content.decode() == "Reason unqualified: Say why the lead is unqualified."
    assert status_of(obj) == "new"
    # and with the dialog's reason it moves
    assert tap(client, obj, "unqualified", unqualified_reason="没有采购计划").status_code == 204
    moved = Lead.all_objects.get(pk=obj.pk)
    assert (moved.status, moved.unqualified_reason) == ("unqualified", "没有采购计划")


def test_the_lead_page_has_the_reason_dialog_for_unqualified(org, client_for):
    html = client_for(org.rep_js).get(f"/marketing/lead/{lead(org).pk}/").content.decode()
    assert "Why is the lead unqualified?" in html
    assert 'name="unqualified_reason"' in html


@pytest.mark.parametrize("intruder", ["rep_zj", "rep_js2"])
def test_someone_elses_lead_answers_404(org, client_for, intruder):
    obj = lead(org)
    assert tap(client_for(getattr(org, intruder)), obj, "contacted").status_code == 404
    assert status_of(obj) == "new"
    assert not updates(obj).exists()
