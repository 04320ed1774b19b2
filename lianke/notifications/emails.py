"""The e-mail channel's sender (the outbox consumer ``email``): one notification, or a user's
daily digest, rendered in the recipient's language (``EmailSettings.language``, else the site's)
and sent with Django's mail settings (``EMAIL_*``, ``DEFAULT_FROM_EMAIL``). A notification
read in the app before its mail left is not mailed any more."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from lianke.outbox import delivery
from lianke.outbox.models import OutboxMessage

from . import preferences, render
from .models import Notification

CONSUMER = "email"


def absolute(url: str) -> str:
    base = settings.LIANKE_BASE_URL.rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


def _lines(item: render.Item) -> list[str]:
    lines = [item.title]
    if item.url:
        lines.append(absolute(item.url))
    return lines


def compose(user, notifications, *, digest_day=None) -> tuple[str, str] | None:
    """``(subject, body)`` in the user's language, or ``None`` when nothing is left to say."""
    language = preferences.email_settings(user.pk).language or settings.LANGUAGE_CODE
    with translation.override(language):
        items = render.render(user, notifications)
        if not items:
            return None
        if digest_day is None:
            [item] = items
            subject = item.title
            body = "\n".join(
                [
                    *_lines(item),
                    "",
                    _("Notification settings: %(url)s") % {"url": absolute("/profile/notifications/")},
                ]
            )
        else:
            subject = _("Lianke: %(count)d notifications on %(day)s") % {
                "count": len(items),
                "day": formats.date_format(digest_day, "SHORT_DATE_FORMAT"),
            }
            parts = []
            for item in items:
                when = formats.date_format(timezone.localtime(item.created_at), "H:i")
                parts.append(f"{when}  " + "\n       ".join(_lines(item)))
            body = "\n\n".join(
                [*parts, _("Notification settings: %(url)s") % {"url": absolute("/profile/notifications/")}]
            )
    return subject[:200], body


def send(message: OutboxMessage) -> None:
    payload = message.payload
    ids = payload.get("ids") or [payload.get("notification")]
    user_id = payload.get("user")
    notifications = list(
        Notification.objects.filter(pk__in=ids, read_at__isnull=True)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    if user_id is None:
        if not notifications:
            return  # read in the app meanwhile (or gone): nothing to mail
        user_id = notifications[0].recipient_id
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.is_active:
        raise delivery.PermanentFailure("the recipient is no longer an active user")
    if not user.email:
        raise delivery.PermanentFailure("the recipient has no e-mail address")
    notifications = [n for n in notifications if n.recipient_id == user.pk]
    composed = compose(user, notifications, digest_day=payload.get("day") and _day(payload["day"]))
    if composed is None:
        return
    subject, body = composed
    send_mail(subject, body, None, [user.email], fail_silently=False)


def _day(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def register() -> None:
    delivery.register_consumer(CONSUMER, send)
