"""E-mail through the outbox: at once, or — inside the recipient's quiet hours — when they end
(a frozen clock); a daily digest, one per user and day whatever how often the job runs; in the
recipient's language; a notification read in the app before its mail left is not mailed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from lianke.core.schedules import Run
from lianke.notifications import digest, service
from lianke.notifications.models import EmailSettings, Notification
from lianke.outbox import delivery
from lianke.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(org):
    org.rep_js.email = "zhang@example.com"
    org.rep_js.save()
    return org.rep_js


def local(hour, minute=0, day=7):
    return timezone.make_aware(dt.datetime(2026, 12, day, hour, minute))


def test_quiet_hours_across_midnight():
    s = EmailSettings(quiet_start=dt.time(22), quiet_end=dt.time(7, 30))
    assert s.quiet_until(local(21, 59)) is None
    assert s.quiet_until(local(22, 0)) == local(7, 30, day=8)
    assert s.quiet_until(local(3, 0)) == local(7, 30)
    assert s.quiet_until(local(7, 30)) is None
    day = EmailSettings(quiet_start=dt.time(12), quiet_end=dt.time(14))
    assert day.quiet_until(local(13)) == local(14)
    assert EmailSettings().quiet_until(local(3)) is None


def test_an_immediate_mail_goes_out_through_the_outbox_in_the_users_language(org, rep, declared, clock):
    clock(local(10))
    EmailSettings.objects.create(user=rep, language="en")
    [n] = service.notify([rep], declared, actor=org.lead_js)
    message = OutboxMessage.objects.get(consumer="email")
    assert message.next_attempt_at == local(10)
    assert message.idempotency_key == f"email:notification:{n.pk}"
    assert delivery.deliver_due() == 1
    [sent] = mail.outbox
    assert sent.to == ["zhang@example.com"]
    assert sent.subject.startswith("赵强 assigned")
    assert "/profile/notifications/" in sent.body


def test_a_mail_during_the_quiet_hours_waits_for_their_end(org, rep, declared, clock):
    clock(local(23))
    EmailSettings.objects.create(user=rep, quiet_start=dt.time(22), quiet_end=dt.time(7))
    service.notify([rep], declared, actor=org.lead_js)
    message = OutboxMessage.objects.get(consumer="email")
    assert message.next_attempt_at == local(7, day=8)
    # nothing is due during the night
    assert delivery.deliver_due(now=local(6, 59, day=8)) == 0
    assert mail.outbox == []
    assert delivery.deliver_due(now=local(7, 0, day=8)) == 1
    assert len(mail.outbox) == 1


def test_a_notification_read_in_the_app_before_its_mail_left_is_not_mailed(org, rep, declared, clock):
    clock(local(23))
    EmailSettings.objects.create(user=rep, quiet_start=dt.time(22), quiet_end=dt.time(7))
    service.notify([rep], declared, actor=org.lead_js)
    service.mark_read(rep, everything=True)
    assert delivery.deliver_due(now=local(8, day=8)) == 1  # delivered: nothing left to say
    assert mail.outbox == []


def test_no_address_no_mail_queued(org, declared):
    service.notify([org.rep_js2], declared, actor=org.admin)
    assert not OutboxMessage.objects.exists()


def test_the_daily_digest_is_one_mail_per_user_and_day_however_often_it_runs(org, rep, declared, clock):
    EmailSettings.objects.create(user=rep, mode="digest", language="zh-hans")
    clock(local(9))
    service.notify([rep], declared, actor=org.lead_js)
    clock(local(15))
    service.notify([rep], declared, actor=org.manager_js)
    assert not OutboxMessage.objects.exists()  # nothing on its own
    assert set(Notification.objects.values_list("email", flat=True)) == {"digest"}
    clock(local(8, day=8))
    run = Run("notification_digest", period=local(8, day=8))
    # a dry run says what it would do and does nothing
    dry = Run("notification_digest", period=local(8, day=8), dry_run=True)
    assert digest.send_digests(dry) == 1
    assert dry.actions[0]["user"] == rep.pk
    assert not OutboxMessage.objects.exists()
    assert digest.send_digests(run) == 1
    assert digest.send_digests(Run("notification_digest", period=local(8, day=8))) == 0
    [message] = OutboxMessage.objects.all()
    assert message.idempotency_key == f"email:digest:{rep.pk}:2026-12-07"
    assert delivery.deliver_due(now=local(8, 1, day=8)) == 1
    [sent] = mail.outbox
    assert "2 条通知" in sent.subject
    assert "赵强" in sent.body and "王芳" in sent.body


def test_wecom_is_offered_once_its_integration_registers_a_sender(org, rep, declared, monkeypatch):
    from lianke.notifications import channels, preferences
    from lianke.notifications.models import Preference

    Preference.objects.create(user=rep, kind=declared, channel="wecom", enabled=True)
    # not connected: not offered, nothing queued for it
    assert "wecom" not in [c.key for c in channels.available()]
    service.notify([rep], declared, actor=org.admin)
    assert not OutboxMessage.objects.filter(consumer="wecom").exists()
    # the integration registers its outbox sender: one message per notification
    sent = []
    monkeypatch.setitem(delivery._senders, "wecom", sent.append)
    assert "wecom" in [c.key for c in channels.available()]
    [n] = service.notify([rep], declared, actor=org.admin)
    message = OutboxMessage.objects.get(consumer="wecom")
    assert message.payload == {"notification": n.pk, "recipient": rep.pk}
    assert delivery.deliver_due() >= 1
    assert [m.pk for m in sent] == [message.pk]
    assert "wecom" in preferences.channels_for([rep.pk], declared)[rep.pk]
