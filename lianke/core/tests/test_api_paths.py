"""The API's paths: each type under its plural (``opportunities``, ``activities``), the old
misspelt plurals redirected for one release, and the schema and docs behind sign-in unless the
operator publishes them."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from lianke.core.objecttypes.registry import registry
from lianke.sales.factories import OpportunityFactory
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db


def test_every_type_is_listed_under_its_plural(org, api_for):
    api = api_for(org.admin)
    assert registry.get("sales.opportunity").api_plural == "opportunities"
    assert registry.get("activities.activity").api_plural == "activities"
    assert registry.get("customers.account").api_plural == "accounts"  # the default: model name + s
    for ot in registry:
        r = api.get(f"/api/{ot.app_label}/{ot.api_plural}/")
        assert r.status_code == 200, (ot.key, r.content)


def test_an_old_plural_answers_a_permanent_redirect_to_the_new_path(org, api_for):
    # given an opportunity of rep_js
    opp = OpportunityFactory(owner=org.rep_js)
    api = api_for(org.rep_js)
    # when the client reads it at the old path, with a query string
    r = api.get(f"/api/sales/opportunitys/{opp.pk}/?fields=name&x=%E4%B8%AD")
    # then it is told where it lives now: 308 (same method), deprecated, the successor linked
    assert r.status_code == 308
    new = f"/api/sales/opportunities/{opp.pk}/?fields=name&x=%E4%B8%AD"
    assert r["Location"] == new
    assert r["Deprecation"] == "true"
    assert r["Link"] == f'<{new}>; rel="successor-version"'
    # and following it reads the record
    assert api.get(r["Location"]).json()["id"] == opp.pk


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_a_write_to_an_old_path_is_redirected_with_its_method_and_writes_nothing(org, api_for, method):
    api = api_for(org.rep_js)
    r = getattr(api, method)("/api/activities/activitys/12/", {"subject": "x"}, format="json")
    assert r.status_code == 308  # never refused by CSRF, never handled at the old path
    assert r["Location"] == "/api/activities/activities/12/"
    r = api.post("/api/sales/opportunitys/", {"name": "x"}, format="json")
    assert r.status_code == 308 and r["Location"] == "/api/sales/opportunities/"
    assert not Opportunity.all_objects.exists()


def test_old_paths_are_not_in_the_schema(org, api_for):
    paths = api_for(org.rep_js).get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "/api/sales/opportunities/" in paths and "/api/activities/activities/" in paths
    assert not [p for p in paths if "opportunitys" in p or "activitys" in p]


# ---------------------------------------------------------------------------------- docs sign-in
def test_the_schema_and_docs_need_sign_in(org, client_for, api_for):
    # a visitor who is not signed in gets no schema and is sent to log in for the docs page
    anonymous = Client()
    assert APIClient().get("/api/schema/", {"format": "json"}).status_code == 401
    r = anonymous.get("/api/docs/")
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=/api/docs/")
    # signed in (a session or a token), both answer
    assert client_for(org.rep_js).get("/api/docs/").status_code == 200
    assert client_for(org.rep_js).get("/api/schema/", {"format": "json"}).status_code == 200
    assert api_for(org.rep_js, scope="read").get("/api/schema/", {"format": "json"}).status_code == 200


def test_an_operator_may_publish_the_schema_and_docs(org, settings):
    settings.LIANKE_API_DOCS_PUBLIC = True
    r = APIClient().get("/api/schema/", {"format": "json"})
    assert r.status_code == 200 and "/api/customers/accounts/" in r.json()["paths"]
    assert Client().get("/api/docs/").status_code == 200
