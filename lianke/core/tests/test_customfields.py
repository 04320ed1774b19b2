"""Custom fields: one validation (``clean_custom_data``) for forms, the API and imports; exact
storage; filters and sorting that behave the same on SQLite and PostgreSQL."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext

from lianke.core.context import acting_as
from lianke.core.models import CustomField, clean_custom_data
from lianke.customers.models import Account

ACCOUNT = "customers.account"
LIST_URL = "/customers/account/"
API_URL = "/api/customers/accounts/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


def make_field(name, type_, label=None, **extra):
    return CustomField.objects.create(
        object_type=ACCOUNT, name=name, label=label or name, type=type_, **extra
    )


@pytest.fixture
def defs(db):
    """One custom field of every type on accounts, keyed by name."""
    fields = [
        make_field("note", "text", "备注", max_length=20),
        make_field("memo", "longtext", "详细说明"),
        make_field("staff", "integer", "员工人数", min_value=0, max_value=100000),
        make_field("ratio", "decimal", "系数", decimal_places=3),
        make_field("revenue", "money", "年营收", min_value=0),
        make_field("share", "percent", "份额", max_value=100),
        make_field("signed", "date", "签约日"),
        make_field("visit_at", "datetime", "拜访时间"),
        make_field("listed", "boolean", "是否上市"),
        make_field(
            "grade",
            "select",
            "客户等级",
            options=[
                {"key": "vip", "label": "重要", "label_en": "Important"},
                {"key": "std", "label": "普通", "label_en": "Standard"},
                {"key": "old", "label": "旧等级", "is_active": False},
            ],
        ),
        make_field(
            "tags",
            "multiselect",
            "标签",
            options=[
                {"key": "a", "label": "甲"},
                {"key": "b", "label": "乙"},
                {"key": "c", "label": "丙"},
                {"key": "z", "label": "停用标签", "is_active": False},
            ],
        ),
        make_field("manager", "user", "客户经理"),
        make_field("partner", "lookup", "合作伙伴", target_object_type=ACCOUNT),
        make_field("hotline", "phone", "热线"),
        make_field("mail", "email", "邮箱"),
        make_field("site", "url", "官网"),
        make_field("region", "region", "所在地区"),
    ]
    # as loaded in a request (decimal limits as Decimal)
    return {f.name: f for f in CustomField.objects.filter(pk__in=[f.pk for f in fields])}


def account(owner, name="苏州精工机械有限公司", **custom):
    return Account.objects.create(name=name, owner=owner, custom_data=custom)


def reload(obj):
    return type(obj).all_objects.get(pk=obj.pk)


def form_data(owner, **extra):
    """A valid create/edit POST for the account form."""
    data = {"name": "昆山新材料有限公司", "account_type": "end_customer", "owner": owner.pk}
    data.update(extra)
    return data


# ---------------------------------------------------------------------------------- clean_value
VALID = [
    ("note", "  你好 world  ", "你好 world"),
    ("note", 12345, "12345"),
    ("memo", "第一行\n第二行", "第一行\n第二行"),
    ("staff", "42", 42),
    ("staff", 42, 42),
    ("staff", "1,200", 1200),
    ("staff", "42.0", 42),
    ("ratio", "3.142", "3.142"),
    ("ratio", 2.5, "2.500"),
    ("revenue", "1234.5", "1234.50"),
    ("revenue", "¥1,234.50", "1234.50"),
    ("revenue", 1234.5, "1234.50"),
    ("revenue", Decimal("0.1"), "0.10"),
    ("revenue", "99999999999.99", "99999999999.99"),
    ("share", "12.5%", "12.50"),
    ("signed", "2024-03-05", "2024-03-05"),
    ("signed", "2024/3/5", "2024-03-05"),
    ("signed", dt.date(2024, 3, 5), "2024-03-05"),
    ("visit_at", "2024-03-05T10:30:00+08:00", "2024-03-05T02:30:00Z"),
    ("visit_at", "2024-03-05 10:30", "2024-03-05T02:30:00Z"),  # local time (Asia/Shanghai)
    ("listed", "是", True),
    ("listed", "否", False),
    ("listed", "true", True),
    ("listed", "0", False),
    ("listed", False, False),
    ("grade", "vip", "vip"),
    ("grade", "重要", "vip"),
    ("grade", "Standard", "std"),
    ("tags", "甲,乙", ["a", "b"]),
    ("tags", "乙；丙；乙", ["b", "c"]),
    ("tags", ["a", "c"], ["a", "c"]),
    ("hotline", "0512-57001234", "0512-57001234"),
    ("hotline", "+86 138 0013 8000", "+86 138 0013 8000"),
    ("mail", "sales@jinggong.cn", "sales@jinggong.cn"),
    ("site", "https://www.jinggong.cn/about", "https://www.jinggong.cn/about"),
    ("region", "江苏省/苏州市/昆山市", {"province": "江苏省", "city": "苏州市", "district": "昆山市"}),
    ("region", "浙江省 杭州市", {"province": "浙江省", "city": "杭州市"}),
    (
        "region",
        {"province": "上海市", "city": "", "district": "浦东新区"},
        {"province": "上海市", "district": "浦东新区"},
    ),
    ("note", "", None),
    ("staff", "   ", None),
    ("tags", [], None),
]


@pytest.mark.parametrize(("name", "raw", "stored"), VALID)
def test_valid_input_is_stored_in_its_exact_form(defs, name, raw, stored):
    # given a custom field of the type
    definition = defs[name]
    # when a user, import or API value is cleaned
    value = clean_custom_data(list(defs.values()), {name: raw})
    # then the stored value is exact (no floats, ISO dates, option keys)
    assert value.get(name) == stored
    assert not isinstance(value.get(name), float)
    assert definition.clean_value(raw) == stored


INVALID = [
    ("note", "二十一个字符二十一个字符二十一个字符二十一", "at most 20 characters"),
    ("note", ["a list"], "enter text"),
    ("staff", "abc", "whole number"),
    ("staff", "1.5", "whole number"),
    ("staff", True, "whole number"),
    ("staff", "NaN", "whole number"),
    ("staff", "Infinity", "whole number"),
    ("staff", "100001", "at most 100000"),
    ("staff", "-1", "at least 0"),
    ("staff", str(2**60), "too large"),
    ("ratio", "1.2345", "at most 3 decimal places"),
    ("ratio", "NaN", "enter a number"),
    ("ratio", "-Infinity", "enter a number"),
    ("ratio", "abc", "enter a number"),
    ("ratio", True, "enter a number"),
    ("revenue", "1234.567", "at most 2 decimal places"),
    ("revenue", "-0.01", "at least 0"),
    ("revenue", "1e30", "too large"),
    ("share", "100.01", "at most 100"),
    ("signed", "2024-02-30", "valid date"),
    ("signed", "明天", "valid date"),
    ("visit_at", "下午三点", "valid date and time"),
    ("listed", "也许", "yes or no"),
    ("grade", "gold", "not one of the options"),
    ("grade", ["vip"], "choose one option"),
    ("grade", "old", "no longer in use"),
    ("tags", ["a", "zzz"], "not one of the options"),
    ("tags", "甲,停用标签", "no longer in use"),
    ("tags", [["a"]], "choose from the options"),
    ("hotline", "12ab", "valid phone number"),
    ("mail", "not-an-email", "valid email"),
    ("site", "javascript:alert(1)", "valid URL"),
    ("site", "ftp://files.jinggong.cn", "valid URL"),
    ("region", "火星省/奥林帕斯", "is not a province"),
    ("region", ["江苏省"], "enter province, city and district"),
    ("region", {"province": "江苏省", "planet": "地球"}, "enter province, city and district"),
    ("manager", "ghost", "no active user"),
    ("partner", "abc", "with ID"),
    ("partner", "999999", "with ID"),
]


@pytest.mark.parametrize(("name", "raw", "message"), INVALID)
def test_bad_input_gives_an_error_that_names_the_field_and_changes_nothing(defs, name, raw, message):
    # given a record's stored custom data
    existing = {"note": "原值"}
    # when bad input is cleaned
    with pytest.raises(ValidationError) as info:
        clean_custom_data(list(defs.values()), {name: raw}, existing=existing)
    # then the error is keyed by the field, names it, and explains the problem
    errors = info.value.message_dict
    assert list(errors) == [f"cf_{name}"]
    text = " ".join(errors[f"cf_{name}"])
    assert defs[name].label in text
    assert message in text
    assert existing == {"note": "原值"}


def test_an_inactive_or_deleted_user_cannot_be_chosen(org, defs):
    # given a deactivated user and a deleted one
    org.rep_js2.is_active = False
    org.rep_js2.save()
    gone = type(org.nobody).objects.create_user("gone", name="离职员工")
    gone_id = gone.pk
    gone.delete()
    # when they are chosen for a user field; then the field refuses them
    for raw in (org.rep_js2.pk, "rep_js2", gone_id):
        with pytest.raises(ValidationError, match="客户经理: no active user"):
            defs["manager"].clean_value(raw)
    # and an active user is stored by id whether given as id, username or name
    assert defs["manager"].clean_value(org.rep_js.pk) == org.rep_js.pk
    assert defs["manager"].clean_value("rep_js") == org.rep_js.pk
    assert defs["manager"].clean_value("张伟") == org.rep_js.pk


def test_a_lookup_accepts_only_records_the_acting_user_can_see(org, defs):
    # given an account of the rep's and one of a rep in another company
    own = account(org.rep_js, "自己的客户")
    foreign = account(org.rep_zj, "浙江的客户")
    # when the rep picks each as the lookup value
    with acting_as(org.rep_js, source="api"):
        assert defs["partner"].clean_value(str(own.pk)) == own.pk
        # then the hidden one is refused as if it did not exist
        with pytest.raises(ValidationError, match="合作伙伴: no Account with ID"):
            defs["partner"].clean_value(foreign.pk)


def test_unknown_and_inactive_custom_field_keys_are_errors(defs):
    # given an inactive field
    defs["memo"].is_active = False
    definitions = list(defs.values())
    # when values for an unknown and the inactive field arrive
    with pytest.raises(ValidationError) as info:
        clean_custom_data(definitions, {"nope": "1", "memo": "x"})
    # then both are named as unknown
    errors = info.value.message_dict
    assert errors["cf_nope"] == ["Unknown custom field “nope”."]
    assert errors["cf_memo"] == ["Unknown custom field “memo”."]


def test_a_required_field_must_have_a_value_but_patch_may_omit_it(defs):
    # given a required field
    defs["staff"].required = True
    definitions = list(defs.values())
    # when a record is created without it, then the field is named as required
    with pytest.raises(ValidationError) as info:
        clean_custom_data(definitions, {"note": "x"})
    assert info.value.message_dict == {"cf_staff": ["员工人数 is required."]}
    # and clearing it on an update is refused too
    with pytest.raises(ValidationError):
        clean_custom_data(definitions, {"staff": ""}, existing={"staff": 5}, partial=True)
    # but a partial update that does not touch it keeps the stored value
    assert clean_custom_data(definitions, {"note": "y"}, existing={"staff": 5}, partial=True) == {
        "staff": 5,
        "note": "y",
    }


def test_hostile_text_is_stored_verbatim(defs):
    # given text a spreadsheet or a browser would interpret
    hostile = '=HYPERLINK("http://evil")'
    # when it is cleaned, then it is kept exactly as typed
    assert clean_custom_data(list(defs.values()), {"memo": hostile}) == {"memo": hostile}


def test_defaults_apply_on_create_only_when_the_value_is_missing(defs):
    # given fields with defaults (including a false boolean)
    defs["grade"].default = "std"
    defs["listed"].default = False
    definitions = list(defs.values())
    # when a record is created without them, then the defaults are stored
    assert clean_custom_data(definitions, {}) == {"grade": "std", "listed": False}
    # and a given value wins over the default
    assert clean_custom_data(definitions, {"grade": "vip"})["grade"] == "vip"
    # and a partial update does not fill in defaults
    assert clean_custom_data(definitions, {}, existing={"note": "x"}, partial=True) == {"note": "x"}


def test_a_deactivated_option_stays_on_existing_records_and_still_displays(defs):
    # given records holding options deactivated since
    existing = {"grade": "old", "tags": ["a", "z"]}
    # when they are saved again with the same values, then the values are kept
    merged = clean_custom_data(list(defs.values()), {"grade": "old", "tags": ["a", "z"]}, existing=existing)
    assert merged == existing
    # and they still display with their labels
    assert defs["grade"].display("old") == "旧等级"
    assert defs["tags"].display(["a", "z"]) == "甲、停用标签"


def test_display_formats_stored_values_for_people(defs):
    assert defs["revenue"].display("1234.50") == "¥1,234.50"
    assert defs["share"].display("12.50") == "12.50%"
    assert defs["visit_at"].display("2024-03-05T02:30:00Z") == "2024-03-05 10:30"
    assert defs["region"].display({"province": "江苏省", "city": "苏州市"}) == "江苏省 苏州市"
    assert defs["listed"].display(False) == gettext("No")
    assert defs["manager"].display(7, labels={7: "张伟"}) == "张伟"


# ---------------------------------------------------------------------------------- web form
def test_the_web_form_stores_every_type_exactly(org, defs, client_for):
    # given an admin filling in every custom field on the new-account form
    partner = account(org.admin, "合作伙伴公司")
    data = form_data(
        org.admin,
        cf_note="重点跟进",
        cf_memo='=HYPERLINK("http://evil")',
        cf_staff="250",
        cf_ratio="0.125",
        cf_revenue="1234.5",
        cf_share="12.5",
        cf_signed="2024-03-05",
        cf_visit_at="2024-03-05T10:30",
        cf_listed="true",
        cf_grade="vip",
        cf_tags=["a", "c"],
        cf_manager=str(org.rep_js.pk),
        cf_partner=str(partner.pk),
        cf_hotline="0512-57001234",
        cf_mail="sales@jinggong.cn",
        cf_site="https://www.jinggong.cn",
        cf_region_0="江苏省",
        cf_region_1="苏州市",
        cf_region_2="昆山市",
    )
    # when the form is posted
    response = client_for(org.admin).post(f"{LIST_URL}new/", data)
    # then the record is saved with the exact stored forms
    assert response.status_code == 302, response.context["form"].errors
    created = Account.objects.get(name="昆山新材料有限公司")
    assert created.custom_data == {
        "note": "重点跟进",
        "memo": '=HYPERLINK("http://evil")',
        "staff": 250,
        "ratio": "0.125",
        "revenue": "1234.50",
        "share": "12.50",
        "signed": "2024-03-05",
        "visit_at": "2024-03-05T02:30:00Z",
        "listed": True,
        "grade": "vip",
        "tags": ["a", "c"],
        "manager": org.rep_js.pk,
        "partner": partner.pk,
        "hotline": "0512-57001234",
        "mail": "sales@jinggong.cn",
        "site": "https://www.jinggong.cn",
        "region": {"province": "江苏省", "city": "苏州市", "district": "昆山市"},
    }


def test_the_detail_page_shows_custom_values_readably_and_escaped(org, defs, client_for):
    # given an account with hostile text and coded values
    obj = account(
        org.admin,
        memo='<script>alert(1)</script>=HYPERLINK("http://evil")',
        grade="old",
        tags=["a", "z"],
        revenue="1234.50",
        manager=org.rep_js.pk,
    )
    # when its page is opened
    html = client_for(org.admin).get(obj.get_absolute_url()).content.decode()
    # then the text is escaped, never markup, and codes show as labels
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;=HYPERLINK(&quot;http://evil&quot;)" in html
    assert "旧等级" in html
    assert "甲、停用标签" in html
    assert "¥1,234.50" in html
    assert "张伟" in html


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cf_staff", "abc"),
        ("cf_staff", "100001"),
        ("cf_revenue", "1.234"),
        ("cf_revenue", "NaN"),
        ("cf_ratio", "Infinity"),
        ("cf_signed", "2024-02-30"),
        ("cf_grade", "gold"),
        ("cf_grade", "old"),
        ("cf_tags", "z"),
        ("cf_listed", "maybe"),
        ("cf_mail", "not-an-email"),
        ("cf_site", "javascript:alert(1)"),
        ("cf_hotline", "12ab"),
        ("cf_note", "x" * 21),
        ("cf_region_0", "火星省"),
    ],
)
def test_the_web_form_refuses_bad_custom_values_on_the_field_and_saves_nothing(
    org, defs, client_for, field, value
):
    # given an existing account
    obj = account(org.admin, name="原名称", staff=10)
    # when a bad value is posted on edit and on create
    c = client_for(org.admin)
    edit = c.post(f"{LIST_URL}{obj.pk}/edit/", form_data(org.admin, name="新名称", **{field: value}))
    create = c.post(f"{LIST_URL}new/", form_data(org.admin, **{field: value}))
    # then both forms show the error on that field and nothing was stored
    key = field.removesuffix("_0")
    for response in (edit, create):
        assert response.status_code == 400
        assert key in response.context["form"].errors
    assert reload(obj).name == "原名称"
    assert reload(obj).custom_data == {"staff": 10}
    assert Account.objects.count() == 1


def test_the_web_form_refuses_an_inactive_user_and_a_hidden_lookup(org, defs, client_for):
    # given a deactivated user and an account the rep cannot see
    org.rep_js2.is_active = False
    org.rep_js2.save()
    hidden = account(org.rep_zj, "浙江的客户")
    # when the rep posts them
    response = client_for(org.rep_js).post(
        f"{LIST_URL}new/",
        form_data(org.rep_js, cf_manager=str(org.rep_js2.pk), cf_partner=str(hidden.pk)),
    )
    # then both fields have errors, nothing is created and the hidden name is not revealed
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "cf_manager" in errors
    assert "cf_partner" in errors
    assert "浙江的客户" not in response.content.decode()
    assert not Account.objects.filter(name="昆山新材料有限公司").exists()


def test_a_required_custom_field_is_required_in_the_form(org, defs, client_for):
    # given a required field
    defs["staff"].required = True
    defs["staff"].save()
    # when the form is posted without it
    response = client_for(org.admin).post(f"{LIST_URL}new/", form_data(org.admin))
    # then the field has an error and nothing is created
    assert response.status_code == 400
    assert "cf_staff" in response.context["form"].errors
    assert not Account.objects.exists()


def test_editing_without_touching_a_deactivated_option_keeps_it(org, defs, client_for):
    # given a record with options that were deactivated since
    obj = account(org.admin, name="老客户", grade="old", tags=["a", "z"])
    c = client_for(org.admin)
    # when its edit form is opened, the stored options are still offered and selected
    page = c.get(f"{LIST_URL}{obj.pk}/edit/")
    assert page.context["form"]["cf_grade"].value() == "old"
    assert "旧等级" in page.content.decode()
    # and the form is saved with the name changed and those fields as shown
    response = c.post(
        f"{LIST_URL}{obj.pk}/edit/",
        form_data(org.admin, name="老客户（改）", cf_grade="old", cf_tags=["a", "z"]),
    )
    # then the stored options are kept
    assert response.status_code == 302
    assert reload(obj).name == "老客户（改）"
    assert reload(obj).custom_data == {"grade": "old", "tags": ["a", "z"]}


def test_values_of_a_deactivated_field_survive_form_and_api_edits(org, defs, client_for, api_for):
    # given a record with a value in a field deactivated since
    obj = account(org.admin, name="老客户", memo="保留的说明")
    defs["memo"].is_active = False
    defs["memo"].save()
    # when the record is edited through the form and the API
    assert (
        client_for(org.admin).post(f"{LIST_URL}{obj.pk}/edit/", form_data(org.admin, name="甲")).status_code
        == 302
    )
    assert (
        api_for(org.admin)
        .put(f"{API_URL}{obj.pk}/", {"name": "乙", "account_type": "end_customer"}, format="json")
        .status_code
        == 200
    )
    # then the hidden value is untouched
    assert reload(obj).custom_data == {"memo": "保留的说明"}


def test_the_new_form_shows_defaults(org, defs, client_for):
    # given a select field with a default
    defs["grade"].default = "std"
    defs["grade"].save()
    # when the new-account form is opened
    page = client_for(org.admin).get(f"{LIST_URL}new/")
    # then the default is preselected
    assert page.context["form"]["cf_grade"].value() == "std"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cf_staff", "", "员工人数 is required."),
        ("cf_staff", "abc", "员工人数: enter a whole number."),
        ("cf_grade", "old", "客户等级: the option “旧等级” is no longer in use."),
        ("cf_revenue", "NaN", "年营收: enter a number."),
    ],
)
def test_bulk_edit_refuses_what_the_form_refuses_and_changes_nothing(
    org, defs, client_for, field, value, message
):
    # given a required field and two accounts
    defs["staff"].required = True
    defs["staff"].save()
    rows = [account(org.admin, name=n, staff=5, grade="vip") for n in ("甲", "乙")]
    # when a bad value is applied to both from the list page
    response = client_for(org.admin).post(
        f"{LIST_URL}bulk/",
        {"bulk_action": "edit", "pk": [r.pk for r in rows], "field": field, "value": value},
        follow=True,
    )
    # then the message names the field and no record changed
    assert message in response.content.decode()
    assert [reload(r).custom_data for r in rows] == [{"staff": 5, "grade": "vip"}] * 2


def test_bulk_edit_stores_custom_values_exactly(org, defs, client_for):
    rows = [account(org.admin, name=n) for n in ("甲", "乙")]
    client = client_for(org.admin)
    for field, value in (("cf_revenue", "¥1,234.5"), ("cf_grade", "重要"), ("cf_listed", "是")):
        client.post(
            f"{LIST_URL}bulk/",
            {"bulk_action": "edit", "pk": [r.pk for r in rows], "field": field, "value": value},
        )
    assert [reload(r).custom_data for r in rows] == [
        {"revenue": "1234.50", "grade": "vip", "listed": True}
    ] * 2


# ---------------------------------------------------------------------------------- API
def test_the_api_stores_values_in_their_exact_form(org, defs, api_for):
    # given an API client sending strings, labels and numbers
    payload = {
        "name": "无锡重工",
        "account_type": "end_customer",
        "custom_fields": {
            "staff": "1,200",
            "revenue": 1234.5,
            "signed": "2024/3/5",
            "listed": "是",
            "grade": "重要",
            "tags": "甲,丙",
            "manager": "rep_js",
            "region": "江苏省/苏州市/昆山市",
        },
    }
    # when it creates an account
    response = api_for(org.admin).post(API_URL, payload, format="json")
    # then the values are stored exactly and returned as stored
    assert response.status_code == 201, response.json()
    expected = {
        "staff": 1200,
        "revenue": "1234.50",
        "signed": "2024-03-05",
        "listed": True,
        "grade": "vip",
        "tags": ["a", "c"],
        "manager": org.rep_js.pk,
        "region": {"province": "江苏省", "city": "苏州市", "district": "昆山市"},
    }
    assert response.json()["custom_fields"] == expected
    assert Account.objects.get(pk=response.json()["id"]).custom_data == expected


@pytest.mark.parametrize(
    ("custom", "name", "message"),
    [
        ({"staff": "abc"}, "staff", "员工人数: enter a whole number."),
        ({"revenue": "NaN"}, "revenue", "年营收: enter a number."),
        ({"revenue": "Infinity"}, "revenue", "年营收: enter a number."),
        ({"revenue": "1.234"}, "revenue", "年营收: at most 2 decimal places."),
        ({"share": 101}, "share", "份额: must be at most 100."),
        ({"grade": "gold"}, "grade", "客户等级: “gold” is not one of the options."),
        ({"grade": "old"}, "grade", "客户等级: the option “旧等级” is no longer in use."),
        ({"listed": "maybe"}, "listed", "是否上市: enter yes or no."),
        ({"nope": 1}, "nope", "Unknown custom field “nope”."),
        ({"note": "x" * 21}, "note", "备注: at most 20 characters (it has 21)."),
    ],
)
def test_the_api_refuses_bad_custom_values_naming_the_field(org, defs, api_for, custom, name, message):
    # given an account
    obj = account(org.admin, name="原名称", staff=10)
    api = api_for(org.admin)
    # when bad values are sent on create and on update
    created = api.post(API_URL, {"name": "新客户", "custom_fields": custom}, format="json")
    patched = api.patch(f"{API_URL}{obj.pk}/", {"name": "新名称", "custom_fields": custom}, format="json")
    # then both are 400 with the message under custom_fields.<name>, and nothing changed
    for response in (created, patched):
        assert response.status_code == 400
        assert response.json()["custom_fields"][name] == [message]
    assert Account.objects.count() == 1
    assert reload(obj).name == "原名称"
    assert reload(obj).custom_data == {"staff": 10}


def test_errors_are_translated_for_chinese_users(org, defs, api_for):
    # given a user whose browser asks for Chinese
    api = api_for(org.admin)
    # when a bad value is sent
    with translation.override("zh-hans"):
        response = api.post(
            API_URL,
            {"name": "新客户", "custom_fields": {"revenue": "abc"}},
            format="json",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    # then the message is in Chinese and names the field
    assert response.status_code == 400
    assert response.json()["custom_fields"]["revenue"] == ["年营收：请输入数字。"]


def test_the_api_refuses_a_lookup_to_a_record_the_caller_cannot_see(org, defs, api_for):
    # given an account in another company
    hidden = account(org.rep_zj, "浙江的客户")
    # when a Jiangsu rep links to it
    response = api_for(org.rep_js).post(
        API_URL, {"name": "新客户", "custom_fields": {"partner": hidden.pk}}, format="json"
    )
    # then it is refused like a missing record (no name leaked)
    assert response.status_code == 400
    assert response.json()["custom_fields"]["partner"] == [f"合作伙伴: no Account with ID “{hidden.pk}”."]
    assert "浙江的客户" not in response.content.decode()


def test_the_api_applies_defaults_on_create_and_patch_keeps_other_values(org, defs, api_for):
    # given a default and a required field
    defs["grade"].default = "std"
    defs["grade"].save()
    defs["staff"].required = True
    defs["staff"].save()
    api = api_for(org.admin)
    # when an account is created without the defaulted field
    created = api.post(API_URL, {"name": "新客户", "custom_fields": {"staff": 5}}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["custom_fields"] == {"staff": 5, "grade": "std"}
    # and one field is patched
    pk = created.json()["id"]
    patched = api.patch(f"{API_URL}{pk}/", {"custom_fields": {"note": "补充"}}, format="json")
    # then the others are kept
    assert patched.status_code == 200
    assert Account.objects.get(pk=pk).custom_data == {"staff": 5, "grade": "std", "note": "补充"}
    # and a create without the required field is refused
    missing = api.post(API_URL, {"name": "缺字段"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["custom_fields"]["staff"] == ["员工人数 is required."]


def test_the_api_returns_hostile_text_verbatim(org, defs, api_for):
    hostile = '=HYPERLINK("http://evil")'
    response = api_for(org.admin).post(
        API_URL, {"name": "新客户", "custom_fields": {"memo": hostile}}, format="json"
    )
    assert response.status_code == 201
    assert api_for(org.admin).get(f"{API_URL}{response.json()['id']}/").json()["custom_fields"] == {
        "memo": hostile
    }


# ---------------------------------------------------------------------------------- filtering
@pytest.fixture
def filter_rows(org, defs):
    """Accounts with a spread of custom values (and one without any)."""
    rows = {
        "a": account(
            org.admin,
            "甲公司",
            staff=5,
            revenue="100.00",
            signed="2024-01-15",
            visit_at="2024-01-15T01:00:00Z",
            listed=True,
            grade="vip",
            tags=["a", "b"],
            region={"province": "江苏省", "city": "苏州市"},
            note="精密铸造",
            manager=org.rep_js.pk,
        ),
        "b": account(
            org.admin,
            "乙公司",
            staff=50,
            revenue="2500.50",
            signed="2024-03-01",
            visit_at="2024-02-29T17:00:00Z",
            listed=False,
            grade="std",
            tags=["c"],
            region={"province": "浙江省"},
            note="数控机床",
        ),
        "c": account(
            org.admin,
            "丙公司",
            staff=500,
            revenue="99.99",
            signed="2023-12-31",
            grade="old",
            tags=["b", "z"],
            region={"province": "江苏省", "city": "无锡市"},
        ),
        "d": account(org.admin, "丁公司"),
    }
    return rows


FILTERS = [
    ("cf_staff__gte=50", {"b", "c"}),
    ("cf_staff__lte=50", {"a", "b"}),
    ("cf_staff__gte=6&cf_staff__lte=499", {"b"}),
    ("cf_revenue__gte=100", {"a", "b"}),
    ("cf_revenue__lte=99.99", {"c"}),
    ("cf_signed__gte=2024-01-15", {"a", "b"}),
    ("cf_signed__lte=2024-01-14", {"c"}),
    ("cf_visit_at__gte=2024-03-01", {"b"}),  # 2024-03-01 01:00 in Shanghai
    ("cf_visit_at__lte=2024-02-29", {"a"}),
    ("cf_listed=true", {"a"}),
    ("cf_listed=false", {"b"}),
    ("cf_grade=vip&cf_grade=std", {"a", "b"}),
    ("cf_tags=a", {"a"}),
    ("cf_tags=b", {"a", "c"}),
    ("cf_tags=a&cf_tags=c", {"a", "b"}),
    ("cf_region=江苏省", {"a", "c"}),
    ("cf_note=机床", {"b"}),
    ("cf_manager={rep_js}", {"a"}),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_custom_filters_give_the_same_rows_on_the_list_page_and_the_api(
    org, filter_rows, client_for, api_for, query, expected
):
    # given accounts with various custom values
    query = query.format(rep_js=org.rep_js.pk)
    want = {filter_rows[k].pk for k in expected}
    # when the list page and the API are filtered
    page = client_for(org.admin).get(f"{LIST_URL}?{query}")
    api = api_for(org.admin).get(f"{API_URL}?{query}")
    # then both return exactly the matching accounts
    assert page.status_code == 200
    assert page.context["filterset"].is_valid(), page.context["filterset"].errors
    assert {obj.pk for obj, _cells, _card in page.context["rows"]} == want
    assert api.status_code == 200
    assert {row["id"] for row in api.json()["results"]} == want


@pytest.mark.parametrize(
    "query",
    [
        "cf_staff__gte=abc",
        "cf_revenue__lte=1e",
        "cf_signed__gte=2024-02-30",
        "cf_visit_at__lte=yesterday",
        "cf_grade=gold",
        "cf_tags=nope",
        "cf_listed=maybe",
        "cf_region=火星省",
        "cf_manager=abc",
    ],
)
def test_bad_filter_values_give_a_form_error_not_a_500(org, filter_rows, client_for, api_for, query):
    # when a list is filtered with a value of the wrong type
    page = client_for(org.admin).get(f"{LIST_URL}?{query}")
    api = api_for(org.admin).get(f"{API_URL}?{query}")
    # then the page shows the filter's error and no rows, and the API answers 400
    name = query.split("=")[0]
    assert page.status_code == 200
    assert name in page.context["filterset"].errors
    assert page.context["rows"] == []
    assert api.status_code == 400
    assert name in api.json()


@pytest.mark.parametrize("which", ["inactive_user", "hidden_lookup", "fraction"])
def test_filtering_by_a_user_or_lookup_that_is_not_selectable_is_not_an_error(
    org, defs, client_for, api_for, which
):
    # given an account pointing at a user who has left and at a partner hidden from the rep
    hidden = account(org.rep_zj, "浙江的客户")
    mine = account(org.rep_js, "自己的客户", manager=org.rep_js2.pk, partner=hidden.pk)
    org.rep_js2.is_active = False
    org.rep_js2.save()
    query, want = {
        "inactive_user": (f"cf_manager={org.rep_js2.pk}", [mine.pk]),
        "hidden_lookup": (f"cf_partner={hidden.pk}", [mine.pk]),
        "fraction": ("cf_manager=1.5", []),
    }[which]
    # when the rep filters the list by them
    page = client_for(org.rep_js).get(f"{LIST_URL}?{query}")
    api = api_for(org.rep_js).get(f"{API_URL}?{query}")
    # then the matching records of the rep's own are listed (never a 500)
    assert page.status_code == 200
    assert [obj.pk for obj, _cells, _card in page.context["rows"]] == want
    assert api.status_code == 200
    assert [row["id"] for row in api.json()["results"]] == want


# ---------------------------------------------------------------------------------- sorting
def _sort_value(definition, raw):
    if raw is None:
        return None
    if definition.type in ("integer", "decimal", "money", "percent"):
        return Decimal(str(raw))
    return raw


@pytest.fixture
def sort_rows(org, defs):
    """60 accounts (three pages of 25): ties, and a third without a value, so one page ends on a
    value and the next on a NULL."""
    values = []
    for i in range(60):
        blank = i % 3 == 0
        custom = {
            "staff": [9, 10, 100, 2, 10][i % 5],
            "revenue": ["1234.50", "99.90", "1000000.00", "5.05", "99.90"][i % 5],
            "signed": f"2024-{(i % 12) + 1:02d}-{(i % 7) + 1:02d}",
            "note": ["b", "Ab", "a", "B", "苏州"][i % 5],
        }
        values.append({} if blank else custom)
    Account.objects.bulk_create(
        [Account(name=f"客户{i:02d}", owner=org.admin, custom_data=v) for i, v in enumerate(values)]
    )
    return list(Account.objects.order_by("pk"))


def _walk(client, url):
    """Follow the ``after`` cursor through every page; return the row ids in order."""
    ids, query, pages = [], url, 0
    while query is not None:
        response = client.get(query)
        assert response.status_code == 200
        ids.extend(obj.pk for obj, _cells, _card in response.context["rows"])
        next_query = response.context["next_query"]
        query = f"{LIST_URL}?{next_query}" if next_query else None
        pages += 1
        assert pages < 10
    return ids, pages


@pytest.mark.parametrize("name", ["staff", "revenue", "signed", "note"])
@pytest.mark.parametrize("descending", [False, True])
def test_sorting_by_a_custom_field_pages_through_all_rows_with_nulls_last(
    org, defs, sort_rows, client_for, name, descending
):
    # given 30 accounts, some without a value
    definition = defs[name]
    with_value = [o for o in sort_rows if o.custom_data.get(name) is not None]
    without = [o for o in sort_rows if o.custom_data.get(name) is None]
    with_value.sort(key=lambda o: (_sort_value(definition, o.custom_data[name]), o.pk), reverse=descending)
    without.sort(key=lambda o: o.pk, reverse=descending)
    expected = [o.pk for o in with_value + without]
    # when the list is sorted by the field, 25 per page, following the cursor
    sort = ("-" if descending else "") + f"cf_{name}"
    ids, pages = _walk(client_for(org.admin), f"{LIST_URL}?sort={sort}&per_page=25")
    # then every row comes once, in value order (numbers numerically), NULLs last
    assert pages == 3
    assert ids == expected


def test_sorting_by_a_custom_field_with_a_filter_keeps_the_filter_across_pages(
    org, defs, sort_rows, client_for
):
    # given 30 accounts
    want = sorted(
        (o for o in sort_rows if o.custom_data.get("staff") is not None and o.custom_data["staff"] >= 10),
        key=lambda o: (-o.custom_data["staff"], -o.pk),
    )
    # when sorted descending and filtered
    ids, _pages = _walk(client_for(org.admin), f"{LIST_URL}?sort=-cf_staff&cf_staff__gte=10&per_page=25")
    # then only the matching rows come, in order
    assert ids == [o.pk for o in want]


# ---------------------------------------------------------------------------------- nesting depth
def nested(depth: int, inner: str = '"x"') -> str:
    """JSON text of ``depth`` nested lists (built as text: json.dumps itself would recurse)."""
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize("depth", [12, 500, 10_000])
@pytest.mark.parametrize("name", ["memo", "region", "tags"])
def test_deeply_nested_custom_values_are_a_400_naming_the_field(org, defs, api_for, name, depth):
    # given an account
    obj = account(org.admin, name="原名称", staff=10)
    api = api_for(org.admin)
    body = '{"name": "新客户", "custom_fields": {"' + name + '": ' + nested(depth) + "}}"
    # when a custom value nested thousands of levels deep is sent on create and on update
    created = api.generic("POST", API_URL, body, content_type="application/json")
    patched = api.generic("PATCH", f"{API_URL}{obj.pk}/", body, content_type="application/json")
    # then both are a clear 400 under custom_fields.<name>, never a 500, and nothing changed
    for response in (created, patched):
        assert response.status_code == 400, response.content[:300]
        message = response.json()["custom_fields"][name][0]
        assert "nested too deeply" in message
        assert defs[name].label in message or name in message
    assert Account.objects.count() == 1
    assert reload(obj).custom_data == {"staff": 10}


def test_deep_nesting_elsewhere_in_an_api_body_is_a_400_naming_the_field(org, api_for):
    api = api_for(org.admin)
    body = '{"name": ' + nested(10_000) + "}"
    response = api.generic("POST", API_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["name"][0]
    top = api.generic("POST", API_URL, nested(10_000), content_type="application/json")
    assert top.status_code == 400
    assert "nested too deeply" in top.json()["detail"]
    assert not Account.objects.exists()


def test_clean_value_limits_the_nesting_depth_of_any_value(defs):
    deep: list = ["x"]
    for _ in range(5000):
        deep = [deep]
    for definition in defs.values():
        with pytest.raises(ValidationError) as caught:
            definition.clean_value(deep)
        assert caught.value.messages == [f"{definition.label}: the value is nested too deeply."]
    with pytest.raises(ValidationError) as caught:
        clean_custom_data(list(defs.values()), {"memo": {"a": deep}})
    assert "cf_memo" in caught.value.error_dict


def test_a_deeply_nested_list_cursor_is_a_bad_cursor_not_a_500(org, api_for):
    import base64

    cursor = base64.urlsafe_b64encode(nested(10_000, "1").encode()).decode().rstrip("=")
    response = api_for(org.admin).get(API_URL, {"cursor": cursor})
    assert response.status_code in (200, 400, 404)
