"""Login throttling on top of django-axes.

Axes locks a (username, IP) pair after ``AXES_FAILURE_LIMIT`` failures, so one person's typos do
not lock everybody behind the same proxy or NAT. ``IPFailureLimitBackend`` adds a separate, much
higher limit per IP across all usernames (``LIANKE_LOGIN_IP_FAILURE_LIMIT`` within the cool-off
time), counted from axes' own attempt rows, so it holds across worker processes.

``client_ip`` is the address both count: the peer's (``REMOTE_ADDR``), unless the operator says
how many reverse proxies stand in front (``LIANKE_TRUSTED_PROXIES``); then it is the address the
outermost trusted proxy saw, read from the right of ``X-Forwarded-For`` — entries a client wrote
itself further left are ignored.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.utils import timezone

security_log = logging.getLogger("lianke.security")


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = int(getattr(settings, "LIANKE_TRUSTED_PROXIES", 0) or 0)
    if proxies <= 0 or not remote:
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    chain = [*forwarded, remote]
    # Each trusted proxy appended the address it received the request from.
    candidate = chain[-(proxies + 1)] if len(chain) > proxies else chain[0]
    return candidate if _valid(candidate) else remote


def ip_failures(ip: str) -> int:
    from axes.models import AccessAttempt

    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    total = AccessAttempt.objects.filter(ip_address=ip, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return total or 0


class IPFailureLimitBackend(ModelBackend):
    """Refuses every login from an IP with ``LIANKE_LOGIN_IP_FAILURE_LIMIT`` failures or more in
    the cool-off time (axes' middleware answers with its lockout response); authenticates
    nobody itself (``ModelBackend`` gives it ``get_user``, as the first backend must have)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or not settings.AXES_ENABLED:
            return None
        ip = client_ip(request)
        if ip and ip_failures(ip) >= settings.LIANKE_LOGIN_IP_FAILURE_LIMIT:
            security_log.warning("Login refused: IP %s is over the failure limit (user %s)", ip, username)
            request.axes_locked_out = True
            raise PermissionDenied
        return None
