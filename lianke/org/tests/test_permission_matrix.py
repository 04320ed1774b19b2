"""The permission matrix: every user tries every read and write path on records outside their
data scope (another company, another person, through the web, htmx fragments, bulk actions, the
recycle bin, search, lookups, timelines, attachments, the kanban board, export and the API), and
tries to hand records or tasks to the record's owner, a person outside their scope (as owner,
transfer target or assignee, through forms, inline validation, people pickers, bulk actions,
the API and the services). Each forbidden try gets 403/404, a field error naming the field, or
simply does not show the record, and changes nothing.

The positive side is proven too: the same paths show and change the records a user may reach,
so every "not shown" assertion here is one that would fail if the scope leaked.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lianke.activities.models import Activity
from lianke.core.context import acting_as
from lianke.core.models import Attachment, ObjectChange
from lianke.core.objecttypes.registry import registry
from lianke.core.records import services
from lianke.core.views.misc import search_types
from lianke.customers.models import Account
from lianke.org.choices import CollaboratorAccess
from lianke.org.models import Collaborator
from lianke.org.tokens import issue_token
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db

# The owned kinds (owned and pooled): children and catalogs have their own rows in test_kind_matrix.
TYPES = sorted(ot.key for ot in registry if ot.is_owned)
OPPORTUNITY = "sales.opportunity"
# A plain text field each type can bulk-edit.
BULK_TEXT_FIELD = {
    "customers.account": "city",
    "customers.contact": "title",
    "marketing.lead": "city",
    "sales.opportunity": "competitors",
    "activities.activity": "location",
}
# A relation to another business record that the API and the form must limit to visible records.
HIDDEN_ACCOUNT_FIELD = {
    "customers.account": "parent",
    "customers.contact": "account",
    "sales.opportunity": "account",
}
# (attacker, owner of the record they try to reach)
FORBIDDEN = [
    ("rep_js", "rep_zj"),  # a rep, a record of the other company
    ("rep_js", "rep_js2"),  # a rep, a colleague's record in the same team
    ("rep_zj", "rep_js"),  # the other way round
    ("lead_js", "rep_js2"),  # a team lead, a peer who reports to the manager, not to the lead
    ("manager_js", "rep_zj"),  # a company manager, the sister company
    ("nobody", "rep_js"),  # an active user without any role
]
# (viewer, owner of a record they may see)
ALLOWED = [
    ("rep_js", "rep_js"),
    ("lead_js", "rep_js"),
    ("manager_js", "rep_js"),
    ("manager_js", "rep_js2"),
    ("manager_js", "lead_js"),
    ("ops", "rep_zj"),
    ("admin", "rep_zj"),
]


# ---------------------------------------------------------------------------------- helpers
def build(key, owner, name, stages, account=None):
    """An unsaved record of ``key`` owned by ``owner``, named ``name``, built by the factory its
    app declares (``ObjectType.factory``): on ``account`` and at the first stage of ``stages``
    where the type has those fields (an opportunity without an account gets one of its owner's)."""
    ot = registry.get(key)
    try:
        factory = ot.factory_class()
    except LookupError as exc:
        raise AssertionError(f"{exc}, so the permission matrix covers it") from None
    params = {ot.title_field: name, "owner": owner}
    fields = {f.name for f in ot.model._meta.concrete_fields}
    if account is not None and "account" in fields:
        params["account"] = account
    if "stage_set" in fields:
        params.update(stage_set=stages["set"], stage=stages["first"])
    return factory.build(**params)


def create(key, **params):
    """A stored record of ``key`` made by its app's factory."""
    return registry.get(key).factory_class()(**params)


def make(key, owner, name, stages, account=None):
    record = build(key, owner, name, stages, account)
    record.save()
    return record


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def form_data(ot, instance, **changes) -> dict:
    """What the record's form would post, with ``changes`` applied."""
    data = {}
    for name, value in model_to_dict(instance, fields=ot.form_fields).items():
        if value is None or value == "" or value is False:
            continue
        data[name] = "on" if value is True else _plain(value)
    data.update(changes)
    return data


def api_payload(ot, instance, **changes) -> dict:
    data = {
        name: _plain(value)
        for name, value in model_to_dict(instance, fields=ot.form_fields).items()
        if value is not None
    }
    data.update(changes)
    return data


def db_state() -> dict:
    """Every business row (deleted ones too), history, collaborators and attachments."""
    state: dict = {key: list(registry.get(key).model.all_objects.order_by("pk").values()) for key in TYPES}
    state["history"] = ObjectChange.objects.count()
    state["collaborators"] = list(Collaborator.objects.order_by("pk").values())
    state["attachments"] = list(Attachment.objects.order_by("pk").values("pk", "object_id", "name", "file"))
    return state


def assert_refused(response):
    assert response.status_code in (403, 404), (
        f"expected 403/404, got {response.status_code}: {response.content[:300]!r}"
    )


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def assert_not_shown(response, marker):
    assert response.status_code in (200, 403), (
        f"expected 200/403, got {response.status_code}: {response.content[:300]!r}"
    )
    assert marker not in body(response)


def web_client(user) -> Client:
    c = Client(headers={"accept-language": "en"})
    c.force_login(user)
    return c


def api_client(user) -> APIClient:
    c = APIClient(headers={"accept-language": "en"})
    c.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user=user, name='matrix').key}")
    return c


def api_url(ot, pk=None, action=None) -> str:
    base = f"/api/{ot.app_label}/{ot.api_plural}/"
    if pk is not None:
        base += f"{pk}/"
    if action:
        base += f"{action}/"
    return base


def attach(record) -> Attachment:
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        name="secret.txt",
        size=6,
        mime_type="text/plain",
    )
    attachment.file.save("secret.txt", ContentFile(b"secret"), save=False)
    attachment.save()
    return attachment


def content_type_id(record) -> int:
    return ContentType.objects.get_for_model(type(record)).pk


@dataclass
class Scene:
    """One attacker, one record they must not reach (``target``) and one of their own."""

    key: str
    attacker: object
    victim: object
    target: object
    own: object | None
    marker: str
    stages: dict
    web: Client
    api: APIClient

    @property
    def ot(self):
        return registry.get(self.key)

    @property
    def has_role(self) -> bool:
        return self.attacker.username != "nobody"

    @contextmanager
    def nothing_changes(self):
        before = db_state()
        yield
        assert db_state() == before, "a forbidden try changed the database"

    @property
    def needle(self) -> str:
        """A search text that finds the record but is not the whole name (pages echo the query)."""
        return self.marker.removeprefix("Hidden")

    def reload(self):
        return type(self.target).all_objects.get(pk=self.target.pk)


def new_marker() -> str:
    return f"Hidden{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------------------------- attempts
ATTEMPTS: dict[str, tuple[Callable[[Scene], None], frozenset | None]] = {}


def attempt(only=None):
    def register(fn):
        ATTEMPTS[fn.__name__] = (fn, frozenset(only) if only else None)
        return fn

    return register


@attempt()
def list_page(s):
    with s.nothing_changes():
        r = s.web.get(s.ot.url("list"))
    assert_not_shown(r, s.marker)


@attempt()
def list_page_searching_for_the_record(s):
    with s.nothing_changes():
        r = s.web.get(s.ot.url("list"), {"search": s.needle})
    assert_not_shown(r, s.marker)


@attempt()
def list_page_filtered_by_the_owner(s):
    with s.nothing_changes():
        r = s.web.get(s.ot.url("list"), {"owner": s.victim.pk})
    assert_not_shown(r, s.marker)


@attempt()
def list_fragment_for_htmx(s):
    with s.nothing_changes():
        r = s.web.get(
            s.ot.url("list"), {"search": s.needle}, headers={"HX-Request": "true", "HX-Target": "object-list"}
        )
    assert_not_shown(r, s.marker)


@attempt()
def export_as_csv(s):
    with s.nothing_changes():
        r = s.web.get(s.ot.url("export"), {"format": "csv"})
    assert_not_shown(r, s.marker)


@attempt()
def detail_page(s):
    with s.nothing_changes():
        r = s.web.get(s.ot.url("detail", pk=s.target.pk))
    assert_refused(r)
    assert s.marker not in r.content.decode()


@attempt()
def edit_form(s):
    with s.nothing_changes():
        r = s.web.get(s.ot.url("edit", pk=s.target.pk))
    assert_refused(r)
    assert s.marker not in r.content.decode()


@attempt()
def edit_post(s):
    data = form_data(s.ot, s.target, **{s.ot.title_field: "Hacked"})
    with s.nothing_changes():
        r = s.web.post(s.ot.url("edit", pk=s.target.pk), data)
    assert_refused(r)


@attempt()
def edit_inline_validation(s):
    with s.nothing_changes():
        r = s.web.post(
            s.ot.url("edit", pk=s.target.pk) + f"?validate={s.ot.title_field}",
            {s.ot.title_field: ""},
            headers={"HX-Request": "true"},
        )
    assert_refused(r)


@attempt()
def delete_confirmation(s):
    with s.nothing_changes():
        r = s.web.get(s.ot.url("delete", pk=s.target.pk))
    assert_refused(r)


@attempt()
def delete_post(s):
    with s.nothing_changes():
        r = s.web.post(s.ot.url("delete", pk=s.target.pk))
    assert_refused(r)


@attempt()
def transfer_form(s):
    with s.nothing_changes():
        r = s.web.get(s.ot.url("transfer", pk=s.target.pk))
    assert_refused(r)


@attempt()
def transfer_post(s):
    with s.nothing_changes():
        r = s.web.post(
            s.ot.url("transfer", pk=s.target.pk), {"new_owner": s.attacker.pk, "with_related": "on"}
        )
    assert_refused(r)


@attempt()
def history_fragment(s):
    with s.nothing_changes():
        r = s.web.get(s.ot.url("history", pk=s.target.pk), headers={"HX-Request": "true"})
    assert_refused(r)


@attempt()
def add_self_as_collaborator(s):
    with s.nothing_changes():
        r = s.web.post(s.ot.url("collaborators", pk=s.target.pk), {"user": s.attacker.pk, "access": "write"})
    assert_refused(r)


@attempt()
def remove_a_collaborator(s):
    shared = Collaborator.objects.create(
        content_type_id=content_type_id(s.target), object_id=s.target.pk, user=s.victim, access="read"
    )
    with s.nothing_changes():
        r = s.web.post(s.ot.url("collaborators", pk=s.target.pk), {"remove": shared.pk})
    assert_refused(r)


def _bulk(s, **data):
    ids = [s.own.pk, s.target.pk] if s.own is not None else [s.target.pk]
    with s.nothing_changes():
        r = s.web.post(s.ot.url("bulk"), {"pk": ids, **data})
    assert_refused(r)


@attempt()
def bulk_edit_with_a_guessed_id(s):
    _bulk(s, bulk_action="edit", field=BULK_TEXT_FIELD[s.key], value="Changed")


@attempt()
def bulk_transfer_with_a_guessed_id(s):
    _bulk(s, bulk_action="transfer", new_owner=s.attacker.pk, with_related="on")


@attempt()
def bulk_delete_with_a_guessed_id(s):
    _bulk(s, bulk_action="delete")


@attempt()
def bulk_edit_all_matching_a_search(s):
    # "Select all N matching" sends the filter: it must not reach beyond the attacker's records.
    with s.nothing_changes():
        r = s.web.post(
            s.ot.url("bulk"),
            {
                "all_matching": "1",
                "query": f"search={s.needle}",
                "bulk_action": "edit",
                "field": BULK_TEXT_FIELD[s.key],
                "value": "Changed",
            },
        )
    assert r.status_code in (302, 403, 404)


@attempt()
def list_tabs_mine_and_team(s):
    for tab in ("mine", "team"):
        with s.nothing_changes():
            r = s.web.get(s.ot.url("list"), {"scope": tab, "search": s.needle})
        assert_not_shown(r, s.marker)


@attempt()
def export_every_field(s):
    with s.nothing_changes():
        r = s.web.get(s.ot.url("export"), {"format": "csv", "columns": "all", "search": s.needle})
    assert_not_shown(r, s.marker)


@attempt()
def recent_records_on_the_home_page(s):
    # The attacker opened the record once, when they could (or forged the row): it is not listed.
    from lianke.core.models import RecentRecord

    RecentRecord.touch(s.attacker, s.target)
    with s.nothing_changes():
        r = s.web.get("/")
    assert_not_shown(r, s.marker)


@attempt()
def recycle_bin_list(s):
    services.delete_records(actor=s.victim, records=[s.target])
    with s.nothing_changes():
        r = s.web.get(s.ot.url("recycle_bin"))
    assert_not_shown(r, s.marker)


@attempt()
def recycle_bin_restore(s):
    services.delete_records(actor=s.victim, records=[s.target])
    with s.nothing_changes():
        r = s.web.post(s.ot.url("recycle_bin"), {"pk": s.target.pk})
    assert_refused(r)
    assert s.reload().is_deleted


@attempt()
def global_search(s):
    with s.nothing_changes():
        r = s.web.get("/search/", {"q": s.needle})
    assert r.status_code == 200
    assert s.marker not in r.content.decode()


@attempt()
def lookup_widget(s):
    with s.nothing_changes():
        r = s.web.get(f"/lookup/{s.key}/", {"q": s.needle})
    assert_not_shown(r, s.marker)


@attempt()
def activity_timeline(s):
    with s.nothing_changes():
        r = s.web.get(f"/activities/timeline/{content_type_id(s.target)}/{s.target.pk}/")
    assert_refused(r)
    assert s.marker not in r.content.decode()


@attempt()
def add_activity_to_the_record(s):
    data = {"kind": "note", "subject": "Snooping", "occurred_at": "2025-01-06T10:00"}
    with s.nothing_changes():
        r = s.web.post(f"/activities/timeline/{content_type_id(s.target)}/{s.target.pk}/add/", data)
    assert_refused(r)


@attempt()
def attachment_download(s):
    attachment = attach(s.target)
    with s.nothing_changes():
        r = s.web.get(f"/attachments/{attachment.pk}/")
    assert_refused(r)
    assert b"secret" not in b"".join(getattr(r, "streaming_content", [r.content]))


@attempt()
def attachment_delete(s):
    attachment = attach(s.target)
    with s.nothing_changes():
        r = s.web.post(f"/attachments/{attachment.pk}/delete/")
    assert_refused(r)
    assert attachment.file.storage.exists(attachment.file.name)


@attempt()
def attachment_upload(s):
    upload = SimpleUploadedFile("note.txt", b"planted", content_type="text/plain")
    with s.nothing_changes():
        r = s.web.post(f"/attachments/upload/{content_type_id(s.target)}/{s.target.pk}/", {"file": upload})
    assert_refused(r)


@attempt(only={"activities.activity"})
def mark_the_task_done(s):
    with s.nothing_changes():
        r = s.web.post(reverse("activity_views:toggle_task", kwargs={"pk": s.target.pk}), {"done": "1"})
    assert_refused(r)


@attempt(only={OPPORTUNITY})
def kanban_board(s):
    with s.nothing_changes():
        r = s.web.get(reverse("sales:opportunity_board"))
    assert_not_shown(r, s.marker)


# Types whose every record has a lifecycle (a task's lifecycle has its own tests: test_task_lifecycle).
WITH_STAGE_PATH = {
    key
    for key in TYPES
    if registry.get(key).stage_path is not None and not registry.get(key).stage_path.condition
}


def open_target(path, record) -> str:
    """A state ``record`` may move to that needs no reason (the first open one on its path)."""
    targets = path.targets(record)
    return next(st.value for st in path.states(record) if st.value in targets and st.kind == "open")


@attempt(only=WITH_STAGE_PATH)
def stage_move_on_the_path_or_the_board(s):
    path = s.ot.stage_path
    target = open_target(path, s.target)  # a move the owner could make
    with s.nothing_changes():
        r = s.web.post(s.ot.url("move", pk=s.target.pk), {path.field: target, "render": "card"})
    assert_refused(r)


def out_of_scope(field: str, user) -> str:
    """The field error for choosing ``user``, who lies outside the chooser's scope."""
    return f"{field}: {user.name} ({user.username}) is outside your data scope; choose someone within it."


def picker_options(s, purpose: str, **params) -> str:
    return s.web.get(reverse("core:user_picker", kwargs={"purpose": purpose}), params)


@attempt()
def web_create_for_an_owner_outside_the_scope(s):
    data = form_data(s.ot, build(s.key, s.attacker, "Planted", s.stages, account=_own_account(s)))
    data["owner"] = s.victim.pk
    with s.nothing_changes():
        r = s.web.post(s.ot.url("create"), data)
    if not s.has_role:
        assert r.status_code == 403
        return
    # refused by the form, before any write, under the owner field
    assert r.status_code == 400
    assert r.context["form"].errors["owner"] == [out_of_scope("Owner", s.victim)]
    assert out_of_scope("Owner", s.victim) in r.content.decode()


@attempt()
def web_create_checks_the_owner_as_soon_as_it_is_chosen(s):
    with s.nothing_changes():
        r = s.web.post(
            s.ot.url("create") + "?validate=owner", {"owner": s.victim.pk}, headers={"HX-Request": "true"}
        )
    if not s.has_role:
        assert r.status_code == 403
        return
    assert r.status_code == 200
    assert out_of_scope("Owner", s.victim) in r.content.decode()


@attempt()
def owner_picker_searching_for_the_person(s):
    with s.nothing_changes():
        r = picker_options(s, f"{s.key}.create", q=s.victim.username)
    if not s.has_role:
        assert r.status_code == 403
        return
    assert r.status_code == 200
    assert f'value="{s.victim.pk}"' not in r.content.decode()


@attempt()
def transfer_picker_searching_for_the_person(s):
    with s.nothing_changes():
        r = picker_options(s, f"{s.key}.transfer", q=s.victim.name)
    if r.status_code == 403:  # no transfer right at all
        return
    assert r.status_code == 200
    assert f'value="{s.victim.pk}"' not in r.content.decode()


def _has_transfer(s) -> bool:
    return s.attacker.username in ("lead_js", "manager_js")


@attempt()
def transfer_own_record_to_the_person(s):
    mine = s.own or s.target
    with s.nothing_changes():
        r = s.web.post(s.ot.url("transfer", pk=mine.pk), {"new_owner": s.victim.pk, "with_related": "on"})
    if not _has_transfer(s):
        assert_refused(r)
        return
    assert r.status_code == 400
    assert r.context["form"].errors["new_owner"] == [out_of_scope("New owner", s.victim)]


@attempt()
def bulk_transfer_own_record_to_the_person(s):
    mine = s.own or s.target
    with s.nothing_changes():
        r = s.web.post(
            s.ot.url("bulk"),
            {"pk": [mine.pk], "bulk_action": "transfer", "new_owner": s.victim.pk, "with_related": "1"},
            follow=True,
        )
    if not _has_transfer(s):
        assert_refused(r)
        return
    assert r.status_code == 200
    assert out_of_scope("New owner", s.victim) in r.content.decode()


@attempt()
def api_transfer_own_record_to_the_person(s):
    mine = s.own or s.target
    with s.nothing_changes():
        r = s.api.post(api_url(s.ot, mine.pk, "transfer"), {"new_owner": s.victim.pk}, format="json")
    if not _has_transfer(s):
        assert_refused(r)
        return
    assert r.status_code == 400, r.content
    assert r.json() == {
        "new_owner": [out_of_scope("New owner", s.victim)],
        "errors": [
            {"field": "new_owner", "code": "out_of_scope", "message": out_of_scope("New owner", s.victim)}
        ],
    }


@attempt()
def service_transfer_of_own_record_to_the_person(s):
    mine = s.own or s.target
    refusal = pytest.raises((ValidationError, PermissionDenied))
    with s.nothing_changes(), refusal as refused, acting_as(s.attacker, source="web"):
        services.transfer_records(actor=s.attacker, records=[mine], new_owner=s.victim)
    if _has_transfer(s):
        assert refused.value.message_dict == {"new_owner": [out_of_scope("New owner", s.victim)]}


ACTIVITY = "activities.activity"


def _task_data(s, **changes) -> dict:
    data = {"kind": "task", "subject": "Planted task", "occurred_at": "2025-01-06T10:00"}
    data.update(due_at="2025-01-08T10:00", assignee=s.victim.pk, **changes)
    return data


@attempt(only={ACTIVITY})
def web_create_a_task_assigned_to_the_person(s):
    with s.nothing_changes():
        r = s.web.post(s.ot.url("create"), _task_data(s, owner=s.attacker.pk))
    if not s.has_role:
        assert r.status_code == 403
        return
    assert r.status_code == 400
    assert r.context["form"].errors["assignee"] == [out_of_scope("Assigned to", s.victim)]


@attempt(only={ACTIVITY})
def quick_task_on_the_timeline_assigned_to_the_person(s):
    mine = create("customers.account", name="Attacker's account", owner=s.attacker)
    with s.nothing_changes():
        r = s.web.post(f"/activities/timeline/{content_type_id(mine)}/{mine.pk}/add/", _task_data(s))
    if not s.has_role:
        assert r.status_code in (403, 404)
        return
    assert r.status_code == 200
    assert r.context["form"].errors["assignee"] == [out_of_scope("Assigned to", s.victim)]


@attempt(only={ACTIVITY})
def api_create_a_task_assigned_to_the_person(s):
    payload = {
        "kind": "task",
        "subject": "Planted task",
        "due_at": "2025-01-08T10:00:00Z",
        "assignee": s.victim.pk,
    }
    with s.nothing_changes():
        r = s.api.post(api_url(s.ot), payload, format="json")
    if not s.has_role:
        assert r.status_code == 403
        return
    assert r.status_code == 400, r.content
    assert r.json() == {
        "assignee": [out_of_scope("Assigned to", s.victim)],
        "errors": [
            {"field": "assignee", "code": "out_of_scope", "message": out_of_scope("Assigned to", s.victim)}
        ],
    }


@attempt(only={ACTIVITY})
def web_edit_own_task_to_assign_it_to_the_person(s):
    mine = s.own or s.target
    data = form_data(s.ot, mine, kind="task", due_at="2025-01-08T10:00", assignee=s.victim.pk)
    with s.nothing_changes():
        r = s.web.post(s.ot.url("edit", pk=mine.pk), data)
    if not s.has_role:
        assert_refused(r)
        return
    assert r.status_code == 400
    assert r.context["form"].errors["assignee"] == [out_of_scope("Assigned to", s.victim)]


@attempt(only={ACTIVITY})
def api_patch_own_task_to_assign_it_to_the_person(s):
    mine = s.own or s.target
    with s.nothing_changes():
        r = s.api.patch(api_url(s.ot, mine.pk), {"assignee": s.victim.pk}, format="json")
    if not s.has_role:
        assert_refused(r)
        return
    assert r.status_code == 400, r.content
    assert r.json() == {
        "assignee": [out_of_scope("Assigned to", s.victim)],
        "errors": [
            {"field": "assignee", "code": "out_of_scope", "message": out_of_scope("Assigned to", s.victim)}
        ],
    }


@attempt(only={ACTIVITY})
def bulk_edit_own_task_to_assign_it_to_the_person(s):
    mine = s.own or s.target
    with s.nothing_changes():
        r = s.web.post(
            s.ot.url("bulk"),
            {"pk": [mine.pk], "bulk_action": "edit", "field": "assignee", "value": s.victim.pk},
            follow=True,
        )
    if not s.has_role:
        assert_refused(r)
        return
    assert out_of_scope("Assigned to", s.victim) in r.content.decode()


@attempt(only=set(HIDDEN_ACCOUNT_FIELD))
def web_create_pointing_at_a_hidden_account(s):
    hidden = s.target if s.key == "customers.account" else _victim_account(s)
    data = form_data(s.ot, build(s.key, s.attacker, "Planted", s.stages, account=_own_account(s)))
    data.update(owner=s.attacker.pk, **{HIDDEN_ACCOUNT_FIELD[s.key]: hidden.pk})
    with s.nothing_changes():
        r = s.web.post(s.ot.url("create"), data)
    if not s.has_role:
        assert r.status_code == 403
        return
    assert r.status_code == 400
    assert hidden.name not in r.content.decode()


@attempt()
def api_list(s):
    with s.nothing_changes():
        r = s.api.get(api_url(s.ot))
    assert_not_shown(r, s.marker)


@attempt()
def api_search(s):
    with s.nothing_changes():
        r = s.api.get(api_url(s.ot), {"search": s.needle})
    assert_not_shown(r, s.marker)
    if r.status_code == 200:
        assert r.json()["results"] == []


@attempt()
def api_filter_by_owner(s):
    with s.nothing_changes():
        r = s.api.get(api_url(s.ot), {"owner": s.victim.pk})
    assert_not_shown(r, s.marker)
    if r.status_code == 200:
        assert s.target.pk not in [row["id"] for row in r.json()["results"]]


@attempt()
def api_detail(s):
    with s.nothing_changes():
        r = s.api.get(api_url(s.ot, s.target.pk))
    assert_refused(r)
    assert s.marker not in r.content.decode()


@attempt()
def api_patch(s):
    with s.nothing_changes():
        r = s.api.patch(api_url(s.ot, s.target.pk), {s.ot.title_field: "Hacked"}, format="json")
    assert_refused(r)


@attempt()
def api_put(s):
    payload = api_payload(s.ot, s.target, **{s.ot.title_field: "Hacked"})
    with s.nothing_changes():
        r = s.api.put(api_url(s.ot, s.target.pk), payload, format="json")
    assert_refused(r)


@attempt()
def api_delete(s):
    with s.nothing_changes():
        r = s.api.delete(api_url(s.ot, s.target.pk))
    assert_refused(r)


@attempt()
def api_transfer(s):
    with s.nothing_changes():
        r = s.api.post(api_url(s.ot, s.target.pk, "transfer"), {"new_owner": s.attacker.pk}, format="json")
    assert_refused(r)


@attempt()
def api_create_for_an_owner_outside_the_scope(s):
    payload = api_payload(s.ot, build(s.key, s.attacker, "Planted", s.stages, account=_own_account(s)))
    payload["owner"] = s.victim.pk
    with s.nothing_changes():
        r = s.api.post(api_url(s.ot), payload, format="json")
    if not s.has_role:
        assert r.status_code == 403, r.content
        return
    assert r.status_code == 400, r.content
    assert r.json() == {
        "owner": [out_of_scope("Owner", s.victim)],
        "errors": [{"field": "owner", "code": "out_of_scope", "message": out_of_scope("Owner", s.victim)}],
    }


@attempt(only=set(HIDDEN_ACCOUNT_FIELD))
def api_create_pointing_at_a_hidden_account(s):
    hidden = s.target if s.key == "customers.account" else _victim_account(s)
    field = HIDDEN_ACCOUNT_FIELD[s.key]
    payload = api_payload(s.ot, build(s.key, s.attacker, "Planted", s.stages, account=_own_account(s)))
    payload[field] = hidden.pk
    with s.nothing_changes():
        r = s.api.post(api_url(s.ot), payload, format="json")
    if not s.has_role:
        assert r.status_code == 403
        return
    assert r.status_code == 400, r.content
    assert field in r.json()
    assert hidden.name not in r.content.decode()


def _own_account(s):
    if s.key != OPPORTUNITY:
        return None
    return create("customers.account", name="Attacker's own account", owner=s.attacker)


def _victim_account(s):
    return create("customers.account", name=new_marker(), owner=s.victim)


MATRIX = [
    pytest.param(key, attacker, victim, name, id=f"{attacker}-vs-{victim}-{key}-{name}")
    for key in TYPES
    for attacker, victim in FORBIDDEN
    for name, (_fn, only) in ATTEMPTS.items()
    if only is None or key in only
]


@pytest.fixture
def scene_for(org, stages):
    def make_scene(key, attacker_name, victim_name) -> Scene:
        attacker, victim = getattr(org, attacker_name), getattr(org, victim_name)
        marker = new_marker()
        target = make(key, victim, marker, stages)
        own = make(key, attacker, f"Own {attacker_name}", stages) if attacker_name != "nobody" else None
        return Scene(
            key=key,
            attacker=attacker,
            victim=victim,
            target=target,
            own=own,
            marker=marker,
            stages=stages,
            web=web_client(attacker),
            api=api_client(attacker),
        )

    return make_scene


@pytest.mark.parametrize(("key", "attacker", "victim", "path"), MATRIX)
def test_user_cannot_reach_a_record_outside_their_scope_by_any_path(scene_for, key, attacker, victim, path):
    # given a record owned by someone outside the attacker's scope (and one of the attacker's own)
    scene = scene_for(key, attacker, victim)
    # when the attacker tries this path on it
    # then they get 403/404 or never see it, and the database is exactly as before
    ATTEMPTS[path][0](scene)


def test_the_matrix_covers_every_registered_object_type():
    # given the registry
    # then every owned type has a factory and a bulk field, so no type escapes the matrix (the
    # kinds without an owner are covered by test_kind_matrix)
    assert set(BULK_TEXT_FIELD) == set(TYPES)
    assert {ot.key for ot in registry if ot.is_owned} == set(TYPES)
    missing = [ot.key for ot in registry if ot.is_owned and not ot.factory]
    assert not missing, f"declare a test factory (ObjectType.factory) for {missing}"
    for key in TYPES:
        assert registry.get(key).factory_class()._meta.model is registry.get(key).model, key


def test_a_type_without_a_factory_fails_the_matrix_with_a_clear_message(monkeypatch, stages):
    monkeypatch.setattr(registry.get("customers.account"), "factory", None)
    with pytest.raises(AssertionError, match=r"customers.account has no test factory: declare one"):
        build("customers.account", None, "x", stages)


# ---------------------------------------------------------------------------------- positive side
@pytest.mark.parametrize("key", TYPES)
@pytest.mark.parametrize(("viewer", "owner"), ALLOWED)
def test_user_sees_records_within_their_scope_on_every_read_path(org, stages, key, viewer, owner):
    # given a record within the viewer's scope
    ot = registry.get(key)
    marker = new_marker()
    record = make(key, getattr(org, owner), marker, stages)
    web, api = web_client(getattr(org, viewer)), api_client(getattr(org, viewer))
    # when they use the read paths the matrix refuses to others
    # then the record shows on each
    needle = marker.removeprefix("Hidden")
    assert marker in web.get(ot.url("list"), {"search": needle}).content.decode()
    assert web.get(ot.url("detail", pk=record.pk)).status_code == 200
    # (a type without a timeline, such as an activity itself, has none for anyone)
    timeline = web.get(f"/activities/timeline/{content_type_id(record)}/{record.pk}/")
    assert timeline.status_code == (200 if ot.timeline else 404)
    assert marker in web.get(f"/lookup/{key}/", {"q": needle}).content.decode()
    if key in {ot.key for ot in search_types()}:
        assert marker in web.get("/search/", {"q": needle}).content.decode()
    assert api.get(api_url(ot, record.pk)).json()[ot.title_field] == marker
    assert [row["id"] for row in api.get(api_url(ot), {"search": needle}).json()["results"]] == [record.pk]
    attachment = attach(record)
    assert web.get(f"/attachments/{attachment.pk}/").status_code == 200


@pytest.mark.parametrize("key", TYPES)
def test_manager_exports_their_teams_records_but_not_the_sister_companys(org, stages, key):
    # given a record of a rep in the manager's company and one of the other company
    ot = registry.get(key)
    mine, theirs = new_marker(), new_marker()
    make(key, org.rep_js2, mine, stages)
    make(key, org.rep_zj, theirs, stages)
    # when the Jiangsu manager exports
    r = web_client(org.manager_js).get(ot.url("export"), {"format": "csv"})
    # then the file holds their team's record only
    assert r.status_code == 200
    text = body(r)
    assert mine in text
    assert theirs not in text


def test_manager_sees_and_moves_a_team_opportunity_on_the_kanban_board(org, stages):
    # given rep_js2's opportunity, within the Jiangsu manager's scope
    marker = new_marker()
    opportunity = make(OPPORTUNITY, org.rep_js2, marker, stages)
    web = web_client(org.manager_js)
    # when the manager opens the board and moves the card
    board = web.get(reverse("sales:opportunity_board"))
    move = web.post(
        reverse("sales:opportunity_move", kwargs={"pk": opportunity.pk}),
        {"stage": stages["quote"].pk, "render": "card"},
    )
    # then the card is on the board and moves
    assert marker in board.content.decode()
    assert move.status_code == 200
    assert Opportunity.all_objects.get(pk=opportunity.pk).stage_id == stages["quote"].pk


def test_assignee_marks_a_task_done_that_a_colleague_owns(org):
    # given rep_js assigns a task to rep_js2
    task = create(
        "activities.activity",
        subject="回访",
        kind="task",
        owner=org.rep_js,
        assignee=org.rep_js2,
        due_at="2025-01-06T10:00Z",
    )
    # when rep_js2 marks it done
    r = web_client(org.rep_js2).post(
        reverse("activity_views:toggle_task", kwargs={"pk": task.pk}), {"done": "1"}
    )
    # then it is done
    assert r.status_code == 200
    assert Activity.all_objects.get(pk=task.pk).is_done


@pytest.mark.parametrize("url", ["/search/", "/lookup/customers.account/"])
def test_search_text_with_a_null_character_finds_nothing_instead_of_failing(org, stages, url):
    # given an account of rep_zj and one of rep_js
    make("customers.account", org.rep_zj, "浙江钢铁厂", stages)
    make("customers.account", org.rep_js, "江苏钢铁厂", stages)
    # when rep_js searches with a NUL character in the text (PostgreSQL refuses NUL in text)
    r = web_client(org.rep_js).get(url, {"q": "钢铁厂\x00"})
    # then the page answers with their own match only
    assert r.status_code == 200
    page = r.content.decode()
    assert "江苏钢铁" in page
    assert "浙江钢铁" not in page


def test_team_lead_sees_a_subordinates_records_but_not_a_peer_who_reports_to_the_manager(org, stages):
    # given accounts of rep_js (reports to the lead) and rep_js2 (reports to the manager)
    subordinate, peer = new_marker(), new_marker()
    make("customers.account", org.rep_js, subordinate, stages)
    make("customers.account", org.rep_js2, peer, stages)
    # when the team lead opens the account list
    page = web_client(org.lead_js).get(registry.get("customers.account").url("list")).content.decode()
    # then only the subordinate's account is listed
    assert subordinate in page
    assert peer not in page


@pytest.mark.parametrize("key", TYPES)
def test_owner_can_do_through_the_web_what_the_matrix_refuses_to_others(org, stages, key):
    # given rep_js's own record and the same kind of form data the matrix posts
    ot = registry.get(key)
    record = make(key, org.rep_js, new_marker(), stages)
    web = web_client(org.rep_js)
    # when rep_js edits, bulk-edits and adds an activity to it
    edit = web.post(ot.url("edit", pk=record.pk), form_data(ot, record, **{ot.title_field: "Renamed"}))
    bulk = web.post(
        ot.url("bulk"),
        {"pk": [record.pk], "bulk_action": "edit", "field": BULK_TEXT_FIELD[key], "value": "Changed"},
    )
    note = web.post(
        f"/activities/timeline/{content_type_id(record)}/{record.pk}/add/",
        {"kind": "note", "subject": "Visited", "occurred_at": "2025-01-06T10:00"},
    )
    # then every change lands (a follow-up only on a type that is followed up: not on an
    # activity itself, whose timeline does not exist)
    assert edit.status_code == 302, edit.content.decode()[:2000]
    assert bulk.status_code == 302
    assert note.status_code == (200 if ot.timeline else 404)
    record = type(record).all_objects.get(pk=record.pk)
    assert getattr(record, ot.title_field) == "Renamed"
    assert getattr(record, BULK_TEXT_FIELD[key]) == "Changed"
    logged = Activity.all_objects.filter(
        subject="Visited", object_id=record.pk, content_type_id=content_type_id(record)
    )
    assert logged.exists() == ot.timeline


@pytest.mark.parametrize("key", sorted(WITH_STAGE_PATH))
def test_owner_moves_their_record_along_the_stage_path_the_matrix_refuses_to_others(org, stages, key):
    # given rep_js's own record and the move the matrix tries on others' records
    ot = registry.get(key)
    record = make(key, org.rep_js, new_marker(), stages)
    target = open_target(ot.stage_path, record)
    # when rep_js makes it
    r = web_client(org.rep_js).post(
        ot.url("move", pk=record.pk), {ot.stage_path.field: target, "render": "card"}
    )
    # then it lands
    assert r.status_code in (200, 302), r.content.decode()[:500]
    assert ot.stage_path.current(type(record).all_objects.get(pk=record.pk)) == target


@pytest.mark.parametrize("key", TYPES)
def test_owner_can_do_through_the_api_what_the_matrix_refuses_to_others(org, stages, key):
    # given rep_js's own record
    ot = registry.get(key)
    record = make(key, org.rep_js, new_marker(), stages)
    api = api_client(org.rep_js)
    # when rep_js updates it with PUT and PATCH, and creates one for themself
    put = api.put(api_url(ot, record.pk), api_payload(ot, record, **{ot.title_field: "Put"}), format="json")
    patch = api.patch(api_url(ot, record.pk), {ot.title_field: "Patched"}, format="json")
    payload = api_payload(
        ot, build(key, org.rep_js, "Created", stages, account=getattr(record, "account", None))
    )
    created = api.post(api_url(ot), payload, format="json")
    # then each succeeds
    assert put.status_code == 200, put.content
    assert patch.status_code == 200, patch.content
    assert created.status_code == 201, created.content
    assert getattr(type(record).all_objects.get(pk=record.pk), ot.title_field) == "Patched"


@pytest.mark.parametrize("key", TYPES)
def test_manager_can_delete_restore_and_transfer_within_the_company(org, stages, key):
    # given a record of rep_js2, in the Jiangsu manager's department tree
    ot = registry.get(key)
    record = make(key, org.rep_js2, new_marker(), stages)
    web = web_client(org.manager_js)
    # when the manager transfers it to rep_js, deletes it, then restores it
    transfer = web.post(ot.url("transfer", pk=record.pk), {"new_owner": org.rep_js.pk})
    delete = web.post(ot.url("delete", pk=record.pk))
    deleted = type(record).all_objects.get(pk=record.pk)
    restore = web.post(ot.url("recycle_bin"), {"pk": record.pk})
    # then each works
    assert transfer.status_code == 302
    assert delete.status_code == 302
    assert deleted.is_deleted and deleted.owner_id == org.rep_js.pk
    assert restore.status_code == 302
    assert not type(record).all_objects.get(pk=record.pk).is_deleted


def test_web_create_for_an_owner_in_scope_is_saved_with_their_department(org, stages):
    # given the Jiangsu manager creating an account for rep_js2
    ot = registry.get("customers.account")
    data = form_data(ot, build("customers.account", org.manager_js, "Assigned", stages))
    data["owner"] = org.rep_js2.pk
    # when they save
    r = web_client(org.manager_js).post(ot.url("create"), data)
    # then it belongs to rep_js2 and their team
    assert r.status_code == 302
    account = Account.all_objects.get(name="Assigned")
    assert (account.owner_id, account.department_id) == (org.rep_js2.pk, org.js_team.pk)


# (actor, the farthest person they may give a new record or a task to)
ASSIGNABLE = [
    ("rep_js", "rep_js"),  # own records: only themself
    ("lead_js", "rep_js"),  # a subordinate
    ("manager_js", "rep_js2"),  # someone in a team under the company
    ("admin", "rep_zj"),  # anybody
]
# (actor, the farthest person they may transfer records to)
TRANSFERABLE = [("lead_js", "rep_js"), ("manager_js", "rep_js2"), ("ops", "rep_zj")]


@pytest.mark.parametrize(("actor", "person"), ASSIGNABLE)
def test_user_gives_new_records_and_tasks_to_people_within_their_scope(org, stages, actor, person):
    # given an actor and a person within their create scope
    actor, person = getattr(org, actor), getattr(org, person)
    ot, web, api = registry.get("customers.account"), web_client(actor), api_client(actor)
    mine = create("customers.account", name="Actor's account", owner=actor)
    # when they look the person up in the owner picker, create an account for them through the
    # form and the API, and assign them a task on the timeline and through the API
    picker = web.get(reverse("core:user_picker", kwargs={"purpose": "customers.account.create"}))
    by_form = form_data(ot, build("customers.account", actor, "Given by form", stages), owner=person.pk)
    by_api = api_payload(ot, build("customers.account", actor, "Given by API", stages), owner=person.pk)
    form = web.post(ot.url("create"), by_form)
    created = api.post(api_url(ot), by_api, format="json")
    task = {"kind": "task", "subject": "Task by form", "due_at": "2025-01-08T10:00", "assignee": person.pk}
    quick = web.post(f"/activities/timeline/{content_type_id(mine)}/{mine.pk}/add/", task)
    task_api = api.post(
        "/api/activities/activities/",
        {"kind": "task", "subject": "Task by API", "due_at": "2025-01-08T10:00:00Z", "assignee": person.pk},
        format="json",
    )
    # then the picker offers them and every path saves the record for them
    assert f'value="{person.pk}"' in picker.content.decode()
    assert form.status_code == 302, form.context["form"].errors
    assert created.status_code == 201, created.content
    assert quick.status_code == 200 and not quick.context["form"].errors
    assert task_api.status_code == 201, task_api.content
    owners = dict(Account.all_objects.filter(name__startswith="Given by").values_list("name", "owner_id"))
    assert owners == {"Given by form": person.pk, "Given by API": person.pk}
    assignees = dict(Activity.all_objects.filter(kind="task").values_list("subject", "assignee_id"))
    assert assignees == {"Task by form": person.pk, "Task by API": person.pk}


@pytest.mark.parametrize(("actor", "person"), TRANSFERABLE)
def test_user_transfers_records_to_people_within_their_transfer_scope(org, stages, actor, person):
    # given three accounts the actor may transfer (owned by a rep in every actor's scope)
    actor, person = getattr(org, actor), getattr(org, person)
    ot, web = registry.get("customers.account"), web_client(actor)
    page, bulk, api = (create("customers.account", name=n, owner=org.rep_js) for n in ("甲", "乙", "丙"))
    if person == org.rep_js:  # the lead's only subordinate already owns them: start from the lead
        Account.objects.filter(pk__in=[page.pk, bulk.pk, api.pk]).update(owner=org.lead_js)
    # when they pick the person in the transfer picker and transfer by the page, the bulk action
    # and the API
    picker = web.get(reverse("core:user_picker", kwargs={"purpose": "customers.account.transfer"}))
    by_page = web.post(ot.url("transfer", pk=page.pk), {"new_owner": person.pk})
    by_bulk = web.post(ot.url("bulk"), {"pk": [bulk.pk], "bulk_action": "transfer", "new_owner": person.pk})
    by_api = api_client(actor).post(api_url(ot, api.pk, "transfer"), {"new_owner": person.pk}, format="json")
    # then the picker offers them and each record now belongs to them
    assert f'value="{person.pk}"' in picker.content.decode()
    assert (by_page.status_code, by_bulk.status_code, by_api.status_code) == (302, 302, 200)
    owners = set(
        Account.all_objects.filter(pk__in=[page.pk, bulk.pk, api.pk]).values_list("owner_id", flat=True)
    )
    assert owners == {person.pk}


# ---------------------------------------------------------------------------------- collaborators
def _share(record, user, level):
    return Collaborator.objects.create(
        content_type_id=content_type_id(record), object_id=record.pk, user=user, access=level
    )


def test_read_collaborator_sees_the_record_but_cannot_edit_or_delete_it(org, stages):
    # given rep_zj's account shared read-only with rep_js
    ot = registry.get("customers.account")
    marker = new_marker()
    record = make("customers.account", org.rep_zj, marker, stages)
    _share(record, org.rep_js, CollaboratorAccess.READ)
    web, api = web_client(org.rep_js), api_client(org.rep_js)
    before = db_state()
    # when rep_js reads it and tries to change it
    listed = web.get(ot.url("list")).content.decode()
    detail = web.get(ot.url("detail", pk=record.pk))
    edit_form = web.get(ot.url("edit", pk=record.pk))
    edit = web.post(ot.url("edit", pk=record.pk), form_data(ot, record, name="Hacked"))
    patch = api.patch(api_url(ot, record.pk), {"name": "Hacked"}, format="json")
    delete = web.post(ot.url("delete", pk=record.pk))
    api_delete = api.delete(api_url(ot, record.pk))
    share_on = web.post(ot.url("collaborators", pk=record.pk), {"user": org.rep_js2.pk, "access": "write"})
    # then reading works and every write is refused without a change
    assert marker in listed
    assert detail.status_code == 200
    assert api.get(api_url(ot, record.pk)).status_code == 200
    for response in (edit_form, edit, patch, delete, api_delete, share_on):
        assert_refused(response)
    assert db_state() == before


def test_write_collaborator_edits_the_record_but_cannot_delete_or_transfer_it(org, stages):
    # given rep_zj's account shared read-write with rep_js
    ot = registry.get("customers.account")
    record = make("customers.account", org.rep_zj, new_marker(), stages)
    _share(record, org.rep_js, CollaboratorAccess.WRITE)
    web, api = web_client(org.rep_js), api_client(org.rep_js)
    # when rep_js edits it, then tries to delete and give it to themself
    edit = web.post(ot.url("edit", pk=record.pk), form_data(ot, record, name="Renamed by collaborator"))
    patch = api.patch(api_url(ot, record.pk), {"city": "杭州"}, format="json")
    before = db_state()
    delete = web.post(ot.url("delete", pk=record.pk))
    transfer = api.post(api_url(ot, record.pk, "transfer"), {"new_owner": org.rep_js.pk}, format="json")
    # then the edits land, the owner stays rep_zj, and delete/transfer are refused
    assert edit.status_code == 302
    assert patch.status_code == 200
    record = Account.all_objects.get(pk=record.pk)
    assert (record.name, record.city, record.owner_id) == ("Renamed by collaborator", "杭州", org.rep_zj.pk)
    assert_refused(delete)
    assert_refused(transfer)
    assert db_state() == before


def test_owner_shares_a_record_and_the_colleague_then_sees_it(org, stages):
    # given rep_js's lead, invisible to the colleague rep_js2
    ot = registry.get("marketing.lead")
    record = make("marketing.lead", org.rep_js, new_marker(), stages)
    colleague = web_client(org.rep_js2)
    assert colleague.get(ot.url("detail", pk=record.pk)).status_code == 404
    # when rep_js adds rep_js2 as a read collaborator
    r = web_client(org.rep_js).post(
        ot.url("collaborators", pk=record.pk), {"user": org.rep_js2.pk, "access": "read"}
    )
    # then the colleague can open it, but not edit it
    assert r.status_code == 302
    assert colleague.get(ot.url("detail", pk=record.pk)).status_code == 200
    assert colleague.get(ot.url("edit", pk=record.pk)).status_code == 404


def test_sales_ops_reads_and_transfers_everything_but_cannot_edit(org, stages):
    # given a Zhejiang account
    ot = registry.get("customers.account")
    record = make("customers.account", org.rep_zj, new_marker(), stages)
    web = web_client(org.ops)
    # when operations tries to edit it, then transfers it
    edit = web.post(ot.url("edit", pk=record.pk), form_data(ot, record, name="Edited by ops"))
    transfer = web.post(ot.url("transfer", pk=record.pk), {"new_owner": org.rep_js.pk})
    # then edit is refused (no function permission) and the transfer works
    assert edit.status_code == 403
    assert transfer.status_code == 302
    record = Account.all_objects.get(pk=record.pk)
    assert record.name != "Edited by ops"
    assert record.owner_id == org.rep_js.pk


def test_task_assignee_sees_a_task_a_colleague_assigned_to_them(org, stages):
    # given rep_js assigns a task to rep_js2
    ot = registry.get("activities.activity")
    task = create("activities.activity", subject=new_marker(), owner=org.rep_js, assignee=org.rep_js2)
    # when rep_js2 looks at their activities
    page = web_client(org.rep_js2).get(ot.url("list")).content.decode()
    # then the task is there, and rep_zj (not assigned) cannot open it
    assert task.subject in page
    assert web_client(org.rep_zj).get(ot.url("detail", pk=task.pk)).status_code == 404
