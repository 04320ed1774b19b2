"""Formula custom fields: arithmetic over other fields of the same record (standard and custom),
parsed against a whitelist (never ``eval``), recomputed by every write path (forms, API, batch,
bulk edit), stored so it filters and sorts, never set by anybody, empty on a division by zero,
refused when it is no formula or when formulas would refer to each other in a circle, and hidden
from whoever may not read one of its inputs."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from lianke.core.fieldtypes.formula import FormulaError, evaluate, parse
from lianke.core.models import CustomField
from lianke.core.records import batch, services
from lianke.customers.models import Account
from lianke.org.choices import FieldMode
from lianke.org.models import FieldPermission
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db

OPP = "sales.opportunity"
API_URL = "/api/sales/opportunities/"


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English, the source language (see conftest)."""


@pytest.fixture
def defs(db):
    rate = CustomField.objects.create(object_type=OPP, name="rate", label="提成比例", type="percent")
    commission = CustomField.objects.create(
        object_type=OPP, name="commission", label="提成", type="formula", formula="amount × rate ÷ 100"
    )
    per_point = CustomField.objects.create(
        object_type=OPP, name="per_point", label="每点金额", type="formula", formula="amount / rate"
    )
    return {"rate": rate, "commission": commission, "per_point": per_point}


@pytest.fixture
def opp(org, stages, defs):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    obj = Opportunity(
        name="二期项目",
        account=account,
        owner=org.rep_js,
        stage_set=stages["set"],
        stage=stages["first"],
        amount=Decimal("100000.00"),
        custom_data={"rate": "5.00"},
    )
    return services.save_record(actor=org.admin, instance=obj)


def reload(obj):
    return type(obj).all_objects.get(pk=obj.pk)


@pytest.mark.parametrize(
    ("formula", "code"),
    [
        ("__import__('os').system('x')", "invalid_formula"),
        ("amount ** 2", "invalid_formula"),
        ("abs(amount)", "invalid_formula"),
        ("amount.real", "invalid_formula"),
        ("'1' + amount", "invalid_formula"),
        ("amount if rate else 1", "invalid_formula"),
        ("amount +", "invalid_formula"),
        ("True + 1", "invalid_formula"),
        ("(" * 25 + "amount" + ")" * 25, "formula_too_long"),
        ("1+" * 120 + "1", "formula_too_long"),
        ("amount * nope", "unknown_field"),
        ("amount * name", "unknown_field"),
        ("commission2 + 1", "unknown_field"),
    ],
)
def test_a_formula_that_is_not_safe_arithmetic_over_number_fields_is_refused(defs, formula, code):
    field = CustomField(object_type=OPP, name="commission2", label="x", type="formula", formula=formula)
    with pytest.raises(ValidationError) as exc:
        field.full_clean()
    assert [e.code for e in exc.value.error_dict["formula"]] == [code]


def test_formulas_referring_to_each_other_in_a_circle_are_refused(defs):
    CustomField.objects.create(object_type=OPP, name="a", label="a", type="formula", formula="commission + 1")
    b = CustomField.objects.create(object_type=OPP, name="b", label="b", type="formula", formula="a * 2")
    defs["commission"].formula = "b - amount"
    with pytest.raises(ValidationError) as exc:
        defs["commission"].full_clean()
    assert exc.value.error_dict["formula"][0].code == "formula_cycle"
    b.full_clean()  # a chain without a circle is fine


def test_the_evaluator_divides_by_zero_into_an_empty_value():
    values = {"a": Decimal(10), "z": Decimal(0)}
    assert evaluate(parse("(a + 2) × 3 − -1"), values.get) == Decimal(37)
    assert evaluate(parse("a / z"), values.get) is None
    assert evaluate(parse("a / missing"), values.get) is None
    with pytest.raises(FormulaError):
        parse("a; import os")


def test_the_value_is_computed_on_save_and_recomputed_when_an_input_changes(org, opp, api_for):
    assert reload(opp).custom_data == {"rate": "5.00", "commission": "5000.00", "per_point": "20000.00"}
    api = api_for(org.admin)
    response = api.patch(f"{API_URL}{opp.pk}/", {"amount": "200000.00"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["custom_fields"]["commission"] == "10000.00"
    response = api.patch(f"{API_URL}{opp.pk}/", {"custom_fields": {"rate": "2.5"}}, format="json")
    assert response.json()["custom_fields"]["commission"] == "5000.00"
    response = api.patch(f"{API_URL}{opp.pk}/", {"custom_fields": {"rate": None}}, format="json")
    assert "commission" not in response.json()["custom_fields"]  # an empty input: empty


def test_the_api_and_the_form_never_set_it(org, opp, api_for, client_for):
    api = api_for(org.admin)
    refused = api.patch(f"{API_URL}{opp.pk}/", {"custom_fields": {"commission": "1.00"}}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "computed_field"
    assert reload(opp).custom_data["commission"] == "5000.00"
    # sending back what was read changes nothing and is no error
    same = api.patch(f"{API_URL}{opp.pk}/", {"custom_fields": {"commission": "5000.00"}}, format="json")
    assert same.status_code == 200
    form = client_for(org.admin).get(f"/sales/opportunity/{opp.pk}/edit/").context["form"]
    assert form.fields["cf_commission"].disabled


def test_bulk_edit_and_the_batch_recompute_it(org, opp):
    services.bulk_edit(actor=org.admin, records=[opp], field="rate", value="10", custom=True)
    assert reload(opp).custom_data["commission"] == "10000.00"
    services.bulk_edit(actor=org.admin, records=[reload(opp)], field="amount", value=Decimal("50000"))
    assert reload(opp).custom_data["commission"] == "5000.00"
    batch.update_records(
        actor=org.admin, model=Opportunity, changes={opp.pk: {"custom_fields": {"rate": "0"}}}
    )
    # a division by zero is an empty value, not an error
    assert reload(opp).custom_data == {"rate": "0.00", "commission": "0.00"}


def test_it_filters_and_sorts_as_a_number(org, opp, stages, api_for):
    other = Opportunity(
        name="小项目",
        account=opp.account,
        owner=org.rep_js,
        stage_set=stages["set"],
        stage=stages["first"],
        amount=Decimal("900.00"),
        custom_data={"rate": "10"},
    )
    other = services.save_record(actor=org.admin, instance=other)
    api = api_for(org.admin)
    assert [r["id"] for r in api.get(f"{API_URL}?cf_commission__gte=100").json()["results"]] == [opp.pk]
    ordered = api.get(f"{API_URL}?ordering=cf_commission").json()["results"]
    assert [r["id"] for r in ordered] == [other.pk, opp.pk]  # 90 before 5000: numerically


def test_a_formula_over_a_hidden_field_is_hidden_too(org, opp, api_for):
    FieldPermission.objects.create(
        role=org.roles["sales_rep"], object_type=OPP, field="cf_rate", mode=FieldMode.HIDDEN
    )
    api = api_for(org.rep_js)
    row = api.get(f"{API_URL}{opp.pk}/").json()
    assert "rate" not in row["custom_fields"] and "commission" not in row["custom_fields"]
    assert api.get(f"{API_URL}?cf_commission__gte=1").status_code == 400  # not even by filter
    # the rep's own change of the amount still recomputes it (the rep never sets it)
    response = api.patch(f"{API_URL}{opp.pk}/", {"amount": "300000.00"}, format="json")
    assert response.status_code == 200, response.json()
    assert reload(opp).custom_data["commission"] == "15000.00"
