"""Sharing a record is a service (forms, the API, imports and jobs call it): the checks live
inside it, and history names who shared."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianke.core.models import ObjectChange
from lianke.core.records import services
from lianke.customers.models import Account
from lianke.org.models import Collaborator

pytestmark = pytest.mark.django_db


def test_the_owner_shares_and_unshares_and_history_names_them(org):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    services.share_record(actor=org.rep_js, record=account, user=org.rep_zj, access_level="read")
    services.share_record(actor=org.rep_js, record=account, user=org.rep_zj, access_level="", remove=True)
    changes = list(ObjectChange.objects.filter(object_id=account.pk, action="update").order_by("id"))
    assert [(c.user, c.postchange_data["collaborators"]) for c in changes] == [
        (org.rep_js, [f"{org.rep_zj} (read)"]),
        (org.rep_js, []),
    ]


def test_someone_who_may_only_read_cannot_share(org):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    with pytest.raises(PermissionDenied):
        services.share_record(actor=org.ops, record=account, user=org.rep_zj, access_level="write")
    assert not Collaborator.objects.exists()


@pytest.mark.parametrize(
    ("who", "level", "field"), [("rep_js", "read", "user"), ("rep_zj", "admin", "access")]
)
def test_bad_shares_are_field_errors(org, who, level, field):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    with pytest.raises(ValidationError) as caught:
        services.share_record(actor=org.rep_js, record=account, user=getattr(org, who), access_level=level)
    assert field in caught.value.message_dict and not Collaborator.objects.exists()
