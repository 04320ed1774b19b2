"""Transfer: the record (and, if asked, what the old owner owned of its related records) goes
to the new owner and their department; nothing else changes; history records each move."""

import pytest
from django.core.exceptions import ValidationError

from lianke.core.models import ObjectChange
from lianke.core.records import audit, services
from lianke.customers.models import Account, Contact
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


LIST_URL = "/customers/account/"
API_URL = "/api/customers/accounts/"
TRANSFER = ObjectChange.ActionChoices.TRANSFER


def fresh(obj):
    return type(obj).all_objects.get(pk=obj.pk)


@pytest.fixture
def book(org, stages):
    """A rep's account with related records owned by the rep, by a colleague, and deleted."""
    acc = Account.objects.create(name="苏州精工", owner=org.rep_js, level="a", city="苏州市")
    return {
        "account": acc,
        "contact": Contact.objects.create(name="王磊", account=acc, owner=org.rep_js, mobile="13800138000"),
        "colleague_contact": Contact.objects.create(name="刘洋", account=acc, owner=org.rep_js2),
        "deleted_contact": Contact.objects.create(
            name="已删除", account=acc, owner=org.rep_js, is_deleted=True
        ),
        "opportunity": Opportunity.objects.create(
            name="二期项目",
            account=acc,
            owner=org.rep_js,
            stage_set=stages["set"],
            stage=stages["first"],
            amount="120000.00",
        ),
        "colleague_opportunity": Opportunity.objects.create(
            name="备件", account=acc, owner=org.rep_js2, stage_set=stages["set"], stage=stages["quote"]
        ),
    }


def unchanged_except_owner(before: dict, obj) -> bool:
    after = audit.snapshot(fresh(obj))
    drop = {"owner", "department", "version"}
    return {k: v for k, v in before.items() if k not in drop} == {
        k: v for k, v in after.items() if k not in drop
    }


def test_transferring_with_related_moves_what_the_old_owner_owned(org, book, client_for):
    # given snapshots of everything
    before = {k: audit.snapshot(fresh(v)) for k, v in book.items()}
    # when sales operations (transfer scope: all) gives the account to a Zhejiang rep, with
    # related records
    response = client_for(org.ops).post(
        f"{LIST_URL}{book['account'].pk}/transfer/", {"new_owner": org.rep_zj.pk, "with_related": "on"}
    )
    # then the account, the rep's contact and opportunity move to the new owner's department
    assert response.status_code == 302
    for key in ("account", "contact", "opportunity"):
        moved = fresh(book[key])
        assert (moved.owner, moved.department) == (org.rep_zj, org.zj_team)
        assert unchanged_except_owner(before[key], book[key])
    # and what others owned, and the deleted contact, stay as they were
    for key in ("colleague_contact", "colleague_opportunity", "deleted_contact"):
        assert audit.snapshot(fresh(book[key])) == before[key]
    # and each moved record has one transfer entry
    for key in ("account", "contact", "opportunity"):
        [change] = ObjectChange.objects.filter(object_id=book[key].pk, action=TRANSFER).filter(
            content_type__model=type(book[key])._meta.model_name
        )
        assert change.user == org.ops
        assert ("owner", org.rep_js.pk, org.rep_zj.pk) in change.diff()
    assert ObjectChange.objects.filter(action=TRANSFER).count() == 3


def test_transferring_without_related_moves_only_the_record(org, book, client_for):
    # when the manager transfers the account only
    response = client_for(org.manager_js).post(
        f"{LIST_URL}{book['account'].pk}/transfer/", {"new_owner": org.rep_js2.pk}
    )
    # then only the account moved
    assert response.status_code == 302
    assert fresh(book["account"]).owner == org.rep_js2
    assert fresh(book["contact"]).owner == org.rep_js
    assert fresh(book["opportunity"]).owner == org.rep_js
    assert ObjectChange.objects.filter(action=TRANSFER).count() == 1


def test_bulk_transfer_from_the_list_page_moves_every_selected_record(org, client_for):
    # given three accounts of the rep, two selected
    a, b, c = (Account.objects.create(name=n, owner=org.rep_js) for n in ("甲", "乙", "丙"))
    contact = Contact.objects.create(name="王磊", account=a, owner=org.rep_js)
    # when the manager transfers the selection with related records
    response = client_for(org.manager_js).post(
        f"{LIST_URL}bulk/",
        {"bulk_action": "transfer", "pk": [a.pk, b.pk], "new_owner": org.lead_js.pk, "with_related": "1"},
    )
    # then the selected accounts and a's contact moved, c did not
    assert response.status_code == 302
    assert [fresh(x).owner for x in (a, b, c, contact)] == [org.lead_js, org.lead_js, org.rep_js, org.lead_js]
    assert ObjectChange.objects.filter(action=TRANSFER).count() == 3


def test_bulk_transfer_including_a_record_outside_the_scope_changes_nothing(org, client_for):
    # given one account the lead reaches and one in Zhejiang
    mine, foreign = (
        Account.objects.create(name="甲", owner=org.rep_js),
        Account.objects.create(name="乙", owner=org.rep_zj),
    )
    # when the lead tries to transfer both
    response = client_for(org.lead_js).post(
        f"{LIST_URL}bulk/",
        {"bulk_action": "transfer", "pk": [mine.pk, foreign.pk], "new_owner": org.lead_js.pk},
    )
    # then it is refused and nothing moved
    assert response.status_code == 403
    assert fresh(mine).owner == org.rep_js
    assert fresh(foreign).owner == org.rep_zj


def test_transfer_to_an_inactive_user_is_refused_everywhere(org, book, client_for, api_for):
    # given a user who has left
    org.rep_js2.is_active = False
    org.rep_js2.save()
    acc = book["account"]
    # when the manager (whose scope held the leaver) tries the page, the bulk action, the API
    # and the service
    page = client_for(org.manager_js).post(f"{LIST_URL}{acc.pk}/transfer/", {"new_owner": org.rep_js2.pk})
    bulk = client_for(org.manager_js).post(
        f"{LIST_URL}bulk/",
        {"bulk_action": "transfer", "pk": [acc.pk], "new_owner": org.rep_js2.pk},
        follow=True,
    )
    api = api_for(org.manager_js).post(
        f"{API_URL}{acc.pk}/transfer/", {"new_owner": org.rep_js2.pk}, format="json"
    )
    with pytest.raises(ValidationError):
        services.transfer_records(actor=org.manager_js, records=[acc], new_owner=org.rep_js2)
    # then each refuses with a message and nothing changed
    assert page.status_code == 400
    assert page.context["form"].errors["new_owner"] == ["New owner: choose an active user."]
    assert "New owner: choose an active user." in bulk.content.decode()
    assert api.status_code == 400
    assert "new_owner" in api.json()
    assert fresh(acc).owner == org.rep_js
    assert not ObjectChange.objects.filter(action=TRANSFER).exists()


def test_transfer_through_the_api_reports_the_number_moved(org, book, api_for):
    response = api_for(org.ops).post(
        f"{API_URL}{book['account'].pk}/transfer/", {"new_owner": org.rep_zj.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"transferred": 3}
    assert fresh(book["contact"]).owner == org.rep_zj


def test_a_rep_without_transfer_rights_cannot_transfer(org, book, client_for, api_for):
    acc = book["account"]
    assert (
        client_for(org.rep_js)
        .post(f"{LIST_URL}{acc.pk}/transfer/", {"new_owner": org.rep_js2.pk})
        .status_code
        == 403
    )
    assert (
        api_for(org.rep_js)
        .post(f"{API_URL}{acc.pk}/transfer/", {"new_owner": org.rep_js2.pk}, format="json")
        .status_code
        == 403
    )
    assert fresh(acc).owner == org.rep_js
