"""The demo dataset (``lianke demo``): a steel and metal-products group, deterministic.

Scale 1: ~40 users, 2,000 accounts, 5,000 contacts, 5,000 leads, 1,500 opportunities and
20,000 activities. ``scale`` multiplies the business records (500 → 1,000,000 accounts). The
records are generated as plain tuples (no model instances) and streamed in batches: ``COPY``
on PostgreSQL, ``executemany`` of one prepared ``INSERT`` per batch on SQLite, with secondary
indexes (and PostgreSQL foreign keys) rebuilt once at the end, so a million accounts (~17M
rows in all) load in minutes.

Dates: everything that happened (created, updated, occurred, closed, done, first deal) is in the
past and in causal order — an account, then its contacts, opportunities and activities, each
updated after it was created; planned dates (due, expected close, next contact) may be ahead.
Each account's creation time is drawn once into a compact array (``account_ages``) that the
generators of its children read.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from lianke.core import fts
from lianke.core.context import Source, system_context
from lianke.core.identity import company_key
from lianke.core.models import CustomField
from lianke.core.phones import phone_digits
from lianke.core.pinyin import forms as pinyin_forms
from lianke.org.defaults import ensure_default_roles
from lianke.org.models import Department, User

from . import names

DEMO_PASSWORD = "Lianke-demo-2026"  # noqa: S105 - the documented demo password
BATCH = 20000  # rows per COPY / per SQLite transaction
SEED = 20261127
ACCOUNT_SPAN = 730 * 86400  # accounts were created over the last two years (seconds)

# (username, name, company key, team index or None, title, role, superior username)
KEY_USERS = [
    ("admin", "系统管理员", None, None, "系统管理员", None, None),
    ("wang.fang", "王芳", "js", None, "江苏公司总经理", "sales_manager", None),
    ("zhang.wei", "张伟", "js", 0, "销售代表", "sales_rep", "wang.fang"),
    ("li.na", "李娜", "zj", 0, "销售代表", "sales_rep", None),
]
COMPANIES = [
    ("js", "江苏大明金属制品有限公司", "江苏省"),
    ("zj", "浙江大明钢材销售有限公司", "浙江省"),
    ("sh", "上海大明国际贸易有限公司", "上海市"),
    ("sd", "山东大明金属科技有限公司", "山东省"),
    ("ah", "安徽大明钢铁物资有限公司", "安徽省"),
]
TEAMS = ["销售一部", "销售二部", "大客户部"]


class DemoLoader:
    def __init__(self, scale: int = 1, progress: Callable[[str], None] = print):
        self.scale = max(1, int(scale))
        self.progress = progress
        self.rng = random.Random(SEED)
        self.now = timezone.now().replace(microsecond=0)

    # ------------------------------------------------------------------ helpers
    def person_name(self, rng) -> str:
        return rng.choice(names.SURNAMES) + rng.choice(names.GIVEN)

    def mobile(self, i: int) -> str:
        prefixes = [
            "138",
            "139",
            "136",
            "137",
            "150",
            "151",
            "158",
            "186",
            "187",
            "189",
            "133",
            "177",
            "180",
            "199",
        ]
        return prefixes[i % len(prefixes)] + f"{(i * 7919 + 1234567) % 100000000:08d}"

    def past(self, start: dt.datetime, offset: dt.timedelta, window: dt.timedelta) -> dt.datetime:
        """``start + offset`` (an ``offset`` drawn below ``window``), kept in the past: where that
        would be after now, the same fraction of the time from ``start`` to now instead."""
        end = start + offset
        return end if end <= self.now else start + (self.now - start) * (offset / window)

    def after_account(self, account_age: int, draw: int, span: int) -> dt.datetime:
        """A time between the account's creation (``account_age`` seconds ago) and now, at
        ``draw / span`` of the way (whole seconds: integer arithmetic, one timedelta a row)."""
        return self.now - dt.timedelta(seconds=account_age * (span - draw) // span)

    def draw_account_ages(self, count: int) -> array:
        """Each account's creation, in seconds before now (up to two years; 4 bytes an account),
        drawn once so that the generators of its contacts, opportunities and activities start
        after it without a query."""
        randrange = random.Random(SEED + 7).randrange
        return array("i", (randrange(ACCOUNT_SPAN) for _ in range(count)))

    # ------------------------------------------------------------------ organisation
    def load_org(self):
        roles = ensure_default_roles()
        group = Department.objects.create(name="大明集团", code="DM")
        hq_sales = Department.objects.create(
            name="集团销售运营中心", parent=group, code="DM-OPS", sort_order=90
        )
        marketing = Department.objects.create(name="集团市场部", parent=group, code="DM-MKT", sort_order=91)
        companies, teams = {}, {}
        for index, (key, name, _province) in enumerate(COMPANIES):
            company = Department.objects.create(
                name=name, parent=group, code=f"DM-{key.upper()}", sort_order=index
            )
            companies[key] = company
            teams[key] = [
                Department.objects.create(
                    name=t, parent=company, code=f"DM-{key.upper()}-{i + 1}", sort_order=i
                )
                for i, t in enumerate(TEAMS)
            ]
        users: dict[str, User] = {}

        def make_user(username, name, department, title, role, superior=None, **extra):
            user = User(
                username=username,
                name=name,
                department=department,
                title=title,
                superior=superior,
                email=f"{username}@daming-metal.example",
                mobile=self.mobile(len(users) + 1),
                **extra,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            if role:
                user.roles.add(roles[role])
            users[username] = user
            return user

        for username, name, company, team, title, role, superior in KEY_USERS:
            dept = (
                group if company is None else (companies[company] if team is None else teams[company][team])
            )
            extra = {"is_superuser": True, "is_staff": True} if username == "admin" else {}
            make_user(username, name, dept, title, role, users.get(superior) if superior else None, **extra)
        companies["js"].manager = users["wang.fang"]
        companies["js"].save()
        rng = random.Random(SEED + 1)
        make_user("zhao.min", "赵敏", hq_sales, "销售运营经理", "sales_ops")
        make_user("chen.jie", "陈杰", group, "集团副总裁", "executive")
        make_user("liu.yang", "刘洋", marketing, "市场专员", "marketing")
        # A manager for the other companies, a team lead and reps per team.
        serial = 0
        for key, _name, _province in COMPANIES:
            manager = (
                users["wang.fang"]
                if key == "js"
                else make_user(
                    f"manager.{key}", self.person_name(rng), companies[key], "分公司总经理", "sales_manager"
                )
            )
            if key != "js":
                companies[key].manager = manager
                companies[key].save()
            for t_index, team in enumerate(teams[key]):
                lead = make_user(
                    f"lead.{key}{t_index + 1}", self.person_name(rng), team, "销售主管", "team_lead", manager
                )
                for _r in range(2 if key in ("js", "zj") else 1):
                    serial += 1
                    make_user(f"rep{serial:02d}", self.person_name(rng), team, "销售代表", "sales_rep", lead)
        users["zhang.wei"].superior = users["wang.fang"]
        users["zhang.wei"].save()
        return users

    # ------------------------------------------------------------------ custom fields & stages
    def load_settings(self):
        from lianke.sales.models import Stage, StageSet

        direct = StageSet.objects.create(name="直销项目", name_en="Direct project sales", is_default=True)
        for order, (name, name_en, p, kind) in enumerate(
            [
                ("初步接洽", "First contact", 10, "open"),
                ("需求确认", "Needs confirmed", 25, "open"),
                ("方案报价", "Proposal / quote", 50, "open"),
                ("商务谈判", "Negotiation", 75, "open"),
                ("赢单", "Won", 100, "won"),
                ("输单", "Lost", 0, "lost"),
            ]
        ):
            Stage.objects.create(
                stage_set=direct, name=name, name_en=name_en, order=order, probability=p, kind=kind
            )
        channel = StageSet.objects.create(name="经销商渠道", name_en="Distributor channel")
        for order, (name, name_en, p, kind) in enumerate(
            [
                ("首次接触经销商", "First contact with distributor", 10, "open"),
                ("产品范围确定", "Product scope agreed", 30, "open"),
                ("返利谈判", "Rebate negotiation", 60, "open"),
                ("签约", "Signed", 100, "won"),
                ("输单", "Lost", 0, "lost"),
            ]
        ):
            Stage.objects.create(
                stage_set=channel, name=name, name_en=name_en, order=order, probability=p, kind=kind
            )
        CustomField.objects.create(
            object_type="customers.account",
            name="grade",
            label="客户分级",
            label_en="Customer tier",
            type="select",
            options=[
                {"key": "strategic", "label": "战略客户", "label_en": "Strategic"},
                {"key": "key", "label": "重点客户", "label_en": "Key"},
                {"key": "normal", "label": "普通客户", "label_en": "Normal"},
            ],
            section="经营信息",
            order=1,
        )
        CustomField.objects.create(
            object_type="customers.account",
            name="first_deal_date",
            label="首次成交日期",
            label_en="First deal date",
            type="date",
            section="经营信息",
            order=2,
        )
        CustomField.objects.create(
            object_type="customers.account",
            name="annual_tonnage",
            label="年采购量(吨)",
            label_en="Annual volume (t)",
            type="decimal",
            decimal_places=1,
            min_value=0,
            section="经营信息",
            order=3,
        )
        CustomField.objects.create(
            object_type="marketing.lead",
            name="purchase_intent",
            label="采购意向",
            label_en="Purchase intent",
            type="select",
            options=[
                {"key": "high", "label": "强烈", "label_en": "High"},
                {"key": "medium", "label": "一般", "label_en": "Medium"},
                {"key": "low", "label": "较弱", "label_en": "Low"},
            ],
            order=1,
        )
        CustomField.objects.create(
            object_type="marketing.lead",
            name="expected_tonnage",
            label="预计用量(吨)",
            label_en="Expected volume (t)",
            type="integer",
            min_value=0,
            order=2,
        )
        CustomField.objects.create(
            object_type="marketing.lead",
            name="next_contact",
            label="下次联系日期",
            label_en="Next contact date",
            type="date",
            order=3,
        )
        return {"direct": list(direct.stages.all()), "channel": list(channel.stages.all())}

    # ------------------------------------------------------------------ business records
    def load(self):
        from lianke.activities.models import Activity
        from lianke.customers.models import Account, Contact
        from lianke.marketing.models import Lead
        from lianke.sales.models import Opportunity

        with system_context(source=Source.COMMAND):
            self.progress("Organisation, roles and settings…")
            with transaction.atomic():
                users = self.load_org()
                stages = self.load_settings()
            owners = [
                u
                for u in users.values()
                if u.roles.filter(name__in=["销售代表", "销售主管", "销售经理"]).exists()
            ]
            owners.sort(key=lambda u: u.username)
            province_of_dept = {}
            for u in owners:
                company = (
                    u.department
                    if u.department.parent and u.department.parent.parent is None
                    else u.department.parent
                )
                province_of_dept[u.department_id] = next(
                    (p for _k, n, p in COMPANIES if n == company.name), "江苏省"
                )
            self.owner_ids = [u.pk for u in owners]
            self.owner_depts = [u.department_id for u in owners]
            self.owner_provinces = [province_of_dept[u.department_id] for u in owners]
            self.stages = stages
            self.account_ct = ContentType.objects.get_for_model(Account).pk
            self.n_accounts = 2000 * self.scale
            self.account_ages = self.draw_account_ages(self.n_accounts)
            writer = _RowWriter(self.progress)
            with writer.bulk_mode(Account, Contact, Lead, Opportunity, Activity):
                self.a_first = writer.next_id(Account)
                writer.write(Account, self.n_accounts, self.account_rows, self.a_first)
                writer.write(Contact, 5000 * self.scale, self.contact_rows)
                writer.write(Lead, 5000 * self.scale, self.lead_rows)
                writer.write(Opportunity, 1500 * self.scale, self.opportunity_rows)
                writer.write(Activity, 20000 * self.scale, self.activity_rows)
                writer.last_follow_ups(Account, Activity)
            writer.analyze(Account, Contact, Lead, Opportunity, Activity)
        return users

    # Each ``*_rows(count, first_id, adapt)`` yields plain tuples for ``_RowWriter``: the first
    # item is the id, the rest match ``ROW_COLUMNS[model]``; ``adapt`` turns datetimes, dates
    # and decimals into what the database driver takes. Every random draw happens in the same
    # order as in the original model-instance loader, so the data is unchanged.
    def account_rows(self, count: int, first_id: int, adapt: _Adapt) -> Iterator[tuple]:
        rng = random.Random(SEED + 2)
        random_, choice, choices, randrange = rng.random, rng.choice, rng.choices, rng.randrange
        ts, dumps, now, delta, past = adapt.ts, _dumps, self.now, dt.timedelta, self.past
        owner_ids, owner_depts, owner_provinces = self.owner_ids, self.owner_depts, self.owner_provinces
        n_owners = len(owner_ids)
        ages = self.account_ages
        deal_window, update_window = delta(days=120), delta(days=60)
        local = timezone.localtime(now).utcoffset()  # dates are local dates
        industries = list(names.INDUSTRY_WORDS)
        provinces = list(names.PLACES)
        types, type_weights = ["end_customer", "distributor", "processor", "project"], [10, 4, 3, 2]
        levels = ["key", "a", "b", "b", "c", "c", ""]
        sources = ["exhibition", "referral", "website", "cold_call", "lead", "erp"]
        grades = ["strategic", "key", "normal"]
        for i in range(count):
            o = (i * 7) % n_owners
            owner = owner_ids[o]
            province = owner_provinces[o] if random_() < 0.8 else choice(provinces)
            city, districts = choice(names.PLACES[province])
            industry = industries[i % len(industries)] if random_() < 0.9 else "other"
            word = choice(names.COMPANY_WORDS)
            place = city.rstrip("市")
            name = f"{place}{word}{choice(names.INDUSTRY_WORDS[industry])}{choice(names.SUFFIXES)}"
            if i >= 1000:
                name = name.replace(
                    "有限公司", f"{'第' + str(i // 1000) + '分' if i % 11 == 0 else ''}有限公司", 1
                )
            randrange(ACCOUNT_SPAN)  # the creation time was drawn here: kept, so the rest stays
            created = now - delta(seconds=ages[i])
            custom = {"grade": choices(grades, [1, 4, 15])[0]}
            if random_() < 0.6:
                deal = past(created, delta(days=randrange(120)), deal_window)
                custom["first_deal_date"] = (deal + local).date().isoformat()
            if random_() < 0.7:
                custom["annual_tonnage"] = f"{Decimal(randrange(50, 200000)) / 10:.1f}"
            yield (
                first_id + i,
                name,
                company_key(name),
                pinyin_forms(name),
                f"{place}{word}",
                choices(types, type_weights)[0],
                industry,
                choice(levels),
                choice(sources),
                (phone := f"0{randrange(10, 999):d}-{randrange(10000000, 99999999)}"),
                phone_digits(phone),
                province,
                city,
                choice(districts),
                f"{choice(names.ROADS)}{randrange(1, 999)}号",
                owner,
                owner_depts[o],
                owner,
                dumps(custom),
                ts(created),
                ts(past(created, delta(days=randrange(60)), update_window)),
            )

    def contact_rows(self, count: int, first_id: int, adapt: _Adapt) -> Iterator[tuple]:
        rng = random.Random(SEED + 3)
        random_, choice, randrange = rng.random, rng.choice, rng.randrange
        ts, mobile, after_account = adapt.ts, self.mobile, self.after_account
        owner_ids, owner_depts, n_owners = self.owner_ids, self.owner_depts, len(self.owner_ids)
        n_accounts, a_first, ages = self.n_accounts, self.a_first, self.account_ages
        surnames, given, titles, genders = names.SURNAMES, names.GIVEN, names.TITLES, ["m", "m", "f"]
        for i in range(count):
            a = i % n_accounts
            o = (a * 7) % n_owners
            owner = owner_ids[o]
            created = ts(after_account(ages[a], randrange(730 * 86400), 730 * 86400))
            yield (
                first_id + i,
                (name := choice(surnames) + choice(given)),
                pinyin_forms(name, person=True),
                a_first + a,
                choice(titles),
                choice(genders),
                (number := mobile(i + 1000)),
                phone_digits(number),
                f"c{i}@customer{a}.example.cn" if random_() < 0.6 else "",
                i < n_accounts,
                random_() < 0.2,
                owner,
                owner_depts[o],
                owner,
                created,
                created,
            )

    def lead_rows(self, count: int, first_id: int, adapt: _Adapt) -> Iterator[tuple]:
        rng = random.Random(SEED + 4)
        random_, choice, choices, randrange = rng.random, rng.choice, rng.choices, rng.randrange
        ts, dumps, now, delta, mobile, past = adapt.ts, _dumps, self.now, dt.timedelta, self.mobile, self.past
        owner_ids, owner_depts, owner_provinces = self.owner_ids, self.owner_depts, self.owner_provinces
        n_owners = len(owner_ids)
        today = self.now.date()
        update_window = delta(days=30)
        industries = list(names.INDUSTRY_WORDS)
        statuses = ["new", "contacted", "qualified", "unqualified", "converted"]
        intents = ["high", "medium", "low"]
        sources = ["exhibition", "website", "referral", "cold_call", "wechat", "campaign"]
        for i in range(count):
            o = (i * 3) % n_owners
            owner = owner_ids[o]
            province = owner_provinces[o]
            city, _d = choice(names.PLACES[province])
            industry = choice(industries)
            status = choices(statuses, [5, 4, 2, 2, 1])[0]
            created = now - delta(seconds=randrange(365 * 86400))
            custom = {"purchase_intent": choice(intents)}
            if random_() < 0.5:
                custom["expected_tonnage"] = randrange(10, 5000)
            if random_() < 0.4:
                custom["next_contact"] = (today + delta(days=randrange(-10, 60))).isoformat()
            yield (
                first_id + i,
                (name := choice(names.SURNAMES) + choice(names.GIVEN)),
                pinyin_forms(name, person=True),
                (
                    company
                    := f"{city.rstrip('市')}{choice(names.COMPANY_WORDS)}{choice(names.INDUSTRY_WORDS[industry])}有限公司"
                ),
                company_key(company),
                pinyin_forms(company),
                choice(names.TITLES),
                (number := mobile(i + 5_000_000)),
                phone_digits(number),
                status,
                "暂无采购需求" if status == "unqualified" else "",
                choice(sources),
                industry,
                province,
                city,
                dumps(custom),
                owner,
                owner_depts[o],
                owner,
                ts(created),
                ts(past(created, delta(days=randrange(30)), update_window)),
            )

    def opportunity_rows(self, count: int, first_id: int, adapt: _Adapt) -> Iterator[tuple]:
        rng = random.Random(SEED + 5)
        choice, choices, randrange = rng.choice, rng.choices, rng.randrange
        ts, day, money, delta = adapt.ts, adapt.day, adapt.money, dt.timedelta
        past, after_account = self.past, self.after_account
        owner_ids, owner_depts, n_owners = self.owner_ids, self.owner_depts, len(self.owner_ids)
        n_accounts, a_first, ages = self.n_accounts, self.a_first, self.account_ages
        close_window, update_window = delta(days=200), delta(days=90)
        stages = self.stages
        weights = {key: [6, 5, 4, 3, 3, 2][: len(stages[key])] for key in stages}
        stage_set_ids = {key: stages[key][0].stage_set_id for key in stages}
        kinds = ["年度采购", "项目供货", "框架协议", "季度订单"]
        losses = ["price", "competitor", "delivery", "credit"]
        sources = ["existing", "lead", "referral", "tender", "campaign"]
        for i in range(count):
            a = (i * 13) % n_accounts
            o = (a * 7) % n_owners
            owner = owner_ids[o]
            key = "channel" if i % 4 == 0 else "direct"
            stage = choices(stages[key], weights[key])[0]
            created = after_account(ages[a], randrange(540 * 86400), 540 * 86400)
            name = f"{choice(names.PRODUCTS)}{choice(kinds)}"
            amount = money(Decimal(randrange(20, 5000)) * 1000)
            expected_close = day((created + delta(days=randrange(30, 240))).date())  # planned
            closed = (
                past(created, delta(days=randrange(10, 200)), close_window) if stage.kind != "open" else None
            )
            loss_reason = choice(losses) if stage.kind == "lost" else ""
            source = choice(sources)
            updated = max(past(created, delta(days=randrange(90)), update_window), closed or created)
            yield (
                first_id + i,
                name,
                pinyin_forms(name),
                a_first + a,
                stage_set_ids[key],
                stage.pk,
                amount,
                stage.probability,
                expected_close,
                ts(closed) if closed else None,
                loss_reason,
                source,
                owner,
                owner_depts[o],
                owner,
                ts(created),
                ts(updated),
            )

    def activity_rows(self, count: int, first_id: int, adapt: _Adapt) -> Iterator[tuple]:
        rng = random.Random(SEED + 6)
        random_, choice, choices, randrange = rng.random, rng.choice, rng.choices, rng.randrange
        ts, now, delta, after_account = adapt.ts, self.now, dt.timedelta, self.after_account
        owner_ids, owner_depts, n_owners = self.owner_ids, self.owner_depts, len(self.owner_ids)
        n_accounts, a_first, account_ct = self.n_accounts, self.a_first, self.account_ct
        ages = self.account_ages
        today = timezone.localtime(self.now).replace(hour=10, minute=0, second=0)
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


# The columns the ``*_rows`` generators fill, after ``id`` (other columns get their defaults).
ROW_COLUMNS = {
    "customers.account": (
        "name",
        "name_key",
        "name_pinyin",
        "short_name",
        "account_type",
        "industry",
        "level",
        "source",
        "phone",
        "phone_digits",
        "province",
        "city",
        "district",
        "address",
        "owner_id",
        "department_id",
        "created_by_id",
        "custom_data",
        "created_at",
        "updated_at",
    ),
    "customers.contact": (
        "name",
        "name_pinyin",
        "account_id",
        "title",
        "gender",
        "mobile",
        "mobile_digits",
        "email",
        "is_primary",
        "is_decision_maker",
        "owner_id",
        "department_id",
        "created_by_id",
        "created_at",
        "updated_at",
    ),
    "marketing.lead": (
        "name",
        "name_pinyin",
        "company",
        "company_key",
        "company_pinyin",
        "title",
        "mobile",
        "mobile_digits",
        "status",
        "unqualified_reason",
        "source",
        "industry",
        "province",
        "city",
        "custom_data",
        "owner_id",
        "department_id",
        "created_by_id",
        "created_at",
        "updated_at",
    ),
    "sales.opportunity": (
        "name",
        "name_pinyin",
        "account_id",
        "stage_set_id",
        "stage_id",
        "amount",
        "probability",
        "expected_close_date",
        "closed_at",
        "loss_reason",
        "source",
        "owner_id",
        "department_id",
        "created_by_id",
        "created_at",
        "updated_at",
    ),
    "activities.activity": (
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
    ),
}


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _sqlite_datetime(value: dt.datetime) -> str:
    # What Django stores on SQLite: naive UTC text.
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


@dataclass(frozen=True)
class _Adapt:
    """Value adapters for the database driver (identity on PostgreSQL: psycopg takes them)."""

    ts: Callable[[dt.datetime], object]
    day: Callable[[dt.date], object]
    money: Callable[[Decimal], object]


def _same(value):
    return value


class _RowWriter:
    """Streams generated tuples into a table in batches, without model instances: ``COPY …
    FROM STDIN`` on PostgreSQL, a prepared ``INSERT`` run with ``executemany`` in one
    transaction per batch on SQLite. Ids are given explicitly (contiguous from ``next_id``)."""

    def __init__(self, progress: Callable[[str], None]):
        self.progress = progress
        self.vendor = connection.vendor
        if self.vendor == "postgresql":
            self.adapt = _Adapt(ts=_same, day=_same, money=_same)
        else:
            self.adapt = _Adapt(ts=_sqlite_datetime, day=dt.date.isoformat, money=str)

    @staticmethod
    def table(model) -> str:
        return model._meta.db_table

    def next_id(self, model) -> int:
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(self.table(model))
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - model meta
            return cursor.fetchone()[0]

    def columns(self, model) -> tuple[list[str], tuple]:
        """All column names (id, generated ones, defaulted ones) and the defaulted values."""
        generated = ROW_COLUMNS[model._meta.label_lower]
        defaults, names_ = [], []
        for field in model._meta.concrete_fields:
            if field.primary_key or field.column in generated:
                continue
            value = field.get_default()
            if isinstance(field, models.JSONField):
                value = _dumps(value)
            else:
                value = field.get_db_prep_save(value, connection)
            names_.append(field.column)
            defaults.append(value)
        missing = set(generated) - {f.column for f in model._meta.concrete_fields}
        if missing:
            raise ValueError(f"{model.__name__}: unknown columns {sorted(missing)}")
        return ["id", *generated, *names_], tuple(defaults)

    def column_types(self, model, columns) -> list[int]:
        """PostgreSQL type oids of ``columns``, for binary ``COPY``."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attname, atttypid FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [self.table(model)],
            )
            oids = dict(cursor.fetchall())
        return [oids[c] for c in columns]

    def write(self, model, count: int, rows: Callable[..., Iterator[tuple]], first_id: int | None = None):
        label = model._meta.verbose_name_plural
        self.progress(f"{str(label).capitalize()} ({count:,})…")
        first_id = self.next_id(model) if first_id is None else first_id
        columns, defaults = self.columns(model)
        quote = connection.ops.quote_name
        table, cols = quote(self.table(model)), ", ".join(quote(c) for c in columns)
        copy_sql = f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)"
        marks = ", ".join("?" * len(columns))
        insert_sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 - names from model meta
        types = None
        if self.vendor == "postgresql":
            from psycopg.types.json import set_json_dumps

            types = self.column_types(model, columns)
        started = time.monotonic()
        done = 0
        source = rows(count, first_id, self.adapt)
        while done < count:
            n = min(BATCH, count - done)
            batch = (row + defaults for row in islice(source, n))  # generated while it is sent
            with transaction.atomic():
                if self.vendor == "postgresql":
                    # Binary COPY: the server parses no text (several times faster than text).
                    with connection.cursor() as cursor:
                        # custom_data already is JSON text: send it as is.
                        set_json_dumps(_same, context=cursor.cursor)
                        with cursor.cursor.copy(copy_sql) as copy:
                            copy.set_types(types)
                            for row in batch:
                                copy.write_row(row)
                else:
                    connection.connection.executemany(insert_sql, batch)
            done += n
            if done == count or (done // BATCH) % 10 == 0:
                elapsed = time.monotonic() - started
                self.progress(f"  {label}: {done:,}/{count:,} ({done / max(elapsed, 1e-6):,.0f} rows/s)")
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
                    cursor.execute(sql)
        return first_id

    @contextmanager
    def bulk_mode(self, *models_):
        """Load without secondary indexes (and, on PostgreSQL, foreign keys), then rebuild them
        in one pass each (and validate the foreign keys): far faster than maintaining them row
        by row. SQLite also skips fsyncs (``synchronous=OFF``) for the duration of the load."""
        tables = [self.table(m) for m in models_]
        dropped_indexes: list[tuple[str, str]] = []
        dropped_fks: list[tuple[str, str, str]] = []
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute("SET synchronous_commit = off")
                for table in tables:
                    cursor.execute(
                        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                        " JOIN pg_class c ON c.oid = i.indexrelid"
                        " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS"
                        " (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid"
                        "  AND k.conrelid = i.indrelid)",
                        [table],
                    )
                    dropped_indexes += cursor.fetchall()
                    cursor.execute(
                        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                        " WHERE conrelid = %s::regclass AND contype = 'f'",
                        [table],
                    )
                    dropped_fks += [(table, name, definition) for name, definition in cursor.fetchall()]
                for table, name, _definition in dropped_fks:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                for name, _sql in dropped_indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
            else:
                cursor.execute("PRAGMA synchronous")
                synchronous = cursor.fetchone()[0]
                cursor.execute("PRAGMA synchronous=OFF")
                for table in tables:
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master"
                        " WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                        [table],
                    )
                    dropped_indexes += cursor.fetchall()
                for name, _sql in dropped_indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
        fts.drop(models_)  # and its search tables (SQLite), built again below
        try:
            yield
        finally:
            started = time.monotonic()
            self.progress(f"Indexes ({len(dropped_indexes)}) and foreign keys ({len(dropped_fks)})…")
            with connection.cursor() as cursor:
                if self.vendor == "postgresql":
                    cursor.execute("SET maintenance_work_mem = '512MB'")
                for _name, sql in dropped_indexes:
                    cursor.execute(sql)
                for table, name, definition in dropped_fks:
                    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                if self.vendor == "postgresql":
                    cursor.execute("RESET maintenance_work_mem")
                    cursor.execute("RESET synchronous_commit")
                else:
                    cursor.execute(f"PRAGMA synchronous={int(synchronous)}")
            built = fts.sync()
            self.progress(f"  rebuilt in {time.monotonic() - started:.0f} s ({len(built)} search tables)")

    def last_follow_ups(self, account_model, activity_model):
        """Each account's "last follow-up" is its latest activity other than a task, as the
        services keep it when an activity is logged: one aggregate, one update."""
        self.progress("Last follow-ups…")
        accounts = connection.ops.quote_name(self.table(account_model))
        activities = connection.ops.quote_name(self.table(activity_model))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {accounts} SET last_activity_at = m.last"  # noqa: S608 - names from model meta
                f" FROM (SELECT account_id, MAX(occurred_at) AS last FROM {activities}"
                f" WHERE kind <> 'task' AND account_id IS NOT NULL GROUP BY account_id) AS m"
                f" WHERE {accounts}.id = m.account_id"
            )

    def analyze(self, *models_):
        """Fresh planner statistics (and, on PostgreSQL, the visibility map that index-only
        scans need, which autovacuum would otherwise build later, mid-benchmark)."""
        self.progress("ANALYZE…")
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                for model in models_:
                    cursor.execute(f'VACUUM (ANALYZE) "{self.table(model)}"')
            cursor.execute("ANALYZE")


def demo_logins() -> Iterator[tuple[str, str]]:
    yield "admin", "administrator — sees everything"
    yield "wang.fang", "manager of the Jiangsu company — department and sub-departments"
    yield "zhang.wei", "sales rep, Jiangsu — own records (reports to wang.fang)"
    yield "li.na", "sales rep, Zhejiang — own records"
