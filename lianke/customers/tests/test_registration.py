"""Customer registration (客户报备) and transfer requests on the approval engine."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from lianke.approvals import services as approvals
from lianke.approvals.models import Approval, Status
from lianke.approvals.tests.helpers import make_flow
from lianke.core.records import services
from lianke.customers import registration
from lianke.customers.models import Account

pytestmark = pytest.mark.django_db


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


def codes(exc) -> dict:
    return {name: [e.code for e in errors] for name, errors in exc.error_dict.items()}


def test_a_registered_account_is_pending_until_approved_then_his(org, flows):
    account, approval = registration.register_account(
        actor=org.rep_js, values={"name": "苏州精工机械有限公司"}
    )
    account.refresh_from_db()
    assert (account.owner, account.registration) == (org.rep_js, "pending")
    assert {t.approver for t in approval.tasks.all()} == {org.lead_js}
    approvals.approve(actor=org.lead_js, approval=approval)
    account.refresh_from_db()
    assert account.registration == "registered"


def test_a_rejected_registration_is_marked_with_the_reason(org, flows):
    account, approval = registration.register_account(
        actor=org.rep_js, values={"name": "苏州精工机械有限公司"}
    )
    approvals.reject(actor=org.lead_js, approval=approval, comment="该客户已由浙江公司跟进")
    account.refresh_from_db()
    assert (account.registration, account.registration_note) == ("rejected", "该客户已由浙江公司跟进")


def test_two_reps_cannot_both_claim_one_company(org, flows, english):
    registration.register_account(actor=org.rep_js, values={"name": "苏州精工机械有限公司"})
    with pytest.raises(ValidationError) as info:
        registration.register_account(actor=org.rep_zj, values={"name": "精工机械（苏州）有限公司"})
    assert codes(info.value) == {"name": ["unique"]}
    assert "owned in department" in info.value.messages[0] and "精工" not in info.value.messages[0]
    assert Account.all_objects.count() == 1


def test_without_a_registration_flow_nothing_is_created(org):
    with pytest.raises(ValidationError):
        registration.register_account(actor=org.rep_js, values={"name": "苏州精工机械有限公司"})
    assert not Account.all_objects.exists() and not Approval.objects.exists()


def test_a_transfer_request_goes_to_the_owners_superior_and_moves_the_account_when_approved(org, flows):
    account = Account.objects.create(name="苏州精工机械有限公司", owner=org.rep_js2)  # reports to manager_js
    approval = registration.request_transfer(actor=org.rep_zj, name="苏州精工机械", reason="我方已有合同往来")
    assert {t.approver for t in approval.tasks.all()} == {org.manager_js}
    # The owner keeps working the account while the request waits.
    stored = Account.all_objects.get(pk=account.pk)
    stored.city = "苏州"
    services.save_record(actor=org.rep_js2, instance=stored)
    # The requester sees the request and the exposed name, not the account.
    assert approvals.may_see(org.rep_zj, approval)
    approvals.approve(actor=org.manager_js, approval=approval)
    account.refresh_from_db()
    assert account.owner == org.rep_zj and account.department == org.zj_team


def test_a_transfer_request_needs_a_reason_and_a_match(org, flows):
    Account.objects.create(name="苏州精工机械有限公司", owner=org.rep_js2)
    with pytest.raises(ValidationError) as info:
        registration.request_transfer(actor=org.rep_zj, name="苏州精工机械", reason=" ")
    assert codes(info.value) == {"reason": ["required"]}
    with pytest.raises(ValidationError) as info:
        registration.request_transfer(actor=org.rep_zj, name="无锡重工", reason="x")
    assert codes(info.value) == {"name": ["does_not_exist"]}
    assert not Approval.objects.exists()


def test_a_rejected_transfer_request_leaves_the_account_where_it_was(org, flows):
    account = Account.objects.create(name="苏州精工机械有限公司", owner=org.rep_js2)
    approval = registration.request_transfer(actor=org.rep_zj, name="苏州精工机械", reason="我方已有合同往来")
    approvals.reject(actor=org.manager_js, approval=approval, comment="仍在跟进")
    account.refresh_from_db()
    approval.refresh_from_db()
    assert account.owner == org.rep_js2 and approval.status == Status.REJECTED
