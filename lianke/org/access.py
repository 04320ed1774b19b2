"""The one data-scope resolver (X1, O4).

``scope_q(user, model, action)`` turns (user, object type, action) into a ``Q`` over that model,
or ``None`` when the user may not do the action at all. Every read path (managers, views, API,
exports, reports, search, attachments, history) and every write re-check ends up here.
``assignable_users(actor, model, action)`` is the same scope seen from the people's side: whom
the actor may make owner, assignee or transfer target (people pickers and services use it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Model, Q

from lianke.core import configcache, context

from .choices import Action, CollaboratorAccess, Scope
from .kinds import AccessPolicy, Owned
from .users import active_users

if TYPE_CHECKING:
    from .models import User

_RANK = {Scope.OWN: 1, Scope.SUBORDINATES: 2, Scope.DEPARTMENT: 3, Scope.DEPARTMENT_TREE: 4, Scope.ALL: 5}


def object_type_key(model: type[Model] | Model) -> str:
    return model._meta.label_lower


def _cache(user: User) -> dict[Any, Any]:
    """Per-request cache: the active context's cache, else one on the user object."""
    ctx = context.current()
    if ctx is not None and ctx.user is not None and ctx.user.pk == user.pk:
        return ctx.cache
    cache: dict[Any, Any] | None = getattr(user, "_lianke_access_cache", None)
    if cache is None:
        cache = {}
        user._lianke_access_cache = cache  # type: ignore[attr-defined]
    return cache


def clear_cache(user: User) -> None:
    """Forget what this context read of the access configuration (after changing it)."""
    if hasattr(user, "_lianke_access_cache"):
        del user._lianke_access_cache
    ctx = context.current()
    if ctx is not None:
        ctx.cache.clear()
    configcache.forget()


def grants(user: User) -> dict[str, dict[str, str]]:
    """``{object_type: {action: widest scope}}`` over all of the user's active roles."""
    cache = _cache(user)
    if "grants" not in cache:
        cache["grants"] = configcache.cached(("grants", user.pk), lambda: _load_grants(user))
    return cache["grants"]


def _load_grants(user: User) -> dict[str, dict[str, str]]:
    from .models import RolePermission

    result: dict[str, dict[str, str]] = {}
    rows = RolePermission.objects.filter(role__users=user, role__is_active=True).values_list(
        "object_type", "actions", "scope"
    )
    for object_type, actions, scope in rows:
        per_type = result.setdefault(object_type, {})
        for action in actions or ():
            if action not in per_type or _RANK[Scope(scope)] > _RANK[Scope(per_type[action])]:
                per_type[action] = scope
    return result


def role_scope(user: User | None, model: type[Model] | Model, action: str) -> str | None:
    """What the user's roles grant on this object type itself: the widest scope, or ``None``."""
    if user is None or not user.is_active:
        return None
    if user.is_superuser:
        return Scope.ALL
    return grants(user).get(object_type_key(model), {}).get(action)


def granted_scope(user: User | None, model: type[Model] | Model, action: str) -> str | None:
    """The scope the user holds for ``action`` on this type, as its kind reads the roles (a
    child type the parent's, a catalog all-or-nothing, a config type administrators)."""
    if user is None or not user.is_active:
        return None
    return policy_for(model).granted(user, action)


# ---------------------------------------------------------------------------------- kinds
_policies: dict[type[Model], AccessPolicy] = {}


def register_policy(model: type[Model], policy: AccessPolicy) -> None:
    """The registry binds each object type's kind to its model here (org knows no app)."""
    _policies[model] = policy.bind(model)


def policy_for(model: type[Model] | Model) -> AccessPolicy:
    cls = model if isinstance(model, type) else type(model)
    cls = cls._meta.concrete_model or cls
    if cls not in _policies:
        _policies[cls] = Owned().bind(cls)  # an unregistered model with an owner column
    return _policies[cls]


def has_action(user: User | None, model: type[Model] | Model, action: str) -> bool:
    """Function permission: may the user do ``action`` on this object type at all?"""
    return granted_scope(user, model, action) is not None


def subordinate_ids(user: User) -> list[int]:
    """Everyone below the user in the reporting chain (not the user)."""
    cache = _cache(user)
    if "subordinates" not in cache:
        cache["subordinates"] = configcache.cached(
            ("subordinates", user.pk), lambda: _load_subordinates(user)
        )
    return cache["subordinates"]


def _load_subordinates(user: User) -> list[int]:
    from .models import User as UserModel

    table = UserModel._meta.db_table
    sql = (
        f"WITH RECURSIVE subs(id) AS ("  # noqa: S608 - table name from model meta
        f" SELECT id FROM {table} WHERE superior_id = %s"
        f" UNION SELECT u.id FROM {table} u JOIN subs s ON u.superior_id = s.id"
        f") SELECT id FROM subs"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk])
        return [row[0] for row in cursor.fetchall() if row[0] != user.pk]


def department_tree_ids(department_id: int | None) -> list[int]:
    if department_id is None:
        return []
    from .tree import tree

    return tree().descendants(department_id)


def department_and_above_ids(user: User) -> list[int]:
    """The user's department and every department above it: what a share with a department
    reaches (a saved view's, a pool's member departments) covers its sub-departments. From the
    request's department tree, cached for the user's request."""
    if not user.department_id:
        return []
    ctx = context.current()
    cache = ctx.cache if ctx is not None and ctx.user is not None and ctx.user.pk == user.pk else {}
    key = ("department_and_above", user.department_id)
    if key not in cache:
        from .tree import tree

        cache[key] = tree().ancestors(user.department_id)
    return cache[key]


def team_user_ids(user: User) -> list[int]:
    """The user and the people they lead: everyone below them in the reporting chain and the
    members of the departments (with their sub-departments) they manage. "My team" on lists."""
    cache = _cache(user)
    if "team" not in cache:
        cache["team"] = configcache.cached(("team", user.pk), lambda: _load_team(user))
    return cache["team"]


def _load_team(user: User) -> list[int]:
    from .models import Department
    from .models import User as UserModel

    managed = Department.objects.filter(manager_id=user.pk, is_active=True).values_list("pk", flat=True)
    departments = {d for pk in managed for d in department_tree_ids(pk)}
    members = UserModel.objects.filter(department_id__in=departments).values_list("pk", flat=True)
    return sorted({user.pk, *subordinate_ids(user), *members})


def _scope_filter(user: User, scope: str, person: str = "owner_id") -> Q:
    """The filter of ``scope`` for ``user``. On records ``person`` is the owner column; on
    users (``person="pk"``) the same filter selects the users whose records lie within the
    scope, because a record's department is its owner's."""
    own = Q(**{person: user.pk})
    if scope == Scope.ALL:
        return Q()
    if scope == Scope.OWN:
        return own
    if scope == Scope.SUBORDINATES:
        return Q(**{f"{person}__in": [user.pk, *subordinate_ids(user)]})
    if scope == Scope.DEPARTMENT:
        return own | Q(department_id=user.department_id) if user.department_id else own
    if scope == Scope.DEPARTMENT_TREE:
        cache = _cache(user)
        key = ("dept_tree", user.department_id)
        if key not in cache:
            cache[key] = department_tree_ids(user.department_id)
        return own | Q(department_id__in=cache[key]) if cache[key] else own
    raise ValueError(scope)


def assignable_users(actor: User | None, model: type[Model] | Model, action: str):
    """The active users ``actor`` may give records of ``model`` to when doing ``action``: the
    owner of a new record (``create``), a changed owner or assignee (``edit``), the new owner
    of a transfer (``transfer``). A record given to one of them lies within the actor's scope
    for that action (collaborations and model extras open single records to the actor; they
    never let the actor hand records to anybody). Empty without the function permission. The
    people pickers offer exactly these users and the services refuse anybody else."""
    users = active_users()
    scope = granted_scope(actor, model, action)
    if scope is None or actor is None:
        return users.none()
    return users.filter(_scope_filter(actor, scope, person="pk"))


def may_assign(actor: User | None, model: type[Model] | Model, action: str, user_id: int | None) -> bool:
    """Is the user with ``user_id`` one of ``assignable_users(actor, model, action)``?"""
    return user_id is not None and assignable_users(actor, model, action).filter(pk=user_id).exists()


def scope_q(user: User | None, model: type[Model] | Model, action: str = Action.VIEW) -> Q | None:
    """The filter of records of ``model`` on which ``user`` may do ``action``; ``None`` = none.
    The type's kind decides (``org.kinds``); computed once per request."""
    if user is None or not user.is_active:
        return None
    cache = _cache(user)
    key = ("q", object_type_key(model), action)
    if key not in cache:
        cache[key] = policy_for(model).scope_q(user, action)
    return cache[key]


def reach_q(user: User | None, model: type[Model] | Model, action: str) -> Q | None:
    """The records within the user's own reach for ``action`` — the scope without what
    collaborations and widenings open: what a record the user creates, edits or hands on must
    stay in (never a widened view scope)."""
    if user is None or not user.is_active:
        return None
    return policy_for(model).reach_q(user, action)


def owner_scope_q(user: User, scope: str) -> Q:
    """The owner/department filter of a data scope (owned records)."""
    return _scope_filter(user, scope)


def collaborators_q(user: User, model: type[Model], action: str) -> Q:
    """The records shared with the user as a collaborator: read for view, read-write for edit."""
    if action not in (Action.VIEW, Action.EDIT):
        return Q()
    from django.contrib.contenttypes.models import ContentType

    from .models import Collaborator

    content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
    shared = Collaborator.objects.filter(user_id=user.pk, content_type=content_type)
    if action == Action.EDIT:
        shared = shared.filter(access=CollaboratorAccess.WRITE)
    return _shared_q(shared, ("shared", user.pk, content_type.pk, action))


SHARED_INLINE = 200


def _shared_q(shared, key: tuple) -> Q:
    """The records shared with the user: the few ids inlined, or nothing when none are shared —
    an OR with a subquery makes PostgreSQL filter every row instead of using the owner/department
    indexes (a sequential scan to count a rep's accounts at a million rows; under a command's
    or job's context, 80 ms for a rep's accounts and 210 ms for his leads). Within a web/API
    request the ids are kept across requests until a share changes (collaborations are watched
    by ``core.configcache``); elsewhere (a worker lives long) they are read once per context,
    like the rest of the scope (``_cache``). For users with many shared records the subquery
    stays."""
    ctx = context.current()

    def load() -> list:
        return list(shared.values_list("object_id", flat=True)[: SHARED_INLINE + 1])

    ids = load() if ctx is None or ctx.request is None else configcache.cached(key, load)
    if len(ids) > SHARED_INLINE:
        return Q(pk__in=shared.values("object_id"))
    return Q(pk__in=ids) if ids else Q()


def restrict(queryset, user: User | None, action: str = Action.VIEW):
    """Limit ``queryset`` to what ``user`` may do ``action`` on (empty when nothing)."""
    q = scope_q(user, queryset.model, action)
    if q is None:
        return queryset.none()
    return queryset.filter(q) if q else queryset


def readable_record(user: User | None, model: type[Model], pk) -> Model | None:
    """The live record ``pk`` of ``model`` if ``user`` may read it — in their scope, or through
    a parent their kind reads it by (an activity on an account they may see) — else ``None``."""
    manager = getattr(model, "all_objects", model._default_manager)
    live = manager.filter(pk=pk)
    if any(f.name == "is_deleted" for f in model._meta.concrete_fields):
        live = live.filter(is_deleted=False)
    q = scope_q(user, model, Action.VIEW)
    if q is None or user is None:
        return None
    obj = live.filter(q).first()
    policy = policy_for(model)
    if obj is None and isinstance(policy, Owned) and policy.through:
        candidate = live.first()
        if candidate is not None and policy.readable_through(user, candidate):
            obj = candidate
    return obj


def can(user: User | None, obj: Model, action: str = Action.VIEW) -> bool:
    """May ``user`` do ``action`` on this one record? Checked in the database, never in Python.
    Reading a single record also follows the kind's child-like rule (an activity on an account
    the user may see)."""
    q = scope_q(user, obj, action)
    if q is None:
        return False
    model = type(obj)
    manager = getattr(model, "all_objects", model._default_manager)
    if manager.filter(q, pk=obj.pk).exists():
        return True
    return action == Action.VIEW and user is not None and policy_for(model).readable_through(user, obj)
