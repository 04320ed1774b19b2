"""Query-count baselines: every registered object type's list page, record page and API list,
as an administrator and as a sales rep, on rows whose related fields are all filled (owner,
department, creator, parents and lookups, collaborators, custom fields of every relation kind,
attachments, related lists, timeline).

Two guarantees (NetBox's approach):

- **No N+1.** The count of a list does not change when its rows go from three to six, nor the
  count of a record page when its collaborators, attachments, related rows and activities do.
- **Fixed baselines.** The exact counts are written down in ``BASELINES``: a change that adds a
  query to a page fails here and has to say so by updating the number (fewer queries: lower it).

A new object type fails until its numbers are added — run this file and copy them from the
failure message.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lianke.core.models import CustomField
from lianke.core.objecttypes.registry import registry
from lianke.core.records.attachments import add_attachment
from lianke.org.models import Collaborator, User

pytestmark = pytest.mark.django_db

TYPES = [ot.key for ot in registry]
ROLES = ("admin", "rep_js")

# Queries per page, ``(as the administrator, as the Jiangsu rep)``: ``list`` (the list page with
# every list column and the custom fields shown), ``detail`` (the record page), ``timeline``
# (its activities and history, for types that have them), ``board`` (the stage board, for
# types with a lifecycle), ``api`` (the API list). The same on
# SQLite and PostgreSQL. A second request: the configuration the process keeps across requests
# (grants, field rules, custom fields, departments, pools, shares, saved views, the people a
# picker opens with:
# ``core.configcache``) is not read again. Every full page counts the bell's unread
# notifications once (``notifications.context_processors``) and the approvals waiting for the
# reader once (the navigation's count).
BASELINES: dict[str, dict[str, tuple[int, int]]] = {
    "customers.account": {"list": (9, 9), "detail": (27, 26), "api": (3, 3), "timeline": (7, 7)},
    "customers.contact": {"list": (10, 10), "detail": (23, 22), "api": (3, 3), "timeline": (7, 7)},
    "marketing.lead": {
        "list": (9, 9),
        "detail": (21, 20),
        "api": (3, 3),
        "board": (12, 12),
        "timeline": (5, 6),
    },
    "sales.opportunity": {
        "list": (10, 10),
        "detail": (31, 30),
        "api": (3, 3),
        "board": (16, 16),
        "timeline": (7, 7),
    },
    "sales.opportunitycompetitor": {"list": (11, 11), "detail": (20, 20), "api": (3, 3)},
    "sales.competitor": {"list": (9, 9), "detail": (16, 14), "api": (3, 3)},
    "activities.activity": {"list": (10, 10), "detail": (22, 21), "api": (3, 3), "board": (10, 10)},
}

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class World:
    """Builds records of a type with every related field filled."""

    def __init__(self, org):
        self.org = org
        self.serial = itertools.count(1)
        # Colleagues to share records with (more than any page shares with: the "add
        # collaborator" picker must keep someone to offer).
        self.people = [
            User.objects.create_user(f"colleague{n}", name=f"同事{n}", department=org.js_team)
            for n in range(12)
        ]

    def make(self, key: str, *, full: bool = True, **given):
        """A record of ``key`` owned by the Jiangsu rep; ``full``: with every optional relation,
        custom field, collaborator and attachment filled too (related records are made plain)."""
        ot = registry.get(key)
        model = ot.model
        names = {f.name: f for f in model._meta.concrete_fields}
        params: dict = {}
        if "owner" in names:
            params["owner"] = self.org.rep_js
        if "department" in names:
            params["department"] = self.org.rep_js.department
        if "created_by" in names:
            params["created_by"] = self.org.manager_js
        for name, field in names.items():
            if not field.is_relation or name in params or name in given:
                continue
            target = registry.get_for_model(field.related_model, None)
            if name in ("deleted_by", "pool"):
                continue
            if field.related_model is User and full:
                params[name] = self.org.lead_js
            elif target is not None and (full or not field.null) and target.key != key:
                params[name] = self.make(target.key, full=False)
            elif target is not None and full and target.key == key:
                params[name] = self.make(key, full=False)  # a parent of its own kind (an account's)
            elif field.related_model is ContentType and full:
                opportunity = self.make("sales.opportunity", full=False)
                params[name] = ContentType.objects.get_for_model(opportunity)
                params["object_id"] = opportunity.pk
        if full and key == "activities.activity":
            # a task: on the task board too, with an assignee and a due time
            params.update(kind="task", due_at=timezone.now() + timedelta(days=1))
        params.update(given)
        if full:
            params["custom_data"] = self.custom_values(key)
        record = ot.factory_class()(**params)
        if full:
            self.decorate(record, 1)
        return record

    def custom_values(self, key: str) -> dict:
        """One custom field of each relation kind (and plain ones) on ``key``, and their values."""
        if not CustomField.objects.filter(object_type=key).exists():
            CustomField.objects.create(object_type=key, name="note", label="备注", type="text")
            CustomField.objects.create(
                object_type=key,
                name="tier",
                label="分级",
                type="select",
                options=[{"key": "gold", "label": "金牌"}, {"key": "silver", "label": "银牌"}],
            )
            CustomField.objects.create(object_type=key, name="mentor", label="导师", type="user")
            CustomField.objects.create(
                object_type=key,
                name="partner",
                label="合作客户",
                type="lookup",
                target_object_type="customers.account",
            )
        partner = self.make("customers.account", full=False)
        return {
            "note": f"备注{next(self.serial)}",
            "tier": "gold",
            "mentor": self.org.lead_js.pk,
            "partner": partner.pk,
        }

    def decorate(self, record, count: int) -> None:
        """``count`` more collaborators, attachments, related rows and activities on ``record``."""
        ot = registry.get_for_model(type(record))
        ct = ContentType.objects.get_for_model(record)
        if ot.is_owned:
            have = Collaborator.objects.filter(content_type=ct, object_id=record.pk).count()
            for user in self.people[have : have + count]:
                Collaborator.objects.create(content_type=ct, object_id=record.pk, user=user)
        for _ in range(count if ot.has_attachments else 0):
            upload = SimpleUploadedFile(f"报价单{next(self.serial)}.pdf", PDF, content_type="application/pdf")
            add_attachment(actor=self.org.admin, obj=record, upload=upload)
        for related in ot.related:
            for _ in range(count):
                self.make(related.object_type, **{related.field: record})
        for _ in range(count if ot.timeline else 0):
            on = (
                {"account": record}
                if ot.key == "customers.account"
                else {"content_type": ct, "object_id": record.pk}
            )
            self.make("activities.activity", **on)


@pytest.fixture
def world(org):
    return World(org)


def queries(client, url: str, shows: str = "") -> int:
    """The queries of a second request to ``url`` (the first warms the process-wide caches:
    content types, the URL resolver, translations), which ``shows`` the given text."""
    first = client.get(url)
    assert first.status_code == 200
    assert shows in first.content.decode()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


def list_url(key: str) -> str:
    ot = registry.get(key)
    columns = [*ot.list_columns, "cf_note", "cf_tier", "cf_mentor", "cf_partner"]
    return ot.url_list + "?" + "&".join(f"cols={name}" for name in columns)


def measure(key: str, records, clients) -> dict[str, tuple[int, ...]]:
    """``{page: (queries as the administrator, as the rep)}``."""
    ot = registry.get(key)
    record = records[0]
    pages = {
        "list": (list_url(key), "金牌"),
        "detail": (record.get_absolute_url(), "报价单" if ot.has_attachments else ""),
        "api": (reverse(ot.api_url_name("list")), ""),
    }
    if ot.stage_path is not None:
        pages["board"] = (ot.url("board"), ot.title(record))
    if ot.timeline:
        ct = ContentType.objects.get_for_model(record)
        pages["timeline"] = (reverse("activity_views:timeline", args=[ct.pk, record.pk]), "")
    found = {}
    for page, (url, shows) in pages.items():
        found[page] = tuple(
            queries(api if page == "api" else web, url, shows)
            for web, api in (clients[role] for role in ROLES)
        )
    return found


@pytest.mark.parametrize("key", TYPES)
def test_pages_cost_a_fixed_number_of_queries_whatever_the_number_of_rows(
    key, org, world, client_for, api_for, english
):
    # given three records of the type with everything around them filled
    records = [world.make(key) for _ in range(3)]
    world.decorate(records[0], 2)  # the record page's: three of each
    clients = {role: (client_for(getattr(org, role)), api_for(getattr(org, role))) for role in ROLES}
    # when the pages are read with three rows, then with six (and the record page's
    # collaborators, attachments, related rows and activities doubled)
    with_three = measure(key, records, clients)
    records += [world.make(key) for _ in range(3)]
    world.decorate(records[0], 3)
    with_six = measure(key, records, clients)
    # then no page costs more (or less) with more rows
    grown = {
        page: (with_three[page], with_six[page]) for page in with_three if with_six[page] != with_three[page]
    }
    assert not grown, f"queries change with the rows (an N+1?), (3 rows, 6 rows): {grown}"
    # and each costs exactly its baseline
    assert with_three == BASELINES.get(key), (
        f"query counts of {key} differ from the baselines; if the change is intended, update"
        f" BASELINES[{key!r}] = {with_three}"
    )
