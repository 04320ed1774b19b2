"""Opportunities: stages of their own set, probability and closing follow the stage, kanban."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianke.core.models import ObjectChange
from lianke.customers.models import Account
from lianke.sales.models import Opportunity, Stage, StageSet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


API_URL = "/api/sales/opportunities/"
KANBAN_URL = "/sales/opportunity/board/"


@pytest.fixture
def acc(org):
    return Account.objects.create(name="苏州精工", owner=org.rep_js)


@pytest.fixture
def other_set(db):
    stage_set = StageSet.objects.create(name="经销商")
    return Stage.objects.create(stage_set=stage_set, name="签约", order=0, probability=30)


def opportunity(org, acc, stages, stage="first", **fields):
    return Opportunity.objects.create(
        name="二期项目",
        account=acc,
        owner=org.rep_js,
        stage_set=stages["set"],
        stage=stages[stage],
        amount=fields.pop("amount", "100000.00"),
        probability=stages[stage].probability,
        **fields,
    )


def fresh(obj):
    return Opportunity.all_objects.get(pk=obj.pk)


def move(client, obj, stage, **extra):
    """A card dropped on a stage's column of the kanban (the board asks for the card back)."""
    return client.post(f"/sales/opportunity/{obj.pk}/move/", {"stage": stage.pk, "render": "card", **extra})


def test_the_stage_must_belong_to_the_stage_set(org, stages, acc, other_set, api_for):
    # when an opportunity is created with a stage of another set
    response = api_for(org.rep_js).post(
        API_URL,
        {"name": "二期", "account": acc.pk, "stage_set": stages["set"].pk, "stage": other_set.pk},
        format="json",
    )
    # then the stage field says so and nothing is created
    assert response.status_code == 400
    assert response.json()["stage"] == ["Choose a stage of the opportunity's stage set."]
    assert not Opportunity.objects.exists()


def test_probability_follows_the_stage_and_closing_sets_closed_at(org, stages, acc, api_for):
    # given an API client
    api = api_for(org.rep_js)
    created = api.post(
        API_URL,
        {"name": "二期", "account": acc.pk, "stage_set": stages["set"].pk, "stage": stages["quote"].pk},
        format="json",
    )
    assert created.status_code == 201
    obj = Opportunity.objects.get()
    # then an open stage sets its probability and no closing time
    assert (obj.probability, obj.closed_at) == (50, None)
    # when it is won, then probability is 100 and it is closed
    assert api.patch(f"{API_URL}{obj.pk}/", {"stage": stages["won"].pk}, format="json").status_code == 200
    assert fresh(obj).probability == 100
    assert fresh(obj).closed_at is not None
    # when it is reopened, then it is no longer closed
    assert api.patch(f"{API_URL}{obj.pk}/", {"stage": stages["first"].pk}, format="json").status_code == 200
    assert (fresh(obj).probability, fresh(obj).closed_at) == (10, None)


def test_lost_needs_a_loss_reason(org, stages, acc, api_for):
    obj = opportunity(org, acc, stages)
    api = api_for(org.rep_js)
    refused = api.patch(f"{API_URL}{obj.pk}/", {"stage": stages["lost"].pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["loss_reason"] == ["Say why the opportunity was lost."]
    assert fresh(obj).stage == stages["first"]
    accepted = api.patch(
        f"{API_URL}{obj.pk}/", {"stage": stages["lost"].pk, "loss_reason": "price"}, format="json"
    )
    assert accepted.status_code == 200
    assert (fresh(obj).probability, fresh(obj).loss_reason) == (0, "price")
    assert fresh(obj).closed_at is not None


def test_moving_a_card_changes_the_stage_and_records_history(org, stages, acc, client_for):
    # given an opportunity in the first stage
    obj = opportunity(org, acc, stages)
    # when the rep drags it to the quote stage
    response = move(client_for(org.rep_js), obj, stages["quote"])
    # then it moved, with the stage's probability, and history says so
    assert response.status_code == 200
    assert "二期项目" in response.content.decode()
    assert (fresh(obj).stage, fresh(obj).probability) == (stages["quote"], 50)
    [change] = ObjectChange.objects.filter(
        object_id=obj.pk, action="update", content_type__model="opportunity"
    )
    assert sorted(change.diff()) == [
        ("probability", 10, 50),
        ("stage", stages["first"].pk, stages["quote"].pk),
    ]
    assert (change.user, change.source) == (org.rep_js, "web")


def test_moving_to_won_closes_the_opportunity(org, stages, acc, client_for):
    obj = opportunity(org, acc, stages)
    assert move(client_for(org.rep_js), obj, stages["won"]).status_code == 200
    assert fresh(obj).closed_at is not None
    assert fresh(obj).probability == 100


def test_moving_to_lost_without_a_reason_is_400_and_changes_nothing(org, stages, acc, client_for):
    # given an opportunity in the quote stage
    obj = opportunity(org, acc, stages, "quote")
    # when it is dropped on "lost" without a reason
    response = move(client_for(org.rep_js), obj, stages["lost"])
    # then the answer explains and the opportunity is unchanged
    assert response.status_code == 400
    assert response.content.decode() == "Loss reason: Say why the opportunity was lost."
    assert fresh(obj).stage == stages["quote"]
    assert not ObjectChange.objects.filter(action="update").exists()
    # and with a reason it is lost
    assert (
        move(
            client_for(org.rep_js), obj, stages["lost"], loss_reason="competitor", loss_note="对手降价"
        ).status_code
        == 200
    )
    assert (fresh(obj).stage, fresh(obj).loss_reason, fresh(obj).loss_note) == (
        stages["lost"],
        "competitor",
        "对手降价",
    )


def test_moving_to_a_stage_of_another_set_is_refused_with_the_reason(org, stages, acc, other_set, client_for):
    # given an opportunity of the default set
    obj = opportunity(org, acc, stages)
    # when a stage of another set is posted for it
    response = move(client_for(org.rep_js), obj, other_set)
    # then the move is refused, says why, and nothing changed
    assert response.status_code == 400
    assert response.content.decode() == "Stage: Choose a stage of the opportunity's stage set."
    assert fresh(obj).stage == stages["first"]
    assert not ObjectChange.objects.filter(action="update").exists()


def test_moving_someone_elses_opportunity_is_404(org, stages, acc, client_for):
    obj = opportunity(org, acc, stages)
    assert move(client_for(org.rep_zj), obj, stages["quote"]).status_code == 404
    assert fresh(obj).stage == stages["first"]


def _kanban(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(KANBAN_URL)
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


def test_the_kanban_shows_columns_with_counts_and_totals_in_few_queries(org, stages, acc, client_for):
    # given opportunities in two stages (and one of another rep the viewer cannot see)
    opportunity(org, acc, stages, "first", amount="1000.00")
    client = client_for(org.rep_js)
    client.get(KANBAN_URL)
    _response, few = _kanban(client)
    for i in range(20):
        opportunity(org, acc, stages, "first" if i % 2 else "quote", amount="1000.50")
    Opportunity.objects.create(
        name="别人的",
        account=Account.objects.create(name="浙江客户", owner=org.rep_zj),
        owner=org.rep_zj,
        stage_set=stages["set"],
        stage=stages["first"],
        amount="999999.00",
    )
    # when the rep opens the kanban
    response, many = _kanban(client)
    # then each stage is a column with its count and total of the rep's opportunities
    columns = {
        c["state"].value: (c["count"], c["summary"], len(c["cards"])) for c in response.context["columns"]
    }
    assert [c["state"].value for c in response.context["columns"]] == [
        str(stages[k].pk) for k in ("first", "quote", "won", "lost")
    ]
    assert columns[str(stages["first"].pk)][:2] == (11, "¥11,005")
    assert columns[str(stages["quote"].pk)][:2] == (10, "¥10,005")
    assert columns[str(stages["won"].pk)] == (0, "¥0", 0)
    assert "别人的" not in response.content.decode()
    # and the number of queries does not grow with the cards
    assert many == few
    assert many <= 23  # the page frame included (session, roles, field permissions, the user menu)


def test_bulk_edit_refuses_a_stage_of_another_stage_set_and_changes_nothing(org, stages, client_for):
    # given two opportunities in the default stage set and a stage of another set
    from lianke.customers.models import Account
    from lianke.sales.models import Opportunity, Stage, StageSet

    account = Account.objects.create(name="江苏大明金属", owner=org.rep_js)
    opps = [
        Opportunity.objects.create(
            name=f"螺纹钢{i}",
            account=account,
            stage_set=stages["set"],
            stage=stages["first"],
            owner=org.rep_js,
        )
        for i in range(2)
    ]
    other = Stage.objects.create(
        stage_set=StageSet.objects.create(name="经销商渠道"), name="返利谈判", probability=60
    )
    # when the rep bulk-edits their stage to the foreign stage
    response = client_for(org.rep_js).post(
        "/sales/opportunity/bulk/",
        {"bulk_action": "edit", "pk": [o.pk for o in opps], "field": "stage", "value": other.pk},
    )
    # then nothing changed and the page says why
    assert response.status_code == 302
    assert {o.stage_id for o in Opportunity.objects.filter(pk__in=[o.pk for o in opps])} == {
        stages["first"].pk
    }


def test_bulk_edit_of_the_stage_also_updates_probability_and_close_date(org, stages, client_for):
    # given an open opportunity
    from lianke.customers.models import Account
    from lianke.sales.models import Opportunity

    account = Account.objects.create(name="江苏大明金属", owner=org.rep_js)
    opp = Opportunity.objects.create(
        name="热轧卷板", account=account, stage_set=stages["set"], stage=stages["first"], owner=org.rep_js
    )
    # when the rep bulk-moves it to the won stage
    client_for(org.rep_js).post(
        "/sales/opportunity/bulk/",
        {"bulk_action": "edit", "pk": [opp.pk], "field": "stage", "value": stages["won"].pk},
    )
    # then the derived fields follow the stage, as on the form
    opp.refresh_from_db()
    assert opp.stage == stages["won"]
    assert opp.probability == 100
    assert opp.closed_at is not None
