"""The demo dataset (``lianke demo``): a steel and metal-products group, deterministic.

Scale 1: ~40 users, 2,000 accounts, 5,000 contacts, 5,000 leads, 1,500 opportunities and
20,000 activities. ``scale`` multiplies the business records (500 → 1,000,000 accounts); rows
are written with bulk inserts in batches, so a million accounts load in minutes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from lianke.core.context import Source, system_context
from lianke.core.models import CustomField
from lianke.org.defaults import ensure_default_roles
from lianke.org.models import Department, User

from . import names

DEMO_PASSWORD = "Lianke-demo-2026"  # noqa: S105 - the documented demo password
BATCH = 5000
SEED = 20261127

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


def _timestamps_settable(*models):
    """Let bulk inserts carry historical created/updated times (auto_now would stamp "now")."""

    @contextmanager
    def manager():
        fields = []
        for model in models:
            for name in ("created_at", "updated_at"):
                field = model._meta.get_field(name)
                fields.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
        try:
            yield
        finally:
            for field, auto_now, auto_now_add in fields:
                field.auto_now, field.auto_now_add = auto_now, auto_now_add

    return manager()


def _batched_insert(
    model, count: int, make: Callable[[int], object], progress: Callable[[str], None]
) -> tuple[int, int]:
    """Insert ``count`` rows made by ``make(i)``; returns the (first id, last id) inserted."""
    first = last = None
    done = 0
    while done < count:
        n = min(BATCH, count - done)
        with transaction.atomic():
            objs = model.all_objects.bulk_create([make(done + i) for i in range(n)], batch_size=BATCH)
        if first is None:
            first = objs[0].pk
        last = objs[-1].pk
        done += n
        if count >= 50000 and (done // BATCH) % 20 == 0 or done == count:
            progress(f"  {model._meta.verbose_name_plural}: {done:,}/{count:,}")
    return first, last


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

    def when(self, rng, days: int = 730) -> dt.datetime:
        return self.now - dt.timedelta(seconds=rng.randrange(days * 86400))

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
            owner_dept = {u.pk: u.department_id for u in owners}
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
            industries = list(names.INDUSTRY_WORDS)
            with _timestamps_settable(Account, Contact, Lead, Opportunity, Activity):
                n_accounts = 2000 * self.scale
                self.progress(f"Accounts ({n_accounts:,})…")
                rng = random.Random(SEED + 2)

                def make_account(i):
                    owner = owners[(i * 7) % len(owners)]
                    province = (
                        province_of_dept[owner.department_id]
                        if rng.random() < 0.8
                        else rng.choice(list(names.PLACES))
                    )
                    city, districts = rng.choice(names.PLACES[province])
                    industry = industries[i % len(industries)] if rng.random() < 0.9 else "other"
                    word = rng.choice(names.COMPANY_WORDS)
                    name = f"{city.rstrip('市')}{word}{rng.choice(names.INDUSTRY_WORDS[industry])}{rng.choice(names.SUFFIXES)}"
                    if i >= 1000:
                        name = name.replace(
                            "有限公司", f"{'第' + str(i // 1000) + '分' if i % 11 == 0 else ''}有限公司", 1
                        )
                    created = self.when(rng)
                    custom = {"grade": rng.choices(["strategic", "key", "normal"], [1, 4, 15])[0]}
                    if rng.random() < 0.6:
                        custom["first_deal_date"] = (
                            created.date() + dt.timedelta(days=rng.randrange(120))
                        ).isoformat()
                    if rng.random() < 0.7:
                        custom["annual_tonnage"] = f"{Decimal(rng.randrange(50, 200000)) / 10:.1f}"
                    return Account(
                        name=name,
                        short_name=f"{city.rstrip('市')}{word}",
                        account_type=rng.choices(
                            ["end_customer", "distributor", "processor", "project"], [10, 4, 3, 2]
                        )[0],
                        industry=industry,
                        level=rng.choice(["key", "a", "b", "b", "c", "c", ""]),
                        source=rng.choice(["exhibition", "referral", "website", "cold_call", "lead", "erp"]),
                        phone=f"0{rng.randrange(10, 999):d}-{rng.randrange(10000000, 99999999)}",
                        province=province,
                        city=city,
                        district=rng.choice(districts),
                        address=f"{rng.choice(names.ROADS)}{rng.randrange(1, 999)}号",
                        owner_id=owner.pk,
                        department_id=owner_dept[owner.pk],
                        created_by_id=owner.pk,
                        custom_data=custom,
                        created_at=created,
                        updated_at=created + dt.timedelta(days=rng.randrange(60)),
                    )

                a_first, _a_last = _batched_insert(Account, n_accounts, make_account, self.progress)
                account_owner = lambda i: owners[(i * 7) % len(owners)]  # noqa: E731 - same rule as above

                n_contacts = 5000 * self.scale
                self.progress(f"Contacts ({n_contacts:,})…")
                rng = random.Random(SEED + 3)

                def make_contact(i):
                    a = i % n_accounts
                    owner = account_owner(a)
                    created = self.when(rng)
                    return Contact(
                        name=self.person_name(rng),
                        account_id=a_first + a,
                        title=rng.choice(names.TITLES),
                        gender=rng.choice(["m", "m", "f"]),
                        mobile=self.mobile(i + 1000),
                        email=f"c{i}@customer{a}.example.cn" if rng.random() < 0.6 else "",
                        is_primary=i < n_accounts,
                        is_decision_maker=rng.random() < 0.2,
                        owner_id=owner.pk,
                        department_id=owner_dept[owner.pk],
                        created_by_id=owner.pk,
                        created_at=created,
                        updated_at=created,
                    )

                _batched_insert(Contact, n_contacts, make_contact, self.progress)

                n_leads = 5000 * self.scale
                self.progress(f"Leads ({n_leads:,})…")
                rng = random.Random(SEED + 4)

                def make_lead(i):
                    owner = owners[(i * 3) % len(owners)]
                    province = province_of_dept[owner.department_id]
                    city, _d = rng.choice(names.PLACES[province])
                    industry = rng.choice(industries)
                    status = rng.choices(
                        ["new", "contacted", "qualified", "unqualified", "converted"], [5, 4, 2, 2, 1]
                    )[0]
                    created = self.when(rng, 365)
                    custom = {"purchase_intent": rng.choice(["high", "medium", "low"])}
                    if rng.random() < 0.5:
                        custom["expected_tonnage"] = rng.randrange(10, 5000)
                    if rng.random() < 0.4:
                        custom["next_contact"] = (
                            self.now.date() + dt.timedelta(days=rng.randrange(-10, 60))
                        ).isoformat()
                    return Lead(
                        name=self.person_name(rng),
                        company=f"{city.rstrip('市')}{rng.choice(names.COMPANY_WORDS)}{rng.choice(names.INDUSTRY_WORDS[industry])}有限公司",
                        title=rng.choice(names.TITLES),
                        mobile=self.mobile(i + 5_000_000),
                        status=status,
                        unqualified_reason="暂无采购需求" if status == "unqualified" else "",
                        source=rng.choice(
                            ["exhibition", "website", "referral", "cold_call", "wechat", "campaign"]
                        ),
                        industry=industry,
                        province=province,
                        city=city,
                        custom_data=custom,
                        owner_id=owner.pk,
                        department_id=owner_dept[owner.pk],
                        created_by_id=owner.pk,
                        created_at=created,
                        updated_at=created + dt.timedelta(days=rng.randrange(30)),
                    )

                _batched_insert(Lead, n_leads, make_lead, self.progress)

                n_opps = 1500 * self.scale
                self.progress(f"Opportunities ({n_opps:,})…")
                rng = random.Random(SEED + 5)
                stage_set_ids = {key: stages[key][0].stage_set_id for key in stages}

                def make_opportunity(i):
                    a = (i * 13) % n_accounts
                    owner = account_owner(a)
                    key = "channel" if i % 4 == 0 else "direct"
                    stage = rng.choices(stages[key], [6, 5, 4, 3, 3, 2][: len(stages[key])])[0]
                    created = self.when(rng, 540)
                    closed = stage.kind != "open"
                    return Opportunity(
                        name=f"{rng.choice(names.PRODUCTS)}{rng.choice(['年度采购', '项目供货', '框架协议', '季度订单'])}",
                        account_id=a_first + a,
                        stage_set_id=stage_set_ids[key],
                        stage_id=stage.pk,
                        amount=Decimal(rng.randrange(20, 5000)) * 1000,
                        probability=stage.probability,
                        expected_close_date=(created + dt.timedelta(days=rng.randrange(30, 240))).date(),
                        closed_at=created + dt.timedelta(days=rng.randrange(10, 200)) if closed else None,
                        loss_reason=rng.choice(["price", "competitor", "delivery", "credit"])
                        if stage.kind == "lost"
                        else "",
                        source=rng.choice(["existing", "lead", "referral", "tender", "campaign"]),
                        owner_id=owner.pk,
                        department_id=owner_dept[owner.pk],
                        created_by_id=owner.pk,
                        created_at=created,
                        updated_at=created + dt.timedelta(days=rng.randrange(90)),
                    )

                _batched_insert(Opportunity, n_opps, make_opportunity, self.progress)

                n_acts = 20000 * self.scale
                self.progress(f"Activities ({n_acts:,})…")
                rng = random.Random(SEED + 6)
                account_ct = ContentType.objects.get_for_model(Account).pk
                today = timezone.localtime(self.now).replace(hour=10, minute=0, second=0)
                subjects = {
                    "call": ["电话沟通采购计划", "确认交货期", "跟进报价反馈", "回访使用情况"],
                    "visit": ["上门拜访采购部", "现场考察生产线", "拜访总经理", "年度合作洽谈"],
                    "note": ["客户反馈价格偏高", "客户计划扩产", "竞品报价信息", "付款情况记录"],
                    "email": ["发送产品目录", "发送报价单", "发送质保书"],
                    "sms": ["节日问候", "交货通知"],
                    "task": ["准备报价单", "安排样品", "催收货款", "提交合同审批"],
                }

                def make_activity(i):
                    a = (i * 17) % n_accounts
                    owner = account_owner(a)
                    kind = rng.choices(list(subjects), [5, 3, 3, 2, 1, 2])[0]
                    occurred = self.when(rng, 540)
                    task = kind == "task"
                    due = today + dt.timedelta(days=rng.randrange(-3, 10)) if task else None
                    return Activity(
                        kind=kind,
                        subject=rng.choice(subjects[kind]),
                        body=f"{rng.choice(names.PRODUCTS)}，约{rng.randrange(10, 500)}吨。"
                        if rng.random() < 0.5
                        else "",
                        occurred_at=occurred,
                        content_type_id=account_ct,
                        object_id=a_first + a,
                        account_id=a_first + a,
                        assignee_id=owner.pk if task else None,
                        due_at=due,
                        is_done=task and due < today and rng.random() < 0.5,
                        owner_id=owner.pk,
                        department_id=owner_dept[owner.pk],
                        created_by_id=owner.pk,
                        created_at=occurred,
                        updated_at=occurred,
                    )

                _batched_insert(Activity, n_acts, make_activity, self.progress)
        if connection.vendor == "postgresql" or connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        return users


def demo_logins() -> Iterator[tuple[str, str]]:
    yield "admin", "administrator — sees everything"
    yield "wang.fang", "manager of the Jiangsu company — department and sub-departments"
    yield "zhang.wei", "sales rep, Jiangsu — own records (reports to wang.fang)"
    yield "li.na", "sales rep, Zhejiang — own records"
