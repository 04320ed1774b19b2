"""Field permissions: per role, object type and field — hidden, masked, read only or editable —
applied by one resolver (``org.fieldaccess``) in every channel: lists and cards, the detail page
and related lists, forms, the API (output, input, filters, sorting), bulk edit, search and
lookups, exports, history and the timeline, and the write services themselves.

The Jiangsu manager's role (sales manager) hides a contact's mobile and a custom "ID card"
field, masks a contact's e-mail, and makes an account's credit code and custom grade read only.
Every test checks that the value itself never reaches the manager, and the allowed side too:
the superuser, and the same manager once a second role grants the field editable."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from lianke.core import context
from lianke.core.models import CustomField, ObjectChange
from lianke.core.records import batch, services
from lianke.customers.models import Account, Contact
from lianke.org import access, fieldaccess
from lianke.org.choices import FieldMode, Scope
from lianke.org.models import FieldPermission, Role, RolePermission

pytestmark = pytest.mark.django_db

MOBILE = "13812345678"
MOBILE_MASKED = "138****5678"
EMAIL = "zhangsan.buyer@example.com"
EMAIL_MASKED = "z***@example.com"
CREDIT = "91320583MA1XY2345G"
ID_CARD = "320503199001011234"
OTHER_CREDIT = "91320500MA1AB23455"


@pytest.fixture
def setup(org):
    CustomField.objects.create(
        object_type="customers.contact", name="id_card", label="身份证号", type="text", searchable=True
    )
    CustomField.objects.create(
        object_type="customers.account",
        name="grade",
        label="客户分级",
        type="select",
        options=[{"key": "key", "label": "重点客户"}, {"key": "normal", "label": "普通客户"}],
    )
    role = org.roles["sales_manager"]
    for object_type, field, mode in (
        ("customers.contact", "mobile", FieldMode.HIDDEN),
        ("customers.contact", "cf_id_card", FieldMode.HIDDEN),
        ("customers.contact", "email", FieldMode.MASKED),
        ("customers.account", "credit_code", FieldMode.READ_ONLY),
        ("customers.account", "cf_grade", FieldMode.READ_ONLY),
    ):
        FieldPermission.objects.create(role=role, object_type=object_type, field=field, mode=mode)
    account = Account.objects.create(
        name="苏州精工机械", owner=org.rep_js, credit_code=CREDIT, custom_data={"grade": "key"}
    )
    contact = Contact.objects.create(
        name="张三",
        account=account,
        owner=org.rep_js,
        mobile=MOBILE,
        email=EMAIL,
        custom_data={"id_card": ID_CARD},
    )
    return {"account": account, "contact": contact, "role": role}


def grant_editable(org, user, *fields):
    """A second role for ``user`` that grants the contacts and accounts with these fields editable."""
    role = Role.objects.create(name="数据管理员")
    for key in ("customers.contact", "customers.account"):
        RolePermission.objects.create(role=role, object_type=key, actions=["view", "edit"], scope=Scope.ALL)
    for object_type, field in fields:
        FieldPermission.objects.create(
            role=role, object_type=object_type, field=field, mode=FieldMode.EDITABLE
        )
    user.roles.add(role)
    access.clear_cache(user)
    return role


def secrets_in(text: str) -> list[str]:
    return [s for s in (MOBILE, EMAIL, ID_CARD, "12345678", "buyer@") if s in text]


# ---------------------------------------------------------------------------------- resolver
def test_the_widest_mode_across_the_roles_that_speak_about_the_type_wins(org, setup):
    manager = org.manager_js
    fields = fieldaccess.field_access(manager, Contact)
    assert not fields.visible("mobile") and fields.masked("email") and fields.editable("name")
    assert fieldaccess.field_access(manager, Account).mode("credit_code") == FieldMode.READ_ONLY
    # a role that grants nothing on contacts neither hides nor opens their fields
    other = Role.objects.create(name="无关角色")
    manager.roles.add(other)
    access.clear_cache(manager)
    assert not fieldaccess.field_access(manager, Contact).visible("mobile")
    # a role granting contacts without a rule for the mobile leaves it editable (no rule = editable)
    RolePermission.objects.create(
        role=other, object_type="customers.contact", actions=["view"], scope=Scope.OWN
    )
    access.clear_cache(manager)
    assert fieldaccess.field_access(manager, Contact).editable("mobile")


def test_superusers_and_system_work_are_unrestricted(org, setup):
    assert fieldaccess.field_access(org.admin, Contact).editable("mobile")
    assert fieldaccess.field_access(None, Contact).editable("mobile")
    assert fieldaccess.current(Contact).editable("mobile")  # tests run in a system context


def test_masks_keep_the_first_three_and_last_four_digits_and_the_first_letter():
    assert fieldaccess.mask(MOBILE) == MOBILE_MASKED
    assert fieldaccess.mask(EMAIL) == EMAIL_MASKED
    assert fieldaccess.mask("0512-66881234") == "051****1234"
    assert fieldaccess.mask("") == ""


@pytest.mark.parametrize(
    ("object_type", "field", "mode", "code"),
    [
        ("customers.contact", "no_such_field", FieldMode.HIDDEN, "unknown_field"),
        ("customers.contact", "owner", FieldMode.HIDDEN, "unknown_field"),
        ("customers.contact", "title", FieldMode.MASKED, "not_maskable"),
        ("customers.contact", "name", FieldMode.HIDDEN, "required_field"),
        ("customers.account", "name", FieldMode.READ_ONLY, "required_field"),
    ],
)
def test_a_rule_the_product_cannot_honour_is_refused_with_a_clear_error(org, object_type, field, mode, code):
    rule = FieldPermission(role=org.roles["sales_rep"], object_type=object_type, field=field, mode=mode)
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert code in [e.code for errors in exc.value.error_dict.values() for e in errors]


def test_a_custom_phone_field_may_be_masked(org):
    CustomField.objects.create(
        object_type="customers.contact", name="home_phone", label="家庭电话", type="phone"
    )
    FieldPermission(
        role=org.roles["sales_rep"], object_type="customers.contact", field="cf_home_phone", mode="masked"
    ).full_clean()


# ---------------------------------------------------------------------------------- pages
def test_the_list_has_no_hidden_column_and_masks_the_masked_one(org, setup, client_for):
    client = client_for(org.manager_js)
    html = client.get(
        "/customers/contact/", {"cols": ["name", "mobile", "email", "cf_id_card"]}
    ).content.decode()
    assert "张三" in html and EMAIL_MASKED in html
    assert secrets_in(html) == []
    assert 'value="mobile"' not in html and 'value="cf_id_card"' not in html  # not in the column chooser
    # the superuser sees every value
    admin_html = (
        client_for(org.admin)
        .get("/customers/contact/", {"cols": ["name", "mobile", "email"]})
        .content.decode()
    )
    assert MOBILE in admin_html and EMAIL in admin_html


def test_the_detail_page_and_the_related_list_show_no_hidden_value(org, setup, client_for):
    client = client_for(org.manager_js)
    contact_html = client.get(setup["contact"].get_absolute_url()).content.decode()
    account_html = client.get(setup["account"].get_absolute_url()).content.decode()
    assert EMAIL_MASKED in contact_html and "张三" in account_html
    assert secrets_in(contact_html) == [] and secrets_in(account_html) == []
    assert CREDIT in account_html  # read only is still shown


def test_filters_and_sorting_on_a_hidden_field_are_not_offered_nor_applied(org, setup, client_for):
    client = client_for(org.manager_js)
    Contact.objects.create(name="李四", owner=org.rep_js, mobile="13900000000")
    html = client.get("/customers/contact/", {"mobile": "139", "sort": "mobile"}).content.decode()
    assert "李四" in html and "张三" in html  # the filter was ignored
    assert 'name="mobile"' not in html and 'name="cf_id_card"' not in html
    assert 'name="email"' not in html  # a masked field is no filter either (it would confirm a value)


def test_search_does_not_find_a_record_by_a_hidden_or_masked_value(org, setup, client_for):
    client = client_for(org.manager_js)
    for text in (MOBILE, "1381234", ID_CARD, "buyer@example"):
        assert "张三" not in client.get("/search/", {"q": text}).content.decode(), text
        assert "张三" not in client.get("/customers/contact/", {"search": text}).content.decode(), text
        lookup = client.get("/lookup/customers.contact/", {"q": text}).content.decode()
        assert "张三" not in lookup, text
    assert "张三" in client.get("/search/", {"q": "张三"}).content.decode()
    # the superuser still finds it by its number
    assert "张三" in client_for(org.admin).get("/search/", {"q": MOBILE}).content.decode()


def test_search_results_mask_the_masked_number_and_leave_out_the_hidden_one(org, setup, client_for):
    html = client_for(org.manager_js).get("/search/", {"q": "张三"}).content.decode()
    assert EMAIL_MASKED in html and secrets_in(html) == []


def test_the_export_has_no_hidden_column_and_masks_masked_cells(org, setup, client_for):
    response = client_for(org.manager_js).get(
        "/customers/contact/export/", {"format": "csv", "columns": "all"}
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert "张三" in text and EMAIL_MASKED in text
    assert secrets_in(text) == []
    assert "身份证号" not in rows[0] and "Mobile" not in rows[0] and "手机" not in rows[0]


def test_history_and_timeline_leave_out_hidden_fields_and_mask_masked_ones(org, setup, client_for):
    contact = setup["contact"]
    with context.acting_as(org.rep_js, source=context.Source.WEB):
        contact = Contact.objects.get(pk=contact.pk)
        contact.mobile = "13987654321"
        contact.email = "other.person@example.com"
        contact.custom_data = {"id_card": "320503199001019999"}
        services.save_record(actor=org.rep_js, instance=contact)
        contact = Contact.objects.get(pk=contact.pk)
        contact.mobile = "13911112222"  # a change of a hidden field alone
        services.save_record(actor=org.rep_js, instance=contact)
    client = client_for(org.manager_js)
    ct = ContentType.objects.get_for_model(Contact)
    for url in (
        f"{contact.get_absolute_url()}history/",
        f"/activities/timeline/{ct.pk}/{contact.pk}/",
        f"{setup['account'].get_absolute_url()}history/",
    ):
        html = client.get(url).content.decode()
        assert secrets_in(html) == [] and "98765432" not in html and "11112222" not in html, url
        assert "9999" not in html
    html = client.get(f"{contact.get_absolute_url()}history/").content.decode()
    assert "o***@example.com" in html and EMAIL_MASKED in html
    # the change of the hidden mobile alone is not listed at all; the superuser sees both
    assert html.count("history-entry") == 1  # the visible e-mail change
    admin_html = client_for(org.admin).get(f"{contact.get_absolute_url()}history/").content.decode()
    assert "13911112222" in admin_html and admin_html.count("history-entry") == 2


# ---------------------------------------------------------------------------------- forms
def test_the_form_leaves_out_hidden_fields_and_shows_masked_and_read_only_ones_disabled(
    org, setup, client_for
):
    client = client_for(org.manager_js)
    html = client.get(f"{setup['contact'].get_absolute_url()}edit/").content.decode()
    assert 'name="mobile"' not in html and 'name="cf_id_card"' not in html
    assert secrets_in(html) == [] and EMAIL_MASKED in html
    assert re.search(r'<input[^>]*name="email"[^>]*disabled', html)
    account_html = client.get(f"{setup['account'].get_absolute_url()}edit/").content.decode()
    assert re.search(r'<input[^>]*name="credit_code"[^>]*disabled', account_html)


def test_a_form_ignores_a_posted_read_only_value_and_keeps_the_hidden_one(org, setup, client_for):
    account, contact = setup["account"], setup["contact"]
    client = client_for(org.manager_js)
    response = client.post(
        f"{account.get_absolute_url()}edit/",
        {
            "name": "苏州精工机械有限公司",
            "account_type": account.account_type,
            "credit_code": OTHER_CREDIT,
            "cf_grade": "normal",
            "record_version": account.version,
        },
    )
    assert response.status_code == 302, re.findall(
        r"(?:invalid-feedback[^>]*>|alert-danger[^>]*>)([^<]*)", response.content.decode()
    )
    account.refresh_from_db()
    assert account.name == "苏州精工机械有限公司"
    assert account.credit_code == CREDIT and account.custom_data["grade"] == "key"
    response = client.post(
        f"{contact.get_absolute_url()}edit/",
        {
            "name": "张三丰",
            "mobile": "13900000000",
            "email": "x@example.com",
            "cf_id_card": "1",
            "record_version": contact.version,
        },
    )
    assert response.status_code == 302, re.findall(
        r"(?:invalid-feedback[^>]*>|alert-danger[^>]*>)([^<]*)", response.content.decode()
    )
    contact.refresh_from_db()
    assert (contact.name, contact.mobile, contact.email) == ("张三丰", MOBILE, EMAIL)
    assert contact.custom_data == {"id_card": ID_CARD}


def test_bulk_edit_offers_and_accepts_only_editable_fields(org, setup, client_for):
    client = client_for(org.manager_js)
    html = client.get("/customers/account/").content.decode()
    assert '<option value="credit_code"' not in html and '<option value="cf_grade"' not in html
    account = setup["account"]
    response = client.post(
        "/customers/account/bulk/",
        {"bulk_action": "edit", "pks": str(account.pk), "field": "cf_grade", "value": "normal"},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.custom_data["grade"] == "key"


# ---------------------------------------------------------------------------------- API
def test_the_api_leaves_out_hidden_fields_and_masks_masked_ones(org, setup, api_for):
    api = api_for(org.manager_js)
    item = api.get(f"/api/customers/contacts/{setup['contact'].pk}/").json()
    assert "mobile" not in item and "id_card" not in item["custom_fields"]
    assert item["email"] == EMAIL_MASKED
    listing = api.get("/api/customers/contacts/").content.decode()
    assert "张三" in listing and secrets_in(listing) == []
    admin = api_for(org.admin).get(f"/api/customers/contacts/{setup['contact'].pk}/").json()
    assert admin["mobile"] == MOBILE and admin["custom_fields"]["id_card"] == ID_CARD


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"credit_code": OTHER_CREDIT}, "credit_code"),
        ({"custom_fields": {"grade": "normal"}}, "custom_fields"),
    ],
)
def test_the_api_refuses_a_read_only_change_with_its_code_and_changes_nothing(
    org, setup, api_for, body, field
):
    account = setup["account"]
    response = api_for(org.manager_js).patch(f"/api/customers/accounts/{account.pk}/", body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "field_read_only" and field in data
    account.refresh_from_db()
    assert account.credit_code == CREDIT and account.custom_data == {"grade": "key"} and account.version == 1


def test_the_api_refuses_hidden_and_masked_fields_on_create_and_update(org, setup, api_for):
    api = api_for(org.manager_js)
    contact = setup["contact"]
    for body in (
        {"mobile": "13900000000"},
        {"email": "new@example.com"},
        {"custom_fields": {"id_card": "1"}},
    ):
        response = api.patch(f"/api/customers/contacts/{contact.pk}/", body, format="json")
        assert response.status_code == 400 and response.json()["code"] == "field_read_only", body
    response = api.post("/api/customers/contacts/", {"name": "王五", "mobile": "13900000000"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "field_read_only"
    assert not Contact.objects.filter(name="王五").exists()
    contact.refresh_from_db()
    assert (contact.mobile, contact.email, contact.version) == (MOBILE, EMAIL, 1)


def test_a_put_of_the_record_as_read_goes_through(org, setup, api_for):
    api = api_for(org.manager_js)
    url = f"/api/customers/contacts/{setup['contact'].pk}/"
    item = api.get(url).json()
    item["title"] = "采购经理"
    response = api.put(url, {k: v for k, v in item.items() if k not in ("id", "version")}, format="json")
    assert response.status_code == 200, response.content
    stored = setup["contact"]
    stored.refresh_from_db()
    assert (stored.title, stored.mobile, stored.email) == ("采购经理", MOBILE, EMAIL)


@pytest.mark.parametrize(
    "params",
    [
        {"mobile": "138"},
        {"email": "example"},
        {"cf_id_card": "3205"},
        {"ordering": "mobile"},
        {"ordering": "-email"},
    ],
)
def test_the_api_refuses_to_filter_or_sort_by_a_field_one_may_not_read(org, setup, api_for, params):
    response = api_for(org.manager_js).get("/api/customers/contacts/", params)
    assert response.status_code == 400
    assert response.json()["code"] == "field_not_readable"
    assert secrets_in(response.content.decode()) == []


def test_the_api_search_does_not_match_hidden_fields(org, setup, api_for):
    assert api_for(org.manager_js).get("/api/customers/contacts/", {"search": MOBILE}).json()["results"] == []
    assert len(api_for(org.admin).get("/api/customers/contacts/", {"search": MOBILE}).json()["results"]) == 1


# ---------------------------------------------------------------------------------- services
def test_the_service_refuses_a_read_only_change_from_any_path_with_an_actor(org, setup):
    account = setup["account"]
    with context.acting_as(org.manager_js):
        stored = Account.objects.get(pk=account.pk)
        stored.credit_code = OTHER_CREDIT
        with pytest.raises(ValidationError) as exc:
            services.save_record(actor=org.manager_js, instance=stored)
        assert exc.value.error_dict["credit_code"][0].code == "field_read_only"
        with pytest.raises(ValidationError):
            services.bulk_edit(
                actor=org.manager_js, records=[account], field="grade", value="normal", custom=True
            )
        with pytest.raises(batch.BatchError) as batch_exc:
            batch.update_records(
                actor=org.manager_js,
                model=Account,
                changes={account.pk: {"credit_code": OTHER_CREDIT}},
            )
        assert "credit_code" in batch_exc.value.rows[0]
        with pytest.raises(batch.BatchError):
            batch.create_records(
                actor=org.manager_js, model=Contact, rows=[{"name": "赵六", "mobile": "13900000000"}]
            )
        with pytest.raises(ValidationError):
            services.save_record(actor=org.manager_js, instance=Contact(name="钱七", mobile="13900000000"))
    account.refresh_from_db()
    assert account.credit_code == CREDIT and account.custom_data == {"grade": "key"} and account.version == 1
    assert not Contact.objects.filter(name__in=["赵六", "钱七"]).exists()
    assert not ObjectChange.objects.filter(object_id=account.pk, action="update").exists()


def test_a_second_role_granting_the_field_editable_opens_it_everywhere(org, setup, api_for, client_for):
    grant_editable(org, org.manager_js, ("customers.contact", "mobile"), ("customers.account", "credit_code"))
    api = api_for(org.manager_js)
    assert api.get(f"/api/customers/contacts/{setup['contact'].pk}/").json()["mobile"] == MOBILE
    assert len(api.get("/api/customers/contacts/", {"search": MOBILE}).json()["results"]) == 1
    response = api.patch(
        f"/api/customers/accounts/{setup['account'].pk}/",
        {"credit_code": OTHER_CREDIT},
        format="json",
    )
    assert response.status_code == 200, response.content
    # what the second role says nothing about stays as the first role has it
    item = api.get(f"/api/customers/contacts/{setup['contact'].pk}/").json()
    assert item["email"] == EMAIL and "id_card" in item["custom_fields"]


def test_the_superuser_is_never_restricted(org, setup, api_for):
    api = api_for(org.admin)
    response = api.patch(
        f"/api/customers/accounts/{setup['account'].pk}/",
        {"credit_code": OTHER_CREDIT},
        format="json",
    )
    assert response.status_code == 200
    assert api.get("/api/customers/contacts/", {"mobile": "138", "ordering": "mobile"}).status_code == 200


def test_other_people_with_other_roles_are_not_affected(org, setup, api_for):
    # the rep who owns the records has no rule: everything editable
    api = api_for(org.rep_js)
    assert api.get(f"/api/customers/contacts/{setup['contact'].pk}/").json()["mobile"] == MOBILE
    response = api.patch(
        f"/api/customers/contacts/{setup['contact'].pk}/", {"mobile": "13900000001"}, format="json"
    )
    assert response.status_code == 200


# ---------------------------------------------------------------------------------- settings
def test_an_administrator_sets_field_permissions_on_the_role_page_and_history_records_it(org, client_for):
    role = org.roles["sales_rep"]
    client = client_for(org.admin)
    page = client.get(f"/admin/org/role/{role.pk}/change/").content.decode()
    assert "field_permissions-TOTAL_FORMS" in page
    permissions = list(role.permissions.all())
    data = {
        "name": role.name,
        "description": role.description,
        "is_active": "on",
        "permissions-TOTAL_FORMS": str(len(permissions)),
        "permissions-INITIAL_FORMS": str(len(permissions)),
        "permissions-MIN_NUM_FORMS": "0",
        "permissions-MAX_NUM_FORMS": "1000",
        "field_permissions-TOTAL_FORMS": "1",
        "field_permissions-INITIAL_FORMS": "0",
        "field_permissions-MIN_NUM_FORMS": "0",
        "field_permissions-MAX_NUM_FORMS": "1000",
        "field_permissions-0-object_type": "customers.contact",
        "field_permissions-0-field": "mobile",
        "field_permissions-0-mode": "masked",
    }
    for i, p in enumerate(permissions):
        data |= {
            f"permissions-{i}-id": str(p.pk),
            f"permissions-{i}-role": str(role.pk),
            f"permissions-{i}-object_type": p.object_type,
            f"permissions-{i}-actions": p.actions,
            f"permissions-{i}-scope": p.scope,
        }
    response = client.post(f"/admin/org/role/{role.pk}/change/", data)
    assert response.status_code == 302, re.findall(
        r"(?:invalid-feedback[^>]*>|alert-danger[^>]*>)([^<]*)", response.content.decode()
    )
    assert FieldPermission.objects.get(role=role).mode == "masked"
    change = ObjectChange.objects.filter(content_type__model="role").order_by("-id").first()
    assert change.postchange_data["field_permissions"] == [
        {"object_type": "customers.contact", "field": "mobile", "mode": "masked"}
    ]
    # a field that cannot be masked is refused on the page, naming the reason
    data["field_permissions-0-field"] = "title"
    response = client.post(f"/admin/org/role/{role.pk}/change/", data)
    assert response.status_code == 200
    assert FieldPermission.objects.get(role=role).field == "mobile"


def test_a_list_page_asks_for_field_permissions_once_not_per_row(org, setup, client_for):
    for i in range(30):
        Contact.objects.create(
            name=f"联系人{i}", owner=org.rep_js, mobile=f"139{i:08d}", email=f"c{i}@example.com"
        )
    client = client_for(org.manager_js)
    client.get("/customers/contact/")  # warm up
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        html = client.get("/customers/contact/", {"cols": ["name", "email", "mobile"]}).content.decode()
    assert "c***@example.com" in html and "13900000001" not in html
    assert sum("org_fieldpermission" in q["sql"] for q in queries.captured_queries) <= 2


def test_a_read_only_stage_is_a_path_to_look_at_and_a_move_is_refused(org, stages, client_for):
    from lianke.sales.models import Opportunity

    FieldPermission.objects.create(
        role=org.roles["sales_rep"], object_type="sales.opportunity", field="stage", mode=FieldMode.READ_ONLY
    )
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    opp = Opportunity.objects.create(
        name="二期项目", account=account, owner=org.rep_js, stage_set=stages["set"], stage=stages["first"]
    )
    client = client_for(org.rep_js)
    html = client.get(opp.get_absolute_url()).content.decode()
    assert "stage-path" in html and not re.search(r'<li class="stage-step[^>]*>\s*<button', html)
    response = client.post(
        f"/sales/opportunity/{opp.pk}/move/", {"stage": stages["quote"].pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    opp.refresh_from_db()
    assert opp.stage == stages["first"] and opp.version == 1


def test_a_hidden_amount_is_on_no_kanban_card_in_no_column_total_and_not_on_the_home_page(
    org, stages, client_for
):
    from lianke.sales.models import Opportunity

    FieldPermission.objects.create(
        role=org.roles["sales_rep"], object_type="sales.opportunity", field="amount", mode=FieldMode.HIDDEN
    )
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    opp = Opportunity.objects.create(
        name="二期项目",
        account=account,
        owner=org.rep_js,
        stage_set=stages["set"],
        stage=stages["first"],
        amount="987654.00",
    )
    # the amount in any format (987654, 987,654, 987 654.00), not digits inside another number
    # (a user id such as 5987 in a people picker)
    amount = re.compile(r"(?<![\d.])987[,\s]?654")
    client = client_for(org.rep_js)
    for url in ("/sales/opportunity/board/", "/", opp.get_absolute_url(), "/sales/opportunity/"):
        html = client.get(url).content.decode()
        assert not amount.search(html), url
    moved = client.post(
        f"/sales/opportunity/{opp.pk}/move/",
        {"stage": stages["quote"].pk, "render": "card"},
        HTTP_HX_REQUEST="true",
    )
    assert (
        moved.status_code == 200
        and "二期项目" in moved.content.decode()
        and not amount.search(moved.content.decode())
    )
    # the manager, whose role says nothing about the amount, sees it
    assert "987,654" in client_for(org.manager_js).get("/sales/opportunity/board/").content.decode()


def test_a_board_by_a_hidden_lifecycle_field_is_refused(org, client_for):
    from lianke.marketing.models import Lead

    FieldPermission.objects.create(
        role=org.roles["sales_rep"], object_type="marketing.lead", field="status", mode=FieldMode.HIDDEN
    )
    Lead.objects.create(name="陈静", company="无锡重工", owner=org.rep_js, status="contacted")
    # columns by status would tell each lead's status
    assert client_for(org.rep_js).get("/marketing/lead/board/").status_code == 403
    assert client_for(org.manager_js).get("/marketing/lead/board/").status_code == 200


def test_a_board_by_a_read_only_lifecycle_field_offers_no_moves(org, client_for):
    from lianke.marketing.models import Lead

    FieldPermission.objects.create(
        role=org.roles["sales_rep"], object_type="marketing.lead", field="status", mode=FieldMode.READ_ONLY
    )
    Lead.objects.create(name="陈静", company="无锡重工", owner=org.rep_js)
    r = client_for(org.rep_js).get("/marketing/lead/board/")
    assert r.status_code == 200 and not r.context["board"]["can_move"]
    assert "data-stage-menu" not in r.content.decode()
    assert client_for(org.manager_js).get("/marketing/lead/board/").context["board"]["can_move"]


def test_a_hidden_activity_field_is_not_on_the_timeline_nor_in_its_quick_form(org, client_for):
    from lianke.activities.models import Activity

    FieldPermission.objects.create(
        role=org.roles["sales_rep"], object_type="activities.activity", field="body", mode=FieldMode.HIDDEN
    )
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    Activity.objects.create(
        subject="拜访",
        body="客户底价 88 万",
        owner=org.rep_js,
        account=account,
        content_type=ContentType.objects.get_for_model(Account),
        object_id=account.pk,
    )
    ct = ContentType.objects.get_for_model(Account)
    html = client_for(org.rep_js).get(f"/activities/timeline/{ct.pk}/{account.pk}/").content.decode()
    assert "拜访" in html and "底价" not in html and 'name="body"' not in html
    assert (
        "底价"
        in client_for(org.manager_js).get(f"/activities/timeline/{ct.pk}/{account.pk}/").content.decode()
    )
    # posting it anyway changes nothing: the activity is logged without it
    client_for(org.rep_js).post(
        f"/activities/timeline/{ct.pk}/{account.pk}/add/",
        {"kind": "note", "subject": "电话", "body": "悄悄写入"},
    )
    assert not Activity.objects.filter(body="悄悄写入").exists()
