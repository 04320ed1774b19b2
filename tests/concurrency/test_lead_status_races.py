"""*Settings › Lead statuses* under parallel saves against a live server: two administrators who
opened the statuses save at the same moment — one wins, the other is told to reload
(``version_conflict``); a parallel reorder and edit never mix."""

from __future__ import annotations

import pytest

from lianke.marketing import statuses
from lianke.marketing.models import LeadStatusOption
from lianke.org.models import User

from ..live import LiveSession, race


def seeded(admin):
    """The five as the migration stores them (a transactional test starts from empty tables)."""
    statuses.save_status(
        actor=admin,
        code="new",
        name="新建",
        name_en="New",
        next_codes=["contacted", "qualified", "unqualified"],
    )
    return statuses.state()


@pytest.mark.django_db(transaction=True)
def test_two_administrators_saving_statuses_at_once_one_wins_the_other_reloads(live_server, org):
    opened = seeded(org.admin)
    second = User.objects.create_superuser("admin2", password="pw-admin2", name="管理员二")
    sessions = [LiveSession(live_server.url, user) for user in (org.admin, second)]

    def data(name):
        return {"name": name, "name_en": "", "is_active": "on", "next_codes": ["qualified"], "state": opened}

    answers = race(
        [
            lambda: sessions[0].post("/settings/lead-statuses/contacted/", data("跟进中")),
            lambda: sessions[1].post("/settings/lead-statuses/contacted/", data("沟通中")),
        ]
    )
    assert sorted(answer.status for answer in answers) == [302, 400], answers
    refused = next(answer for answer in answers if answer.status == 400)
    assert 'data-error-code="version_conflict"' in refused.body
    assert LeadStatusOption.objects.get(code="contacted").name in ("跟进中", "沟通中")


@pytest.mark.django_db(transaction=True)
def test_a_reorder_and_a_new_status_at_once_never_lose_a_status(live_server, org):
    seeded(org.admin)
    order = ["qualified", "new", "contacted", "unqualified", "converted"]
    second = User.objects.create_superuser("admin2", password="pw-admin2", name="管理员二")
    sessions = [LiveSession(live_server.url, user) for user in (org.admin, second)]
    new = {"new_code": "nurturing", "category": "contacted", "name": "培育中", "is_active": "on"}
    answers = race(
        [
            lambda: sessions[0].post(
                "/settings/lead-statuses/order/", {"ids": order}, headers={"Accept": "application/json"}
            ),
            lambda: sessions[1].post("/settings/lead-statuses/add/", new),
        ]
    )
    assert all(answer.status in (200, 302, 400) for answer in answers), answers
    codes = [s.code for s in statuses.all_statuses()]
    assert sorted(codes) == sorted([*order, "nurturing"])
    assert len(set(LeadStatusOption.objects.values_list("order", flat=True))) == 6
