"""Customer registration as reps meet it: the "New account" form and ``POST
/api/customers/accounts/`` register a new account when a registration flow applies (pending,
submitted), and a duplicate that someone else owns is asked for right there ("Request this
customer": the page and ``POST /api/customers/accounts/transfer-requests/``), telling nothing
more about it than the duplicate check does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lianke.approvals import services as approvals
from lianke.approvals.models import Approval, ApprovalFlow, ApprovalTask
from lianke.approvals.tests.helpers import make_flow
from lianke.core.models import Attachment, CustomField
from lianke.customers import registration
from lianke.customers.models import Account

pytestmark = pytest.mark.django_db

NEW = "/customers/account/new/"
REQUEST = "/customers/account/transfer-request/"
API = "/api/customers/accounts/"
REQUESTS_API = "/api/customers/accounts/transfer-requests/"
# A valid unified social credit code (GB 32100-2015 check character).
CREDIT_CODE = "91320500MA1MXXXX0X"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def flows(org):
    make_flow(name="客户报备", purpose=registration.REGISTRATION)
    make_flow(
        name="客户转移申请",
        purpose=registration.TRANSFER_REQUEST,
        editable_fields=["*"],
        exposed_fields=["name"],
        steps=[{"approver_kind": "owner_superior", "levels": 1}],
    )


@pytest.fixture
def theirs(org):
    """An account of rep_js2 (Jiangsu team, reports to manager_js), out of rep_zj's reach."""
    return Account.objects.create(name="苏州精工机械有限公司", owner=org.rep_js2, phone="0512-66881234")


def form(user, **values) -> dict:
    """What the "New account" form posts: the values and its owner (the user himself)."""
    return {"account_type": "end_customer", "owner": user.pk, **values}


def errors(response) -> set[tuple[str | None, str]]:
    """A 400's ``(field, code)`` pairs."""
    return {(e["field"], e["code"]) for e in response.json()["errors"]}


def leaks(body: str, account: Account) -> list[str]:
    """What of ``account`` the text tells beyond the duplicate check's department."""
    owner = account.owner
    told = [owner.name, owner.username, f'"id": {account.pk}', f"/{account.pk}/", account.name]
    return [t for t in told if t in body]


# ------------------------------------------------------------------ creating through the form
def test_a_rep_creating_an_account_with_a_flow_active_registers_it_pending(org, flows, client_for, english):
    client = client_for(org.rep_js)
    response = client.post(NEW, form(org.rep_js, name="无锡锦澜不锈钢管业有限公司"), follow=True)
    account = Account.all_objects.get(name="无锡锦澜不锈钢管业有限公司")
    assert (account.owner, account.registration) == (org.rep_js, "pending")
    approval = Approval.objects.get(object_id=account.pk, flow__purpose=registration.REGISTRATION)
    assert {t.approver for t in approval.tasks.all()} == {org.lead_js}
    page = response.content.decode()
    assert "Submitted for registration approval" in page
    assert 'id="registration-banner"' in page and 'data-registration="pending"' in page
    assert 'id="approval-banner"' in page


def test_without_a_registration_flow_a_new_account_is_registered_at_once(org, client_for):
    client_for(org.rep_js).post(NEW, form(org.rep_js, name="无锡锦澜不锈钢管业有限公司"))
    account = Account.all_objects.get(name="无锡锦澜不锈钢管业有限公司")
    assert account.registration == "registered" and not Approval.objects.exists()


def test_an_inactive_or_non_matching_flow_registers_nothing(org, client_for):
    make_flow(
        purpose=registration.REGISTRATION,
        trigger="condition",
        condition=[{"field": "level", "op": "eq", "value": "key"}],
    )
    client = client_for(org.rep_js)
    client.post(NEW, form(org.rep_js, name="普通客户", level="b"))
    client.post(NEW, form(org.rep_js, name="重点客户", level="key"))
    states = dict(Account.all_objects.values_list("name", "registration"))
    assert states == {"普通客户": "registered", "重点客户": "pending"}
    ApprovalFlow.objects.update(is_active=False)
    client.post(NEW, form(org.rep_js, name="又一个重点客户", level="key"))
    assert Account.all_objects.get(name="又一个重点客户").registration == "registered"


def test_a_registered_accounts_form_files_are_stored_before_the_approval_locks_it(org, flows, client_for):
    CustomField.objects.create(object_type="customers.account", name="licence", label="营业执照", type="file")
    upload = SimpleUploadedFile("营业执照.pdf", PDF, content_type="application/pdf")
    response = client_for(org.rep_js).post(NEW, {**form(org.rep_js, name="昆山新材料"), "cf_licence": upload})
    assert response.status_code == 302, response.context["form"].errors
    account = Account.all_objects.get(name="昆山新材料")
    attachment = Attachment.objects.get(object_id=account.pk)
    assert account.custom_data == {"licence": attachment.pk} and account.registration == "pending"
    assert Approval.objects.filter(object_id=account.pk).count() == 1


def test_an_administrators_new_account_is_registered_at_once(org, flows, client_for):
    client_for(org.admin).post(NEW, form(org.admin, name="无锡锦澜不锈钢管业有限公司"))
    assert Account.all_objects.get().registration == "registered" and not Approval.objects.exists()


def test_a_duplicate_someone_else_owns_is_refused_naming_only_the_department_and_offers_a_request(
    org, flows, theirs, client_for, english
):
    response = client_for(org.rep_zj).post(
        NEW, form(org.rep_zj, name="精工机械（苏州）有限公司", phone="0512 6688 1234")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "owned in department 江苏销售一部" in page and 'data-error-code="unique"' in page
    assert 'id="request-duplicate"' in page
    assert "/customers/account/transfer-request/?name=" in page
    assert leaks(page.replace("精工机械（苏州）有限公司", ""), theirs) == []
    assert Account.all_objects.count() == 1 and not Approval.objects.exists()


def test_a_duplicate_credit_code_is_told_on_the_credit_code(org, flows, client_for):
    Account.objects.create(name="苏州甲公司", credit_code=CREDIT_CODE, owner=org.rep_js2)
    response = client_for(org.rep_zj).post(
        NEW, form(org.rep_zj, name="完全不同的名字", credit_code=CREDIT_CODE)
    )
    assert response.status_code == 400
    assert response.context["form"].errors.as_data()["credit_code"][0].code == "unique"


# ------------------------------------------------------------------ creating through the API
def test_the_api_creates_pending_and_answers_the_approval(org, flows, api_for):
    response = api_for(org.rep_js).post(API, {"name": "无锡锦澜不锈钢管业有限公司"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    approval = Approval.objects.get(flow__purpose=registration.REGISTRATION)
    assert (body["registration"], body["approval"]) == ("pending", approval.pk)
    assert approval.object_id == body["id"] and approval.submitter == org.rep_js
    read = api_for(org.rep_js).get(f"{API}{body['id']}/").json()
    assert read["registration"] == "pending" and "approval" not in read


def test_the_api_without_a_flow_creates_registered_with_no_approval(org, api_for):
    body = api_for(org.rep_js).post(API, {"name": "无锡锦澜不锈钢管业有限公司"}, format="json").json()
    assert body["registration"] == "registered" and body["approval"] is None


def test_the_registration_state_is_read_only_through_the_api(org, flows, api_for):
    api = api_for(org.rep_js)
    body = api.post(API, {"name": "无锡锦澜", "registration": "registered"}, format="json").json()
    assert body["registration"] == "pending"
    approvals.approve(actor=org.lead_js, approval=body["approval"])
    api.patch(f"{API}{body['id']}/", {"registration": "rejected"}, format="json")
    assert Account.all_objects.get(pk=body["id"]).registration == "registered"


def test_the_api_refuses_a_hidden_duplicate_with_unique_on_the_field_and_no_leak(org, flows, theirs, api_for):
    response = api_for(org.rep_zj).post(API, {"name": "苏州精工机械"}, format="json")
    assert response.status_code == 400
    assert errors(response) == {("name", "unique")}
    assert leaks(response.content.decode(), theirs) == []


def test_the_schema_documents_the_registration_and_the_transfer_requests(org, client_for):
    schema = client_for(org.admin).get("/api/schema/", {"format": "json"}).json()
    account = schema["components"]["schemas"]["Account"]["properties"]
    assert account["registration"]["readOnly"] and "approval" not in account
    created = schema["paths"]["/api/customers/accounts/"]["post"]["responses"]["201"]
    ref = created["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][ref]["properties"]["approval"]["readOnly"]
    assert "post" in schema["paths"]["/api/customers/accounts/transfer-requests/"]


# ------------------------------------------------------------------ transfer requests
def test_a_rep_requests_a_duplicate_through_the_page_and_the_owners_superior_decides(
    org, flows, theirs, client_for, english
):
    client = client_for(org.rep_zj)
    page = client.get(REQUEST, {"name": "精工机械（苏州）有限公司"}).content.decode()
    assert 'value="精工机械（苏州）有限公司"' in page and leaks(page, theirs) == []
    refused = client.post(REQUEST, {"name": "精工机械（苏州）有限公司", "reason": " "})
    assert refused.status_code == 400 and "Say why you ask for this customer." in refused.content.decode()
    assert not Approval.objects.exists()
    done = client.post(
        REQUEST, {"name": "精工机械（苏州）有限公司", "reason": "我方已有合同往来"}, follow=True
    )
    # His requests: the flow's exposed name, never the owner or a way into the account.
    inbox = done.content.decode()
    assert org.rep_js2.name not in inbox and f"/customers/account/{theirs.pk}/" not in inbox
    approval = Approval.objects.get(flow__purpose=registration.TRANSFER_REQUEST)
    assert approval.submitter == org.rep_zj and approval.object_id == theirs.pk
    assert set(ApprovalTask.objects.filter(approval=approval).values_list("approver", flat=True)) == {
        org.manager_js.pk
    }
    assert done.redirect_chain[-1][0].startswith("/approvals/")
    # the owner keeps working his account meanwhile, and his page says so
    owner_page = client_for(org.rep_js2).get(f"/customers/account/{theirs.pk}/").content.decode()
    assert "the record can still be changed meanwhile" in owner_page and "is locked" not in owner_page
    approvals.approve(actor=org.manager_js, approval=approval)
    theirs.refresh_from_db()
    assert theirs.owner == org.rep_zj


def test_the_request_page_needs_the_right_to_create_accounts(org, flows, client_for):
    assert client_for(org.nobody).get(REQUEST).status_code == 403


def test_the_api_takes_a_transfer_request_and_answers_only_the_approval(org, flows, theirs, api_for):
    response = api_for(org.rep_zj).post(
        REQUESTS_API, {"phone": "0512-6688-1234", "reason": "我方已有合同往来"}, format="json"
    )
    assert response.status_code == 201, response.content
    approval = Approval.objects.get(flow__purpose=registration.TRANSFER_REQUEST)
    assert response.json() == {"approval": approval.pk}
    assert leaks(response.content.decode(), theirs) == []


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"name": "苏州精工机械"}, "reason", "required"),
        ({"name": "苏州精工机械", "reason": "  "}, "reason", "required"),
        ({"name": "无锡重工", "reason": "x"}, "name", "does_not_exist"),
        ({"reason": "x"}, "name", "does_not_exist"),
        ({"name": "苏州精工机械", "reason": "x" * 2001}, "reason", "too_long"),
    ],
)
def test_a_bad_transfer_request_is_refused_naming_the_field(org, flows, theirs, api_for, body, field, code):
    response = api_for(org.rep_zj).post(REQUESTS_API, body, format="json")
    assert response.status_code == 400
    assert errors(response) == {(field, code)}
    assert not Approval.objects.exists() and leaks(response.content.decode(), theirs) == []


def test_asking_for_ones_own_customer_is_refused(org, flows, theirs, api_for):
    response = api_for(org.rep_js2).post(REQUESTS_API, {"name": "苏州精工机械", "reason": "x"}, format="json")
    assert response.status_code == 400 and errors(response) == {("name", "invalid")}
    assert not Approval.objects.exists()


def test_a_second_request_while_one_waits_is_refused_without_naming_the_customer(org, flows, theirs, api_for):
    api_for(org.rep_zj).post(REQUESTS_API, {"name": "苏州精工机械", "reason": "x"}, format="json")
    response = api_for(org.rep_js).post(REQUESTS_API, {"name": "苏州精工机械", "reason": "y"}, format="json")
    assert response.status_code == 400 and errors(response) == {("name", "approval_open")}
    assert leaks(response.content.decode(), theirs) == []
    assert Approval.objects.count() == 1


def test_without_a_transfer_flow_a_request_is_refused_without_naming_the_customer(org, theirs, api_for):
    response = api_for(org.rep_zj).post(REQUESTS_API, {"name": "苏州精工机械", "reason": "x"}, format="json")
    assert response.status_code == 400 and errors(response) == {("name", "no_flow")}
    assert leaks(response.content.decode(), theirs) == []


def test_transfer_requests_need_the_right_to_create_accounts(org, flows, theirs, api_for):
    response = api_for(org.nobody).post(REQUESTS_API, {"name": "苏州精工机械", "reason": "x"}, format="json")
    assert response.status_code == 403 and not Approval.objects.exists()


# ------------------------------------------------------------------ not yet his customer
def test_pending_and_rejected_registrations_are_not_counted_on_the_home_page(
    org, flows, client_for, settings
):
    settings.LIANKE_FOLLOW_UP_DAYS = 10
    old = timezone.now() - dt.timedelta(days=100)
    Account.objects.create(name="老客户", owner=org.rep_js)
    pending, _a = registration.register_account(actor=org.rep_js, values={"name": "待审批客户"})
    rejected, approval = registration.register_account(actor=org.rep_js, values={"name": "被驳回客户"})
    approvals.reject(actor=org.lead_js, approval=approval, comment="已由浙江公司跟进")
    Account.all_objects.update(created_at=old)
    response = client_for(org.rep_js).get("/")
    ctx = {w.key: c for w, c in response.context["widgets"]}["follow_up"]
    assert [a.name for a in ctx["rows"]] == ["老客户"]
    assert {t.key: t.value for t in response.context["tiles"]}["follow_up"] == 1


def test_a_rep_filters_his_list_by_registration_and_a_rejected_one_shows_the_reason(
    org, flows, client_for, api_for, english
):
    Account.objects.create(name="老客户", owner=org.rep_js)
    registration.register_account(actor=org.rep_js, values={"name": "待审批客户"})
    rejected, approval = registration.register_account(actor=org.rep_js, values={"name": "被驳回客户"})
    approvals.reject(actor=org.lead_js, approval=approval, comment="已由浙江公司跟进")
    client = client_for(org.rep_js)
    listed = client.get("/customers/account/", {"registration": "pending"}).content.decode()
    assert "待审批客户" in listed and "老客户" not in listed and "被驳回客户" not in listed
    api = api_for(org.rep_js).get(API, {"registration": "rejected"}).json()
    assert [r["name"] for r in api["results"]] == ["被驳回客户"]
    page = client.get(f"/customers/account/{rejected.pk}/").content.decode()
    assert 'data-registration="rejected"' in page and "已由浙江公司跟进" in page


def test_the_requesters_view_of_his_request_points_at_no_account(org, flows, theirs, api_for, client_for):
    api = api_for(org.rep_zj)
    made = api.post(
        REQUESTS_API, {"name": "苏州精工机械", "reason": "我方已有合同往来"}, format="json"
    ).json()
    read = api.get(f"/api/approvals/{made['approval']}/")
    body = read.json()
    assert read.status_code == 200 and body["object_id"] is None and body["record_url"] == ""
    # Named by what he typed; neither the stored name nor the flow's exposed fields reach him, in
    # his request, his inbox or its page.
    assert body["fields"] == {} and leaks(read.content.decode(), theirs) == []
    assert leaks(api.get("/api/approvals/", {"box": "submitted"}).content.decode(), theirs) == []
    page = client_for(org.rep_zj).get(f"/approvals/{made['approval']}/").content.decode()
    inbox = client_for(org.rep_zj).get("/approvals/", {"box": "submitted"}).content.decode()
    for html in (page, inbox):  # (the page's copy-in picker lists colleagues, the owner among them)
        assert theirs.name not in html and f"/customers/account/{theirs.pk}/" not in html
        assert "苏州精工机械" in html  # what he typed
    # The decider may open it: he is pointed at the account.
    decider = api_for(org.manager_js).get(f"/api/approvals/{made['approval']}/").json()
    assert decider["object_id"] == theirs.pk
    assert decider["fields"]["name"]["value"] == theirs.name


def test_a_pending_account_is_seen_by_the_rep_and_his_approver_not_by_a_colleague(org, flows, api_for):
    body = api_for(org.rep_js).post(API, {"name": "无锡锦澜"}, format="json").json()
    assert api_for(org.rep_js).get(f"{API}{body['id']}/").status_code == 200
    assert api_for(org.lead_js).get(f"{API}{body['id']}/").status_code == 200
    assert api_for(org.rep_js2).get(f"{API}{body['id']}/").status_code == 404
    assert api_for(org.rep_zj).get(f"{API}{body['id']}/").status_code == 404
    # the colleague registering the same company meets it only as "exists"
    again = api_for(org.rep_js2).post(API, {"name": "无锡锦澜有限公司"}, format="json")
    assert again.status_code == 400 and errors(again) == {("name", "unique")}
    assert leaks(again.content.decode(), Account.all_objects.get(pk=body["id"])) == []
