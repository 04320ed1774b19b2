"""Settings console under parallel saves against a live server: two administrators each placing
one department under the other (or one user under the other) at the same moment — each move alone
is valid, together they would make a loop. Exactly one wins; the other is refused with the loop's
code; the tree stays a tree."""

from __future__ import annotations

import pytest

from lianke.org.models import Department, User

from ..live import LiveSession, race


@pytest.mark.django_db(transaction=True)
def test_two_departments_moved_under_each_other_at_once_never_make_a_loop(live_server, org):
    a = Department.objects.create(name="华东区", parent=org.group)
    b = Department.objects.create(name="华南区", parent=org.group)
    second = User.objects.create_superuser("admin2", password="pw-admin2", name="管理员二")
    sessions = [LiveSession(live_server.url, user) for user in (org.admin, second)]
    answers = race(
        [
            lambda: sessions[0].post(f"/settings/departments/{a.pk}/move/", {"parent": b.pk}),
            lambda: sessions[1].post(f"/settings/departments/{b.pk}/move/", {"parent": a.pk}),
        ]
    )
    assert sorted(answer.status for answer in answers) == [302, 400], answers
    a.refresh_from_db()
    b.refresh_from_db()
    assert {a.parent_id, b.parent_id} & {org.group.pk}, "both moved: a loop"


@pytest.mark.django_db(transaction=True)
def test_two_users_made_each_others_superior_at_once_never_make_a_loop(live_server, org):
    second = User.objects.create_superuser("admin2", password="pw-admin2", name="管理员二")
    sessions = [LiveSession(live_server.url, user) for user in (org.admin, second)]

    def data(user, superior):
        return {"username": user.username, "name": user.name, "superior": superior.pk}

    answers = race(
        [
            lambda: sessions[0].post(f"/settings/users/{org.rep_zj.pk}/edit/", data(org.rep_zj, org.ops)),
            lambda: sessions[1].post(f"/settings/users/{org.ops.pk}/edit/", data(org.ops, org.rep_zj)),
        ]
    )
    assert sorted(answer.status for answer in answers) == [302, 400], answers
    superiors = dict(User.objects.filter(pk__in=[org.rep_zj.pk, org.ops.pk]).values_list("pk", "superior_id"))
    assert not (superiors[org.rep_zj.pk] == org.ops.pk and superiors[org.ops.pk] == org.rep_zj.pk)
