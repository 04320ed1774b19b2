"""Which channels a notification goes out on: the user's own choice, else an administrator's
default for one of his roles, else the type's declared default. Role defaults are set by
administrators only, and every change is in the role's history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from lianke.core.models import ObjectChange
from lianke.notifications import preferences, service, types
from lianke.notifications.models import EmailSettings, Notification, Preference, RoleDefault

pytestmark = pytest.mark.django_db


def web(user) -> Client:
    c = Client(headers={"accept-language": "en"})
    c.force_login(user)
    return c


def test_the_types_declared_channels_apply_when_nobody_chose(org, declared):
    assert preferences.channels_for([org.rep_js.pk], declared) == {org.rep_js.pk: {"in_app", "email"}}


def test_a_roles_default_overrides_the_type_and_the_users_choice_overrides_both(org, declared):
    rep_role = org.roles["sales_rep"]
    RoleDefault.objects.create(role=rep_role, kind=declared, channel="email", enabled=False)
    RoleDefault.objects.create(role=rep_role, kind=declared, channel="wecom", enabled=True)
    got = preferences.channels_for([org.rep_js.pk, org.rep_js2.pk, org.manager_js.pk], declared)
    assert got[org.rep_js.pk] == {"in_app", "wecom"}
    assert got[org.manager_js.pk] == {"in_app", "email"}  # another role: the type's default
    # the user's own choice wins over his role's
    Preference.objects.create(user=org.rep_js2, kind=declared, channel="email", enabled=True)
    Preference.objects.create(user=org.rep_js2, kind=declared, channel="in_app", enabled=False)
    got = preferences.channels_for([org.rep_js.pk, org.rep_js2.pk], declared)
    assert got[org.rep_js2.pk] == {"email", "wecom"}
    assert got[org.rep_js.pk] == {"in_app", "wecom"}


def test_of_two_roles_that_disagree_the_one_that_turns_a_channel_on_wins(org, declared):
    org.rep_js.roles.add(org.roles["team_lead"])
    RoleDefault.objects.create(role=org.roles["sales_rep"], kind=declared, channel="email", enabled=False)
    RoleDefault.objects.create(role=org.roles["team_lead"], kind=declared, channel="email", enabled=True)
    assert "email" in preferences.channels_for([org.rep_js.pk], declared)[org.rep_js.pk]


def test_a_user_with_every_channel_off_gets_nothing_and_in_app_off_keeps_it_out_of_the_bell(org, declared):
    for channel in ("in_app", "email"):
        Preference.objects.create(user=org.rep_js, kind=declared, channel=channel, enabled=False)
    Preference.objects.create(user=org.rep_js2, kind=declared, channel="in_app", enabled=False)
    org.rep_js2.email = "sun@example.com"
    org.rep_js2.save()
    rows = service.notify([org.rep_js, org.rep_js2], declared, actor=org.admin)
    assert [r.recipient_id for r in rows] == [org.rep_js2.pk]
    row = Notification.objects.get()
    assert not row.in_app and row.read_at is not None and row.email == "queued"
    assert service.unread_count(org.rep_js2) == 0


def test_the_profile_grid_saves_only_what_differs_from_the_default(org, declared):
    client = web(org.rep_js)
    page = client.get("/profile/notifications/")
    assert page.status_code == 200
    assert f'name="pref:{declared}:in_app"' in page.content.decode()
    # when the rep turns the e-mail of the test type off and keeps in-app on
    data = {f"pref:{declared}:in_app": "1", "mode": "digest", "quiet_start": "22:00", "quiet_end": "07:30"}
    for key in types.declared():  # keep the others as they are
        if key != declared:
            for channel in preferences.channels_for([org.rep_js.pk], key)[org.rep_js.pk]:
                data[f"pref:{key}:{channel}"] = "1"
    response = client.post("/profile/notifications/", data)
    assert response.status_code == 302
    assert list(Preference.objects.filter(user=org.rep_js).values_list("kind", "channel", "enabled")) == [
        (declared, "email", False)
    ]
    settings = EmailSettings.objects.get(user=org.rep_js)
    assert (settings.mode, str(settings.quiet_start), str(settings.quiet_end)) == (
        "digest",
        "22:00:00",
        "07:30:00",
    )


def test_quiet_hours_need_a_start_and_an_end(org):
    response = web(org.rep_js).post("/profile/notifications/", {"mode": "immediate", "quiet_start": "22:00"})
    assert response.status_code == 400
    assert 'data-error-code="conditionally_required"' in response.content.decode()
    assert not EmailSettings.objects.exists()


def test_only_administrators_open_and_change_the_role_defaults(org, declared):
    role = org.roles["sales_rep"]
    for user in (org.manager_js, org.ops, org.rep_js):
        assert web(user).get("/settings/notifications/").status_code == 403
        assert (
            web(user)
            .post("/settings/notifications/", {"role": role.pk, f"pref:{declared}:email": "off"})
            .status_code
            == 403
        )
    assert not RoleDefault.objects.exists()
    with pytest.raises(PermissionDenied):
        preferences.set_role_defaults(actor=org.manager_js, role=role, values={(declared, "email"): False})


def test_a_change_of_the_role_defaults_is_in_the_roles_history(org, declared):
    role = org.roles["sales_rep"]
    client = web(org.admin)
    assert client.get(f"/settings/notifications/?role={role.pk}").status_code == 200
    response = client.post("/settings/notifications/", {"role": role.pk, f"pref:{declared}:email": "off"})
    assert response.status_code == 302
    assert RoleDefault.objects.get(role=role).enabled is False
    change = ObjectChange.objects.filter(object_id=role.pk, content_type__model="role").latest("time")
    assert change.prechange_data == {"notification_defaults": {}}
    assert change.postchange_data == {"notification_defaults": {f"{declared}/email": False}}
    assert change.user_id == org.admin.pk


def test_a_users_own_change_is_in_his_history_old_and_new(org, declared):
    # given the rep's grid as it is, and his e-mail by digest
    client = web(org.rep_js)
    data = {"mode": "digest", "quiet_start": "22:00", "quiet_end": "07:30"}
    for key in types.declared():
        for channel in preferences.channels_for([org.rep_js.pk], key)[org.rep_js.pk]:
            data[f"pref:{key}:{channel}"] = "1"
    assert client.post("/profile/notifications/", data).status_code == 302
    first = ObjectChange.objects.filter(object_id=org.rep_js.pk, content_type__model="user").latest("time")
    assert first.prechange_data == {"notification_preferences": {}, "notification_email": {}}
    assert first.postchange_data["notification_email"]["mode"] == "digest"
    assert first.user_id == org.rep_js.pk
    # when he turns the e-mail of the test type off
    data.pop(f"pref:{declared}:email")
    assert client.post("/profile/notifications/", data).status_code == 302
    # then his history tells old → new
    change = ObjectChange.objects.filter(object_id=org.rep_js.pk, content_type__model="user").latest("time")
    assert change.pk != first.pk
    assert change.prechange_data == first.postchange_data
    assert change.postchange_data["notification_preferences"] == {f"{declared}/email": False}
    # and saving the same again adds nothing
    assert client.post("/profile/notifications/", data).status_code == 302
    assert ObjectChange.objects.filter(object_id=org.rep_js.pk, content_type__model="user").count() == 2
    # a refused save (quiet hours without an end) adds nothing either
    bad = {**data, "quiet_end": ""}
    assert client.post("/profile/notifications/", bad).status_code == 400
    assert ObjectChange.objects.filter(object_id=org.rep_js.pk, content_type__model="user").count() == 2
