"""The stage path on an opportunity's page: its set's stages in order, the current one marked, a
tap moves it (POST …/move/), refusals say why and change nothing, only editors may move."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType

from lianke.core.models import ObjectChange
from lianke.customers.models import Account
from lianke.org.choices import CollaboratorAccess
from lianke.org.models import Collaborator
from lianke.sales.models import Opportunity, Stage, StageSet

from .test_opportunities import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


@pytest.fixture
def opp(org, stages):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    return Opportunity.objects.create(
        name="二期项目",
        account=account,
        owner=org.rep_js,
        stage_set=stages["set"],
        stage=stages["quote"],
        probability=50,
    )


def tap(client, obj, stage, **extra):
    """A tap on a stage of the path on the record's page (the page's script sends it as htmx)."""
    return client.post(
        f"/sales/opportunity/{obj.pk}/move/",
        {"stage": getattr(stage, "pk", stage), **extra},
        HTTP_HX_REQUEST="true",
    )


def updates(obj):
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Opportunity), object_id=obj.pk, action="update"
    )


def path_of(html: str) -> list[tuple[str, str, bool]]:
    """``[(label, position, tappable)]`` of the stage path on a record page."""
    path = re.search(r'<(form|div) class="stage-path.*?</\1>', html, re.S)
    assert path, "the page has no stage path"
    steps = re.findall(
        r'<li class="stage-step is-(\w+)[^"]*"[^>]*>\s*(<button|<span)[^>]*>(?:<i[^>]*></i>)?([^<]+)<',
        path[0],
    )
    return [(label.strip(), position, tag == "<button") for position, tag, label in steps]


def test_the_record_page_shows_the_sets_stages_in_order_with_the_current_one_and_taps_for_the_others(
    org, stages, opp, client_for
):
    # when the owner opens the opportunity
    html = client_for(org.rep_js).get(f"/sales/opportunity/{opp.pk}/").content.decode()
    # then the path lists the set's stages in order: the one passed, the current one, those ahead
    assert path_of(html) == [
        ("初步接洽", "done", True),
        ("方案报价", "current", False),
        ("赢单", "ahead", True),
        ("输单", "ahead", True),
    ]
    # and the reason dialog for the lost stage is on the page, asking for the loss reason
    assert 'id="loss-dialog"' in html
    assert re.search(r'<select name="loss_reason"[^>]*required', html)


def test_a_tap_moves_the_opportunity_and_records_it_in_history(org, stages, opp, client_for):
    # when the owner taps "won" on the path
    response = tap(client_for(org.rep_js), opp, stages["won"])
    # then the page reloads the record (htmx redirect) and it is won and closed
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/sales/opportunity/{opp.pk}/"
    assert (fresh(opp).stage, fresh(opp).probability) == (stages["won"], 100)
    assert fresh(opp).closed_at is not None
    # and history has the move, by the owner, from the web
    [change] = updates(opp)
    assert {k: (old, new) for k, old, new in change.diff()}["stage"] == (
        stages["quote"].pk,
        stages["won"].pk,
    )
    assert (change.user, change.source) == (org.rep_js, "web")


def test_lost_needs_a_reason_and_then_closes_the_opportunity(org, stages, opp, client_for):
    client = client_for(org.rep_js)
    # when "lost" is tapped without a reason
    refused = tap(client, opp, stages["lost"])
    # then it is refused with the model's message and nothing changed
    assert refused.status_code == 400
    assert refused.content.decode() == "Loss reason: Say why the opportunity was lost."
    assert fresh(opp).stage == stages["quote"]
    assert not updates(opp).exists()
    # when the dialog's reason comes with it
    assert tap(client, opp, stages["lost"], loss_reason="price", loss_note="对方报价低 5%").status_code == 204
    # then it is lost, closed, with the reason
    lost = fresh(opp)
    assert (lost.stage, lost.loss_reason, lost.loss_note, lost.probability) == (
        stages["lost"],
        "price",
        "对方报价低 5%",
        0,
    )
    assert lost.closed_at is not None


def test_an_unknown_loss_reason_is_refused_on_its_field(org, stages, opp, client_for):
    # when the reason posted is not one of the choices
    response = tap(client_for(org.rep_js), opp, stages["lost"], loss_reason="bribe")
    # then the move is refused, naming the bad value, and nothing changed
    assert response.status_code == 400
    assert response.content.decode() == "Loss reason: Value 'bribe' is not a valid choice."
    assert fresh(opp).stage == stages["quote"]


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_a_missing_or_unknown_stage_is_refused(org, stages, opp, client_for, value):
    response = tap(client_for(org.rep_js), opp, value)
    assert response.status_code == 400
    assert response.content.decode() == "Stage: Choose a stage of the opportunity's stage set."
    assert fresh(opp).stage == stages["quote"]
    assert not updates(opp).exists()


def test_a_stage_of_another_set_is_refused_and_changes_nothing(org, stages, opp, client_for):
    # given a stage of another set
    other = Stage.objects.create(
        stage_set=StageSet.objects.create(name="经销商渠道"), name="签约", kind="won", probability=100
    )
    # when it is posted for the opportunity
    response = tap(client_for(org.rep_js), opp, other)
    # then it is refused with the reason, and the opportunity and its history are unchanged
    assert response.status_code == 400
    assert response.content.decode() == "Stage: Choose a stage of the opportunity's stage set."
    assert (fresh(opp).stage, fresh(opp).probability) == (stages["quote"], 50)
    assert not updates(opp).exists()


def test_tapping_the_current_stage_changes_nothing(org, stages, opp, client_for):
    response = tap(client_for(org.rep_js), opp, stages["quote"])
    assert response.status_code == 204
    assert not updates(opp).exists()


@pytest.mark.parametrize("intruder", ["rep_zj", "rep_js2"])
def test_someone_elses_opportunity_answers_404_and_is_unchanged(org, stages, opp, client_for, intruder):
    # given a rep of the other company, and a colleague in the same team
    # when either posts a move for the rep's opportunity
    response = tap(client_for(getattr(org, intruder)), opp, stages["won"])
    # then the record does not exist for them, and nothing changed
    assert response.status_code == 404
    assert fresh(opp).stage == stages["quote"]
    assert not updates(opp).exists()


def test_a_user_who_sees_but_may_not_edit_gets_403_and_a_read_only_path(org, stages, opp, client_for):
    # given sales operations (view everything, edit nothing) and a read-only collaborator
    Collaborator.objects.create(
        content_type=ContentType.objects.get_for_model(Opportunity),
        object_id=opp.pk,
        user=org.rep_js2,
        access=CollaboratorAccess.READ,
    )
    for viewer in (org.ops, org.rep_js2):
        client = client_for(viewer)
        # when they open the record, then the path shows the stages without a tap
        html = client.get(f"/sales/opportunity/{opp.pk}/").content.decode()
        assert [(label, tappable) for label, _pos, tappable in path_of(html)] == [
            ("初步接洽", False),
            ("方案报价", False),
            ("赢单", False),
            ("输单", False),
        ]
        assert 'id="loss-dialog"' not in html
        # and a move they post anyway is refused
        assert tap(client, opp, stages["won"]).status_code == 403
    assert fresh(opp).stage == stages["quote"]
    assert not updates(opp).exists()


def test_a_write_collaborator_moves_the_stage(org, stages, opp, client_for):
    # given a colleague the owner shared the opportunity with, read-write
    Collaborator.objects.create(
        content_type=ContentType.objects.get_for_model(Opportunity),
        object_id=opp.pk,
        user=org.rep_js2,
        access=CollaboratorAccess.WRITE,
    )
    # when they tap a stage, then it moves
    assert tap(client_for(org.rep_js2), opp, stages["won"]).status_code == 204
    assert fresh(opp).stage == stages["won"]


def test_the_record_page_draws_the_path_in_a_constant_number_of_queries(org, stages, opp, client_for):
    # given the record page with a path of four stages
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(org.rep_js)
    client.get(f"/sales/opportunity/{opp.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/sales/opportunity/{opp.pk}/")
    # when the set gets many more stages
    for i in range(10):
        Stage.objects.create(stage_set=stages["set"], name=f"阶段{i}", order=10 + i, probability=20)
    client.get(f"/sales/opportunity/{opp.pk}/")  # stages are configuration: read again once
    with CaptureQueriesContext(connection) as many:
        html = client.get(f"/sales/opportunity/{opp.pk}/").content.decode()
    # then they are all on the path, fetched in the same number of queries
    assert len(path_of(html)) == 14
    assert len(many) == len(few)
