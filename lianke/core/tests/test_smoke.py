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


@pytest.mark.django_db
def test_the_user_menu_names_the_users_own_department_and_title(org, client_for):
    import re

    # given a rep of the Jiangsu team, whose department is renamed after he signed in
    org.js_team.name = "江苏销售<一部>"
    org.js_team.save()
    org.rep_js.title = "客户经理"
    org.rep_js.save()
    # when he opens a list
    page = client_for(org.rep_js).get(registry.get("customers.account").url("list")).content.decode()
    # then the user menu shows his department as it is now (escaped) and his title
    menu = re.search(r'<span class="dropdown-item-text small text-muted">([^<]*)</span>', page)
    assert menu is not None
    assert menu.group(1) == "江苏销售&lt;一部&gt; 客户经理"
