"""Code several places share, once: a record named by content type and id in a URL (timelines,
attachments), the active users (pickers, filters, assignment checks) and the write that ends
every bulk change (bulk edit, the batch path)."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.urls import reverse

from lianke.core.views.objects import record_by_type_or_404
from lianke.customers.factories import AccountFactory
from lianke.org.choices import Action
from lianke.org.models import Role, User
from lianke.org.users import active_users

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(org):
    return AccountFactory(owner=org.rep_js, department=org.rep_js.department)


def ct_id(model) -> int:
    return ContentType.objects.get_for_model(model).pk


def test_a_record_named_by_type_and_id_is_found_for_whoever_may_read_it(org, account):
    assert record_by_type_or_404(org.rep_js, ct_id(account), account.pk) == account
    assert record_by_type_or_404(org.manager_js, ct_id(account), account.pk, Action.EDIT) == account


@pytest.mark.parametrize(
    "who, action",
    [("rep_zj", Action.VIEW), ("rep_js2", Action.VIEW), ("ops", Action.EDIT), ("nobody", Action.VIEW)],
)
def test_a_record_out_of_reach_is_404_whatever_the_action(org, account, who, action):
    with pytest.raises(Http404):
        record_by_type_or_404(getattr(org, who), ct_id(account), account.pk, action)


def test_an_unknown_type_id_or_a_model_that_is_no_object_type_is_404(org, account):
    for content_type_id, pk in [
        (999_999, account.pk),  # no such content type
        (ct_id(Role), org.roles["sales_rep"].pk),  # a settings model, not a registered type
        (ct_id(User), org.rep_js.pk),
        (ct_id(account), 999_999),  # no such record
    ]:
        with pytest.raises(Http404):
            record_by_type_or_404(org.admin, content_type_id, pk)


def test_the_timeline_and_attachment_urls_answer_404_alike(org, account, client_for):
    rep_zj = client_for(org.rep_zj)
    timeline = reverse("activity_views:timeline", args=[ct_id(account), account.pk])
    upload = reverse("core:attachment_upload", args=[ct_id(account), account.pk])
    assert client_for(org.rep_js).get(timeline).status_code == 200
    assert rep_zj.get(timeline).status_code == 404
    assert rep_zj.post(upload).status_code == 404
    not_a_type = reverse("activity_views:timeline", args=[ct_id(Role), org.roles["sales_rep"].pk])
    assert client_for(org.admin).get(not_a_type).status_code == 404


def test_active_users_leave_out_the_deactivated(org):
    org.rep_js2.is_active = False
    org.rep_js2.save()
    people = set(active_users())
    assert org.rep_js in people and org.admin in people
    assert org.rep_js2 not in people


def test_a_deactivated_person_is_offered_and_accepted_nowhere(org, account, client_for):
    """The owner filter, the people pickers and the assignment check all read active_users()."""
    from lianke.core.objecttypes.registry import registry
    from lianke.core.ui.filtersets import build_filterset
    from lianke.org import access

    org.rep_js2.is_active = False
    org.rep_js2.save()
    ot = registry.get_for_model(type(account))
    filterset = build_filterset(ot)(data={}, queryset=type(account).all_objects.all())
    assert org.rep_js2 not in filterset.filters["owner"].queryset
    assert org.rep_js in filterset.filters["owner"].queryset
    assert org.rep_js2 not in access.assignable_users(org.admin, type(account), Action.CREATE)
    assert not access.may_assign(org.admin, type(account), Action.CREATE, org.rep_js2.pk)


def test_clearing_a_custom_field_in_bulk_is_written_not_only_told_by_history(org, account):
    """Bulk edit and the batch path share one write (``services.write_updates``): a custom value
    removed is a changed column, so the row loses it — not only its history entry."""
    from lianke.core.context import acting_as
    from lianke.core.models import CustomField, ObjectChange
    from lianke.core.records import batch, services

    CustomField.objects.create(object_type="customers.account", name="note", label="备注", type="text")
    CustomField.objects.create(object_type="customers.account", name="tier", label="分级", type="text")
    type(account).all_objects.filter(pk=account.pk).update(custom_data={"note": "a", "tier": "gold"})
    other = AccountFactory(owner=org.rep_js, department=org.rep_js.department, custom_data={"tier": "silver"})
    with acting_as(org.rep_js):
        stored = list(type(account).all_objects.filter(pk__in=[account.pk]))
        assert (
            services.bulk_edit(actor=org.rep_js, records=stored, field="tier", value=None, custom=True) == 1
        )
        assert (
            batch.update_records(
                actor=org.rep_js, model=type(account), changes={other.pk: {"custom_fields": {"tier": None}}}
            )
            == 1
        )
    account.refresh_from_db()
    other.refresh_from_db()
    assert account.custom_data == {"note": "a"}
    assert "tier" not in other.custom_data
    assert ObjectChange.objects.filter(object_id__in=[account.pk, other.pk]).count() == 2
