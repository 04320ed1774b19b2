"""The sales app's demo data: two stage sets and opportunities on the accounts (see
``core.demo.base``)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal

from lianke.core.demo import names
from lianke.core.demo.base import SEED, Adapt, DemoData, Table, register
from lianke.core.text.pinyin import forms as pinyin_forms
from lianke.core.text.pinyin import initials_of

from .models import Opportunity, Stage, StageSet


@register
class SalesDemo(DemoData):
    """1,500 opportunities a scale, on the customers app's accounts, in two stage sets."""

    app = "sales"
    after = ("customers",)
    opportunity_columns = (
        "name",
        "name_pinyin",
        "name_initials",
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
    )

    def settings(self) -> None:
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
        self.stages = {"direct": list(direct.stages.all()), "channel": list(channel.stages.all())}

    def tables(self) -> list[Table]:
        count = 1500 * self.loader.scale
        return [Table(Opportunity, count, self.opportunity_rows, self.opportunity_columns)]

    def opportunity_rows(self, count: int, first_id: int, adapt: Adapt) -> Iterator[tuple]:
        loader, accounts = self.loader, self.loader.data("customers")
        rng = random.Random(SEED + 5)
        choice, choices, randrange = rng.choice, rng.choices, rng.randrange
        ts, day, money, delta = adapt.ts, adapt.day, adapt.money, dt.timedelta
        past, after_account = loader.past, accounts.after_account
        owner_ids, owner_depts, n_owners = loader.owner_ids, loader.owner_depts, len(loader.owner_ids)
        n_accounts, a_first, ages = accounts.count, self.first_id("customers.account"), accounts.ages
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
                (forms := pinyin_forms(name)),
                initials_of(forms),
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
