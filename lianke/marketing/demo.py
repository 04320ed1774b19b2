"""The marketing app's demo data: leads (see ``core.demo.base``)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from lianke.core.demo import names
from lianke.core.demo.base import SEED, Adapt, DemoData, Table, register
from lianke.core.demo.base import dumps as json_dumps
from lianke.core.models import CustomField
from lianke.core.text.identity import company_key
from lianke.core.text.phones import phone_digits
from lianke.core.text.pinyin import forms as pinyin_forms
from lianke.core.text.pinyin import initials_of, other_readings_of

from .models import Lead


@register
class MarketingDemo(DemoData):
    """5,000 leads a scale, with the leads' custom fields."""

    app = "marketing"
    lead_columns = (
        "name",
        "name_pinyin",
        "name_initials",
        "name_pinyin_other",
        "company",
        "company_key",
        "company_pinyin",
        "company_initials",
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
    )

    def settings(self) -> None:
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

    def tables(self) -> list[Table]:
        return [Table(Lead, 5000 * self.loader.scale, self.lead_rows, self.lead_columns)]

    def lead_rows(self, count: int, first_id: int, adapt: Adapt) -> Iterator[tuple]:
        loader = self.loader
        rng = random.Random(SEED + 4)
        random_, choice, choices, randrange = rng.random, rng.choice, rng.choices, rng.randrange
        ts, dumps, now, delta, mobile, past = (
            adapt.ts,
            json_dumps,
            loader.now,
            dt.timedelta,
            loader.mobile,
            loader.past,
        )
        owner_ids, owner_depts, owner_provinces = loader.owner_ids, loader.owner_depts, loader.owner_provinces
        n_owners = len(owner_ids)
        today = loader.now.date()
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
                (person := pinyin_forms(name, person=True)),
                initials_of(person),
                other_readings_of(person),
                (
                    company
                    := f"{city.rstrip('市')}{choice(names.COMPANY_WORDS)}{choice(names.INDUSTRY_WORDS[industry])}有限公司"
                ),
                company_key(company),
                (forms := pinyin_forms(company)),
                initials_of(forms),
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
