"""Roll-up custom fields: count / sum / min / max of a child type's field (an account's number of
opportunities, the sum of their amounts), kept in step inside the child's write transaction when
a child is created, changed, deleted, restored or moved to another parent, on every write path;
stored so it filters and sorts; never set; hidden from whoever may not read the child field."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from lianke.core.models import CustomField
from lianke.core.records import batch, services
from lianke.customers.models import Account
from lianke.org.choices import FieldMode
from lianke.org.models import FieldPermission
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db

ACCOUNT = "customers.account"
OPP = "sales.opportunity"
API_URL = "/api/customers/accounts/"


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English, the source language (see conftest)."""


def rollup(name, formula, **extra):
    field = CustomField(
        object_type=ACCOUNT,
        name=name,
        label=name,
        type="rollup",
        target_object_type=OPP,
        formula=formula,
        **extra,
    )
    field.full_clean()
    field.save()
    return field


@pytest.fixture
def defs(db):
    CustomField.objects.create(object_type=OPP, name="points", label="积分", type="integer")
    return {
        "count": rollup("opp_count", "count"),
        "total": rollup("opp_total", "sum(amount)"),
        "biggest": rollup("opp_max", "max(amount)"),
        "points": rollup("opp_points", "sum(points)", decimal_places=0),
    }


@pytest.fixture
def accounts(org):
    return (
        Account.objects.create(name="甲公司", owner=org.rep_js),
        Account.objects.create(name="乙公司", owner=org.rep_js),
    )


def new_opp(org, stages, account, amount, **custom):
    obj = Opportunity(
        name="项目",
        account=account,
        owner=org.rep_js,
        stage_set=stages["set"],
        stage=stages["first"],
        amount=Decimal(amount),
        custom_data=custom,
    )
    return services.save_record(actor=org.admin, instance=obj)


def values(account):
    data = Account.all_objects.get(pk=account.pk).custom_data
    return {k: data.get(k) for k in ("opp_count", "opp_total", "opp_max", "opp_points")}


@pytest.mark.parametrize(
    ("extra", "key", "code"),
    [
        ({"formula": "avg(amount)"}, "formula", "invalid_rollup"),
        ({"formula": "sum(name)"}, "formula", "unknown_field"),
        ({"formula": "sum(nope)"}, "formula", "unknown_field"),
        ({"formula": "count", "target_object_type": "nope.nope"}, "target_object_type", "invalid_rollup"),
        ({"formula": "count", "target_object_type": "marketing.lead"}, "formula", "rollup_no_link"),
    ],
)
def test_a_rollup_definition_names_a_child_type_linked_to_it_and_an_aggregate(db, extra, key, code):
    field = CustomField(object_type=ACCOUNT, name="bad", label="bad", type="rollup", target_object_type=OPP)
    for attr, value in extra.items():
        setattr(field, attr, value)
    with pytest.raises(ValidationError) as exc:
        field.full_clean()
    assert exc.value.error_dict[key][0].code == code


def test_children_created_changed_deleted_restored_and_moved_keep_it_in_step(org, stages, defs, accounts):
    a, b = accounts
    first = new_opp(org, stages, a, "100.00", points=3)
    second = new_opp(org, stages, a, "250.50", points=4)
    assert values(a) == {"opp_count": 2, "opp_total": "350.50", "opp_max": "250.50", "opp_points": "7"}
    assert values(b) == {"opp_count": None, "opp_total": None, "opp_max": None, "opp_points": None}
    second.amount = Decimal("50.00")
    second = services.save_record(actor=org.admin, instance=second)
    assert values(a)["opp_total"] == "150.00" and values(a)["opp_max"] == "100.00"
    services.delete_records(actor=org.admin, records=[first])
    assert values(a) == {"opp_count": 1, "opp_total": "50.00", "opp_max": "50.00", "opp_points": "4"}
    services.restore_records(actor=org.admin, records=[Opportunity.all_objects.get(pk=first.pk)])
    assert values(a)["opp_count"] == 2
    # moved to another account: both follow
    second.account = b
    services.save_record(actor=org.admin, instance=second)
    assert values(a) == {"opp_count": 1, "opp_total": "100.00", "opp_max": "100.00", "opp_points": "3"}
    assert values(b) == {"opp_count": 1, "opp_total": "50.00", "opp_max": "50.00", "opp_points": "4"}


def test_a_formula_over_a_rollup_follows_it(org, stages, defs, accounts):
    a, _b = accounts
    CustomField.objects.create(
        object_type=ACCOUNT, name="average", label="平均", type="formula", formula="opp_total / opp_count"
    )
    new_opp(org, stages, a, "100.00")
    new_opp(org, stages, a, "50.00")
    assert Account.objects.get(pk=a.pk).custom_data["average"] == "75.00"


def test_the_batch_and_bulk_edit_keep_it_in_step(org, stages, defs, accounts):
    a, b = accounts
    rows = [
        {
            "name": f"项目{i}",
            "account": a.pk,
            "stage_set": stages["set"].pk,
            "stage": stages["first"].pk,
            "amount": "10.00",
            "custom_fields": {"points": 1},
        }
        for i in range(3)
    ]
    created = batch.create_records(actor=org.admin, model=Opportunity, rows=rows)
    assert values(a)["opp_count"] == 3 and values(a)["opp_points"] == "3"
    services.bulk_edit(actor=org.admin, records=created[:2], field="points", value=5, custom=True)
    assert values(a)["opp_points"] == "11"
    batch.update_records(actor=org.admin, model=Opportunity, changes={created[0].pk: {"account": b.pk}})
    assert values(a)["opp_count"] == 2 and values(b)["opp_count"] == 1


def test_a_write_rolled_back_leaves_it_unchanged(org, stages, defs, accounts):
    a, _b = accounts
    new_opp(org, stages, a, "100.00")
    with pytest.raises(RuntimeError), transaction.atomic():
        new_opp(org, stages, a, "900.00")
        assert values(a)["opp_total"] == "1000.00"  # in step inside the transaction
        raise RuntimeError
    assert values(a)["opp_total"] == "100.00"


def test_it_filters_sorts_and_is_never_set_through_the_api(org, stages, defs, accounts, api_for):
    a, b = accounts
    new_opp(org, stages, a, "100.00")
    new_opp(org, stages, b, "5.00")
    new_opp(org, stages, b, "6.00")
    api = api_for(org.admin)
    assert [r["id"] for r in api.get(f"{API_URL}?cf_opp_total__gte=50").json()["results"]] == [a.pk]
    ordered = api.get(f"{API_URL}?ordering=-cf_opp_count").json()["results"]
    assert [r["id"] for r in ordered] == [b.pk, a.pk]
    refused = api.patch(f"{API_URL}{a.pk}/", {"custom_fields": {"opp_count": 9}}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "computed_field"
    assert values(a)["opp_count"] == 1


def test_a_rollup_of_a_hidden_child_field_is_hidden_too(org, stages, defs, accounts, api_for):
    a, _b = accounts
    new_opp(org, stages, a, "100.00")
    FieldPermission.objects.create(
        role=org.roles["sales_rep"], object_type=OPP, field="amount", mode=FieldMode.HIDDEN
    )
    row = api_for(org.rep_js).get(f"{API_URL}{a.pk}/").json()["custom_fields"]
    assert "opp_total" not in row and "opp_max" not in row
    assert row["opp_count"] == 1  # a count reads no hidden field
