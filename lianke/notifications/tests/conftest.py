"""Fixtures of the notification tests: a declared test type, a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianke.notifications import types


@pytest.fixture
def declared():
    """A test type (in-app and e-mail by default), removed afterwards."""
    kind = types.declare(
        "test.pinged",
        label=_("Assigned to you"),
        title=_("%(actor)s assigned %(type)s “%(record)s” to you"),
        channels=(types.IN_APP, types.EMAIL),
    )
    yield kind.key
    types._types.pop(kind.key, None)


@pytest.fixture
def clock(monkeypatch):
    """``clock(datetime)`` freezes ``timezone.now`` at a local (Asia/Shanghai) wall time."""

    def freeze(when: dt.datetime) -> dt.datetime:
        aware = timezone.make_aware(when) if timezone.is_naive(when) else when
        monkeypatch.setattr(timezone, "now", lambda: aware)
        return aware

    return freeze
