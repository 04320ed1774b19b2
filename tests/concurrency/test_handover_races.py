"""Handover races: two administrators handing over the same leaving rep at once, while the rep
still edits his accounts through the API. No 500; every account and contact changes hands once
(one transfer in its history, the chain of owners true); no edit is lost."""

from __future__ import annotations

import pytest

from lianke.core.models import ObjectChange
from lianke.customers.models import Account, Contact

from ..live import LiveSession, race


@pytest.fixture
def sessions(live_server, org):
    return lambda user, n: [LiveSession(live_server.url, user) for _ in range(n)]


def test_parallel_handovers_and_edits_move_each_record_once_and_lose_no_edit(org, sessions):
    # given a leaving rep with accounts and contacts
    accounts = [Account.objects.create(name=f"苏州精工{i}", owner=org.rep_js) for i in range(12)]
    contacts = [
        Contact.objects.create(name=f"联系人{i}", account=a, owner=org.rep_js) for i, a in enumerate(accounts)
    ]
    admins = sessions(org.admin, 2)
    rep = sessions(org.rep_js, 1)[0]
    url = f"/settings/users/{org.rep_js.pk}/handover/"
    # when two administrators hand him over to the same colleague while he edits three accounts
    answers = race(
        [
            *(lambda t=t: t.post(url, {"to_user": org.rep_js2.pk}) for t in admins),
            *(
                lambda a=a: rep.patch(f"/api/customers/accounts/{a.pk}/", {"city": "苏州"})
                for a in accounts[:3]
            ),
        ]
    )
    # then no server error; the handovers both end with nothing left
    assert all(not isinstance(a, Exception) and a.status < 500 for a in answers), answers
    assert all(a.status == 200 and 'id="handover-complete"' in a.body for a in answers[:2])
    for record in [*accounts, *contacts]:
        fresh = type(record).all_objects.get(pk=record.pk)
        assert fresh.owner_id == org.rep_js2.pk
        transfers = ObjectChange.objects.filter(
            content_type__model=type(record)._meta.model_name, object_id=record.pk, action="transfer"
        )
        assert [(t.prechange_data["owner"], t.postchange_data["owner"]) for t in transfers] == [
            (org.rep_js.pk, org.rep_js2.pk)
        ]
    # an edit that got in before the account moved is kept; one after it is refused, not lost
    for answer, account in zip(answers[2:], accounts[:3], strict=True):
        city = Account.all_objects.get(pk=account.pk).city
        assert (answer.status == 200) == (city == "苏州"), (answer.status, city)
