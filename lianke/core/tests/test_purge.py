"""Purging the recycle bin removes a record with everything that hangs on it: the records
deleted with it, its child rows, collaborators, attachments and — after the commit — the
attachment files on disk; other records' files stay."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lianke.core.models import Attachment, ObjectChange
from lianke.core.records import services
from lianke.core.records.attachments import add_attachment
from lianke.core.tasks import purge_recycle_bin
from lianke.customers.models import Account, Contact
from lianke.org.models import Collaborator
from lianke.sales.factories import CompetitorFactory, OpportunityFactory
from lianke.sales.models import Opportunity, OpportunityCompetitor

pytestmark = pytest.mark.django_db


def pdf(name="合同.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n%test\n", content_type="application/pdf")


def age(*records, days=200):
    """Put records (already in the bin) past the retention period."""
    for record in records:
        type(record).all_objects.filter(pk=record.pk).update(
            deleted_at=timezone.now() - dt.timedelta(days=days)
        )


def test_purging_a_record_removes_its_children_collaborators_attachments_and_files(
    org, django_capture_on_commit_callbacks
):
    # given an account with a contact, a collaborator and files on both, and another account
    acc = Account.objects.create(name="上海宝钢", owner=org.rep_js)
    contact = Contact.objects.create(name="王磊", account=acc, owner=org.rep_js)
    services.share_record(actor=org.rep_js, record=acc, user=org.rep_js2, access_level="read")
    services.share_record(actor=org.rep_js, record=contact, user=org.rep_js2, access_level="read")
    on_account = add_attachment(actor=org.rep_js, obj=acc, upload=pdf())
    on_contact = add_attachment(actor=org.rep_js, obj=contact, upload=pdf("名片.pdf"))
    other = Account.objects.create(name="杭州钢铁", owner=org.rep_js)
    kept = add_attachment(actor=org.rep_js, obj=other, upload=pdf())
    paths = [on_account.file.path, on_contact.file.path]
    assert all(os.path.exists(p) for p in [*paths, kept.file.path])
    # when the account (and with it its contact) has been in the bin past the retention period
    services.delete_records(actor=org.rep_js, records=[acc])
    age(acc, contact)
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_recycle_bin(days=90) == 2
    # then nothing of it is left: rows, collaborators, attachments, files
    assert not Account.all_objects.filter(pk=acc.pk).exists()
    assert not Contact.all_objects.filter(pk=contact.pk).exists()
    assert not Collaborator.objects.exists()
    assert list(Attachment.objects.all()) == [kept]
    assert not any(os.path.exists(p) for p in paths)
    assert os.path.exists(kept.file.path)  # another record's file is untouched
    purges = ObjectChange.objects.filter(action="purge")
    assert {(c.content_type.model, c.object_id) for c in purges} == {
        ("account", acc.pk),
        ("contact", contact.pk),
    }


def test_purging_an_opportunity_removes_its_competitor_rows(org, django_capture_on_commit_callbacks):
    opp = OpportunityFactory(owner=org.rep_js)
    OpportunityCompetitor.objects.create(opportunity=opp, competitor=CompetitorFactory())
    services.delete_records(actor=org.rep_js, records=[opp])
    age(opp)
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_recycle_bin(days=90) == 2
    assert not Opportunity.all_objects.filter(pk=opp.pk).exists()
    assert not OpportunityCompetitor.all_objects.exists()


def test_a_record_something_live_still_needs_stays_in_the_bin(org):
    # a contact restored on its own while its account stays in the bin
    acc = Account.objects.create(name="上海宝钢", owner=org.rep_js)
    contact = Contact.objects.create(name="王磊", account=acc, owner=org.rep_js)
    doomed = Account.objects.create(name="无锡重工", owner=org.rep_js)
    services.delete_records(actor=org.rep_js, records=[acc, doomed])
    services.restore_records(actor=org.rep_js, records=[Contact.all_objects.get(pk=contact.pk)])
    Account.all_objects.filter(pk=acc.pk).update(is_deleted=True)
    age(acc, doomed)
    # the purge does what it can and keeps the account the live contact points at
    assert purge_recycle_bin(days=90) == 1
    assert Account.all_objects.filter(pk=acc.pk, is_deleted=True).exists()
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert not Account.all_objects.filter(pk=doomed.pk).exists()
    assert purge_recycle_bin(days=90) == 0  # and again: idempotent, no endless loop


def test_a_dry_run_lists_what_would_be_purged_and_leaves_it_in_the_bin(org):
    from lianke.core import schedules

    # given two accounts in the bin past the retention period and one binned yesterday
    old = [Account.objects.create(name=n, owner=org.rep_js) for n in ("上海宝钢", "无锡重工")]
    recent = Account.objects.create(name="杭州钢铁", owner=org.rep_js)
    services.delete_records(actor=org.rep_js, records=[*old, recent])
    age(*old)
    history = ObjectChange.objects.count()
    # when the scheduled job runs dry
    run = schedules.Run(name="purge_recycle_bin", period=timezone.now(), dry_run=True, params={"days": 90})
    schedules.get("purge_recycle_bin").func(run)
    # then it lists the two old ones, and everything stays in the bin, history untouched
    listed = [(a["type"], a["id"]) for a in run.actions if "id" in a]
    assert listed == [("customers.account", old[0].pk), ("customers.account", old[1].pk)]
    assert run.actions[-1]["count"] == 2 and "上海宝钢" in run.actions[0]["message"]
    assert Account.all_objects.filter(pk__in=[a.pk for a in [*old, recent]], is_deleted=True).count() == 3
    assert ObjectChange.objects.count() == history
    # and a real run purges exactly what the dry run listed
    real = schedules.Run(name="purge_recycle_bin", period=timezone.now(), params={"days": 90})
    schedules.get("purge_recycle_bin").func(real)
    assert [(a["type"], a["id"]) for a in real.actions if "id" in a] == listed
    assert list(Account.all_objects.filter(is_deleted=True)) == [recent]


def test_the_purge_command_dry_run_purges_nothing(org):
    import io

    from django.core.management import call_command

    acc = Account.objects.create(name="上海宝钢", owner=org.rep_js)
    services.delete_records(actor=org.rep_js, records=[acc])
    age(acc)
    out = io.StringIO()
    call_command("purge_recycle_bin", "--dry-run", "--days", "90", stdout=out)
    assert "Would purge 1 records" in out.getvalue()
    assert Account.all_objects.filter(pk=acc.pk).exists()
