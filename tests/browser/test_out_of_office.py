"""Out of office and deciding from a notification, on a phone (375 px, Chinese) and a desktop
(English): a lead reaches "Out of office" from the user menu, sends his approvals to a
colleague until a date, sees the inbox say so and ends it early; an approver approves one
request and rejects another (with a reason) right in their notifications. Nothing sticks out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lianke.approvals import services
from lianke.approvals.models import OutOfOffice, Status
from lianke.approvals.tests.helpers import account, make_flow
from lianke.notifications.models import Notification

from .conftest import DESKTOP, PHONE

SCREENS = {
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True, "locale": "zh-CN"},
    "desktop": {"viewport": DESKTOP, "locale": "en-US"},
}


@pytest.mark.browser
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_a_lead_sends_his_approvals_to_a_colleague_while_away_and_ends_it_early(open_ui, org, screen):
    ui = open_ui(label=f"ooo-{screen}", **SCREENS[screen])
    ui.login("lead_js")
    # the page is in the user menu
    ui.user_menu("#nav-out-of-office")
    expect(ui.page.locator("#out-of-office-form")).to_be_visible()
    expect(ui.page.locator("#away-now")).to_have_count(0)
    ui.assert_fits_screen()
    # a date before the start is refused, naming the field
    ui.errors.allow(r"status of 400 \(Bad Request\).*/profile/out-of-office/")  # the refused form's answer
    start = timezone.localtime(timezone.now())
    ui.page.select_option("#id_delegate", str(org.rep_js2.pk))
    ui.page.fill("#id_ends_at", (start - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    ui.page.click("#save-away")
    expect(ui.page.locator('[data-error-code="out_of_range"]')).to_be_visible()
    assert not OutOfOffice.objects.exists()
    ui.assert_fits_screen()
    # until three days from now, with a note
    ui.page.select_option("#id_delegate", str(org.rep_js2.pk))
    ui.page.fill("#id_ends_at", (start + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    ui.page.fill("#id_note", "年假，急事请找孙丽" * 3)
    ui.page.click("#save-away")
    expect(ui.page.locator("#away-now")).to_have_attribute("data-delegate", "rep_js2")
    ui.assert_fits_screen()
    ui.shot("set")
    # the inbox says where his approvals go
    ui.go("/approvals/")
    expect(ui.page.locator("#away-banner")).to_have_attribute("data-delegate", "rep_js2")
    ui.assert_fits_screen()
    ui.shot("inbox-banner")
    # a request submitted now reaches the delegate, marked as delegated
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js, name="常州恒达精密"))
    delegate = open_ui(label=f"ooo-delegate-{screen}", **SCREENS[screen])
    delegate.login("rep_js2")
    delegate.go("/approvals/")
    expect(delegate.page.locator(f"#approval-{approval.pk} [data-delegated-from]")).to_have_attribute(
        "data-delegated-from", "lead_js"
    )
    delegate.assert_fits_screen()
    delegate.shot("delegate-inbox")
    # back early: ended from the banner's link
    ui.page.locator("#away-banner a").click()
    ui.page.click("#end-away")
    expect(ui.page.locator("#away-now")).to_have_count(0)
    assert services.current_out_of_office(org.lead_js) is None


@pytest.mark.browser
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_an_approver_decides_right_in_his_notifications(open_ui, org, screen):
    make_flow()
    first = services.submit(actor=org.rep_js, record=account(org.rep_js, name="无锡宏远机械制造有限公司"))
    second = services.submit(actor=org.rep_js, record=account(org.rep_js, name="南通海星电子"))
    notices = {
        n.params["approval"]: n
        for n in Notification.objects.filter(recipient=org.lead_js, kind="approval.waiting")
    }
    ui = open_ui(label=f"notice-{screen}", **SCREENS[screen])
    ui.login("lead_js")
    ui.go("/notifications/")
    one, two = (ui.page.locator(f"#notification-{notices[a.pk].pk}") for a in (first, second))
    expect(one.locator('[data-action="approve"]')).to_be_visible()
    ui.assert_fits_screen()
    ui.shot("list")
    # approve the first: its row answers read, decided
    one.locator('[data-action="approve"]').click()
    expect(ui.page.locator(f"#notification-{notices[first.pk].pk}")).to_have_attribute("data-read", "1")
    expect(ui.page.locator(f"#notification-{notices[first.pk].pk} [data-done]")).to_be_visible()
    # reject the second with a reason, once the form has opened
    two.locator('[data-action="reject-open"]').click()
    ui.page.locator(f"#reject-n{notices[second.pk].pk}.show").wait_for()
    two.locator("textarea[name=comment]").fill("重复报备")
    two.locator('[data-action="reject"]').click()
    expect(ui.page.locator(f"#notification-{notices[second.pk].pk}")).to_have_attribute("data-read", "1")
    ui.assert_fits_screen()
    ui.shot("decided")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.APPROVED, Status.REJECTED)
    # a reload says both are decided already
    ui.go("/notifications/")
    expect(ui.page.locator('[data-code="already_decided"]')).to_have_count(2)
