"""The permission matrix for the kinds without an owner (org.kinds): a child (a competitor on an
opportunity) is reached exactly as its parent is — read where the opportunity may be read,
changed where it may be edited, never transferred on its own — and a catalog record (a
competitor) is read by everyone with the view permission and changed only by those with edit.
Every refused try changes nothing; every allowed one is proven on the same path, so no "not
shown" here passes by accident. The owned kinds have their own matrix (test_permission_matrix).
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from lianke.core.models import ObjectChange
from lianke.core.objecttypes.registry import registry
from lianke.org.tests.test_permission_matrix import (
    api_client,
    assert_not_shown,
    assert_refused,
    body,
    create,
    new_marker,
    web_client,
)
from lianke.sales.models import Competitor, Opportunity, OpportunityCompetitor

pytestmark = pytest.mark.django_db

CHILD = "sales.opportunitycompetitor"
CATALOG = "sales.competitor"
UNOWNED = sorted(ot.key for ot in registry if not ot.is_owned)


def state() -> dict:
    return {
        "competitors": list(Competitor.all_objects.order_by("pk").values()),
        "entries": list(OpportunityCompetitor.all_objects.order_by("pk").values()),
        # the API clients' tokens are made inside the blocks: count the records' history
        "history": ObjectChange.objects.exclude(content_type__model="apitoken").count(),
    }


@contextmanager
def nothing_changes():
    before = state()
    yield
    assert state() == before


def opportunity_of(owner, stages, name) -> Opportunity:
    # the factory gives it an account of its owner's
    return create("sales.opportunity", name=name, owner=owner, stage_set=stages["set"], stage=stages["first"])


@pytest.fixture
def rival(db):
    return create(CATALOG, name="宝钢股份", short_name="宝钢")


@pytest.fixture
def entry_of(stages, rival):
    """``entry_of(owner)`` → a competitor entry on an opportunity ``owner`` owns, with a marker."""

    def make(owner):
        marker = new_marker()
        opportunity = opportunity_of(owner, stages, f"商机 {marker}")
        entry = create(CHILD, opportunity=opportunity, competitor=rival, notes=marker, offered_price=100)
        return entry, marker

    return make


def test_every_kind_without_an_owner_is_covered_here():
    assert set(UNOWNED) == {CHILD, CATALOG}, "a new child or catalog type needs its rows in this matrix"
    missing = [key for key in UNOWNED if not registry.get(key).factory]
    assert not missing, f"declare a test factory (ObjectType.factory) for {missing}"


# ---------------------------------------------------------------------------------- child
CHILD_FORBIDDEN = [
    ("rep_js", "rep_zj"),  # the other company's opportunity
    ("rep_js", "rep_js2"),  # a colleague's
    ("manager_js", "rep_zj"),  # the sister company
    ("nobody", "rep_js"),  # no role at all
]
CHILD_READ_PATHS = ["list", "search list", "detail", "history", "export", "api list", "api detail"]


def child_read(path, web, api, entry):
    ot = registry.get(CHILD)
    return {
        "list": lambda: web.get(ot.url("list")),
        "search list": lambda: web.get(ot.url("list"), {"search": "宝钢"}),
        "detail": lambda: web.get(ot.url("detail", pk=entry.pk)),
        "history": lambda: web.get(ot.url("history", pk=entry.pk)),
        "export": lambda: web.get(ot.url("export"), {"format": "csv"}),
        "api list": lambda: api.get("/api/sales/opportunitycompetitors/"),
        "api detail": lambda: api.get(f"/api/sales/opportunitycompetitors/{entry.pk}/"),
    }[path]()


@pytest.mark.parametrize(("attacker", "owner"), CHILD_FORBIDDEN)
@pytest.mark.parametrize("path", CHILD_READ_PATHS)
def test_a_child_is_not_read_where_its_parent_is_not(org, entry_of, attacker, owner, path):
    entry, marker = entry_of(getattr(org, owner))
    user = getattr(org, attacker)
    with nothing_changes():
        r = child_read(path, web_client(user), api_client(user), entry)
    if path in ("detail", "history", "api detail"):
        assert_refused(r)
    else:
        assert_not_shown(r, marker)
        assert marker not in body(r)


@pytest.mark.parametrize(
    ("reader", "owner"), [("rep_js", "rep_js"), ("manager_js", "rep_js2"), ("ops", "rep_zj")]
)
@pytest.mark.parametrize("path", CHILD_READ_PATHS)
def test_a_child_is_read_wherever_its_parent_is(org, entry_of, reader, owner, path):
    entry, marker = entry_of(getattr(org, owner))
    user = getattr(org, reader)
    r = child_read(path, web_client(user), api_client(user), entry)
    if path == "export" and reader == "rep_js":
        assert_refused(r)  # reading is not exporting: a rep has no export permission on opportunities
        return
    assert r.status_code == 200, path
    if path != "history":
        assert (marker in body(r)) or (str(entry.pk) in body(r) and path.startswith("api")), path


def child_writes(web, api, entry, other_opportunity):
    ot = registry.get(CHILD)
    api_url = f"/api/sales/opportunitycompetitors/{entry.pk}/"
    return {
        "edit form": lambda: web.get(ot.url("edit", pk=entry.pk)),
        "edit post": lambda: web.post(
            ot.url("edit", pk=entry.pk),
            {"opportunity": entry.opportunity_id, "competitor": entry.competitor_id, "threat": "high"},
        ),
        "delete": lambda: web.post(ot.url("delete", pk=entry.pk)),
        "transfer": lambda: web.post(ot.url("transfer", pk=entry.pk), {"new_owner": 1}),
        "collaborators": lambda: web.get(ot.url("collaborators", pk=entry.pk)),
        "api patch": lambda: api.patch(api_url, {"threat": "high"}, format="json"),
        "api delete": lambda: api.delete(api_url),
        "api transfer": lambda: api.post(f"{api_url}transfer/", {"new_owner": 1}, format="json"),
        "api move to another opportunity": lambda: api.patch(
            api_url, {"opportunity": other_opportunity.pk}, format="json"
        ),
    }


CHILD_WRITE_PATHS = list(child_writes(None, None, OpportunityCompetitor(pk=1), Opportunity(pk=1)))


@pytest.mark.parametrize(
    ("attacker", "owner"),
    [*CHILD_FORBIDDEN, ("ops", "rep_zj")],  # ops reads every opportunity but may not edit one
)
@pytest.mark.parametrize("path", CHILD_WRITE_PATHS)
def test_a_child_is_not_changed_where_its_parent_may_not_be_edited(
    org, entry_of, stages, attacker, owner, path
):
    entry, _marker = entry_of(getattr(org, owner))
    user = getattr(org, attacker)
    mine = opportunity_of(user, stages, "自己的商机")
    with nothing_changes():
        r = child_writes(web_client(user), api_client(user), entry, mine)[path]()
    assert r.status_code in (400, 403, 404, 405), (path, r.status_code)


@pytest.mark.parametrize("path", ["transfer", "collaborators", "api transfer"])
def test_a_child_has_no_owner_to_transfer_even_for_the_parents_owner(org, entry_of, stages, path):
    from lianke.org import access

    entry, _marker = entry_of(org.rep_js)
    mine = opportunity_of(org.rep_js, stages, "自己的商机")
    assert access.can(org.rep_js, entry, "edit") and not access.can(org.rep_js, entry, "transfer")
    with nothing_changes():
        r = child_writes(web_client(org.rep_js), api_client(org.rep_js), entry, mine)[path]()
    assert r.status_code in (403, 404, 405)
    detail = body(web_client(org.rep_js).get(entry.get_absolute_url()))
    assert 'id="transfer-object"' not in detail and 'id="collaborators"' not in detail


def test_a_child_is_not_hung_on_a_parent_one_may_not_edit(org, stages, rival):
    theirs = opportunity_of(org.rep_zj, stages, "浙江的商机")
    readable = opportunity_of(org.rep_js, stages, "可读不可改")
    payload = {"competitor": rival.pk, "threat": "high"}
    with nothing_changes():
        # the web form and the API, on another company's opportunity and one ops may only read
        r1 = web_client(org.rep_js).post(
            registry.get(CHILD).url("create"), {**payload, "opportunity": theirs.pk}
        )
        r2 = api_client(org.rep_js).post(
            "/api/sales/opportunitycompetitors/", {**payload, "opportunity": theirs.pk}, format="json"
        )
        r3 = api_client(org.ops).post(
            "/api/sales/opportunitycompetitors/", {**payload, "opportunity": readable.pk}, format="json"
        )
    assert r1.status_code in (200, 400, 403) and "opportunity" in body(r1).lower()
    assert r2.status_code in (400, 403) and "opportunity" in r2.content.decode()
    assert r3.status_code in (400, 403)


def test_the_parents_editor_adds_changes_and_removes_a_child_and_the_parent_shows_it(org, stages, rival):
    opportunity = opportunity_of(org.rep_js, stages, "南京地铁钢构")
    api = api_client(org.rep_js)
    # when the opportunity's owner adds a competitor through the API and changes it on the web
    r = api.post(
        "/api/sales/opportunitycompetitors/",
        {"opportunity": opportunity.pk, "competitor": rival.pk, "threat": "low", "offered_price": "5200.00"},
        format="json",
    )
    assert r.status_code == 201, r.content
    entry = OpportunityCompetitor.objects.get(pk=r.json()["id"])
    web = web_client(org.rep_js)
    r = web.post(
        registry.get(CHILD).url("edit", pk=entry.pk),
        {"opportunity": opportunity.pk, "competitor": rival.pk, "threat": "high", "offered_price": "5100"},
    )
    assert r.status_code in (200, 302), body(r)[:500]
    entry.refresh_from_db()
    assert entry.threat == "high"
    # then the opportunity's page lists it and its history holds both changes
    page = body(web.get(registry.get("sales.opportunity").url("detail", pk=opportunity.pk)))
    assert "宝钢股份" in page
    history = body(web.get(registry.get("sales.opportunity").url("history", pk=opportunity.pk)))
    assert "High" in history and "宝钢股份" in history
    # and its manager, who may edit the opportunity, removes it
    r = api_client(org.manager_js).delete(f"/api/sales/opportunitycompetitors/{entry.pk}/")
    assert r.status_code == 204
    assert not OpportunityCompetitor.objects.filter(pk=entry.pk).exists()


def test_a_child_of_a_deleted_parent_is_not_listed(org, entry_of):
    from lianke.core.records import services

    entry, marker = entry_of(org.rep_js)
    services.delete_records(actor=org.rep_js, records=[entry.opportunity])
    r = web_client(org.rep_js).get(registry.get(CHILD).url("list"))
    assert r.status_code == 200 and marker not in body(r)
    assert api_client(org.rep_js).get(f"/api/sales/opportunitycompetitors/{entry.pk}/").status_code == 404


# ---------------------------------------------------------------------------------- catalog
CATALOG_READERS = ["rep_js", "rep_zj", "lead_js", "manager_js", "ops", "admin"]


@pytest.mark.parametrize("reader", CATALOG_READERS)
def test_every_seller_reads_the_whole_catalog_whoever_wrote_it(org, reader, rival):
    user = getattr(org, reader)
    ot = registry.get(CATALOG)
    web, api = web_client(user), api_client(user)
    assert "宝钢股份" in body(web.get(ot.url("list")))
    assert web.get(ot.url("detail", pk=rival.pk)).status_code == 200
    assert api.get(f"/api/sales/competitors/{rival.pk}/").status_code == 200
    assert rival.pk in [row["id"] for row in api.get("/api/sales/competitors/").json()["results"]]
    assert "宝钢股份" in body(web.get("/search/", {"q": "宝钢"}))


@pytest.mark.parametrize(
    "path", ["list", "detail", "export", "api list", "api detail", "api create", "create", "edit", "delete"]
)
def test_a_user_without_the_catalog_permission_reaches_nothing(org, rival, path):
    ot = registry.get(CATALOG)
    web, api = web_client(org.nobody), api_client(org.nobody)
    with nothing_changes():
        r = {
            "list": lambda: web.get(ot.url("list")),
            "detail": lambda: web.get(ot.url("detail", pk=rival.pk)),
            "export": lambda: web.get(ot.url("export"), {"format": "csv"}),
            "api list": lambda: api.get("/api/sales/competitors/"),
            "api detail": lambda: api.get(f"/api/sales/competitors/{rival.pk}/"),
            "api create": lambda: api.post("/api/sales/competitors/", {"name": "鞍钢"}, format="json"),
            "create": lambda: web.post(ot.url("create"), {"name": "鞍钢"}),
            "edit": lambda: web.post(ot.url("edit", pk=rival.pk), {"name": "改名"}),
            "delete": lambda: web.post(ot.url("delete", pk=rival.pk)),
        }[path]()
    if path in ("list", "api list"):
        assert_not_shown(r, "宝钢股份")
    else:
        assert_refused(r)


@pytest.mark.parametrize(
    "path", ["create", "edit", "delete", "export", "api create", "api patch", "api delete", "transfer"]
)
def test_a_reader_of_the_catalog_does_not_change_or_export_it(org, rival, path):
    ot = registry.get(CATALOG)
    web, api = web_client(org.rep_js), api_client(org.rep_js)
    url = f"/api/sales/competitors/{rival.pk}/"
    with nothing_changes():
        r = {
            "create": lambda: web.post(ot.url("create"), {"name": "鞍钢"}),
            "edit": lambda: web.post(ot.url("edit", pk=rival.pk), {"name": "改名"}),
            "delete": lambda: web.post(ot.url("delete", pk=rival.pk)),
            "export": lambda: web.get(ot.url("export"), {"format": "csv"}),
            "api create": lambda: api.post("/api/sales/competitors/", {"name": "鞍钢"}, format="json"),
            "api patch": lambda: api.patch(url, {"name": "改名"}, format="json"),
            "api delete": lambda: api.delete(url),
            "transfer": lambda: web.post(ot.url("transfer", pk=rival.pk), {"new_owner": org.rep_js.pk}),
        }[path]()
    assert_refused(r)


def test_a_catalog_editor_maintains_it_and_every_change_is_in_history(org, rival):
    ot = registry.get(CATALOG)
    web = web_client(org.manager_js)
    r = web.post(ot.url("create"), {"name": "鞍钢股份", "short_name": "鞍钢"})
    assert r.status_code in (200, 302), body(r)[:500]
    created = Competitor.objects.get(name="鞍钢股份")
    r = api_client(org.ops).patch(
        f"/api/sales/competitors/{rival.pk}/", {"strengths": "价格低"}, format="json"
    )
    assert r.status_code == 200, r.content
    assert "价格低" in body(web.get(ot.url("history", pk=rival.pk)))
    # a duplicate name is a clear field error, not a 500
    r = api_client(org.ops).post("/api/sales/competitors/", {"name": "鞍钢股份"}, format="json")
    assert r.status_code == 400 and "name" in r.json()
    assert {"field": "name", "code": "unique"}.items() <= r.json()["errors"][0].items()
    assert web.post(ot.url("delete", pk=created.pk)).status_code in (200, 302)
    assert not Competitor.objects.filter(pk=created.pk).exists()
