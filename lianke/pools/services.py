"""Changes to a pool's settings, by administrators and by the pool's own administrators (the
delegates of its config kind: ``pools.admin.PoolAdmin.config``): the pool read again under a
lock, the kind's edit check inside, the change in history (who, when, old → new)."""

from __future__ import annotations

import hashlib
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianke.core.models import ObjectChange
from lianke.core.records import audit
from lianke.org import access
from lianke.org.choices import Action

from .models import Pool

#: What a pool's own administrators may change (who administers it, which object type it holds
#: and whether it is active stay with the administrators of the product).
DELEGATED_FIELDS = ("name", "description", "members", "member_departments")


def state_of(pool: Pool) -> str:
    """A fingerprint of the pool's settings as stored: a form carries the one it was opened with,
    so that a save over someone else's change since is refused, never silently overwriting it
    (a pool's members are a whole list: the last save would win)."""
    data = json.dumps(audit.config_snapshot(pool), sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:32]


@transaction.atomic
def update_pool(*, actor, pool: Pool, expected_state: str | None = None, **changes) -> Pool:
    """Apply ``changes`` (fields of ``DELEGATED_FIELDS``; many-to-many ones as lists) as ``actor``;
    with ``expected_state`` (``state_of`` when the change was prepared), only onto that state."""
    unknown = set(changes) - set(DELEGATED_FIELDS)
    if unknown:
        raise PermissionDenied(_("These settings of a pool are not yours to change."))
    stored = Pool.objects.select_for_update().get(pk=pool.pk)
    if not access.can(actor, stored, Action.EDIT):
        raise PermissionDenied(_("You do not administer this pool."))
    if expected_state is not None and state_of(stored) != expected_state:
        raise ValidationError(
            _(
                "Someone changed this pool since you opened it. Reload the page to see the change, then make yours."
            ),
            code="version_conflict",
        )
    before = audit.config_snapshot(stored)
    for name in ("name", "description"):
        if name in changes:
            setattr(stored, name, changes[name])
    stored.full_clean()
    stored.save()
    for name in ("members", "member_departments"):
        if name in changes:
            getattr(stored, name).set(changes[name])
    audit.record(
        ObjectChange.ActionChoices.UPDATE, stored, before, audit.config_snapshot(stored), actor=actor
    )
    return stored
