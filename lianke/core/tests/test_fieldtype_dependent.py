"""Dependent selects (``dependent`` kind): options declared per value of another select or region
field of the same object type (province → city) — refused when the parent's value does not
allow them, on every write path, with a stable code; the form offers only the allowed options
and fetches them again when the parent changes."""

import pytest
from django.core.exceptions import ValidationError

from lianke.core.admin import OptionsField
from lianke.core.models import CustomField, clean_custom_data
from lianke.core.records import services
from lianke.customers.models import Account

pytestmark = pytest.mark.django_db

ACCOUNT = "customers.account"
LIST_URL = "/customers/account/"
API_URL = "/api/customers/accounts/"


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English, the source language (see conftest)."""


@pytest.fixture
def defs(db):
    region = CustomField.objects.create(object_type=ACCOUNT, name="region", label="地区", type="region")
    city = CustomField.objects.create(
        object_type=ACCOUNT,
        name="city",
        label="城市",
        type="dependent",
        depends_on="region",
        options=[
            {"key": "suzhou", "label": "苏州市", "when": ["江苏省"]},
            {"key": "wuxi", "label": "无锡市", "when": ["江苏省"]},
            {"key": "hangzhou", "label": "杭州市", "when": ["浙江省"]},
            {"key": "other", "label": "其他"},
        ],
    )
    grade = CustomField.objects.create(
        object_type=ACCOUNT,
        name="grade",
        label="等级",
        type="select",
        options=[{"key": "vip", "label": "重要"}, {"key": "std", "label": "普通"}],
    )
    tier = CustomField.objects.create(
        object_type=ACCOUNT,
        name="tier",
        label="服务级别",
        type="dependent",
        depends_on="grade",
        options=[
            {"key": "gold", "label": "金牌", "when": ["vip"]},
            {"key": "basic", "label": "基础", "when": ["std"]},
        ],
    )
    return {d.name: d for d in (region, city, grade, tier)}


def test_an_option_is_accepted_only_for_the_parents_value(defs):
    data = clean_custom_data(defs, {"region": "江苏省", "city": "苏州市", "grade": "vip", "tier": "gold"})
    assert data == {"region": {"province": "江苏省"}, "city": "suzhou", "grade": "vip", "tier": "gold"}
    assert clean_custom_data(defs, {"city": "other"}) == {"city": "other"}  # offered for any value
    with pytest.raises(ValidationError) as exc:
        clean_custom_data(defs, {"region": "浙江省", "city": "suzhou", "grade": "std", "tier": "gold"})
    errors = exc.value.error_dict
    assert [e.code for e in errors["cf_city"]] == ["option_not_allowed"]
    assert exc.value.message_dict == {
        "cf_city": ["城市: “苏州市” is not allowed when 地区 is “浙江省”."],
        "cf_tier": ["服务级别: “金牌” is not allowed when 等级 is “普通”."],
    }
    with pytest.raises(ValidationError, match="when 地区 is “—”"):
        clean_custom_data(defs, {"city": "suzhou"})


def test_changing_the_parent_alone_refuses_a_child_it_no_longer_allows(defs):
    existing = {"region": {"province": "江苏省"}, "city": "suzhou"}
    with pytest.raises(ValidationError) as exc:
        clean_custom_data(defs, {"region": "浙江省"}, existing=existing, partial=True)
    assert list(exc.value.error_dict) == ["cf_city"]
    # changing something else keeps a record whose options were redeclared since
    stale = {"region": {"province": "浙江省"}, "city": "suzhou"}
    assert clean_custom_data(defs, {"grade": "vip"}, existing=stale, partial=True)["city"] == "suzhou"


def test_the_definition_must_name_a_select_or_region_parent_and_its_options(defs):
    for depends_on in ("", "nope", "city", "tier_x"):
        field = CustomField(
            object_type=ACCOUNT,
            name="tier2",
            label="x",
            type="dependent",
            depends_on=depends_on,
            options=[{"key": "a", "label": "A"}],
        )
        with pytest.raises(ValidationError) as exc:
            field.full_clean()
        assert "depends_on" in exc.value.error_dict
    text = CustomField.objects.create(object_type=ACCOUNT, name="memo", label="备注", type="text")
    bad_parent = CustomField(
        object_type=ACCOUNT,
        name="tier2",
        label="x",
        type="dependent",
        depends_on=text.name,
        options=[{"key": "a", "label": "A"}],
    )
    with pytest.raises(ValidationError, match="single select or region"):
        bad_parent.full_clean()
    unknown_value = CustomField(
        object_type=ACCOUNT,
        name="tier2",
        label="x",
        type="dependent",
        depends_on="grade",
        options=[{"key": "a", "label": "A", "when": ["gold"]}],
    )
    with pytest.raises(ValidationError) as exc:
        unknown_value.full_clean()
    assert exc.value.error_dict["options"][0].code == "invalid_parent_value"


def test_the_admin_declares_the_parents_values_per_option():
    field = OptionsField()
    options = field.to_python(
        "suzhou | 苏州市 | Suzhou | 江苏省\nshanghai | 上海市 || 上海市，江苏省\nother | 其他"
    )
    assert options[0]["when"] == ["江苏省"]
    assert options[1]["when"] == ["上海市", "江苏省"]
    assert "when" not in options[2]
    assert field.prepare_value(options).splitlines()[0] == "suzhou | 苏州市 | Suzhou | 江苏省"


def test_the_api_refuses_a_mismatch_with_its_code_and_changes_nothing(org, defs, api_for):
    api = api_for(org.admin)
    created = api.post(
        API_URL, {"name": "甲", "custom_fields": {"region": "江苏省", "city": "suzhou"}}, format="json"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    bad = api.patch(f"{API_URL}{pk}/", {"custom_fields": {"region": "浙江省"}}, format="json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "option_not_allowed"
    assert "city" in bad.json()["custom_fields"]
    assert Account.objects.get(pk=pk).custom_data == {"region": {"province": "江苏省"}, "city": "suzhou"}
    both = api.patch(
        f"{API_URL}{pk}/", {"custom_fields": {"region": "浙江省", "city": "杭州市"}}, format="json"
    )
    assert both.status_code == 200, both.json()


def test_the_form_offers_the_allowed_options_and_refreshes_them(org, defs, client_for):
    client = client_for(org.admin)
    page = client.get(f"{LIST_URL}new/")
    choices = [key for key, _label in page.context["form"].fields["cf_city"].choices]
    assert choices == ["", "other"]
    assert "?refresh=cf_city" in page.content.decode()
    base = {"name": "昆山新材料有限公司", "account_type": "end_customer", "owner": org.admin.pk}
    refreshed = client.post(f"{LIST_URL}new/?refresh=cf_city", {**base, "cf_region_0": "江苏省"})
    html = refreshed.content.decode()
    assert 'value="suzhou"' in html and 'value="wuxi"' in html and 'value="hangzhou"' not in html
    # a posted mismatch is an error on the field, and nothing is saved
    bad = client.post(f"{LIST_URL}new/", {**base, "cf_region_0": "浙江省", "cf_city": "suzhou"})
    assert bad.status_code == 400
    assert "cf_city" in bad.context["form"].errors
    assert not Account.objects.exists()
    good = client.post(f"{LIST_URL}new/", {**base, "cf_region_0": "江苏省", "cf_city": "suzhou"})
    assert good.status_code == 302, good.context["form"].errors
    obj = Account.objects.get()
    edit = client.get(f"{LIST_URL}{obj.pk}/edit/")
    assert [k for k, _l in edit.context["form"].fields["cf_city"].choices] == ["", "suzhou", "wuxi", "other"]


def test_a_bulk_edit_checks_each_record_against_its_parent(org, defs):
    js = Account.objects.create(name="甲", owner=org.admin, custom_data={"region": {"province": "江苏省"}})
    zj = Account.objects.create(name="乙", owner=org.admin, custom_data={"region": {"province": "浙江省"}})
    with pytest.raises(ValidationError) as exc:
        services.bulk_edit(actor=org.admin, records=[js, zj], field="city", value="suzhou", custom=True)
    assert exc.value.code == "option_not_allowed"
    assert "乙" in exc.value.messages[0]
    js.refresh_from_db()
    assert "city" not in js.custom_data
    assert services.bulk_edit(actor=org.admin, records=[js], field="city", value="suzhou", custom=True) == 1
