"""Settings › Pools under parallel saves against a live server: two administrators saving the
same pool from the same page — exactly one wins, the other is told, nothing is overwritten."""

from __future__ import annotations

import pytest

from lianke.core.models import ObjectChange
from lianke.pools.models import Pool
from lianke.pools.services import state_of

from ..live import LiveSession, race


@pytest.mark.django_db(transaction=True)
def test_parallel_saves_of_one_pool_from_the_same_page_have_exactly_one_winner(live_server, org):
    pool = Pool.objects.create(name="江苏线索公海", object_type="marketing.lead")
    pool.admins.add(org.manager_js, org.admin)
    state = state_of(pool)
    url = f"/settings/pools/{pool.pk}/edit/"
    people = [org.rep_js, org.rep_js2, org.lead_js, org.ops]
    sessions = [LiveSession(live_server.url, user) for user in (org.manager_js, org.admin) * 2]
    answers = race(
        [
            (lambda s=s, u=u: s.post(url, {"name": "江苏线索公海", "members": [u.pk], "state": state}))
            for s, u in zip(sessions, people, strict=True)
        ]
    )
    codes = sorted(a.status for a in answers)
    assert codes == [302, 400, 400, 400], codes
    winner = next(u for a, u in zip(answers, people, strict=True) if a.status == 302)
    assert list(Pool.objects.get(pk=pool.pk).members.all()) == [winner]
    assert ObjectChange.objects.filter(content_type__model="pool", object_id=pool.pk).count() == 1
