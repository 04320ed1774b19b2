"""The activities app's demo data: follow-ups and tasks on the accounts, and each account's
last follow-up (see ``core.demo.base``)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from lianke.core.demo import names
from lianke.core.demo.base import SEED, Adapt, DemoData, Table, register
from lianke.customers.models import Account

from .models import Activity


@register
class ActivitiesDemo(DemoData):
    """20,000 activities a scale on the customers app's accounts; then every account's last
    follow-up, as the services keep it."""

    app = "activities"
    after = ("customers",)
    activity_columns = (
        "kind",
        "subject",
        "body",
        "occurred_at",
        "content_type_id",
        "object_id",
        "account_id",
        "assignee_id",
        "due_at",
        "is_done",
        "owner_id",
        "department_id",
        "created_by_id",
        "created_at",
        "updated_at",
        "done_at",
    )

    def tables(self) -> list[Table]:
        self.account_ct = ContentType.objects.get_for_model(Account).pk
        return [Table(Activity, 20000 * self.loader.scale, self.activity_rows, self.activity_columns)]

    def finish(self, writer) -> None:
        """Each account's "last follow-up" is its latest activity other than a task, as the
        services keep it when an activity is logged: one aggregate, one update."""
        self.loader.progress("Last follow-ups…")
        accounts = connection.ops.quote_name(Account._meta.db_table)
        activities = connection.ops.quote_name(Activity._meta.db_table)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {accounts} SET last_activity_at = m.last"  # noqa: S608 - names from model meta
                f" FROM (SELECT account_id, MAX(occurred_at) AS last FROM {activities}"
                f" WHERE kind <> 'task' AND account_id IS NOT NULL GROUP BY account_id) AS m"
                f" WHERE {accounts}.id = m.account_id"
            )

    def activity_rows(self, count: int, first_id: int, adapt: Adapt) -> Iterator[tuple]:
        loader, accounts = self.loader, self.loader.data("customers")
        rng = random.Random(SEED + 6)
        random_, choice, choices, randrange = rng.random, rng.choice, rng.choices, rng.randrange
        ts, now, delta, after_account = adapt.ts, loader.now, dt.timedelta, accounts.after_account
        owner_ids, owner_depts, n_owners = loader.owner_ids, loader.owner_depts, len(loader.owner_ids)
        n_accounts, a_first, account_ct = accounts.count, self.first_id("customers.account"), self.account_ct
        ages = accounts.ages
        today = timezone.localtime(loader.now).replace(hour=10, minute=0, second=0)
        subjects = {
            "call": ["电话沟通采购计划", "确认交货期", "跟进报价反馈", "回访使用情况"],
            "visit": ["上门拜访采购部", "现场考察生产线", "拜访总经理", "年度合作洽谈"],
            "note": ["客户反馈价格偏高", "客户计划扩产", "竞品报价信息", "付款情况记录"],
            "email": ["发送产品目录", "发送报价单", "发送质保书"],
            "sms": ["节日问候", "交货通知"],
            "task": ["准备报价单", "安排样品", "催收货款", "提交合同审批"],
        }
        kinds, kind_weights = list(subjects), [5, 3, 3, 2, 1, 2]
        for i in range(count):
            a = (i * 17) % n_accounts
            o = (a * 7) % n_owners
            owner = owner_ids[o]
            kind = choices(kinds, kind_weights)[0]
            occurred = after_account(ages[a], randrange(540 * 86400), 540 * 86400)
            task = kind == "task"
            due = today + delta(days=randrange(-3, 10)) if task else None  # planned: may be ahead
            if task and due < occurred:
                # A task is written down before it is due (unless its account is newer still).
                occurred = max(due, now - delta(seconds=ages[a]))
            subject = choice(subjects[kind])
            body = f"{choice(names.PRODUCTS)}，约{randrange(10, 500)}吨。" if random_() < 0.5 else ""
            done = task and due < today and random_() < 0.5  # only tasks already due are done
            done_at = max(occurred, due) if done else None
            occurred_at = ts(occurred)
            yield (
                first_id + i,
                kind,
                subject,
                body,
                occurred_at,
                account_ct,
                a_first + a,
                a_first + a,
                owner if task else None,
                ts(due) if task else None,
                done,
                owner,
                owner_depts[o],
                owner,
                occurred_at,
                ts(done_at) if done_at else occurred_at,
                ts(done_at) if done_at else None,
            )
