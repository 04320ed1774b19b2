"""What a notification says is decided when it is read, in the reader's language: the type's
title with its parameters, who caused it, and the record's name only for a reader who may open
it. A type no app declares any more reads as a neutral "Notification"."""

from __future__ import annotations

import pytest
from django.utils import translation

from lianke.core.objecttypes.registry import registry
from lianke.notifications import render, service
from lianke.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(org):
    model = registry.get("customers.account").model
    return model.all_objects.create(name="苏州精工机械", owner=org.rep_js, department=org.js_team)


def rendered(user, n):
    return render.render(user, [Notification.objects.select_related("actor").get(pk=n.pk)])[0]


def test_the_title_is_in_the_readers_language_at_read_time(org, account, declared):
    # given a notification written once
    [n] = service.notify([org.rep_js], declared, record=account, actor=org.lead_js)
    # when it is read in English, then in Chinese
    with translation.override("en"):
        en = rendered(org.rep_js, n)
    with translation.override("zh-hans"):
        zh = rendered(org.rep_js, n)
    # then each says it in its language, with the actor, the record's type and name
    assert en.title == "赵强 assigned Account “苏州精工机械” to you"
    assert zh.title == "赵强 将客户“苏州精工机械”分配给了你"
    assert en.url == registry.get("customers.account").record_url(account.pk)
    assert en.record == "苏州精工机械"


def test_a_reader_who_may_not_open_the_record_reads_no_name_and_gets_no_link(org, account, declared):
    # given a notification about an account the recipient cannot see (Zhejiang rep)
    [n] = service.notify([org.rep_zj], declared, record=account, actor=org.admin)
    with translation.override("en"):
        item = rendered(org.rep_zj, n)
    assert "苏州精工机械" not in item.title
    assert item.record == "Restricted record"
    assert item.url == ""


def test_a_type_no_app_declares_any_more_reads_as_a_neutral_notification(org, account):
    n = Notification.objects.create(recipient=org.rep_js, kind="gone.away", params={"x": 1})
    with translation.override("en"):
        item = rendered(org.rep_js, n)
    assert (item.title, item.label) == ("Notification", "Notification")
    with translation.override("zh-hans"):
        assert rendered(org.rep_js, n).title == "通知"


def test_a_title_whose_parameters_do_not_fit_falls_back_to_the_types_label(org, declared):
    from lianke.notifications import types

    types._types["test.pinged"] = types.NotificationType(
        "test.pinged", "Pinged", "%(missing)s happened", (types.IN_APP,)
    )
    [n] = service.notify([org.rep_js], declared, actor=org.admin)
    assert rendered(org.rep_js, n).title == "Pinged"


def test_the_actor_and_duplicates_are_left_out_and_an_undeclared_type_is_refused(org, declared):
    rows = service.notify([org.rep_js, org.rep_js.pk, org.admin], declared, actor=org.admin)
    assert [r.recipient_id for r in rows] == [org.rep_js.pk]
    with pytest.raises(KeyError):
        service.notify([org.rep_js], "never.declared")


def test_a_dedupe_key_notifies_each_recipient_once(org, declared):
    first = service.notify([org.rep_js, org.rep_js2], declared, dedupe_key="k:1")
    again = service.notify([org.rep_js, org.rep_js2, org.lead_js], declared, dedupe_key="k:1")
    assert len(first) == 2
    assert [n.recipient_id for n in again] == [org.lead_js.pk]
    assert Notification.objects.filter(dedupe_key="k:1").count() == 3


def test_records_the_reader_may_not_open_cost_no_query_each(org, declared):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    model = registry.get("customers.account").model
    hidden = [
        model.all_objects.create(name=f"浙江客户{i}", owner=org.rep_zj, department=org.zj_team)
        for i in range(10)
    ]
    for account in hidden:
        service.notify([org.rep_js], declared, record=account, actor=org.admin)
    rows = list(Notification.objects.select_related("actor").filter(recipient=org.rep_js))
    render.render(org.rep_js, rows[:1])  # the grants, once
    with CaptureQueriesContext(connection) as one:
        render.render(org.rep_js, rows[:1])
    with CaptureQueriesContext(connection) as ten, translation.override("en"):
        items = render.render(org.rep_js, rows)
    assert {i.record for i in items} == {"Restricted record"}
    assert len(ten) == len(one)
