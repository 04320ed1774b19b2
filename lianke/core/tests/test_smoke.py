"""A first pass over every generated page: each answers for an administrator."""

import pytest

from lianke.core.objecttypes.registry import registry


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(registry.keys()))
def test_every_object_type_list_and_form_render_for_admin(org, client_for, key):
    # given an administrator
    c = client_for(org.admin)
    ot = registry.get(key)
    # when they open the list and the create form
    list_page = c.get(ot.url("list"))
    form_page = c.get(ot.url("create"))
    # then both render
    assert list_page.status_code == 200
    assert form_page.status_code == 200
    assert str(ot.label_plural) in list_page.content.decode()
