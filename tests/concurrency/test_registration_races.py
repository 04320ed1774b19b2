"""Customer registration under parallel requests against a live server: reps registering one
company at the same moment — by the same credit code, or by names that reduce to one company
key — through the API and the "New account" form: exactly one account is created (and one
approval), every other rep gets the duplicate refusal (code ``unique`` on the field), no 500."""

from __future__ import annotations

import json

import pytest

from lianke.approvals.models import Approval
from lianke.approvals.tests.helpers import make_flow
from lianke.customers import registration
from lianke.customers.models import Account

from ..live import LiveSession, race

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/customers/accounts/"
CREDIT_CODE = "91320500MA1MXXXX0X"


@pytest.fixture
def flow(org):
    make_flow(name="客户报备", purpose=registration.REGISTRATION)


def codes(body: str) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in json.loads(body)["errors"]}


def test_reps_registering_one_credit_code_at_once_create_one_account(live_server, org, flow):
    reps = [org.rep_js, org.rep_js2, org.rep_zj, org.lead_js]
    sessions = [LiveSession(live_server.url, rep) for rep in reps]
    answers = race(
        [
            lambda s=s, i=i: s.request("POST", API, json={"name": f"第{i}家公司", "credit_code": CREDIT_CODE})
            for i, s in enumerate(sessions)
        ]
    )
    statuses = sorted(a.status for a in answers)
    assert statuses == [201] + [400] * (len(reps) - 1), [a.body[:300] for a in answers]
    for refused in (a for a in answers if a.status == 400):
        assert codes(refused.body) == {("credit_code", "unique")}, refused.body
    assert Account.all_objects.count() == 1
    assert Approval.objects.filter(flow__purpose=registration.REGISTRATION).count() == 1
    assert Account.all_objects.get().registration == "pending"


def test_reps_registering_one_company_by_name_at_once_through_the_form_create_one(live_server, org, flow):
    names = ["苏州精工机械有限公司", "精工机械（苏州）有限公司", "江苏精工机械有限公司", "苏州精工机械"]
    reps = [org.rep_js, org.rep_js2, org.rep_zj, org.lead_js]
    sessions = [LiveSession(live_server.url, rep) for rep in reps]
    answers = race(
        [
            lambda s=s, n=n, r=r: s.post(
                "/customers/account/new/", {"name": n, "account_type": "end_customer", "owner": r.pk}
            )
            for s, n, r in zip(sessions, names, reps, strict=True)
        ]
    )
    statuses = sorted(a.status for a in answers)
    assert statuses == [302] + [400] * (len(reps) - 1), [a.body[:300] for a in answers]
    for refused in (a for a in answers if a.status == 400):
        assert 'data-error-code="unique"' in refused.body and 'id="request-duplicate"' in refused.body
    assert Account.all_objects.count() == 1
    assert Approval.objects.filter(flow__purpose=registration.REGISTRATION).count() == 1


def test_without_a_flow_parallel_creates_of_one_credit_code_give_one_account_and_clear_refusals(
    live_server, org
):
    sessions = [LiveSession(live_server.url, rep) for rep in (org.rep_js, org.rep_js2, org.rep_zj)]
    answers = race(
        [
            lambda s=s, i=i: s.request("POST", API, json={"name": f"第{i}家公司", "credit_code": CREDIT_CODE})
            for i, s in enumerate(sessions)
        ]
    )
    assert sorted(a.status for a in answers) == [201, 400, 400], [a.body[:300] for a in answers]
    for refused in (a for a in answers if a.status == 400):
        assert codes(refused.body) == {("credit_code", "unique")}, refused.body
    assert Account.all_objects.count() == 1
