"""Customer registration in the browser, on a 375 px phone and on a desktop: a rep creates an
account with a registration flow active and lands on its page marked pending; a rep whose new
account is someone else's customer asks for it from the refusal, with a reason, and the
owner's superior gets the request — the rep learning nothing more of the customer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lianke.approvals.models import Approval
from lianke.approvals.tests.helpers import make_flow
from lianke.customers import registration
from lianke.customers.models import Account

from .conftest import PHONE


def _ui(open_ui, viewport, label):
    if viewport == "phone":
        return open_ui(viewport=PHONE, is_mobile=True, has_touch=True, label=f"{label}-phone")
    return open_ui(label=label)


@pytest.fixture
def flows(org):
    make_flow(name="客户报备", purpose=registration.REGISTRATION, exposed_fields=["name"])
    make_flow(
        name="客户转移申请",
        purpose=registration.TRANSFER_REQUEST,
        editable_fields=["*"],
        exposed_fields=["name"],
        steps=[{"approver_kind": "owner_superior", "levels": 1}],
    )


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_rep_creates_an_account_and_sees_it_pending_registration(open_ui, org, flows, viewport):
    rep = _ui(open_ui, viewport, "register")
    rep.login("rep_js")
    rep.go("/customers/account/new/")
    rep.page.locator("#id_name").fill("常州华腾机械装备有限公司")
    rep.assert_fits_screen()
    rep.page.locator("#save-object").click()
    banner = rep.page.locator("#registration-banner")
    expect(banner).to_have_attribute("data-registration", "pending")
    expect(rep.page.locator("#approval-banner")).to_be_visible()
    rep.assert_fits_screen()
    rep.shot("pending")
    account = Account.all_objects.get(name="常州华腾机械装备有限公司")
    assert account.registration == "pending" and account.owner == org.rep_js
    approval = Approval.objects.get(object_id=account.pk)
    assert {t.approver for t in approval.tasks.all()} == {org.lead_js}


@pytest.mark.browser
@pytest.mark.both_databases  # the duplicate check: company keys compared in the database
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_rep_meets_a_duplicate_and_requests_the_customer(open_ui, org, flows, viewport):
    theirs = Account.objects.create(name="苏州精工机械有限公司", owner=org.rep_js2)
    rep = _ui(open_ui, viewport, "transfer")
    rep.login("rep_zj")
    rep.go("/customers/account/new/")
    rep.page.locator("#id_name").fill("精工机械（苏州）有限公司")
    rep.page.locator("#save-object").click()
    expect(rep.page.locator("#err-name")).to_contain_text("江苏销售一部")
    offer = rep.page.locator("#request-duplicate")
    expect(offer).to_be_visible()
    rep.assert_fits_screen()
    rep.shot("duplicate")
    offer.click()
    expect(rep.page).to_have_url(re.compile(r"/customers/account/transfer-request/"))
    expect(rep.page.locator("#id_name")).to_have_value("精工机械（苏州）有限公司")
    rep.errors.allow(r"status of 400 \(Bad Request\).*/customers/account/transfer-request/")  # the refusal
    rep.page.locator("#submit-transfer-request").click()  # no reason yet
    expect(rep.page.locator("#err-reason")).to_be_visible()
    assert not Approval.objects.exists()
    rep.page.locator("#id_reason").fill("我方已与该客户签订年度框架合同")
    rep.assert_fits_screen()
    rep.page.locator("#submit-transfer-request").click()
    expect(rep.page).to_have_url(re.compile(r"/approvals/\?box=submitted"))
    rep.assert_fits_screen()
    rep.shot("requested")
    approval = Approval.objects.get()
    assert approval.submitter == org.rep_zj and approval.object_id == theirs.pk
    assert {t.approver for t in approval.tasks.all()} == {org.manager_js}
    # the rep was never told whose customer it is, nor pointed at it
    seen = rep.page.content()
    assert org.rep_js2.name not in seen and f"/customers/account/{theirs.pk}/" not in seen
