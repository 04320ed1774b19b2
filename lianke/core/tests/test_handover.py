"""Handover of a leaving user: the service (preview = what moves, transfers with history and
related records, open tasks, shared records, shared views, extension parts, re-runs, refusals),
the ``handover`` command and the settings page."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from lianke.activities.models import Activity
from lianke.core.models import ObjectChange, SavedView
from lianke.core.records import handover as handover_module
from lianke.core.records import services
from lianke.core.records.handover import handover, register_handover
from lianke.customers.models import Account, Contact
from lianke.org.choices import AuditKind, CollaboratorAccess
from lianke.org.models import AuditEvent, Collaborator
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db

TRANSFER = ObjectChange.ActionChoices.TRANSFER


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English, the source language."""


def fresh(obj):
    return type(obj)._base_manager.get(pk=obj.pk)


@pytest.fixture
def book(org, stages):
    """What the leaving rep (rep_js) has: accounts with contacts and an opportunity, a contact on
    a colleague's account, a deleted account, open and done tasks, a record shared with him, a
    shared and a private saved view."""
    rep = org.rep_js
    accounts = [Account.objects.create(name=f"苏州精工{i}", owner=rep, city="苏州市") for i in range(3)]
    other = Account.objects.create(name="无锡重工", owner=org.rep_js2)
    due = timezone.now() + dt.timedelta(days=2)
    view = SavedView.objects.create(
        user=rep, object_type="customers.account", name="重点客户", query="level=a"
    )
    view.shared_roles.add(org.roles["sales_rep"])
    return {
        "accounts": accounts,
        "contact": Contact.objects.create(name="王磊", account=accounts[0], owner=rep),
        "foreign_contact": Contact.objects.create(name="刘洋", account=other, owner=rep),
        "colleague_contact": Contact.objects.create(name="周杰", account=accounts[1], owner=org.rep_js2),
        "deleted": Account.objects.create(name="已删除", owner=rep, is_deleted=True),
        "opportunity": Opportunity.objects.create(
            name="二期项目", account=accounts[0], owner=rep, stage_set=stages["set"], stage=stages["first"]
        ),
        "open_task": Activity.objects.create(
            kind="task", subject="回访", owner=org.rep_js2, assignee=rep, due_at=due, account=other
        ),
        "done_task": Activity.objects.create(
            kind="task", subject="已完成", owner=org.rep_js2, assignee=rep, due_at=due, is_done=True
        ),
        "shared": Collaborator.objects.create(
            content_type_id=_ct(Account), object_id=other.pk, user=rep, access=CollaboratorAccess.WRITE
        ),
        "other": other,
        "view": view,
        "private_view": SavedView.objects.create(user=rep, object_type="customers.account", name="我的"),
    }


def _ct(model):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model).pk


def _counts(report):
    return {item.key: item.count for item in report.items if item.count}


def test_dry_run_changes_nothing_and_counts_what_a_run_moves(org, book):
    # given
    changes_before = ObjectChange.objects.count()
    # when
    preview = handover(org.admin, org.rep_js, org.rep_js2, dry_run=True)
    # then
    assert ObjectChange.objects.count() == changes_before
    assert all(fresh(a).owner_id == org.rep_js.pk for a in book["accounts"])
    assert _counts(preview) == {
        "records:customers.account": 3,
        "records:customers.contact": 2,
        "records:sales.opportunity": 1,
        "assigned:activities.activity:assignee": 1,
        "collaborations": 1,
        "saved_views": 1,
    }
    assert "苏州精工0" in next(i for i in preview.items if i.key == "records:customers.account").sample
    # when it runs
    report = handover(org.admin, org.rep_js, org.rep_js2)
    # then exactly the preview moved, and nothing is left
    assert {i.key: i.moved for i in report.items if i.moved} == _counts(preview)
    assert report.complete and report.left == 0
    assert report.moved == preview.total


def test_every_moved_record_has_a_transfer_history_entry_and_goes_with_its_account(org, book):
    handover(org.admin, org.rep_js, org.rep_js2)
    moved = [*book["accounts"], book["contact"], book["foreign_contact"], book["opportunity"]]
    for record in moved:
        assert fresh(record).owner_id == org.rep_js2.pk
        assert fresh(record).department_id == org.rep_js2.department_id
        change = ObjectChange.objects.filter(
            content_type_id=_ct(type(record)), object_id=record.pk, action=TRANSFER
        ).get()
        assert change.user_id == org.admin.pk
    # the deleted account stays in the recycle bin as it was; the colleague's contact is his
    assert fresh(book["deleted"]).owner_id == org.rep_js.pk
    assert fresh(book["colleague_contact"]).owner_id == org.rep_js2.pk


def test_open_tasks_are_reassigned_and_done_ones_stay(org, book):
    handover(org.admin, org.rep_js, org.ops)
    assert fresh(book["open_task"]).assignee_id == org.ops.pk
    assert fresh(book["done_task"]).assignee_id == org.rep_js.pk
    assert ObjectChange.objects.filter(object_id=book["open_task"].pk, content_type_id=_ct(Activity)).exists()


def test_shared_records_and_shared_views_go_to_the_colleague(org, book):
    handover(org.admin, org.rep_js, org.ops)
    shares = Collaborator.objects.filter(content_type_id=_ct(Account), object_id=book["other"].pk)
    assert {(c.user_id, c.access) for c in shares} == {(org.ops.pk, CollaboratorAccess.WRITE)}
    assert SavedView.objects.get(pk=book["view"].pk).user_id == org.ops.pk
    assert SavedView.objects.get(pk=book["private_view"].pk).user_id == org.rep_js.pk


def test_a_shared_view_whose_name_the_colleague_uses_keeps_both(org, book):
    SavedView.objects.create(user=org.ops, object_type="customers.account", name="重点客户")
    handover(org.admin, org.rep_js, org.ops)
    assert SavedView.objects.get(pk=book["view"].pk).name == f"重点客户 ({org.rep_js})"


def test_the_receiver_who_owns_a_shared_record_is_not_made_its_collaborator(org, book):
    handover(org.admin, org.rep_js, org.rep_js2)  # rep_js2 owns "other"
    assert not Collaborator.objects.filter(object_id=book["other"].pk, content_type_id=_ct(Account)).exists()


def test_registered_parts_run_with_the_others(org, book, monkeypatch):
    moved = []
    monkeypatch.setattr(handover_module, "_registered", {})
    register_handover(
        "approvals",
        "Pending approvals",
        preview=lambda user: (0 if moved else 2, ["审批1", "审批2"]),
        move=lambda actor, from_user, to_user: moved.append((actor, from_user, to_user)),
    )
    preview = handover(org.admin, org.rep_js, org.ops, dry_run=True)
    assert _counts(preview)["approvals"] == 2 and not moved
    report = handover(org.admin, org.rep_js, org.ops)
    assert moved == [(org.admin, org.rep_js, org.ops)]
    assert next(i for i in report.items if i.key == "approvals").moved == 2


def test_a_failed_part_is_reported_and_a_second_run_moves_what_is_left(org, book, monkeypatch):
    real = services.transfer_in_bulk
    calls = {"n": 0}

    def failing_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise PermissionDenied("database said no")
        return real(**kwargs)

    monkeypatch.setattr(services, "transfer_in_bulk", failing_once)
    first = handover(org.admin, org.rep_js, org.ops, deactivate=True)
    accounts = next(i for i in first.items if i.key == "records:customers.account")
    assert accounts.error == "database said no" and accounts.left == 3
    assert not first.complete and not first.deactivated
    assert fresh(org.rep_js).is_active
    second = handover(org.admin, org.rep_js, org.ops, deactivate=True)
    assert second.complete and second.deactivated
    assert all(fresh(a).owner_id == org.ops.pk for a in book["accounts"])
    assert not fresh(org.rep_js).is_active
    # a third run finds nothing
    assert handover(org.admin, org.rep_js, org.ops).total == 0


def test_big_volumes_move_in_batches(org, monkeypatch):
    monkeypatch.setattr(handover_module, "BATCH", 7)
    Account.objects.bulk_create(
        [Account(name=f"客户{i}", owner=org.rep_js, department=org.rep_js.department) for i in range(30)]
    )
    report = handover(org.admin, org.rep_js, org.ops)
    assert report.moved == 30 and report.complete
    assert not Account.all_objects.filter(owner=org.rep_js).exists()


@pytest.mark.parametrize("receiver", ["same", "inactive"])
def test_a_bad_receiver_is_refused_with_a_code_and_nothing_moves(org, book, receiver):
    to_user = org.rep_js if receiver == "same" else org.rep_js2
    if receiver == "inactive":
        to_user.is_active = False
        to_user.save()
    with pytest.raises(ValidationError) as caught:
        handover(org.admin, org.rep_js, to_user)
    code = {"same": "handover_same_user", "inactive": "receiver_inactive"}[receiver]
    assert caught.value.error_dict["to_user"][0].code == code
    assert all(fresh(a).owner_id == org.rep_js.pk for a in book["accounts"])
    assert not AuditEvent.objects.filter(kind=AuditKind.HANDOVER).exists()


@pytest.mark.parametrize("actor", ["manager_js", "ops", "rep_js2"])
def test_only_administrators_hand_over(org, book, actor):
    with pytest.raises(PermissionDenied):
        handover(getattr(org, actor), org.rep_js, org.rep_js2)
    assert all(fresh(a).owner_id == org.rep_js.pk for a in book["accounts"])


def test_a_handover_is_audited(org, book):
    handover(org.admin, org.rep_js, org.ops)
    event = AuditEvent.objects.get(kind=AuditKind.HANDOVER)
    assert event.actor_id == org.admin.pk
    assert event.data["moved"]["records:customers.account"] == 3


# ---------------------------------------------------------------------------------- the command
def test_the_command_previews_then_moves(org, book, capsys):
    call_command("handover", "rep_js", "ops", "--dry-run")
    out = capsys.readouterr().out
    assert "would move 3 of 3" in out and "苏州精工0" in out
    assert fresh(book["accounts"][0]).owner_id == org.rep_js.pk
    call_command("handover", "rep_js", "ops")
    out = capsys.readouterr().out
    assert "moved 3 of 3" in out
    assert fresh(book["accounts"][0]).owner_id == org.ops.pk
    change = ObjectChange.objects.filter(
        content_type_id=_ct(Account), object_id=book["accounts"][0].pk, action=TRANSFER
    ).get()
    assert change.user_id == org.admin.pk and change.source == "command"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rep_js", "rep_js"], "cannot hand over to himself"),
        (["rep_js", "ghost"], "No user 'ghost'"),
        (["rep_js", "ops", "--by", "rep_js2"], "Only administrators"),
    ],
)
def test_the_command_refuses_clearly(org, book, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("handover", *args)
    assert fresh(book["accounts"][0]).owner_id == org.rep_js.pk


# ---------------------------------------------------------------------------------- the page
def url(user):
    return f"/settings/users/{user.pk}/handover/"


def test_the_page_previews_then_hands_over(org, book, client_for):
    admin = client_for(org.admin)
    page = admin.get(url(org.rep_js))
    assert page.status_code == 200 and 'id="handover-form"' in page.content.decode()
    preview = admin.get(url(org.rep_js), {"to_user": org.ops.pk}, headers={"HX-Request": "true"})
    body = preview.content.decode()
    assert preview.status_code == 200 and "<html" not in body
    assert 'data-kind="records:customers.account"' in body and "苏州精工0" in body
    assert fresh(book["accounts"][0]).owner_id == org.rep_js.pk  # a preview changes nothing
    done = admin.post(url(org.rep_js), {"to_user": org.ops.pk, "deactivate": "on"})
    assert done.status_code == 200 and 'id="handover-complete"' in done.content.decode()
    assert all(fresh(a).owner_id == org.ops.pk for a in book["accounts"])
    assert not fresh(org.rep_js).is_active


@pytest.mark.parametrize("receiver", ["same", "inactive"])
def test_the_page_refuses_a_bad_receiver_with_its_code(org, book, client_for, receiver):
    to_user = org.rep_js if receiver == "same" else org.rep_js2
    if receiver == "inactive":
        to_user.is_active = False
        to_user.save()
    response = client_for(org.admin).post(url(org.rep_js), {"to_user": to_user.pk})
    code = {"same": "handover_same_user", "inactive": "receiver_inactive"}[receiver]
    assert response.status_code == 400 and f'data-error-code="{code}"' in response.content.decode()
    assert all(fresh(a).owner_id == org.rep_js.pk for a in book["accounts"])


@pytest.mark.parametrize("who", ["manager_js", "ops", "rep_js2", "nobody"])
def test_the_page_is_for_administrators_only(org, book, client_for, who):
    client = client_for(getattr(org, who))
    assert client.get(url(org.rep_js), {"to_user": org.ops.pk}).status_code == 403
    assert client.post(url(org.rep_js), {"to_user": getattr(org, who).pk}).status_code == 403
    assert all(fresh(a).owner_id == org.rep_js.pk for a in book["accounts"])


def test_the_page_of_an_unknown_user_is_a_404(org, client_for):
    assert client_for(org.admin).get("/settings/users/999999/handover/").status_code == 404


def test_the_preview_costs_the_same_queries_for_a_big_book(org, book):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    handover(org.admin, org.rep_js, org.ops, dry_run=True)  # content types are read once
    with CaptureQueriesContext(connection) as small:
        handover(org.admin, org.rep_js, org.ops, dry_run=True)
    Account.objects.bulk_create(
        [Account(name=f"客户{i}", owner=org.rep_js, department=org.rep_js.department) for i in range(50)]
    )
    with CaptureQueriesContext(connection) as big:
        report = handover(org.admin, org.rep_js, org.ops, dry_run=True)
    assert _counts(report)["records:customers.account"] == 53
    assert len(big) == len(small)


def test_a_part_that_moves_nothing_stops_with_a_reason_and_the_others_go_on(org, book, monkeypatch):
    # given a transfer that (wrongly) leaves every record where it was
    monkeypatch.setattr(
        services, "transfer_in_bulk", lambda **kwargs: services.BulkResult(len(kwargs["records"]), 0, 0)
    )
    # when
    report = handover(org.admin, org.rep_js, org.ops)
    # then it stops instead of looping, says why, and the open task still moved
    accounts = next(i for i in report.items if i.key == "records:customers.account")
    assert "could not be moved" in accounts.error and accounts.left == 3
    assert fresh(book["open_task"]).assignee_id == org.ops.pk
    assert not report.complete


def test_a_receiver_number_too_large_for_a_key_is_refused_on_the_page(org, client_for):
    url = f"/settings/users/{org.rep_js.pk}/handover/"
    response = client_for(org.admin).get(url, {"to_user": "9" * 25})
    assert (
        response.status_code in (200, 400) and 'data-error-code="invalid_choice"' in response.content.decode()
    )
