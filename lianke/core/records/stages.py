"""Lifecycles declared once: a record's states as an ordered path, with its transitions.

An object type declares ``stage_path = <a StagePath>`` in its registration. From that one
declaration the core

- **enforces** it on every write: a before-write rule (``core.records.events``) registered by the
  registry refuses an undeclared transition, a state reached only by its own workflow, a move
  without the permission a state declares, and a move a guard refuses — for forms, the API, bulk
  edit, batches, imports and jobs alike, with a stable code (``transition_not_allowed``,
  ``transition_guarded``) and a message naming the field; never a silent field write;
- **announces** every transition as a ``transitioned`` event (``{"field", "from", "to"}``),
  once per record or once per batch, after the ``updated`` one (``core.records.services``); history
  records it like any change, and the record's timeline shows it;
- **draws** the path on the record page (``core/partials/stage_path.html``), moves a record in
  one tap (``<app>/<model>/<pk>/move/``, :mod:`lianke.core.views.stages`) and lays records out on
  a **board** (``<app>/<model>/board/``: columns by state, drag & drop, a state switcher on a
  phone; ``core/partials/stage_board.html``).

A path answers a few questions about a record:

- its states, in order, each with a label and a kind (open / won / lost): :meth:`StagePath.states`;
- which state is current: :meth:`StagePath.current`;
- which states it may go to from a state: :meth:`StagePath.transitions_from` (declared
  transitions, or any other state); :meth:`StagePath.targets` is what a tap may reach now
  (without the states reached by their own workflow, like a lead's conversion);
- how to move: :meth:`StagePath.move` locks the row, checks the move against the state the
  record is in *now* (a parallel move waits, then is judged on the result) and hands it to
  :meth:`StagePath.apply` (a save through ``core.records.services.save_record``, or the app's service).
  A move to a lost state carries what the path declares as its reason fields.

Options every path takes: ``condition`` (``{"kind": "task"}``: only such records have the
lifecycle), ``actions`` (``{state: action}``: the permission a move there needs besides edit),
``guards`` (``guard(record, state) -> message | None``), ``sum_field`` (a board column's total).

:class:`ChoicePath` serves a field with choices (a lead's status; a task's done flag, with the
states named in ``choices``). An app with its own stage model subclasses :class:`StagePath`
(opportunities move through the stages of their stage set: ``lianke.sales.stages``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import events

#: A guard: ``guard(record, state)`` returns the reason a move is refused, or ``None``.
Guard = Callable[[Any, "State"], "str | None"]

# States reached only by their own workflow that the running code may enter now
# (``StagePath.workflow``): (object type key, state value) pairs.
_workflow: contextvars.ContextVar[frozenset[tuple[str, str]]] = contextvars.ContextVar(
    "lianke_lifecycle_workflow", default=frozenset()
)


class StateKind(models.TextChoices):
    OPEN = "open", gettext_lazy("Open")
    WON = "won", gettext_lazy("Won")
    LOST = "lost", gettext_lazy("Lost")


@dataclass(frozen=True)
class State:
    """One state of a lifecycle. ``value`` is what a move posts (a choice key or a primary key);
    ``note`` a short text a board shows beside the label (an opportunity stage's probability)."""

    value: str
    label: str
    kind: str = StateKind.OPEN
    note: str = ""

    @property
    def is_closed(self) -> bool:
        return self.kind != StateKind.OPEN


@dataclass(frozen=True)
class Step:
    """A state as one record's path shows it: before, at or after the current one, and
    whether this user may move the record there with one tap."""

    state: State
    position: str  # "done" | "current" | "ahead"
    can_move: bool

    @property
    def is_current(self) -> bool:
        return self.position == "current"


def _refusal(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


class StagePath:
    """The lifecycle of an object type over one of its fields (see the module docstring)."""

    #: Label of the reason dialog and of its confirm button, for moves to a lost state.
    reason_prompt = gettext_lazy("Why was it lost?")
    reason_action = gettext_lazy("Mark as lost")

    def __init__(
        self,
        field: str,
        *,
        reason_fields: Iterable[str] = (),
        reason_prompt=None,
        reason_action=None,
        card_template: str | None = None,
        workflow_only: Iterable[str] = (),
        condition: Mapping[str, Any] | None = None,
        actions: Mapping[str, str] | None = None,
        guards: Iterable[Guard] = (),
        sum_field: str | None = None,
    ):
        self.field = field
        self.reason_fields = tuple(reason_fields)
        if reason_prompt is not None:
            self.reason_prompt = reason_prompt
        if reason_action is not None:
            self.reason_action = reason_action
        #: The template of a record's card on a board (its inner part; the board adds the frame).
        self.card_template = card_template or "core/partials/board_card.html"
        #: States on the path that only their own workflow reaches (a lead's conversion).
        self.workflow_only = {str(v) for v in workflow_only}
        #: Only records matching these field values have the lifecycle (tasks among activities).
        self.condition = dict(condition or {})
        #: The action (besides edit) a move to a state needs: ``{state value: action}``.
        self.actions = {str(k): str(v) for k, v in (actions or {}).items()}
        self.guards = tuple(guards)
        #: A number field a board column totals (an opportunity's amount).
        self.sum_field = sum_field
        self.model: type[models.Model] | None = None

    def bind(self, model: type[models.Model]) -> StagePath:
        """Called by the registry with the object type's model: the path is enforced on every
        write of the type from now on (a before-write rule)."""
        if self.model is None:
            events.rule(
                self.check_write, object_type=events.type_key(model), actions=(events.CREATE, events.EDIT)
            )
        self.model = model
        return self

    def model_field(self, name: str | None = None) -> models.Field:
        assert self.model is not None
        field = self.model._meta.get_field(name or self.field)
        assert isinstance(field, models.Field)
        return field

    @property
    def label(self) -> str:
        return str(capfirst(self.model_field().verbose_name))

    # ------------------------------------------------------------------ what a path declares
    def states(self, obj) -> list[State]:
        """The states of ``obj``'s lifecycle, in order."""
        raise NotImplementedError

    def current(self, obj) -> str:
        """The value of the state ``obj`` is in."""
        return self.value_of(getattr(obj, self.model_field().attname))

    def transitions_from(self, value: str, obj) -> set[str]:
        """The states a record in state ``value`` may go to (default: any other state of
        ``obj``'s path)."""
        return {s.value for s in self.states(obj) if s.value != value}

    def apply(self, *, actor, obj, state: State, reason: Mapping[str, str]):
        """Move ``obj`` (locked, the move checked) to ``state``; return the saved record.
        Default: set the field (and the reason fields) and save through the write pipeline."""
        from . import services

        setattr(obj, self.model_field().attname, self.model_field().to_python(state.value))
        for name, value in reason.items():
            setattr(obj, name, value)
        return services.save_record(actor=actor, instance=obj)

    def unknown_state_error(self, obj, value: str) -> ValidationError:
        return _refusal(self.field, _("Choose one of the states on the path."), "invalid_state")

    # ------------------------------------------------------------------ shared behaviour
    @staticmethod
    def value_of(stored) -> str:
        """A stored value (a choice key, a primary key, a flag) as a state's value."""
        return str(stored)

    def applies(self, obj) -> bool:
        """Whether ``obj`` has this lifecycle (see ``condition``)."""
        return all(getattr(obj, name) == value for name, value in self.condition.items())

    def targets(self, obj) -> set[str]:
        """The states ``obj`` may move to now with a tap (its own workflows reach the others)."""
        return self.transitions_from(self.current(obj), obj) - self.workflow_only

    def resolve(self, obj, value: str) -> State:
        for state in self.states(obj):
            if state.value == str(value):
                return state
        raise self.unknown_state_error(obj, value)

    @contextmanager
    def workflow(self, *values: str) -> Iterator[None]:
        """Let the code inside enter the workflow-only ``values`` (the lead conversion wraps its
        save in ``path.workflow(LeadStatus.CONVERTED)``); nothing else can."""
        assert self.model is not None
        key = events.type_key(self.model)
        token = _workflow.set(_workflow.get() | {(key, str(v)) for v in values})
        try:
            yield
        finally:
            _workflow.reset(token)

    def check_write(self, actor, record, action: str, before: dict | None) -> None:
        """The before-write rule: ``record`` may be written in its state (see the docstring)."""
        if not self.applies(record):
            return
        new = self.current(record)
        old = None if before is None else self.value_of(before.get(self.field))
        if new == old:
            return
        state = self.resolve(record, new)
        entered = {value for key, value in _workflow.get() if key == events.type_key(record)}
        if state.value in self.workflow_only and state.value not in entered:
            raise _refusal(
                self.field,
                _("“%(state)s” is reached through its own action, not by changing the field.")
                % {"state": state.label},
                "transition_not_allowed",
            )
        # A record that enters the lifecycle now (created, or become e.g. a task) may start in
        # any state; otherwise only the declared transitions are open.
        entering = before is None or not self.applies(_Snapshot(before))
        if not entering and state.value not in self.transitions_from(old or "", record):
            labels = {s.value: s.label for s in self.states(record)}
            raise _refusal(
                self.field,
                _("“%(record)s” cannot move from “%(old)s” to “%(new)s”.")
                % {"record": record, "old": labels.get(old or "", old), "new": state.label},
                "transition_not_allowed",
            )
        needed = self.actions.get(state.value)
        if needed and actor is not None:
            from lianke.org import access

            allowed = (
                access.can(actor, record, needed)
                if record.pk
                else access.has_action(actor, type(record), needed)
            )
            if not allowed:
                raise PermissionDenied(
                    _("You do not have permission to move records to “%(state)s”.") % {"state": state.label}
                )
        for guard in self.guards:
            message = guard(record, state)
            if message:
                raise _refusal(self.field, str(message), "transition_guarded")

    def moves(self, entries) -> dict[tuple[str, str], list[int]]:
        """``{(from, to): [ids]}`` of the written ``entries`` (``(action, record, before,
        after)`` as the write pipeline records them) that changed state."""
        moves: dict[tuple[str, str], list[int]] = {}
        for _action, record, before, after in entries:
            if not before or not isinstance(after, dict) or not self.applies(record):
                continue
            old, new = self.value_of(before.get(self.field)), self.value_of(after.get(self.field))
            if old != new:
                moves.setdefault((old, new), []).append(record.pk)
        return moves

    def steps(self, obj, *, can_edit: bool) -> list[Step]:
        states = self.states(obj)
        current = self.current(obj)
        targets = self.targets(obj) if can_edit else set()
        index = next((i for i, s in enumerate(states) if s.value == current), -1)
        # The open states before the current one were passed — unless the record was lost
        # (where it left the path is not known).
        passed = index if index >= 0 and states[index].kind != StateKind.LOST else 0
        return [
            Step(
                state=s,
                position="current" if i == index else ("done" if i < passed and not s.is_closed else "ahead"),
                can_move=s.value in targets,
            )
            for i, s in enumerate(states)
        ]

    def reason_form(self, data=None) -> forms.Form:
        """The reason fields as a small form (the dialog a move to a lost state opens)."""
        assert self.model is not None
        fields = forms.fields_for_model(self.model, fields=self.reason_fields)
        for position, (_name, field) in enumerate(fields.items()):
            field.required = position == 0
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css + " mb-2")
        return type("ReasonForm", (forms.Form,), fields)(data)

    def lock(self, obj):
        """``obj`` as stored now, its row locked until the transaction ends (PostgreSQL: FOR
        UPDATE; SQLite: the write transaction is IMMEDIATE, so moves queue anyway)."""
        manager = getattr(type(obj), "all_objects", type(obj)._default_manager)
        return manager.select_for_update().get(pk=obj.pk)

    def move(self, *, actor, obj, value: str, reason: Mapping[str, Any] | None = None):
        """Move ``obj`` to the state ``value`` as ``actor``: ``(record, moved)``.

        One transaction: the row is locked and read again, so two parallel moves apply one
        after the other and each is judged against the state the other left. Moving to the
        state the record is already in changes nothing. A state that is not on the path or not
        reachable from the current one is refused with an error on the field (and the write
        pipeline's rule checks it again, with the permission and the guards).
        """
        with transaction.atomic():
            obj = self.lock(obj)
            if not self.applies(obj):
                raise _refusal(self.field, _("This record has no such lifecycle."), "invalid_state")
            state = self.resolve(obj, value)
            current = self.current(obj)
            if state.value == current:
                return obj, False
            if state.value not in self.targets(obj):
                labels = {s.value: s.label for s in self.states(obj)}
                raise _refusal(
                    self.field,
                    _("“%(record)s” cannot move from “%(old)s” to “%(new)s”.")
                    % {"record": obj, "old": labels.get(current, current), "new": state.label},
                    "transition_not_allowed",
                )
            reason = reason or {}
            given = {}
            if state.kind == StateKind.LOST:
                given = {name: str(reason.get(name, "")).strip() for name in self.reason_fields}
            return self.apply(actor=actor, obj=obj, state=state, reason=given), True

    # ------------------------------------------------------------------ the board
    def board(self, request, queryset) -> tuple[list[State], models.QuerySet, dict]:
        """What a board shows for ``request``: its states (columns), the records on it, and
        extra context for its controls (a template in ``controls_template``)."""
        return self.states(None), queryset.filter(**self.condition), {}

    def state_q(self, state: State) -> Q:
        """The records in ``state``."""
        return Q(**{self.model_field().attname: self.model_field().to_python(state.value)})


class _Snapshot:
    """A history snapshot read like a record (``applies`` on the state before a write)."""

    def __init__(self, data: dict):
        self.__dict__.update(data)


def path_context(ot, obj, *, can_edit: bool) -> dict | None:
    """What ``core/partials/stage_path.html`` draws for ``obj`` (``None``: no lifecycle)."""
    path = ot.stage_path
    if path is None or not path.applies(obj):
        return None
    from lianke.org import fieldaccess

    fields = fieldaccess.current(ot.model)
    if not fields.visible(path.field):
        return None  # a hidden stage is no path either
    # A stage the reader may not change is a path to look at (the service refuses the move too).
    steps = path.steps(obj, can_edit=can_edit and fields.editable(path.field))
    can_move = any(step.can_move for step in steps)
    return {
        "path": path,
        "steps": steps,
        "can_move": can_move,
        "move_url": ot.url("move", pk=obj.pk),
        "reason_form": path.reason_form() if can_move and path.reason_fields else None,
    }


def board_context(ot, user, columns: list[dict], requested: str | None = None) -> dict:
    """What ``core/partials/stage_board.html`` draws. ``columns``: one dict per state, in order,
    with ``state``, ``cards``, ``count`` and optionally ``more`` (cards not shown) and
    ``summary`` (a text in the column's header). On a phone one column shows at a time: the one
    ``requested`` (``?tab=``), else the first with cards."""
    from lianke.org import access
    from lianke.org.choices import Action

    path = ot.stage_path
    values = [c["state"].value for c in columns]
    active = requested if requested in values else None
    if active is None:
        active = next((c["state"].value for c in columns if c["count"]), values[0] if values else None)
    from lianke.org import fieldaccess

    # A state one may not change (field permissions) is a board to look at.
    can_move = access.has_action(user, ot.model, Action.EDIT) and fieldaccess.field_access(
        user, ot.model
    ).editable(path.field)
    return {
        "path": path,
        "columns": columns,
        "active": active,
        "can_move": can_move,
        "card_template": path.card_template,
        "move_url_template": ot.url_list + "__pk__/move/",
        "reason_form": path.reason_form() if can_move and path.reason_fields else None,
    }


class ChoicePath(StagePath):
    """A lifecycle over a field with choices: open states in the order of the choices, then the
    won and the lost ones. ``choices`` names the states where the field has none (a flag);
    ``transitions`` (``{state: {states it may go to}}``) limits the moves."""

    def __init__(
        self,
        field: str,
        *,
        kinds: Mapping[Any, str] | None = None,
        transitions: Mapping[Any, Iterable[Any]] | None = None,
        choices: Iterable[tuple[Any, Any]] | None = None,
        **options,
    ):
        super().__init__(field, **options)
        self.kinds = {str(k): str(v) for k, v in (kinds or {}).items()}
        self.transitions = (
            {str(k): {str(v) for v in vs} for k, vs in transitions.items()}
            if transitions is not None
            else None
        )
        self.choices = tuple(choices) if choices is not None else None

    def states(self, obj) -> list[State]:
        choices = self.choices if self.choices is not None else self.model_field().flatchoices
        states = [
            State(str(value), str(label), self.kinds.get(str(value), StateKind.OPEN))
            for value, label in choices
        ]
        rank: dict[str, int] = {StateKind.OPEN: 0, StateKind.WON: 1, StateKind.LOST: 2}
        return sorted(states, key=lambda s: rank.get(s.kind, 0))  # stable: choice order kept

    def transitions_from(self, value: str, obj) -> set[str]:
        if self.transitions is None:
            return super().transitions_from(value, obj)
        return set(self.transitions.get(value, ()))
