"""The object type's declared options that core reads plainly: replaced views, extra URLs, the
API viewset's base, and the timeline — found through the registry, never by naming an app."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import path
from django.views import View

from lianke.core.api.views import BusinessViewSet, build_viewset
from lianke.core.objecttypes.registry import ObjectType, registry
from lianke.core.urls import object_urlpatterns
from lianke.core.views.objects import ObjectDetailView


def _patterns(app_label: str) -> dict[str, object]:
    """The generated URL patterns of one app, by name."""
    for resolver in object_urlpatterns():
        if resolver.namespace == app_label:
            return {p.name: p for p in resolver.url_patterns}
    raise AssertionError(app_label)


def test_the_options_have_declared_defaults():
    # an object type that declares nothing replaces no view, adds no URL, gets the standard
    # viewset, and its records are followed up on a timeline
    assert ObjectType.views == {}
    assert ObjectType.viewset_base is None
    assert ObjectType.timeline is True
    assert ObjectType.timeline_url_name is None


def test_a_declared_view_replaces_the_generated_one_and_extra_urls_are_mounted(monkeypatch):
    # given a type that replaces its detail page and adds a URL of its own
    class Detail(ObjectDetailView):
        pass

    ot = registry.get("sales.competitor")
    monkeypatch.setattr(ot, "views", {"detail": Detail})
    monkeypatch.setattr(ot, "extra_urls", lambda: [path("competitor/radar/", View.as_view(), name="radar")])
    # when the URLs are generated
    patterns = _patterns("sales")
    # then the detail route serves the declared view, the others the generated ones
    assert patterns["competitor_detail"].callback.view_class is Detail
    assert patterns["competitor_edit"].callback.view_class is not Detail
    # and the extra URL sits in the app's namespace
    assert "radar" in patterns


def test_a_declared_viewset_base_is_the_generated_viewsets_base(monkeypatch):
    class Base(BusinessViewSet):
        pass

    ot = registry.get("sales.competitor")
    assert issubclass(build_viewset(ot), BusinessViewSet)
    monkeypatch.setattr(ot, "viewset_base", Base)
    assert issubclass(build_viewset(ot), Base)


def test_one_registered_type_makes_up_the_timelines():
    # the registry names the type whose records form timelines (activities), and a type
    # without a timeline (a catalogue, the activity itself) has none
    source = registry.timeline_type()
    assert source is not None and source.timeline_url_name
    assert registry.get("customers.account").timeline_source is source
    assert registry.get("sales.competitor").timeline_source is None
    assert source.timeline_source is None


@pytest.mark.django_db
def test_the_record_page_loads_the_timeline_only_where_declared(org, client_for):
    account = registry.get("customers.account").factory_class()(owner=org.rep_js)
    competitor = registry.get("sales.competitor").factory_class()()
    c = client_for(org.admin)
    # an account's page loads its timeline from the declared URL
    page = c.get(registry.get("customers.account").url("detail", pk=account.pk)).content.decode()
    ct = ContentType.objects.get_for_model(account)
    assert f'hx-get="/activities/timeline/{ct.pk}/{account.pk}/"' in page
    assert 'id="jump-timeline"' in page
    # a competitor's page has none
    page = c.get(registry.get("sales.competitor").url("detail", pk=competitor.pk)).content.decode()
    assert 'id="timeline"' not in page and 'id="jump-timeline"' not in page
