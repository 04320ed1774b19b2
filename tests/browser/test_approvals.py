"""Approvals in the browser: a rep submits his new account for registration approval and his
lead approves it from the inbox, on a 375 px phone and on a desktop; the administrator's test
run of a flow; the printable approval sheet."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lianke.approvals import services
from lianke.approvals.models import Approval, Status
from lianke.approvals.tests.helpers import account, make_flow
from lianke.core.objecttypes.registry import registry

from .conftest import PHONE


def _ui(open_ui, viewport, label):
    if viewport == "phone":
        return open_ui(viewport=PHONE, is_mobile=True, has_touch=True, label=f"{label}-phone")
    return open_ui(label=label)


@pytest.mark.browser
@pytest.mark.both_databases  # decisions lock the approval row
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_rep_submits_his_account_and_his_lead_approves_it_from_the_inbox(open_ui, org, viewport):
    make_flow(name="客户报备", exposed_fields=["name", "city"])
    record = account(org.rep_js, name="常州恒达精密", city="常州")
    # the rep submits from the account's page
    rep = _ui(open_ui, viewport, "rep")
    rep.login("rep_js")
    rep.go(registry.get("customers.account").record_url(record.pk))
    rep.page.locator("#submit-approval").click()
    expect(rep.page.locator("#approval-status")).to_have_attribute("data-status", "pending")
    rep.assert_fits_screen()
    rep.shot("submitted")
    rep.go(registry.get("customers.account").record_url(record.pk))
    expect(rep.page.locator("#approval-banner")).to_be_visible()
    # his lead sees the count and approves from the list
    lead = _ui(open_ui, viewport, "lead")
    lead.login("lead_js")
    lead.go("/")
    entry = "#bottom-approvals" if viewport == "phone" else "#nav-approvals"
    expect(lead.page.locator(f"{entry} [data-approvals-pending]")).to_have_text("1")
    lead.page.locator(entry).click()
    expect(lead.page).to_have_url(re.compile(r"/approvals/"))
    approval = Approval.objects.get()
    row = lead.page.locator(f"#approval-{approval.pk}")
    expect(row).to_contain_text("常州恒达精密")
    lead.assert_fits_screen()
    lead.shot("inbox")
    row.locator('[data-action="approve"]').click()
    expect(lead.page.locator(f"#approval-{approval.pk}")).to_have_attribute("data-status", "approved")
    lead.shot("approved")
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED


@pytest.mark.browser
@pytest.mark.both_databases  # decisions lock the approval row
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_lead_rejects_from_the_list_with_a_reason(open_ui, org, viewport):
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js, name="无锡宏远"))
    lead = _ui(open_ui, viewport, "lead")
    lead.login("lead_js")
    lead.go("/approvals/")
    row = lead.page.locator(f"#approval-{approval.pk}")
    row.locator('[data-action="reject-open"]').click()
    # a tap while the form is still "collapsing" can be lost: wait until it is open
    lead.page.locator(f"#reject-{approval.pk}.show").wait_for()
    row.locator("textarea[name=comment]").fill("重复报备")
    row.locator('[data-action="reject"]').click()
    expect(lead.page.locator(f"#approval-{approval.pk}")).to_have_attribute("data-status", "rejected")
    approval.refresh_from_db()
    assert approval.status == Status.REJECTED


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_administrator_test_runs_a_flow_against_a_record(open_ui, org, viewport):
    flow = make_flow(name="客户报备")
    record = account(org.rep_js)
    admin = _ui(open_ui, viewport, "admin")
    admin.login("admin")
    admin.go("/settings/approvals/")
    admin.page.locator(f'[data-flow="{flow.pk}"] a').click()
    expect(admin.page.locator("#flow-form")).to_be_visible()
    admin.assert_fits_screen()
    admin.page.locator("#id_record").fill(str(record.pk))
    admin.page.locator("#run-test").click()
    result = admin.page.locator(f'[data-run-flow="{flow.pk}"]')
    expect(result).to_have_attribute("data-matches", "1")
    expect(result).to_contain_text(str(org.lead_js))
    admin.shot("test-run")
    assert not Approval.objects.exists()


@pytest.mark.browser
def test_the_printable_sheet_opens(open_ui, org):
    make_flow(exposed_fields=["name"])
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js, name="南通海星"))
    services.approve(actor=org.lead_js, approval=approval, comment="同意")
    ui = open_ui()
    ui.login("rep_js")
    ui.go(f"/approvals/{approval.pk}/")
    with ui.page.context.expect_page() as opened:
        ui.page.locator("#approval-sheet").click()
    sheet = opened.value
    sheet.wait_for_load_state()
    expect(sheet.locator("#sheet-company")).to_have_text("大明集团")
    expect(sheet.locator("#sheet-steps")).to_contain_text("同意")
    expect(sheet.locator("#sheet-steps")).to_contain_text(str(org.lead_js))
