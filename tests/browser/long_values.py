"""One record of every object type filled with the longest values a user may type: a 60-character
e-mail, a 100-character company name, long unbroken custom-field text. Pages showing them must
still fit a phone screen."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from lianke.core.models import CustomField
from lianke.core.objecttypes.registry import registry

EMAIL = "procurement.department.head." + "x" * 11 + "@daming-metal.example"  # 60 characters
COMPANY = ("江苏大明金属制品有限公司华东区域不锈钢精密管材加工配送中心" * 4)[:100]
UNBROKEN = "SPEC-" + "304L/316L-6000x1500x12mm-" * 8  # no space to break at
assert len(EMAIL) == 60 and len(COMPANY) == 100


def long_custom_fields() -> None:
    """A long-text custom field on every object type (the value is set per record)."""
    for ot in registry:
        CustomField.objects.get_or_create(
            object_type=ot.key,
            name="remarks",
            defaults={"label": "备注说明", "label_en": "Remarks", "type": "longtext"},
        )


def seed_long_records(owner) -> dict:
    """``{object type key: record}``, all owned by ``owner``."""
    from lianke.activities.models import Activity
    from lianke.customers.models import Account, Contact
    from lianke.marketing.models import Lead
    from lianke.sales.models import Opportunity, Stage, StageSet

    long_custom_fields()
    custom = {"remarks": UNBROKEN + " " + COMPANY}
    stage_set = StageSet.default() or StageSet.objects.create(name="直销项目", is_default=True)
    stage = Stage.objects.filter(stage_set=stage_set).first() or Stage.objects.create(
        stage_set=stage_set, name="初步接洽", probability=10
    )
    account = Account.objects.create(
        name=COMPANY,
        short_name=COMPANY[:50],
        email=EMAIL,
        website="https://www." + "daming-metal-stainless-steel-precision-tubes" * 2 + ".example/",
        address=COMPANY + "路" + "8" * 30 + "号",
        phone="0512-66881234",
        owner=owner,
        custom_data=custom,
    )
    contact = Contact.objects.create(
        name="欧阳" + "晓" * 40,
        account=account,
        title=COMPANY,
        department_name=COMPANY,
        email=EMAIL,
        mobile="13912345678",
        wechat="w" * 50,
        owner=owner,
        custom_data=custom,
    )
    lead = Lead.objects.create(
        name="欧阳晓明", company=COMPANY, email=EMAIL, mobile="13812345678", owner=owner, custom_data=custom
    )
    opportunity = Opportunity.objects.create(
        name=COMPANY[:100] + "年度采购框架协议" + UNBROKEN[:60],
        account=account,
        stage_set=stage_set,
        stage=stage,
        amount=123456789012,
        owner=owner,
        custom_data=custom,
        expected_close_date=timezone.localdate() + dt.timedelta(days=3),
    )
    activity = Activity.objects.create(
        kind="task",
        subject=(COMPANY + UNBROKEN)[:200],
        body=UNBROKEN * 3,
        account=account,
        assignee=owner,
        due_at=timezone.now() - dt.timedelta(hours=5),
        owner=owner,
        custom_data=custom,
    )
    return {
        "customers.account": account,
        "customers.contact": contact,
        "marketing.lead": lead,
        "sales.opportunity": opportunity,
        "activities.activity": activity,
    }
