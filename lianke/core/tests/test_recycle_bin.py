"""Recycle bin: delete hides, restore brings back exactly what was deleted together, scoped."""

import pytest

from lianke.core.context import acting_as
from lianke.core.records import services
from lianke.customers.models import Account, Contact
from lianke.customers.validators import credit_code_check_char

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


LIST_URL = "/customers/account/"
BIN_URL = "/customers/account/recycle-bin/"
API_URL = "/api/customers/accounts/"


def account(owner, name="苏州精工机械有限公司", **fields):
    return Account.objects.create(name=name, owner=owner, **fields)


def contact(acc, name, owner=None):
    return Contact.objects.create(name=name, account=acc, owner=owner or acc.owner)


def fresh(obj):
    return type(obj).all_objects.get(pk=obj.pk)


def delete_as(user, *records):
    with acting_as(user, source="web"):
        return services.delete_records(actor=user, records=list(records))


def test_a_deleted_account_is_hidden_from_lists_pages_and_the_api(org, client_for, api_for):
    # given an account of the rep's
    obj = account(org.rep_js)
    web, api = client_for(org.rep_js), api_for(org.rep_js)
    # when the rep deletes it on its page
    response = web.post(f"{LIST_URL}{obj.pk}/delete/")
    # then it is in the recycle bin and nowhere else
    assert response.status_code == 302
    assert fresh(obj).is_deleted
    assert fresh(obj).deleted_by == org.rep_js
    assert web.get(LIST_URL).context["rows"] == []
    assert web.get(f"{LIST_URL}{obj.pk}/").status_code == 404
    assert web.get(f"{LIST_URL}{obj.pk}/edit/").status_code == 404
    assert api.get(API_URL).json()["results"] == []
    assert api.get(f"{API_URL}{obj.pk}/").status_code == 404
    assert [r.pk for r in web.get(BIN_URL).context["rows"]] == [obj.pk]


def test_deleting_through_the_api_moves_to_the_recycle_bin(org, api_for):
    obj = account(org.rep_js)
    assert api_for(org.rep_js).delete(f"{API_URL}{obj.pk}/").status_code == 204
    assert fresh(obj).is_deleted


def test_deleting_an_account_bins_its_contacts_in_the_same_batch(org, client_for):
    # given an account with two contacts (one owned by someone else) and an unrelated contact
    obj = account(org.rep_js)
    mine = contact(obj, "王磊")
    theirs = contact(obj, "刘洋", owner=org.rep_js2)
    unrelated = contact(account(org.rep_js, "别的客户"), "陈静")
    # when their manager, who may delete both people's records, deletes the account
    client_for(org.manager_js).post(f"{LIST_URL}{obj.pk}/delete/")
    # then it and its contacts share one deletion batch; the unrelated contact stays
    batch = fresh(obj).deletion_batch
    assert batch is not None
    assert fresh(mine).is_deleted and fresh(mine).deletion_batch == batch
    assert fresh(theirs).is_deleted and fresh(theirs).deletion_batch == batch
    assert not fresh(unrelated).is_deleted


def test_restore_brings_back_the_account_and_exactly_the_contacts_deleted_with_it(org, client_for):
    # given a contact deleted on its own earlier, then the account deleted with the others
    obj = account(org.rep_js)
    earlier = contact(obj, "早删的")
    with_it = [contact(obj, "王磊"), contact(obj, "刘洋")]
    delete_as(org.rep_js, earlier)
    delete_as(org.rep_js, obj)
    # when the rep restores the account from the recycle bin
    response = client_for(org.rep_js).post(BIN_URL, {"pk": [obj.pk]})
    # then the account and the contacts deleted with it are back, the earlier one is not
    assert response.status_code == 302
    for record in (obj, *with_it):
        restored = fresh(record)
        assert not restored.is_deleted
        assert (restored.deleted_at, restored.deleted_by, restored.deletion_batch) == (None, None, None)
    assert fresh(earlier).is_deleted
    assert client_for(org.rep_js).get(f"{LIST_URL}{obj.pk}/").status_code == 200


def test_the_recycle_bin_lists_only_records_in_the_users_scope(org, client_for):
    # given deleted accounts of two Jiangsu reps and of a Zhejiang rep
    js1, js2, zj = account(org.rep_js, "江苏一"), account(org.rep_js2, "江苏二"), account(org.rep_zj, "浙江")
    delete_as(org.admin, js1, js2, zj)
    # when each opens the recycle bin, then they see what their delete scope reaches
    seen = {
        user.username: {r.pk for r in client_for(user).get(BIN_URL).context["rows"]}
        for user in (org.rep_js, org.manager_js, org.rep_zj, org.admin)
    }
    assert seen == {
        "rep_js": {js1.pk},
        "manager_js": {js1.pk, js2.pk},
        "rep_zj": {zj.pk},
        "admin": {js1.pk, js2.pk, zj.pk},
    }
    page = client_for(org.rep_js).get(BIN_URL).content.decode()
    assert "江苏一" in page and "江苏二" not in page and "浙江" not in page


def test_restoring_outside_the_scope_is_refused_and_changes_nothing(org, client_for):
    # given a deleted account of another rep
    obj = account(org.rep_js2)
    delete_as(org.rep_js2, obj)
    # when a rep and a user without delete rights try to restore it
    rep = client_for(org.rep_js).post(BIN_URL, {"pk": [obj.pk]})
    ops = client_for(org.ops).post(BIN_URL, {"pk": [obj.pk]})
    # then both are refused and it stays deleted
    assert rep.status_code == 404
    assert ops.status_code == 403
    assert fresh(obj).is_deleted
    # and the service refuses too
    with pytest.raises(services.PermissionDenied):
        services.restore_records(actor=org.rep_js, records=[fresh(obj)])
    # while the manager of the department may restore it
    assert client_for(org.manager_js).post(BIN_URL, {"pk": [obj.pk]}).status_code == 302
    assert not fresh(obj).is_deleted


def test_restoring_when_the_credit_code_was_reused_gives_an_error_not_a_500(org, client_for):
    # given a deleted account whose credit code a new account uses now
    code = "91320500MA1X" + "00001"
    code += credit_code_check_char(code)
    old = account(org.rep_js, "旧客户", credit_code=code)
    delete_as(org.rep_js, old)
    account(org.rep_js, "新客户", credit_code=code)
    # when the old one is restored
    response = client_for(org.rep_js).post(BIN_URL, {"pk": [old.pk]}, follow=True)
    # then the user is told why and it stays in the recycle bin
    assert response.status_code == 200
    assert "A customer with this credit code already exists in the company" in response.content.decode()
    assert fresh(old).is_deleted


def test_a_delete_that_would_take_someone_elses_contact_along_is_refused_whole(org, client_for, api_for):
    # given the rep's account holding a contact of a colleague (whom the rep may not touch)
    obj = account(org.rep_js)
    mine = contact(obj, "王磊")
    theirs = contact(obj, "刘洋", owner=org.rep_js2)
    # when the rep deletes the account, on the web and through the API
    page = client_for(org.rep_js).post(f"{LIST_URL}{obj.pk}/delete/", headers={"accept-language": "en"})
    api = api_for(org.rep_js).delete(f"{API_URL}{obj.pk}/")
    # then both are refused, naming the contact in the way, and nothing went to the recycle bin
    assert page.status_code == 403 and "刘洋" in page.content.decode()
    assert api.status_code == 403 and "刘洋" in api.json()["detail"]
    assert not any(fresh(r).is_deleted for r in (obj, mine, theirs))
