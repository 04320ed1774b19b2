"""Stage paths: a record's lifecycle as an ordered row of states, declared once per object type.

An object type declares ``stage_path = <a StagePath>`` in its registration. From that one
declaration the core renders the path on the record page (``core/partials/stage_path.html``),
moves a record in one tap (``<app>/<model>/<pk>/move/``, :mod:`lianke.core.views.stages`) and
lays records out on a board with a stage switcher on a phone (``core/partials/stage_board.html``).

A path answers four questions about a record:

- its states, in order, each with a label and a kind (open / won / lost): :meth:`StagePath.states`;
- which state is current: :meth:`StagePath.current`;
- which states it may move to now: :meth:`StagePath.targets` (declared transitions, or any);
- how to move: :meth:`StagePath.move` locks the row, checks the move against the state the
  record is in *now* (a parallel move waits, then is judged on the result) and hands it to the
  app's own rules (:meth:`StagePath.apply`: the app's service, or a save through
  ``core.services.save_record`` whose model ``clean()`` enforces the lifecycle). A move to a lost
  state carries what the path declares as its reason fields; the model says whether they are
  required.

:class:`ChoicePath` serves a field with choices and optional declared transitions (a lead's
status). An app with its own stage model subclasses :class:`StagePath` (opportunities move
through the stages of their stage set: ``lianke.sales.stages``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import events


class StateKind(models.TextChoices):
    OPEN = "open", gettext_lazy("Open")
    WON = "won", gettext_lazy("Won")
    LOST = "lost", gettext_lazy("Lost")


@dataclass(frozen=True)
class State:
    """One state of a lifecycle. ``value`` is what a move posts (a choice key or a primary key)."""

    value: str
    label: str
    kind: str = StateKind.OPEN

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
    ):
        self.field = field
        self.reason_fields = tuple(reason_fields)
        if reason_prompt is not None:
            self.reason_prompt = reason_prompt
        if reason_action is not None:
            self.reason_action = reason_action
        #: The template of a record's card on a board (its inner part; the board adds the frame).
        self.card_template = card_template
        self.model: type[models.Model] | None = None

    def bind(self, model: type[models.Model]) -> StagePath:
        """Called by the registry with the object type's model."""
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
        raise NotImplementedError

    def targets(self, obj) -> set[str]:
        """The states ``obj`` may move to now (default: any other state)."""
        current = self.current(obj)
        return {s.value for s in self.states(obj) if s.value != current}

    def apply(self, *, actor, obj, state: State, reason: Mapping[str, str]):
        """Move ``obj`` (locked, the move checked) to ``state``; return the saved record."""
        raise NotImplementedError

    def unknown_state_error(self, obj, value: str) -> ValidationError:
        return ValidationError({self.field: _("Choose one of the states on the path.")})

    # ------------------------------------------------------------------ shared behaviour
    def resolve(self, obj, value: str) -> State:
        for state in self.states(obj):
            if state.value == str(value):
                return state
        raise self.unknown_state_error(obj, value)

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
        reachable from the current one is refused with an error on the field.
        """
        with transaction.atomic():
            obj = self.lock(obj)
            state = self.resolve(obj, value)
            current = self.current(obj)
            if state.value == current:
                return obj, False
            if state.value not in self.targets(obj):
                labels = {s.value: s.label for s in self.states(obj)}
                raise ValidationError(
                    {
                        self.field: _("“%(record)s” cannot move from “%(old)s” to “%(new)s”.")
                        % {"record": obj, "old": labels.get(current, current), "new": state.label}
                    }
                )
            reason = reason or {}
            given = {}
            if state.kind == StateKind.LOST:
                given = {name: str(reason.get(name, "")).strip() for name in self.reason_fields}
            saved = self.apply(actor=actor, obj=obj, state=state, reason=given)
            events.emit(
                events.TRANSITIONED,
                saved,
                [saved.pk],
                actor=actor,
                field=self.field,
                **{"from": current, "to": state.value},
            )
            return saved, True


def path_context(ot, obj, *, can_edit: bool) -> dict | None:
    """What ``core/partials/stage_path.html`` draws for ``obj`` (``None``: no path declared)."""
    path = ot.stage_path
    if path is None:
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
    with ``state``, ``cards``, ``count`` and optionally ``more`` (cards not shown), ``note`` and
    ``summary`` (texts in the column's header). On a phone one column shows at a time: the one
    ``requested`` (``?tab=``), else the first with cards."""
    from lianke.org import access
    from lianke.org.choices import Action

    path = ot.stage_path
    values = [c["state"].value for c in columns]
    active = requested if requested in values else None
    if active is None:
        active = next((c["state"].value for c in columns if c["count"]), values[0] if values else None)
    can_move = access.has_action(user, ot.model, Action.EDIT)
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
    won and the lost ones. ``transitions`` (``{state: {states it may go to}}``) limits the moves;
    states in ``workflow_only`` show on the path but are reached by their own action (a lead is
    converted by the conversion, not by a tap)."""

    def __init__(
        self,
        field: str,
        *,
        kinds: Mapping[str, str] | None = None,
        transitions: Mapping[str, Iterable[str]] | None = None,
        workflow_only: Iterable[str] = (),
        **options,
    ):
        super().__init__(field, **options)
        self.kinds = {str(k): str(v) for k, v in (kinds or {}).items()}
        self.transitions = (
            {str(k): {str(v) for v in vs} for k, vs in transitions.items()}
            if transitions is not None
            else None
        )
        self.workflow_only = {str(v) for v in workflow_only}

    def states(self, obj) -> list[State]:
        states = [
            State(str(value), str(label), self.kinds.get(str(value), StateKind.OPEN))
            for value, label in self.model_field().flatchoices
        ]
        rank: dict[str, int] = {StateKind.OPEN: 0, StateKind.WON: 1, StateKind.LOST: 2}
        return sorted(states, key=lambda s: rank.get(s.kind, 0))  # stable: choice order kept

    def current(self, obj) -> str:
        return str(getattr(obj, self.field))

    def targets(self, obj) -> set[str]:
        current = self.current(obj)
        if self.transitions is None:
            allowed = {s.value for s in self.states(obj)} - {current}
        else:
            allowed = set(self.transitions.get(current, ()))
        return allowed - self.workflow_only

    def apply(self, *, actor, obj, state: State, reason: Mapping[str, str]):
        from . import services

        setattr(obj, self.field, state.value)
        for name, value in reason.items():
            setattr(obj, name, value)
        return services.save_record(actor=actor, instance=obj)
