"""*Settings › Stage sets* under parallel saves against a live server: two administrators who
opened the same set save it at the same moment — one wins, the other is told to reload
(``version_conflict``), nothing is mixed; two sets made default at once leave exactly one."""

from __future__ import annotations

import pytest

from lianke.org.models import User
from lianke.sales.models import Stage, StageSet
from lianke.sales.tests.test_stage_set_settings import ordered, post_data

from ..live import LiveSession, race


@pytest.mark.django_db(transaction=True)
def test_two_administrators_saving_the_same_set_one_wins_the_other_reloads(live_server, org, stages):
    s = stages
    second = User.objects.create_superuser("admin2", password="pw-admin2", name="管理员二")
    sessions = [LiveSession(live_server.url, user) for user in (org.admin, second)]
    # both opened the page as it is; one moves the quote first, the other renames the first stage
    moved = post_data(s["set"], [s["quote"], s["first"], s["won"], s["lost"]])
    renamed = post_data(s["set"], [s["first"], s["quote"], s["won"], s["lost"]])
    renamed["stage-name"][0] = "初次接触"
    path = f"/settings/stage-sets/{s['set'].pk}/"
    answers = race([lambda: sessions[0].post(path, moved), lambda: sessions[1].post(path, renamed)])
    assert sorted(answer.status for answer in answers) == [302, 400], answers
    refused = next(answer for answer in answers if answer.status == 400)
    assert 'data-error-code="version_conflict"' in refused.body
    assert ordered(s["set"]) in (
        ["方案报价", "初步接洽", "赢单", "输单"],
        ["初次接触", "方案报价", "赢单", "输单"],
    )


@pytest.mark.django_db(transaction=True)
def test_two_sets_made_default_at_once_leave_exactly_one_default(live_server, org, stages):
    sets = []
    for name in ("渠道销售", "项目销售"):
        made = StageSet.objects.create(name=name)
        for order, (stage, p, kind) in enumerate(
            [("报备", 10, "open"), ("成交", 100, "won"), ("丢单", 0, "lost")]
        ):
            Stage.objects.create(stage_set=made, name=stage, probability=p, kind=kind, order=order)
        sets.append(made)
    second = User.objects.create_superuser("admin2", password="pw-admin2", name="管理员二")
    sessions = [LiveSession(live_server.url, user) for user in (org.admin, second)]
    posts = [
        (
            session,
            f"/settings/stage-sets/{made.pk}/",
            post_data(made, list(made.stages.all()), is_default="on"),
        )
        for session, made in zip(sessions, sets, strict=True)
    ]
    calls = [
        lambda session=session, path=path, data=data: session.post(path, data)
        for session, path, data in posts
    ]
    answers = race(calls)
    assert all(answer.status == 302 for answer in answers), answers
    assert StageSet.objects.filter(is_default=True).count() == 1
