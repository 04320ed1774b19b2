"""Record kinds: how the records of an object type are reached (X1, O4).

An object type declares its kind as an access policy (``ObjectType.access``); ``org.access``
asks the policy for the filter of the records a user may do an action on, so every read and
write path — managers, views, the API, exports, search, history, attachments, jobs — goes
through one rule per type:

- :class:`Owned` — an owner and the owner's department: the five data scopes (own,
  subordinates, department, department tree, all), record collaborators (read / read-write),
  and a model's own widenings (a task's assignee). Accounts, contacts, leads, opportunities,
  activities. An owned type may declare ``through`` parents: a record is also *readable* where
  its parent is (an activity on an account the user may see), checked for single records and
  for a parent's children, never widening the list scopes.
- :class:`Pooled` — an owned record whose owner may be empty while it sits in a pool; then it is
  visible to the pool's members and administrators, and to users whose scope is "all" —
  nobody else (not a department manager, not the former owner).
- :class:`Child` — no owner of its own: readable and writable exactly when its parent is (the
  parent's scope, collaborators and widenings, seen through the parent relation); creating,
  changing or deleting a child needs *edit* on the parent, and the child's changes are history
  of the parent.
- :class:`Catalog` — shared reference data: everyone with the view permission reads every
  record, those with edit write them.
- :class:`Config` — settings: administrators only, unless the config type names delegated
  administrators for some of its records (a pool's administrators, a user's own preferences).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import Model, Q

from .choices import Action, Scope
from .users import is_administrator

if TYPE_CHECKING:
    from .models import User


def prefix_q(q: Q, prefix: str) -> Q:
    """``q`` with every lookup seen from a related model: ``Q(owner_id=1)`` → ``Q(account__owner_id=1)``."""
    result = Q()
    result.connector, result.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            result.children.append(prefix_q(child, prefix))
        else:
            lookup, value = child  # type: ignore[misc]  # a (lookup, value) leaf of a Q
            lookup = "pk" if lookup == "id" else lookup
            result.children.append((f"{prefix}__{lookup}", value))
    return result


class AccessPolicy:
    """The rule of one object type. Bound to its model by the registry."""

    kind: ClassVar[str] = ""
    model: type[Model]

    def bind(self, model: type[Model]) -> AccessPolicy:
        self.model = model
        return self

    # What the roles grant (function permission + data scope) for this type and action.
    def granted(self, user: User, action: str) -> str | None:
        from . import access

        return access.role_scope(user, self.model, action)

    def scope_q(self, user: User, action: str) -> Q | None:
        """The records the user may do ``action`` on (``None``: none; ``Q()``: all)."""
        raise NotImplementedError

    def reach_q(self, user: User, action: str) -> Q | None:
        """The records within the user's own reach for ``action``, without what collaborations
        and widenings open to them — what a record the user creates or hands on must stay in."""
        return self.scope_q(user, action)

    def readable_through(self, user: User, obj: Model) -> bool:
        """A single record the list scope does not show may still be readable (a child-like
        rule); by default not."""
        return False

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind}


class Owned(AccessPolicy):
    kind = "owned"

    def __init__(self, *, through: tuple[str, ...] = ()):
        self.through = tuple(through)

    def reach_q(self, user: User, action: str) -> Q | None:
        from . import access

        scope = self.granted(user, action)
        if scope is None:
            return None
        return access.owner_scope_q(user, scope)

    def scope_q(self, user: User, action: str) -> Q | None:
        from . import access

        scope = self.granted(user, action)
        if scope is None:
            return None
        q = access.owner_scope_q(user, scope)
        if scope != Scope.ALL:
            q |= access.collaborators_q(user, self.model, action)
            extra = getattr(self.model, "access_extra_q", None)
            if extra is not None and (more := extra(user, action)) is not None:
                q |= more
        return q

    def through_q(self, user: User, parents: dict[str, list[int]]) -> Q:
        """The records hanging on these ``through`` parents (``{field: [ids]}``) that the user
        may read because they may read the parent — for a parent's page (an account's
        timeline), never for list scopes."""
        from . import access

        q = Q(pk__in=[])
        for name, ids in parents.items():
            if name not in self.through or not ids:
                continue
            parent_model = self.model._meta.get_field(name).related_model
            assert parent_model is not None and not isinstance(parent_model, str)
            readable = access.restrict(parent_model._default_manager.filter(pk__in=ids), user)
            q |= Q(**{f"{name}__in": list(readable.values_list("pk", flat=True))})
        return q

    def readable_through(self, user: User, obj: Model) -> bool:
        """An owned record is readable where one of its ``through`` parents is (an activity on
        an account the user may see): one query per parent, for single records only."""
        from . import access

        for name in self.through:
            parent = getattr(obj, name, None)
            if parent is not None and access.can(user, parent, Action.VIEW):
                return True
        return False

    def describe(self):
        return {"kind": self.kind, "through": self.through}


class Pooled(Owned):
    """Owned, or ownerless in a pool (``pool_field``): then only the pool's members and
    administrators — and whoever sees all records of the type — reach it."""

    kind = "pooled"

    def __init__(self, *, pool_field: str = "pool", through: tuple[str, ...] = ()):
        super().__init__(through=through)
        self.pool_field = pool_field

    def _pool_q(self, user: User, action: str) -> Q | None:
        # The pool model answers which pools the user belongs to (members read, administrators
        # also manage): ``Pool.ids_for(user, manage=…)``. None: no pool, no branch — an OR
        # with a branch that matches nothing still reads as a disjunction to whoever plans on
        # the scope (``core.search.textsearch.in_list_order`` would take a rep's owner index).
        pool_model: Any = self.model._meta.get_field(self.pool_field).related_model
        pools = pool_model.ids_for(user, manage=action != Action.VIEW)
        if not pools:
            return None
        return Q(owner__isnull=True, **{f"{self.pool_field}_id__in": pools})

    def scope_q(self, user, action):
        q = super().scope_q(user, action)
        if q is None or self.granted(user, action) == Scope.ALL:
            return q
        pooled = self._pool_q(user, action)
        return q if pooled is None else q | pooled


class Child(AccessPolicy):
    """Reached through ``parent_field``: view needs view on the parent; create, edit and delete
    need edit on the parent. The parent type's roles decide; a child type has no grants. A
    child has no owner: it is not transferred on its own (it follows its parent)."""

    kind = "child"
    UNSUPPORTED: ClassVar[frozenset[str]] = frozenset({Action.TRANSFER})
    ACTIONS: ClassVar[dict[str, str]] = {Action.VIEW: Action.VIEW, Action.EXPORT: Action.EXPORT}

    def __init__(self, parent_field: str):
        self.parent_field = parent_field

    @property
    def parent_model(self) -> type[Model]:
        related = self.model._meta.get_field(self.parent_field).related_model
        assert isinstance(related, type)
        return related

    def parent_action(self, action: str) -> str:
        return self.ACTIONS.get(action, Action.EDIT)

    def granted(self, user, action):
        from . import access

        if action in self.UNSUPPORTED:
            return None
        return access.granted_scope(user, self.parent_model, self.parent_action(action))

    def scope_q(self, user, action):
        from . import access

        if action in self.UNSUPPORTED:
            return None
        q = access.scope_q(user, self.parent_model, self.parent_action(action))
        if q is None:
            return None
        # Only children of live parents: a parent in the recycle bin takes them along.
        return prefix_q(q, self.parent_field) & Q(**{f"{self.parent_field}__is_deleted": False})

    def reach_q(self, user, action):
        from . import access

        if action in self.UNSUPPORTED:
            return None
        q = access.reach_q(user, self.parent_model, self.parent_action(action))
        return None if q is None else prefix_q(q, self.parent_field)

    def describe(self):
        return {"kind": self.kind, "parent": self.parent_field}


class Catalog(AccessPolicy):
    """Shared records: the type's function permission alone decides (every record or none)."""

    kind = "catalog"

    def granted(self, user, action):
        scope = super().granted(user, action) if action != Action.TRANSFER else None
        return None if scope is None else Scope.ALL

    def scope_q(self, user, action):
        return None if self.granted(user, action) is None else Q()


class Config(AccessPolicy):
    """Settings: administrators (superusers) only — unless ``delegates(user)`` names the records a
    non-administrator manages (a Q over the config model: the pools a user administers), for the
    ``delegated_actions`` only (by default view and edit: a delegate never creates or deletes
    the settings object itself). Every change of a config record goes into history
    (``core.admin.HistoryAdmin``, and each settings page's own service)."""

    kind = "config"

    def __init__(self, *, delegates=None, delegated_actions=(Action.VIEW, Action.EDIT)):
        self.delegates = delegates
        self.delegated_actions = frozenset(delegated_actions)

    def granted(self, user, action):
        if is_administrator(user):
            return Scope.ALL
        delegated = self.delegates is not None and action in self.delegated_actions
        return Scope.OWN if delegated else None

    def scope_q(self, user, action):
        if not user.is_active:
            return None
        if user.is_superuser:
            return Q()
        if self.delegates is None or action not in self.delegated_actions:
            return None
        return self.delegates(user)

    def describe(self):
        return {"kind": self.kind, "delegated": sorted(self.delegated_actions) if self.delegates else []}
