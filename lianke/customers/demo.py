"""The customers app's demo data: accounts and their contacts (see ``core.demo.base``)."""

from __future__ import annotations

import datetime as dt
import random
from array import array
from collections.abc import Iterator
from decimal import Decimal

from django.utils import timezone

from lianke.core.demo import names
from lianke.core.demo.base import SEED, Adapt, DemoData, Table, register
from lianke.core.demo.base import dumps as json_dumps
from lianke.core.models import CustomField
from lianke.core.text.identity import company_key
from lianke.core.text.phones import phone_digits
from lianke.core.text.pinyin import forms as pinyin_forms
from lianke.core.text.pinyin import initials_of, other_readings_of

from .models import Account, Contact

ACCOUNT_SPAN = 730 * 86400  # accounts were created over the last two years (seconds)


def draw_account_ages(count: int) -> array:
    """Each account's creation, in seconds before now (up to two years; 4 bytes an account),
    drawn once so that the generators of its contacts, opportunities and activities start
    after it without a query."""
    randrange = random.Random(SEED + 7).randrange
    return array("i", (randrange(ACCOUNT_SPAN) for _ in range(count)))


@register
class CustomersDemo(DemoData):
    """2,000 accounts and 5,000 contacts a scale. Other apps' records hang on the accounts:
    they read ``count``, ``ages`` (each account's creation, drawn once) and ``after_account``."""

    app = "customers"
    account_columns = (
        "name",
        "name_key",
        "name_pinyin",
        "name_initials",
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
    )
    contact_columns = (
        "name",
        "name_pinyin",
        "name_initials",
        "name_pinyin_other",
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
    )

    def __init__(self, loader):
        super().__init__(loader)
        self.count = 2000 * loader.scale
        self.ages = draw_account_ages(self.count)

    def settings(self) -> None:
        approval_flows()
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

    def tables(self) -> list[Table]:
        scale = self.loader.scale
        return [
            Table(Account, self.count, self.account_rows, self.account_columns),
            Table(Contact, 5000 * scale, self.contact_rows, self.contact_columns),
        ]

    def workflow(self, users) -> None:
        """Work a demo user meets on signing in, done through the services: zhang.wei's customer
        registrations (客户报备) — three waiting for his manager wang.fang, one she approved, one
        she rejected with a reason — and two accounts of a colleague wang.fang transferred to
        him. The approvals' and transfers' own producers notify them (the bell's count)."""
        from lianke.approvals import services as approvals
        from lianke.core.records import services

        from .registration import register_account

        rep, manager = users["zhang.wei"], users["wang.fang"]
        registered = [
            register_account(actor=rep, values=values, comment=comment)[1]
            for values, comment in DEMO_REGISTRATIONS
        ]
        approvals.approve(actor=manager, approval=registered[3], comment="同意，请尽快跟进首单。")
        approvals.reject(
            actor=manager, approval=registered[4], comment="该公司已由浙江公司跟进多年，请与李娜协调。"
        )
        colleague = Account.all_objects.filter(owner=users["rep01"], is_deleted=False).order_by("pk")[:2]
        services.transfer_records(actor=manager, records=list(colleague), new_owner=rep)

    def after_account(self, account_age: int, draw: int, span: int) -> dt.datetime:
        """A time between the account's creation (``account_age`` seconds ago) and now, at
        ``draw / span`` of the way (whole seconds: integer arithmetic, one timedelta a row)."""
        return self.loader.now - dt.timedelta(seconds=account_age * (span - draw) // span)

    # Each ``*_rows(count, first_id, adapt)`` yields plain tuples for the loader's writer: the
    # first item is the id, the rest match the table's columns; ``adapt`` turns datetimes, dates
    # and decimals into what the database driver takes. Every random draw happens in the same
    # order as in the original model-instance loader, so the data is unchanged.
    def account_rows(self, count: int, first_id: int, adapt: Adapt) -> Iterator[tuple]:
        loader = self.loader
        rng = random.Random(SEED + 2)
        random_, choice, choices, randrange = rng.random, rng.choice, rng.choices, rng.randrange
        ts, dumps, now, delta, past = adapt.ts, json_dumps, loader.now, dt.timedelta, loader.past
        owner_ids, owner_depts, owner_provinces = loader.owner_ids, loader.owner_depts, loader.owner_provinces
        n_owners = len(owner_ids)
        ages = self.ages
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
                (forms := pinyin_forms(name)),
                initials_of(forms),
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

    def contact_rows(self, count: int, first_id: int, adapt: Adapt) -> Iterator[tuple]:
        loader = self.loader
        rng = random.Random(SEED + 3)
        random_, choice, randrange = rng.random, rng.choice, rng.randrange
        ts, mobile, after_account = adapt.ts, loader.mobile, self.after_account
        owner_ids, owner_depts, n_owners = loader.owner_ids, loader.owner_depts, len(loader.owner_ids)
        n_accounts, a_first, ages = self.count, self.first_id("customers.account"), self.ages
        surnames, given, titles, genders = names.SURNAMES, names.GIVEN, names.TITLES, ["m", "m", "f"]
        for i in range(count):
            a = i % n_accounts
            o = (a * 7) % n_owners
            owner = owner_ids[o]
            created = ts(after_account(ages[a], randrange(730 * 86400), 730 * 86400))
            yield (
                first_id + i,
                (name := choice(surnames) + choice(given)),
                (forms := pinyin_forms(name, person=True)),
                initials_of(forms),
                other_readings_of(forms),
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


# zhang.wei's registrations in the demo (values, his comment): the first three wait for
# wang.fang, she approves the fourth and rejects the fifth.
DEMO_REGISTRATIONS = [
    ({"name": "苏州恒昌精密钣金有限公司", "city": "苏州市"}, "新开发客户，年采购冷轧板约800吨。"),
    ({"name": "无锡锦澜不锈钢管业有限公司", "city": "无锡市"}, "展会结识，近期有不锈钢卷板询价。"),
    ({"name": "常州华腾机械装备有限公司", "city": "常州市"}, "老客户介绍，需要镀锌板。"),
    ({"name": "南通海辰船舶配件有限公司", "city": "南通市"}, "船用钢板需求稳定。"),
    ({"name": "嘉兴永泰五金制品有限公司", "city": "嘉兴市"}, "客户主动来电询价。"),
]


def approval_flows() -> None:
    """Customer registration (客户报备: the rep's superior, then the head of his department for
    key accounts) and transfer requests (the owner's superior decides; nothing is locked)."""
    from lianke.approvals import versions
    from lianke.approvals.models import ApprovalFlow, ApprovalStep

    from .registration import REGISTRATION, TRANSFER_REQUEST

    registration = ApprovalFlow.objects.create(
        object_type="customers.account",
        name="客户报备",
        purpose=REGISTRATION,
        editable_fields=["description"],
        exposed_fields=["name", "credit_code", "account_type", "industry", "province", "city"],
    )
    ApprovalStep.objects.create(
        flow=registration,
        position=0,
        name="上级审批",
        approver_kind="superior",
        levels=1,
        time_limit_hours=24,
    )
    ApprovalStep.objects.create(
        flow=registration,
        position=1,
        name="部门负责人审批",
        approver_kind="submitter_department_head",
        condition=[{"field": "level", "op": "eq", "value": "key"}],
        time_limit_hours=48,
    )
    transfer = ApprovalFlow.objects.create(
        object_type="customers.account",
        name="客户转移申请",
        purpose=TRANSFER_REQUEST,
        editable_fields=["*"],
        exposed_fields=["name", "account_type", "industry", "city"],
    )
    ApprovalStep.objects.create(
        flow=transfer,
        position=0,
        name="负责人上级审批",
        approver_kind="owner_superior",
        levels=1,
        time_limit_hours=48,
    )
    for flow in (registration, transfer):
        versions.freeze(flow)
