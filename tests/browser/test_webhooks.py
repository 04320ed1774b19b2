"""Settings › Webhooks on a phone (375 px), in Chinese and English: an administrator reaches it
from the user menu, registers a webhook through the form and sees a dead delivery with its
error and a retry button; nothing sticks out of the screen."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lianke.outbox.models import OutboxMessage, Webhook

from .conftest import PHONE


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_webhooks_on_a_phone(open_ui, org, locale, settings):
    settings.LIANKE_OUTGOING_ALLOW = ["127.0.0.1/32"]
    hook = Webhook(
        name="ERP 同步 " + "很长的名字" * 8,
        url="http://127.0.0.1:9/" + "very-long-path-segment/" * 8,
        object_type="customers.account",
        events=["created", "updated", "deleted", "transferred"],
    )
    hook.secret = "s"
    hook.save()
    OutboxMessage.objects.create(
        consumer=hook.consumer,
        topic="created",
        object_type="customers.account",
        object_id=1,
        aggregate_key="customers.account:1",
        payload={},
        status=OutboxMessage.Status.DEAD,
        attempts=8,
        last_error="HTTP 500 " + "x" * 180,
        next_attempt_at=timezone.now(),
    )
    ui = open_ui(viewport=PHONE, is_mobile=True, has_touch=True, locale=locale, label=locale)
    ui.login("admin")
    ui.user_menu("#nav-webhooks")
    expect(ui.page.locator("#deliveries")).to_contain_text("HTTP 500")
    ui.assert_fits_screen()
    ui.page.click("#new-webhook")
    ui.page.locator("#id_name").wait_for()
    ui.assert_fits_screen()
    ui.page.fill("#id_name", "CRM → ERP")
    ui.page.fill("#id_url", "http://127.0.0.1:8/hook")
    ui.page.select_option("#id_object_type", "customers.contact")
    ui.page.check("input[name=events][value=created]")
    ui.page.fill("#id_secret", "another secret")
    ui.page.click("#save-webhook")
    expect(ui.page.locator("#webhooks")).to_contain_text("CRM → ERP")
    ui.assert_fits_screen()
    ui.shot("webhooks", full_page=True)
    created = Webhook.objects.get(name="CRM → ERP")
    assert created.events == ["created"] and created.secret == "another secret"
