"""Accounts and contacts: credit codes, mobiles, the customer-360 page and list performance."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianke.activities.models import Activity
from lianke.core.models import Attachment
from lianke.customers.models import Account, Contact
from lianke.customers.validators import credit_code_check_char
from lianke.org.models import Collaborator
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


LIST_URL = "/customers/account/"
API_URL = "/api/customers/accounts/"


def credit_code(body: str = "91320583MA1XY2345") -> str:
    """A valid 18-character code: 17 given characters plus the computed check character."""
    return body + credit_code_check_char(body)


def new_account(client, owner, **fields):
    data = {"name": "昆山新材料有限公司", "account_type": "end_customer", "owner": owner.pk, **fields}
    return client.post(f"{LIST_URL}new/", data)


def wrong_check_char(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


def test_a_valid_credit_code_is_accepted_and_stored_in_capitals(org, client_for):
    # given a valid code typed in lower case
    code = credit_code()
    # when an account is created with it
    response = new_account(client_for(org.rep_js), org.rep_js, credit_code=code.lower())
    # then it is stored in capitals
    assert response.status_code == 302
    assert Account.objects.get().credit_code == code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (wrong_check_char(credit_code()), "check character"),
        ("91320583MA1XY234", "18 digits and capital letters"),
        ("91320583MA1XY2345I", "18 digits and capital letters"),  # I is not used in credit codes
    ],
)
def test_a_bad_credit_code_is_refused_on_the_field(org, client_for, api_for, code, message):
    # when an account is created with it through the form and the API
    form = new_account(client_for(org.rep_js), org.rep_js, credit_code=code)
    api = api_for(org.rep_js).post(API_URL, {"name": "新客户", "credit_code": code}, format="json")
    # then both refuse it on the credit code field and nothing is stored
    assert form.status_code == 400
    assert any(message in e for e in form.context["form"].errors["credit_code"])
    assert api.status_code == 400
    assert any(message in e for e in api.json()["credit_code"])
    assert not Account.objects.exists()


def test_a_duplicate_credit_code_is_refused_without_revealing_the_hidden_account(org, client_for, api_for):
    # given an account in Zhejiang the Jiangsu rep cannot see
    code = credit_code()
    Account.objects.create(name="浙江秘密客户", owner=org.rep_zj, phone="0571-88886666", credit_code=code)
    mine = Account.objects.create(name="我的客户", owner=org.rep_js)
    web, api = client_for(org.rep_js), api_for(org.rep_js)
    # when the rep uses the same code on a new account and on an existing one (lower case too)
    responses = [
        new_account(web, org.rep_js, credit_code=code),
        web.post(
            f"{LIST_URL}{mine.pk}/edit/",
            {"name": "我的客户", "account_type": "end_customer", "credit_code": code.lower()},
        ),
        api.post(API_URL, {"name": "新客户", "credit_code": code}, format="json"),
        api.patch(f"{API_URL}{mine.pk}/", {"credit_code": code}, format="json"),
    ]
    # then each is a clear error, never a 500, and nothing of the other account leaks
    for response in responses:
        assert response.status_code == 400
        body = response.content.decode()
        assert "A customer with this credit code already exists in the company; ask its owner" in body
        assert "浙江秘密客户" not in body
        assert "0571-88886666" not in body
    assert Account.all_objects.filter(credit_code=code).count() == 1
    assert Account.all_objects.get(pk=mine.pk).credit_code == ""


def test_a_credit_code_of_a_deleted_account_may_be_used_again(org, client_for):
    code = credit_code()
    Account.objects.create(name="已删除客户", owner=org.rep_js, credit_code=code, is_deleted=True)
    assert new_account(client_for(org.rep_js), org.rep_js, credit_code=code).status_code == 302


@pytest.mark.parametrize("mobile", ["13800138000", "138 0013 8000", "+8613800138000", "+86 13800138000"])
def test_valid_mobile_numbers_are_accepted(org, client_for, mobile):
    response = client_for(org.rep_js).post(
        "/customers/contact/new/", {"name": "王磊", "owner": org.rep_js.pk, "mobile": mobile}
    )
    assert response.status_code == 302
    assert Contact.objects.get().mobile == mobile


@pytest.mark.parametrize("mobile", ["12800138000", "1380013800", "138001380001", "电话号码", "0512-57001234"])
def test_invalid_mobile_numbers_are_refused_on_the_field(org, client_for, api_for, mobile):
    form = client_for(org.rep_js).post(
        "/customers/contact/new/", {"name": "王磊", "owner": org.rep_js.pk, "mobile": mobile}
    )
    api = api_for(org.rep_js).post(
        "/api/customers/contacts/", {"name": "王磊", "mobile": mobile}, format="json"
    )
    assert form.status_code == 400
    assert "mobile" in form.context["form"].errors
    assert api.status_code == 400
    assert "mobile" in api.json()
    assert not Contact.objects.exists()


def test_the_account_page_shows_contacts_opportunities_collaborators_and_attachments(org, stages, client_for):
    # given an account with everything hanging on it
    acc = Account.objects.create(name="苏州精工", owner=org.rep_js)
    Contact.objects.create(name="王磊", account=acc, owner=org.rep_js, mobile="13800138000")
    Opportunity.objects.create(
        name="二期扩产项目",
        account=acc,
        owner=org.rep_js,
        stage_set=stages["set"],
        stage=stages["quote"],
        amount="880000.00",
    )
    ct = ContentType.objects.get_for_model(Account)
    Collaborator.objects.create(content_type=ct, object_id=acc.pk, user=org.rep_js2, added_by=org.rep_js)
    Attachment.objects.create(
        content_type=ct,
        object_id=acc.pk,
        name="合同扫描件.pdf",
        size=10,
        mime_type="application/pdf",
        file="x.pdf",
    )
    Activity.objects.create(
        subject="首次拜访", kind="visit", owner=org.rep_js, account=acc, content_type=ct, object_id=acc.pk
    )
    client = client_for(org.rep_js)
    # when the 360 page is opened
    page = client.get(acc.get_absolute_url())
    # then it shows the related records, the collaborator, the file and the timeline's address
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("王磊", "13800138000", "二期扩产项目", "孙丽", "合同扫描件.pdf"):
        assert text in html
    timeline_url = f"/activities/timeline/{ct.pk}/{acc.pk}/"
    assert timeline_url in html
    related = {str(r["type"].label): r["count"] for r in page.context["related"]}
    assert sorted(related.values()) == [1, 1]
    # and the timeline it loads lists the visit
    timeline = client.get(timeline_url)
    assert timeline.status_code == 200
    assert "首次拜访" in timeline.content.decode()


def test_the_collaborator_sees_the_account_page(org, client_for):
    acc = Account.objects.create(name="苏州精工", owner=org.rep_js)
    assert client_for(org.rep_js2).get(acc.get_absolute_url()).status_code == 404
    Collaborator.objects.create(
        content_type=ContentType.objects.get_for_model(Account), object_id=acc.pk, user=org.rep_js2
    )
    assert client_for(org.rep_js2).get(acc.get_absolute_url()).status_code == 200


def _list_queries(client, owner, parent, rows: int) -> int:
    Account.objects.bulk_create(
        [
            Account(
                name=f"客户{i:03d}",
                owner=owner,
                department=owner.department,
                parent=parent,
                level="a",
                industry="machinery",
                province="江苏省",
            )
            for i in range(rows)
        ]
    )
    client.get(LIST_URL)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(
            f"{LIST_URL}?per_page=100&cols=name&cols=owner&cols=parent&cols=level&cols=department"
        )
    assert response.status_code == 200
    assert len(response.context["rows"]) >= rows
    return len(ctx.captured_queries)


def test_the_account_list_needs_the_same_number_of_queries_for_5_or_60_rows(org, client_for):
    # given a manager's list with foreign-key columns
    client = client_for(org.manager_js)
    parent = Account.objects.create(name="集团总部", owner=org.rep_js)
    # when the list is shown with 5 and then with 60 more rows
    few = _list_queries(client, org.rep_js, parent, 5)
    Account.objects.exclude(pk=parent.pk).delete()
    many = _list_queries(client, org.rep_js, parent, 60)
    # then the number of queries does not grow with the rows
    assert many == few


# ---------------------------------------------------------------------------------- parent accounts
@pytest.fixture
def hidden_loop(org):
    """rep_js's 苏州总部 and 苏州分厂 (the factory's parent is a Zhejiang account rep_js cannot
    see, whose parent is 苏州总部): making the factory the HQ's parent closes a loop through the
    hidden account."""
    hq = Account.objects.create(name="苏州总部", owner=org.rep_js)
    hidden = Account.objects.create(name="浙江隐藏客户", owner=org.rep_zj, parent=hq)
    factory = Account.objects.create(name="苏州分厂", owner=org.rep_js, parent=hidden)
    return hq, factory


def _edit_parent(client, account, parent):
    return client.post(
        f"{LIST_URL}{account.pk}/edit/",
        {"name": account.name, "account_type": "end_customer", "parent": parent.pk},
    )


def test_an_account_cannot_be_its_own_parent(org, client_for, api_for):
    acc = Account.objects.create(name="苏州精工", owner=org.rep_js)
    form = _edit_parent(client_for(org.rep_js), acc, acc)
    api = api_for(org.rep_js).patch(f"{API_URL}{acc.pk}/", {"parent": acc.pk}, format="json")
    assert form.status_code == 400
    assert form.context["form"].errors["parent"] == ["An account cannot be its own parent."]
    assert api.status_code == 400
    assert api.json() == {
        "parent": ["An account cannot be its own parent."],
        "errors": [
            {"field": "parent", "code": "parent_self", "message": "An account cannot be its own parent."}
        ],
    }
    assert Account.objects.get(pk=acc.pk).parent_id is None


def test_two_accounts_cannot_be_each_others_parent(org, client_for, api_for):
    a = Account.objects.create(name="甲公司", owner=org.rep_js)
    b = Account.objects.create(name="乙公司", owner=org.rep_js, parent=a)
    form = _edit_parent(client_for(org.rep_js), a, b)
    api = api_for(org.rep_js).patch(f"{API_URL}{a.pk}/", {"parent": b.pk}, format="json")
    message = "This parent account would make a loop: an account cannot be above itself."
    assert form.status_code == 400
    assert form.context["form"].errors["parent"] == [message]
    assert api.status_code == 400
    assert api.json() == {
        "parent": [message],
        "errors": [{"field": "parent", "code": "parent_loop", "message": message}],
    }
    assert Account.objects.get(pk=a.pk).parent_id is None


def test_a_loop_through_an_account_the_user_cannot_see_is_refused(org, client_for, api_for, hidden_loop):
    hq, factory = hidden_loop
    form = _edit_parent(client_for(org.rep_js), hq, factory)
    api = api_for(org.rep_js).patch(f"{API_URL}{hq.pk}/", {"parent": factory.pk}, format="json")
    for errors in (form.context["form"].errors["parent"], api.json()["parent"]):
        assert errors == ["This parent account would make a loop: an account cannot be above itself."]
    assert (form.status_code, api.status_code) == (400, 400)
    assert "浙江隐藏客户" not in form.content.decode() + api.content.decode()
    assert Account.objects.get(pk=hq.pk).parent_id is None


def test_bulk_edit_refuses_a_loop_and_changes_nothing(org, hidden_loop):
    from django.core.exceptions import ValidationError

    from lianke.core.context import acting_as
    from lianke.core.records import services

    hq, factory = hidden_loop
    other = Account.objects.create(name="无锡机械", owner=org.rep_js)
    with acting_as(org.rep_js), pytest.raises(ValidationError) as caught:
        services.bulk_edit(actor=org.rep_js, records=[other, hq], field="parent", value=factory)
    assert "would make a loop" in " ".join(caught.value.messages)
    assert Account.objects.get(pk=hq.pk).parent_id is None
    assert Account.objects.get(pk=other.pk).parent_id is None


def test_a_chain_of_parents_without_a_loop_is_fine(org, api_for, hidden_loop):
    hq, factory = hidden_loop
    new = Account.objects.create(name="苏州新厂", owner=org.rep_js)
    api = api_for(org.rep_js).patch(f"{API_URL}{new.pk}/", {"parent": factory.pk}, format="json")
    assert api.status_code == 200
    assert Account.objects.get(pk=new.pk).parent_id == factory.pk


def test_a_duplicate_credit_code_is_logged_with_user_and_field_but_not_the_whole_code(
    org, client_for, api_for, caplog
):
    import logging

    code = credit_code()
    Account.objects.create(name="浙江秘密客户", owner=org.rep_zj, credit_code=code)
    # when the Jiangsu rep tries the code on a new account, through the API and the form
    with caplog.at_level(logging.WARNING, logger="lianke.security"):
        api = api_for(org.rep_js).post(API_URL, {"name": "新客户", "credit_code": code}, format="json")
        form = new_account(client_for(org.rep_js), org.rep_js, credit_code=code)
    # then the answer names neither the account nor its owner, and points to a manager
    message = "A customer with this credit code already exists in the company; ask its owner or a manager."
    assert api.status_code == 400
    assert api.json() == {
        "credit_code": [message],
        "errors": [{"field": "credit_code", "code": "unique", "message": message}],
    }
    assert form.status_code == 400
    assert form.context["form"].errors["credit_code"] == [message]
    for body in (api.content.decode(), form.content.decode()):
        assert "李娜" not in body and "rep_zj" not in body and "浙江秘密客户" not in body
    # and each attempt is logged for security review: who, which field, never the whole code
    records = [r for r in caplog.records if r.name == "lianke.security"]
    assert len(records) == 2
    for record in records:
        text = record.getMessage()
        assert "rep_js" in text and "credit_code" in text and "customers.account" in text
        assert code not in text
