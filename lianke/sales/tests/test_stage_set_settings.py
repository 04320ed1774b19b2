"""*Settings › Stage sets*: administrators edit a set and its stages in the product — through
requests as the people concerned, the stored sets compared before and after each refusal."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from lianke.console import pages
from lianke.core.models import ObjectChange
from lianke.customers.models import Account
from lianke.sales import stagesets
from lianke.sales.models import Opportunity, Stage, StageSet

pytestmark = pytest.mark.django_db


def stored():
    return (
        list(StageSet.objects.order_by("pk").values_list("pk", "name", "is_default", "is_active")),
        list(
            Stage.objects.order_by("pk").values_list(
                "pk", "stage_set_id", "name", "order", "probability", "kind"
            )
        ),
        ObjectChange.objects.count(),
    )


def history(obj):
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).order_by("id")


def post_data(stage_set, rows, **fields):
    data = {
        "name": stage_set.name if stage_set else "",
        "name_en": stage_set.name_en if stage_set else "",
        "description": "",
        "is_active": "on",
        "state": stagesets.state_of(stage_set) if stage_set else "",
        "stage-id": [],
        "stage-name": [],
        "stage-name_en": [],
        "stage-probability": [],
        "stage-kind": [],
    }
    if stage_set is not None and stage_set.is_default:
        data["is_default"] = "on"
    for row in rows:
        stage = row if isinstance(row, Stage) else None
        values = (
            {
                "id": stage.pk,
                "name": stage.name,
                "name_en": stage.name_en,
                "probability": stage.probability,
                "kind": stage.kind,
            }
            if stage
            else row
        )
        data["stage-id"].append(str(values.get("id") or ""))
        data["stage-name"].append(values["name"])
        data["stage-name_en"].append(values.get("name_en", ""))
        data["stage-probability"].append(str(values["probability"]))
        data["stage-kind"].append(values["kind"])
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def url(stage_set=None):
    return f"/settings/stage-sets/{stage_set.pk}/" if stage_set else "/settings/stage-sets/new/"


def ordered(stage_set):
    return list(stage_set.stages.order_by("order", "pk").values_list("name", flat=True))


# ------------------------------------------------------------------------------- who opens it
def test_the_console_lists_the_stage_sets_page_in_the_product_not_the_admin(client_for, org, stages):
    assert pages.get("stage_sets").url() == "/settings/stage-sets/"
    response = client_for(org.admin).get("/settings/")
    assert b'href="/settings/stage-sets/"' in response.content
    page = client_for(org.admin).get("/settings/stage-sets/")
    assert page.status_code == 200
    assert "直销项目" in page.content.decode()
    assert client_for(org.admin).get(url(stages["set"])).status_code == 200
    assert client_for(org.admin).get(url()).status_code == 200


@pytest.mark.parametrize("who", ["rep_js", "manager_js", "ops"])
def test_nobody_but_an_administrator_opens_or_posts_the_stage_set_pages(client_for, org, stages, who):
    client = client_for(getattr(org, who))
    for address in ("/settings/stage-sets/", url(stages["set"]), url()):
        assert client.get(address).status_code == 403
    before = stored()
    data = post_data(stages["set"], [stages["quote"], stages["first"], stages["won"], stages["lost"]])
    assert client.post(url(stages["set"]), data).status_code == 403
    assert client.post(url(), post_data(None, [], name="偷偷加的")).status_code == 403
    assert stored() == before


def test_the_service_refuses_a_non_administrator_whatever_calls_it(org, stages):
    from django.core.exceptions import PermissionDenied

    before = stored()
    with pytest.raises(PermissionDenied):
        stagesets.save_stage_set(actor=org.rep_js, stage_set=stages["set"], stages=[], name="x")
    assert stored() == before


# ------------------------------------------------------------------------------------ editing
def test_reordering_renaming_and_adding_a_stage_is_saved_and_is_history(client_for, org, stages):
    s = stages
    rows = [
        s["quote"],
        {"name": "商务谈判", "name_en": "Negotiation", "probability": 70, "kind": "open"},
        s["first"],
        s["won"],
        s["lost"],
    ]
    response = client_for(org.admin).post(url(s["set"]), post_data(s["set"], rows, name_en="Direct"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ordered(s["set"]) == ["方案报价", "商务谈判", "初步接洽", "赢单", "输单"]
    s["set"].refresh_from_db()
    assert s["set"].name_en == "Direct"
    change = history(s["set"]).last()
    assert change.action == ObjectChange.ActionChoices.UPDATE
    assert change.user_id == org.admin.pk
    assert [r["name"] for r in change.prechange_data["stages"]] == ["初步接洽", "方案报价", "赢单", "输单"]
    after = sorted(change.postchange_data["stages"], key=lambda r: r["order"])
    assert [r["name"] for r in after] == ordered(s["set"])
    # the opportunity's path follows the new order
    from lianke.sales.stages import OpportunityStagePath

    assert [st.label for st in OpportunityStagePath("stage").states_of_set(s["set"].pk)] == ordered(s["set"])


def test_a_nul_typed_into_a_stage_name_is_dropped_not_a_server_error(
    client_for, org, stages, django_assert_max_num_queries
):
    s = stages
    rows = [
        s["first"],
        {"name": "商务\x00谈判", "probability": 70, "kind": "open"},
        s["quote"],
        s["won"],
        s["lost"],
    ]
    response = client_for(org.admin).post(url(s["set"]), post_data(s["set"], rows))
    assert response.status_code == 302
    assert "商务谈判" in ordered(s["set"])


def test_a_new_stage_set_is_created_with_its_stages(client_for, org, stages):
    rows = [
        {"name": "报备", "probability": 10, "kind": "open"},
        {"name": "成交", "probability": 100, "kind": "won"},
        {"name": "丢单", "probability": 0, "kind": "lost"},
    ]
    response = client_for(org.admin).post(url(), post_data(None, rows, name="渠道销售"))
    assert response.status_code == 302, response.content.decode()[:2000]
    created = StageSet.objects.get(name="渠道销售")
    assert ordered(created) == ["报备", "成交", "丢单"]
    assert not created.is_default  # the default stays where it was
    assert history(created).get().action == ObjectChange.ActionChoices.CREATE


def test_making_another_set_the_default_takes_it_from_the_old_one(client_for, org, stages):
    other = StageSet.objects.create(name="渠道销售")
    for order, (name, p, kind) in enumerate(
        [("报备", 10, "open"), ("成交", 100, "won"), ("丢单", 0, "lost")]
    ):
        Stage.objects.create(stage_set=other, name=name, probability=p, kind=kind, order=order)
    data = post_data(other, list(other.stages.all()), is_default="on")
    assert client_for(org.admin).post(url(other), data).status_code == 302
    assert list(StageSet.objects.filter(is_default=True)) == [other]
    lost_default = history(stages["set"]).last()
    assert (lost_default.prechange_data["is_default"], lost_default.postchange_data["is_default"]) == (
        True,
        False,
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("no_won", "stages_incomplete"),
        ("won_probability", "inconsistent"),
        ("lost_probability", "inconsistent"),
        ("probability_range", "out_of_range"),
        ("duplicate", "unique"),
        ("no_name", "required"),
        ("long_name", "too_long"),
        ("rows_misaligned", "version_conflict"),
        ("undefault", "default_required"),
        ("deactivate_default", "default_required"),
    ],
)
def test_a_bad_set_is_refused_with_its_code_and_nothing_changes(client_for, org, stages, change, code):
    s = stages
    rows = [
        {"id": st.pk, "name": st.name, "probability": st.probability, "kind": st.kind}
        for st in (s["first"], s["quote"], s["won"], s["lost"])
    ]
    extra = {}
    if change == "no_won":
        rows = [r for r in rows if r["kind"] != "won"]
    elif change == "won_probability":
        rows[2]["probability"] = 90
    elif change == "lost_probability":
        rows[3]["probability"] = 5
    elif change == "probability_range":
        rows[1]["probability"] = 150
    elif change == "duplicate":
        rows[1]["name"] = "初步接洽"
    elif change == "no_name":
        rows[1]["name"] = ""
    elif change == "long_name":
        rows[1]["name"] = "长" * 101
    elif change == "undefault":
        extra["is_default"] = None
    elif change == "deactivate_default":
        extra["is_active"] = None
    data = post_data(s["set"], rows, **extra)
    if change == "rows_misaligned":
        data["stage-kind"] = data["stage-kind"][:-1]  # the lost stage's kind left out
    before = stored()
    response = client_for(org.admin).post(url(s["set"]), data)
    assert response.status_code == 400
    assert f'data-error-code="{code}"'.encode() in response.content, response.content.decode()[:3000]
    assert stored() == before


def test_a_stage_that_opportunities_are_in_is_not_removed(client_for, org, stages):
    s = stages
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    for name in ("一期", "二期"):
        Opportunity.objects.create(
            name=name, account=account, owner=org.rep_js, stage_set=s["set"], stage=s["quote"]
        )
    data = post_data(s["set"], [s["first"], s["won"], s["lost"]])
    before = stored()
    response = client_for(org.admin).post(url(s["set"]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-error-code="stage_in_use"' in body
    assert "2" in body and "方案报价" in body
    assert stored() == before


def test_a_stage_nobody_is_in_is_removed(client_for, org, stages):
    s = stages
    data = post_data(s["set"], [s["first"], s["won"], s["lost"]])
    assert client_for(org.admin).post(url(s["set"]), data).status_code == 302
    assert ordered(s["set"]) == ["初步接洽", "赢单", "输单"]


def test_a_stage_of_another_set_cannot_be_posted_into_this_one(client_for, org, stages):
    other = StageSet.objects.create(name="渠道销售")
    foreign = Stage.objects.create(stage_set=other, name="外来", probability=10, kind="open")
    s = stages
    data = post_data(s["set"], [s["first"], foreign, s["won"], s["lost"]])
    before = stored()
    response = client_for(org.admin).post(url(s["set"]), data)
    assert response.status_code == 400
    assert b'data-error-code="version_conflict"' in response.content
    assert stored() == before


def test_a_save_over_someone_elses_change_is_refused(client_for, org, stages):
    s = stages
    opened = post_data(s["set"], [s["quote"], s["first"], s["won"], s["lost"]])
    # meanwhile another administrator renames a stage
    second = post_data(s["set"], [s["first"], s["quote"], s["won"], s["lost"]])
    second["stage-name"][1] = "报价"
    assert client_for(org.admin).post(url(s["set"]), second).status_code == 302
    before = stored()
    response = client_for(org.admin).post(url(s["set"]), opened)
    assert response.status_code == 400
    assert b'data-error-code="version_conflict"' in response.content
    assert stored() == before
    assert ordered(s["set"]) == ["初步接洽", "报价", "赢单", "输单"]


def test_the_kind_of_a_stage_opportunities_are_in_does_not_change(client_for, org, stages):
    s = stages
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    Opportunity.objects.create(
        name="一期", account=account, owner=org.rep_js, stage_set=s["set"], stage=s["quote"]
    )
    rows = [
        s["first"],
        {"id": s["quote"].pk, "name": "方案报价", "probability": 100, "kind": "won"},
        s["won"],
        s["lost"],
    ]
    before = stored()
    response = client_for(org.admin).post(url(s["set"]), post_data(s["set"], rows))
    assert response.status_code == 400
    assert b'data-error-code="stage_in_use"' in response.content
    assert stored() == before


def test_an_id_that_is_no_number_is_read_as_a_new_stage_not_a_server_error(client_for, org, stages):
    s = stages
    data = post_data(s["set"], [s["first"], s["quote"], s["won"], s["lost"]])
    data["stage-id"][1] = "²"  # a digit to str.isdigit, not to int()
    data["stage-name"][1] = "方案报价二"
    assert client_for(org.admin).post(url(s["set"]), data).status_code == 302
    assert ordered(s["set"]) == ["初步接洽", "方案报价二", "赢单", "输单"]
