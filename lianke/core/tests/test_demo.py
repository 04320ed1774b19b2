"""``lianke demo``: the dataset the README promises, dated in the past and in causal order, and
never on a database in use."""

import datetime as dt
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from lianke.activities.models import Activity
from lianke.approvals import services as approvals
from lianke.approvals.models import Approval
from lianke.core.demo import base
from lianke.core.demo.base import Adapt
from lianke.core.demo.loader import DemoLoader, _same
from lianke.customers.demo import DEMO_REGISTRATIONS
from lianke.customers.models import Account, Contact
from lianke.marketing.models import Lead
from lianke.notifications.models import Notification
from lianke.notifications.service import unread_count
from lianke.org.models import User
from lianke.sales.models import Opportunity


@pytest.mark.django_db(transaction=True)
def test_demo_loads_the_documented_group_users_and_volumes():
    # when the demo is loaded into an empty database
    call_command("demo", "--no-migrate", stdout=io.StringIO())
    # then the documented users exist with their scopes' shape, and the volumes of scale 1
    users = {u.username: u for u in User.objects.all()}
    assert {"admin", "wang.fang", "zhang.wei", "li.na"} <= set(users)
    assert users["zhang.wei"].superior == users["wang.fang"]
    assert users["admin"].is_superuser
    assert 35 <= len(users) <= 60
    assert Account.all_objects.count() == 2000 + len(DEMO_REGISTRATIONS)
    assert Contact.all_objects.count() == 5000
    assert Lead.all_objects.count() == 5000
    assert Opportunity.all_objects.count() == 1500
    assert Activity.all_objects.count() == 20000
    # and rows written afterwards get fresh ids (sequences were reset after the bulk load)
    account = Account.all_objects.create(name="新客户", owner=users["zhang.wei"])
    assert account.pk > 2000
    # and zhang.wei's manager signs in to approvals waiting for her and a count on the bell
    manager, rep = users["wang.fang"], users["zhang.wei"]
    assert approvals.pending_count(manager) == 3
    assert unread_count(manager) >= 3
    assert approvals.box(rep, "submitted").count() == 5
    assert set(Approval.objects.values_list("status", flat=True)) == {"pending", "approved", "rejected"}
    rejected = Account.all_objects.get(name=DEMO_REGISTRATIONS[4][0]["name"])
    assert rejected.registration == "rejected" and rejected.registration_note
    # and zhang.wei has his decided registrations and the accounts transferred to him in the bell
    kinds = set(Notification.objects.filter(recipient=rep).values_list("kind", flat=True))
    assert {"approval.decided", "record.transferred"} <= kinds


@pytest.mark.django_db(transaction=True)
def test_demo_refuses_a_database_that_already_holds_data():
    # given a database with a real user
    User.objects.create_user("boss", password="x")
    # when the demo is asked to load, then it refuses and loads nothing
    with pytest.raises(CommandError):
        call_command("demo", "--no-migrate")
    assert Account.all_objects.count() == 0


# ---------------------------------------------------------------------------------- dates
def _after(model, field: str, parent_field: str) -> int:
    """How many rows of ``model`` have ``field`` before ``parent_field`` (a path to the parent)."""
    return model.all_objects.filter(**{f"{field}__lt": F(parent_field)}).count()


def _activities_before_their_record(model) -> int:
    """Activities on a ``model`` record dated before that record was created."""
    created = model.all_objects.filter(pk=OuterRef("object_id")).values("created_at")
    return (
        Activity.all_objects.filter(content_type=ContentType.objects.get_for_model(model))
        .annotate(record_created=Subquery(created))
        .filter(occurred_at__lt=F("record_created"))
        .count()
    )


@pytest.mark.django_db(transaction=True)
def test_demo_dates_are_in_the_past_and_in_causal_order():
    # when the demo is loaded
    call_command("demo", "--no-migrate", stdout=io.StringIO())
    now = timezone.now()
    # then nothing that happened is dated in the future: no row of any business table
    happened = (
        "created_at",
        "updated_at",
        "occurred_at",
        "closed_at",
        "done_at",
        "deleted_at",
        "last_activity_at",
    )
    for model in (Account, Contact, Lead, Opportunity, Activity):
        for name in happened:
            if any(f.name == name for f in model._meta.concrete_fields):
                assert model.all_objects.filter(**{f"{name}__gt": now}).count() == 0, (model, name)
        # and every record was updated after it was created
        assert _after(model, "updated_at", "created_at") == 0, model
    # and an account comes before its contacts and opportunities, and they before their activities
    assert _after(Contact, "created_at", "account__created_at") == 0
    assert _after(Opportunity, "created_at", "account__created_at") == 0
    assert _after(Opportunity, "closed_at", "created_at") == 0
    assert _after(Activity, "occurred_at", "account__created_at") == 0
    for model in (Account, Contact, Opportunity):
        assert _activities_before_their_record(model) == 0, model
    # and a task is done after it was written down, and only when done
    assert _after(Activity, "done_at", "occurred_at") == 0
    assert Activity.all_objects.filter(is_done=True, done_at__isnull=True).count() == 0
    assert Activity.all_objects.filter(is_done=False, done_at__isnull=False).count() == 0
    # and a first deal falls between the account's creation and today
    today = timezone.localdate()
    for created, custom in Account.all_objects.values_list("created_at", "custom_data"):
        if "first_deal_date" in custom:
            deal = dt.date.fromisoformat(custom["first_deal_date"])
            assert timezone.localdate(created) <= deal <= today
    # and an account's last follow-up is its latest activity other than a task (the home page's
    # "follow up today" and the phone cards show it)
    latest = Activity.all_objects.filter(account=OuterRef("pk")).exclude(kind="task").order_by("-occurred_at")
    accounts = Account.all_objects.annotate(latest=Subquery(latest.values("occurred_at")[:1]))
    assert accounts.filter(latest__isnull=False).exclude(last_activity_at=F("latest")).count() == 0
    assert accounts.filter(latest__isnull=True, last_activity_at__isnull=False).count() == 0
    assert accounts.filter(last_activity_at__isnull=False).count() > 1500
    # (planned dates may be ahead: some tasks are due in the coming days)
    assert Activity.all_objects.filter(due_at__gt=now).exists()


class _Stage:
    def __init__(self, pk, kind, probability):
        self.pk, self.stage_set_id, self.kind, self.probability = pk, pk // 10, kind, probability


def _generated(table, count: int) -> list[dict]:
    adapt = Adapt(ts=_same, day=_same, money=_same)
    columns = ("id", *table.columns)
    return [dict(zip(columns, row, strict=True)) for row in table.rows(count, 1, adapt)]


def test_the_apps_contribute_their_demo_data_in_dependency_order():
    # the apps declare their demo data; accounts come before what hangs on them
    order = [cls.app for cls in base.contributions()]
    assert order == ["customers", "marketing", "sales", "activities"]
    for cls in base.contributions():
        assert set(cls.after) <= set(order[: order.index(cls.app)])


@pytest.mark.django_db
def test_the_generators_keep_dates_in_order_at_a_larger_scale():
    # given the loader's state at scale 3 (owners, stages and ids stand in)
    scale = 3
    loader = DemoLoader(scale=scale, progress=lambda _m: None)
    loader.owner_ids, loader.owner_depts = list(range(1, 31)), [1 + i % 5 for i in range(30)]
    loader.owner_provinces = ["江苏省"] * 30
    loader.contributions = {cls.app: cls(loader) for cls in base.contributions()}
    loader.data("sales").stages = {
        key: [_Stage(first + 1, "open", 10), _Stage(first + 2, "open", 50), _Stage(first + 3, "won", 100)]
        + [_Stage(first + 4, "lost", 0)]
        for key, first in (("direct", 10), ("channel", 20))
    }
    tables = {t.label: t for data in loader.contributions.values() for t in data.tables()}
    loader.first_ids = {"customers.account": 1}
    assert tables["customers.account"].count == 2000 * scale
    now = loader.now
    # when every generator runs
    accounts = _generated(tables["customers.account"], 2000 * scale)
    contacts = _generated(tables["customers.contact"], 5000 * scale)
    leads = _generated(tables["marketing.lead"], 5000 * scale)
    opportunities = _generated(tables["sales.opportunity"], 1500 * scale)
    activities = _generated(tables["activities.activity"], 20000 * scale)
    # then every record is created and updated in the past, in that order
    for rows in (accounts, contacts, leads, opportunities, activities):
        assert all(r["created_at"] <= r["updated_at"] <= now for r in rows)
    created = {r["id"]: r["created_at"] for r in accounts}
    assert all(created[r["account_id"]] <= r["created_at"] for r in contacts)
    assert all(created[r["account_id"]] <= r["created_at"] for r in opportunities)
    assert all(r["created_at"] <= r["closed_at"] <= now for r in opportunities if r["closed_at"])
    assert all(created[r["account_id"]] <= r["occurred_at"] <= now for r in activities)
    assert all(r["occurred_at"] <= r["done_at"] <= now for r in activities if r["done_at"])
    # and the same scale generates the same data again
    again = DemoLoader(scale=scale, progress=lambda _m: None)
    assert base.contributions()[0](again).ages == loader.data("customers").ages
