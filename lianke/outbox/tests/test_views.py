"""Settings › Webhooks: administrators only; create (the secret sealed, the URL guarded), edit
(an empty secret keeps the old one), delete, and retry a dead delivery."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianke.outbox.models import OutboxMessage, Webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(db):
    h = Webhook(name="ERP", url="https://erp.example.com/in", object_type="customers.account")
    h.secret = "old-secret"
    h.save()
    return h


def test_only_administrators_reach_the_settings(org, client_for, hook):
    urls = [
        reverse("outbox:webhooks"),
        reverse("outbox:webhook_create"),
        reverse("outbox:webhook_edit", args=[hook.pk]),
        reverse("outbox:webhook_delete", args=[hook.pk]),
    ]
    for user in (org.ops, org.manager_js, org.rep_js, org.nobody):
        c = client_for(user)
        for url in urls:
            assert c.get(url).status_code == 403, (user, url)
        assert c.post(reverse("outbox:webhook_delete", args=[hook.pk])).status_code == 403
    assert Webhook.objects.filter(pk=hook.pk).exists()
    assert "nav-webhooks" not in client_for(org.rep_js).get("/").content.decode()
    admin = client_for(org.admin)
    assert 'id="nav-webhooks"' in admin.get("/").content.decode()
    for url in urls:
        assert admin.get(url).status_code == 200


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(reverse("outbox:webhooks"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_create_edit_delete(org, client_for, monkeypatch, english):
    from lianke.core import outgoing

    monkeypatch.setattr(outgoing, "resolve", lambda host, port: ["93.184.216.34"])
    c = client_for(org.admin)
    response = c.post(
        reverse("outbox:webhook_create"),
        {
            "name": "ERP",
            "url": "https://erp.example.com/in",
            "object_type": "customers.account",
            "events": ["created", "updated"],
            "secret": "top-secret",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    hook = Webhook.objects.get()
    assert hook.events == ["created", "updated"] and hook.secret == "top-secret"
    assert "top-secret" not in hook.secret_sealed
    page = c.get(reverse("outbox:webhook_edit", args=[hook.pk])).content.decode()
    assert "top-secret" not in page and hook.secret_sealed not in page
    c.post(
        reverse("outbox:webhook_edit", args=[hook.pk]),
        {"name": "ERP 2", "url": "https://erp.example.com/in", "object_type": "customers.account"},
    )
    hook.refresh_from_db()
    assert (hook.name, hook.events, hook.is_active, hook.secret) == ("ERP 2", [], False, "top-secret")
    c.post(reverse("outbox:webhook_delete", args=[hook.pk]))
    assert not Webhook.objects.exists()


def test_a_refused_url_is_an_error_of_the_form(org, client_for, english):
    response = client_for(org.admin).post(
        reverse("outbox:webhook_create"),
        {
            "name": "x",
            "url": "http://169.254.169.254/latest",
            "object_type": "customers.account",
            "secret": "s",
        },
    )
    assert response.status_code == 200 and "This address may not be called" in response.content.decode()
    assert not Webhook.objects.exists()


def test_a_dead_delivery_can_be_retried(org, client_for, hook):
    from django.utils import timezone

    message = OutboxMessage.objects.create(
        consumer=hook.consumer,
        topic="created",
        object_type="customers.account",
        object_id=1,
        aggregate_key="customers.account:1",
        payload={},
        status=OutboxMessage.Status.DEAD,
        attempts=8,
        last_error="HTTP 500 Internal Server Error",
        next_attempt_at=timezone.now(),
    )
    c = client_for(org.admin)
    page = c.get(reverse("outbox:webhooks") + "?status=dead").content.decode()
    assert f'id="message-{message.pk}"' in page and "HTTP 500" in page
    assert client_for(org.rep_js).post(reverse("outbox:message_retry", args=[message.pk])).status_code == 403
    assert c.post(reverse("outbox:message_retry", args=[message.pk])).status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("pending", 0, "")
