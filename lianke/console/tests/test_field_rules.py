"""Settings › Roles › Field access: an administrator sets, per role and object type, which
fields its users see hidden, masked, read only or editable — and the rule reaches every channel
at once; refusals name the field and change nothing."""

from __future__ import annotations

import pytest

from lianke.console import services
from lianke.customers.models import Contact
from lianke.org.models import FieldPermission, Role
from lianke.org.tests.test_field_permissions import MOBILE, MOBILE_MASKED

from .test_console import config_changes

pytestmark = pytest.mark.django_db

URL = "/settings/roles/{pk}/fields/customers.contact/"


def rules(role):
    return sorted(role.field_permissions.values_list("object_type", "field", "mode"))


@pytest.fixture
def contact(org):
    from lianke.customers.factories import AccountFactory

    account = AccountFactory(owner=org.rep_js, name="苏州精工机械")
    return Contact.objects.create(name="张三", account=account, owner=org.rep_js, mobile=MOBILE)


def test_a_masked_mobile_reaches_the_roles_users_in_the_api_at_once(client_for, api_for, org, contact):
    role = org.roles["sales_rep"]
    api = api_for(org.rep_js)
    assert api.get(f"/api/customers/contacts/{contact.pk}/").json()["mobile"] == MOBILE
    page = client_for(org.admin).get(URL.format(pk=role.pk)).content.decode()
    opened = services.state_of(role, services.ROLE_RELATED)
    assert f'value="{opened}"' in page and 'name="mode-mobile"' in page
    response = client_for(org.admin).post(
        URL.format(pk=role.pk), {"state": opened, "mode-mobile": "masked", "mode-title": "read_only"}
    )
    assert response.status_code == 302
    assert rules(role) == [
        ("customers.contact", "mobile", "masked"),
        ("customers.contact", "title", "read_only"),
    ]
    assert api.get(f"/api/customers/contacts/{contact.pk}/").json()["mobile"] == MOBILE_MASKED
    [change] = config_changes(Role, role.pk)
    assert change.user_id == org.admin.pk
    assert {r["field"] for r in change.postchange_data["field_permissions"]} == {"mobile", "title"}
    # "No rule" takes the rule away again
    client_for(org.admin).post(URL.format(pk=role.pk), {"mode-mobile": "", "mode-title": "read_only"})
    assert rules(role) == [("customers.contact", "title", "read_only")]
    assert api.get(f"/api/customers/contacts/{contact.pk}/").json()["mobile"] == MOBILE


@pytest.mark.parametrize(
    ("posted", "code"),
    [
        ({"mode-title": "masked"}, "not_maskable"),  # only phones and e-mails can be masked
        ({"mode-name": "hidden"}, "required_field"),  # a record cannot be saved without it
        ({"mode-mobile": "invisible"}, "invalid_choice"),
    ],
)
def test_a_rule_the_field_cannot_take_is_refused_naming_the_field(client_for, org, posted, code):
    role = org.roles["sales_rep"]
    before = rules(role), config_changes(Role, role.pk).count()
    response = client_for(org.admin).post(URL.format(pk=role.pk), {"mode-mobile": "masked", **posted})
    assert response.status_code == 400
    field = next(iter(posted)).removeprefix("mode-")
    html = response.content.decode()
    assert f'data-field="{field}"' in html and f'data-error-code="{code}"' in html
    # all or nothing: the valid mobile rule is not written either
    assert (rules(role), config_changes(Role, role.pk).count()) == before


def test_a_save_over_someone_elses_change_is_refused(client_for, org):
    role = org.roles["sales_rep"]
    opened = services.state_of(role, services.ROLE_RELATED)
    services.save_field_rules(
        actor=org.admin, role=role, object_type="customers.contact", modes={"email": "hidden"}
    )
    response = client_for(org.admin).post(URL.format(pk=role.pk), {"state": opened, "mode-mobile": "hidden"})
    assert response.status_code == 400
    assert 'data-error-code="version_conflict"' in response.content.decode()
    assert rules(role) == [("customers.contact", "email", "hidden")]


@pytest.mark.parametrize("who", ["rep_js", "manager_js", "ops"])
def test_nobody_but_an_administrator_opens_or_saves_field_access(client_for, org, who):
    role = org.roles["sales_rep"]
    client = client_for(getattr(org, who))
    assert client.get(URL.format(pk=role.pk)).status_code == 403
    assert client.post(URL.format(pk=role.pk), {"mode-mobile": "editable"}).status_code == 403
    assert not FieldPermission.objects.exists()
    with pytest.raises(Exception) as info:
        services.save_field_rules(
            actor=getattr(org, who), role=role, object_type="customers.contact", modes={"mobile": "editable"}
        )
    assert type(info.value).__name__ == "PermissionDenied"


def test_an_unknown_or_child_type_has_no_field_access_page(client_for, org):
    role = org.roles["sales_rep"]
    assert client_for(org.admin).get(f"/settings/roles/{role.pk}/fields/nope.thing/").status_code == 404


def test_the_role_page_links_each_type_to_its_field_access_and_carries_its_state(client_for, org):
    role = org.roles["sales_rep"]
    FieldPermission.objects.create(role=role, object_type="customers.contact", field="mobile", mode="masked")
    html = client_for(org.admin).get(f"/settings/roles/{role.pk}/").content.decode()
    assert f'href="/settings/roles/{role.pk}/fields/customers.contact/"' in html
    assert 'data-field-rules="customers.contact"' in html and "(1)" in html
    assert f'name="state" value="{services.state_of(role, services.ROLE_RELATED)}"' in html
