"""The opportunity form: the stage set defaults to the company's, the stage to its first open
stage, the stage list holds only the chosen set's stages and follows a change of the set."""

import re
from html.parser import HTMLParser

import pytest

from lianke.customers.models import Account
from lianke.sales.models import Opportunity, Stage, StageSet

pytestmark = pytest.mark.django_db

NEW_URL = "/sales/opportunity/new/"


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


@pytest.fixture
def channel(db):
    """A second stage set whose first stage is not open (the form must skip to an open one)."""
    stage_set = StageSet.objects.create(name="经销商渠道")
    stages = {
        key: Stage.objects.create(stage_set=stage_set, name=name, order=order, probability=p, kind=kind)
        for order, (key, name, p, kind) in enumerate(
            [
                ("signed_early", "框架已签", 100, "won"),
                ("first", "首次接触经销商", 10, "open"),
                ("rebate", "返利谈判", 60, "open"),
                ("lost", "输单", 0, "lost"),
            ]
        )
    }
    return {"set": stage_set, **stages}


@pytest.fixture
def acc(org):
    return Account.objects.create(name="苏州精工", owner=org.rep_js)


def options(html: str, name: str) -> dict[str, bool]:
    """``{value: selected}`` of the ``<select name=…>`` in ``html`` (or of bare options)."""
    match = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    body = match.group(0) if match else html
    return {m.group(1): "selected" in m.group(0) for m in re.finditer(r'<option value="([^"]*)"[^>]*>', body)}


class _FormValues(HTMLParser):
    """What a browser would post for the object form as rendered (inputs, chosen options)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "radio", "submit"):
            self.data[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def rendered_form(html: str) -> dict[str, str]:
    form = re.search(r'<form method="post" class="object-form".*?</form>', html, re.S).group(0)
    parser = _FormValues()
    parser.feed(form)
    parser.data.pop("csrfmiddlewaretoken", None)
    return parser.data


def test_the_new_form_preselects_the_default_set_and_its_first_open_stage_and_offers_only_its_stages(
    org, stages, channel, client_for
):
    # given two stage sets, the company default with four stages
    # when a rep opens the new-opportunity form
    html = client_for(org.rep_js).get(NEW_URL).content.decode()
    # then the default set is chosen, without an empty choice
    assert options(html, "stage_set") == {str(stages["set"].pk): True, str(channel["set"].pk): False}
    # and the stage list holds only its stages, the first open one chosen
    assert options(html, "stage") == {
        str(stages[k].pk): k == "first" for k in ("first", "quote", "won", "lost")
    }


def test_the_form_opened_for_another_set_starts_at_that_sets_first_open_stage(
    org, stages, channel, client_for
):
    # when the form is opened with another set (a link such as ?stage_set=…)
    html = client_for(org.rep_js).get(NEW_URL, {"stage_set": channel["set"].pk}).content.decode()
    # then that set's stages are offered, from its first *open* stage
    assert options(html, "stage") == {
        str(channel[k].pk): k == "first" for k in ("signed_early", "first", "rebate", "lost")
    }


def test_changing_the_set_fetches_that_sets_stages_with_its_first_open_stage_chosen(
    org, stages, channel, acc, client_for
):
    # given the new form with the default set and its first stage
    client = client_for(org.rep_js)
    # when the rep picks the other set (the page posts the form to ?refresh=stage)
    response = client.post(
        NEW_URL + "?refresh=stage",
        {"name": "二期", "account": acc.pk, "stage_set": channel["set"].pk, "stage": stages["first"].pk},
    )
    # then the answer is the other set's stages, its first open stage chosen
    assert response.status_code == 200
    assert options(response.content.decode(), "stage") == {
        str(channel[k].pk): k == "first" for k in ("signed_early", "first", "rebate", "lost")
    }
    # and nothing was saved
    assert not Opportunity.objects.exists()


def test_a_refresh_keeps_the_chosen_stage_when_it_belongs_to_the_set(org, stages, channel, client_for):
    # when the options are refreshed with a stage of the chosen set
    response = client_for(org.rep_js).post(
        NEW_URL + "?refresh=stage", {"stage_set": channel["set"].pk, "stage": channel["rebate"].pk}
    )
    # then that stage stays chosen
    assert [v for v, chosen in options(response.content.decode(), "stage").items() if chosen] == [
        str(channel["rebate"].pk)
    ]


def test_only_declared_dependent_fields_can_be_refreshed(org, stages, client_for):
    # when the page asks to refresh a field that depends on nothing
    response = client_for(org.rep_js).post(NEW_URL + "?refresh=name", {"stage_set": stages["set"].pk})
    # then it is refused
    assert response.status_code == 400


def test_saving_the_new_form_without_touching_the_set_succeeds_the_first_time(
    org, stages, channel, acc, client_for
):
    # given the new form as the page renders it
    client = client_for(org.rep_js)
    data = rendered_form(client.get(NEW_URL).content.decode())
    # when the rep fills in only the name and the account and saves
    data.update(name="二期产线", account=acc.pk)
    response = client.post(NEW_URL, data)
    # then it is saved at once, in the default set's first open stage
    assert response.status_code == 302, response.content.decode()
    obj = Opportunity.objects.get()
    assert (obj.stage_set, obj.stage, obj.probability) == (stages["set"], stages["first"], 10)
    assert response["Location"] == f"/sales/opportunity/{obj.pk}/"


def test_a_stage_of_another_set_posted_by_hand_is_refused_on_the_stage_field(
    org, stages, channel, acc, client_for
):
    # when the form is posted with the default set and a stage of the other set
    response = client_for(org.rep_js).post(
        NEW_URL,
        {
            "name": "二期",
            "account": acc.pk,
            "owner": org.rep_js.pk,
            "stage_set": stages["set"].pk,
            "stage": channel["rebate"].pk,
        },
    )
    # then the stage field says why and nothing is created
    assert response.status_code == 400
    assert response.context["form"].errors["stage"] == ["Choose a stage of the opportunity's stage set."]
    assert not Opportunity.objects.exists()


def test_an_opportunity_in_a_retired_set_is_edited_with_its_own_sets_stages(
    org, stages, channel, acc, client_for
):
    # given an opportunity in a set that was deactivated since
    obj = Opportunity.objects.create(
        name="旧项目", account=acc, owner=org.rep_js, stage_set=channel["set"], stage=channel["rebate"]
    )
    channel["set"].is_active = False
    channel["set"].save()
    # when its owner opens the edit form
    html = client_for(org.rep_js).get(f"/sales/opportunity/{obj.pk}/edit/").content.decode()
    # then its set is still offered and chosen, with its stages and its current stage
    assert options(html, "stage_set")[str(channel["set"].pk)] is True
    assert options(html, "stage") == {
        str(channel[k].pk): k == "rebate" for k in ("signed_early", "first", "rebate", "lost")
    }


def test_the_form_page_asks_for_the_stages_again_when_the_set_changes(org, stages, client_for):
    # when the form page is rendered
    html = client_for(org.rep_js).get(NEW_URL).content.decode()
    # then a change of the set fetches the stage options into the stage select
    assert 'hx-post="/sales/opportunity/new/?refresh=stage"' in html
    assert 'hx-trigger="change from:#id_stage_set"' in html
    assert 'hx-target="#id_stage"' in html
