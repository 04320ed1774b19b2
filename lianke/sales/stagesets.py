"""Stage sets edited in the settings console (*Settings › Stage sets*): a set and its stages
saved as one whole, through :func:`save_stage_set`.

One transaction: every set's row locked in id order (the default moves between them) and the
set read again, the config kind asked (``org.access``: administrators), the whole checked before
anything is written, and the change recorded as configuration history (``audit.config_snapshot``
of the set with its stages, before → after; a set that loses the default gets its own entry).
A form carries the set's fingerprint (``console.services.state_of``): a save over someone
else's change since is refused with ``version_conflict``. The rules:

- every stage has a name; names are unique within the set (``unique``);
- a won stage has a probability of 100 %, a lost one 0 %, any other 0–100 (``inconsistent``,
  ``out_of_range``);
- a set has at least one open, one won and one lost stage (``stages_incomplete``);
- a stage that opportunities are in (deleted ones included) is not removed and does not change
  its kind (``stage_in_use``, with their count);
- exactly one active set is the default: a set made default takes it from the others; the
  default set is neither un-defaulted nor deactivated (``default_required``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from lianke.console import services as console
from lianke.core.errors import FieldCode, RecordCode, SettingsCode
from lianke.core.models import ObjectChange
from lianke.core.records import audit
from lianke.org import access
from lianke.org.choices import Action

from .choices import StageKind
from .models import Opportunity, Stage, StageSet

RELATED = ("stages",)
SET_FIELDS = ("name", "name_en", "description", "is_default", "is_active")
STAGE_FIELDS = ("name", "name_en", "probability", "kind")
NAME_LENGTH = 100  # Stage.name and Stage.name_en


def state_of(stage_set: StageSet) -> str:
    """The fingerprint of a set with its stages, as a form carries it."""
    return console.state_of(stage_set, RELATED)


def _refuse(actor, action: str, obj=None) -> None:
    allowed = (
        access.can(actor, obj, action) if obj is not None else access.has_action(actor, StageSet, action)
    )
    if not allowed:
        raise PermissionDenied(_("Only administrators may change these settings."))


def _stage_label(position: int, name: str) -> str:
    return (
        _("Stage %(n)s “%(name)s”") % {"n": position, "name": name}
        if name
        else _("Stage %(n)s") % {"n": position}
    )


def _check_stages(stages: Sequence[Mapping[str, Any]]) -> list[ValidationError]:
    """What is wrong with the posted stages (each message names its stage)."""
    errors: list[ValidationError] = []
    seen: dict[str, int] = {}
    kinds = set()
    for position, row in enumerate(stages, start=1):
        name = str(row.get("name") or "").strip()
        label = _stage_label(position, name)
        if not name:
            errors.append(
                ValidationError(_("%(stage)s: give it a name.") % {"stage": label}, code=FieldCode.REQUIRED)
            )
        else:
            for key in {name.casefold(), str(row.get("name_en") or "").strip().casefold()} - {""}:
                if key in seen:
                    errors.append(
                        ValidationError(
                            _("%(stage)s: the set already has a stage of this name.") % {"stage": label},
                            code=FieldCode.UNIQUE,
                        )
                    )
                    break
            for key in {name.casefold(), str(row.get("name_en") or "").strip().casefold()} - {""}:
                seen.setdefault(key, position)
        longest = max(len(name), len(str(row.get("name_en") or "").strip()))
        if longest > NAME_LENGTH:
            errors.append(
                ValidationError(
                    _("%(stage)s: a name has at most %(max)s characters.")
                    % {"stage": label, "max": NAME_LENGTH},
                    code=FieldCode.TOO_LONG,
                )
            )
        kind = row.get("kind")
        if kind not in StageKind.values:
            errors.append(
                ValidationError(
                    _("%(stage)s: choose its kind.") % {"stage": label}, code=FieldCode.INVALID_CHOICE
                )
            )
            continue
        kinds.add(kind)
        probability = row.get("probability")
        if not isinstance(probability, int) or not 0 <= probability <= 100:
            errors.append(
                ValidationError(
                    _("%(stage)s: the probability is a whole number from 0 to 100.") % {"stage": label},
                    code=FieldCode.OUT_OF_RANGE,
                )
            )
        elif kind == StageKind.WON and probability != 100:
            errors.append(
                ValidationError(
                    _("%(stage)s: a won stage has a probability of 100%%.") % {"stage": label},
                    code=FieldCode.INCONSISTENT,
                )
            )
        elif kind == StageKind.LOST and probability != 0:
            errors.append(
                ValidationError(
                    _("%(stage)s: a lost stage has a probability of 0%%.") % {"stage": label},
                    code=FieldCode.INCONSISTENT,
                )
            )
    if not errors and not {StageKind.OPEN, StageKind.WON, StageKind.LOST} <= kinds:
        errors.append(
            ValidationError(
                _("A stage set needs at least one open stage, one won stage and one lost stage."),
                code=SettingsCode.STAGES_INCOMPLETE,
            )
        )
    return errors


def save_stage_set(
    *,
    actor,
    stage_set: StageSet | None = None,
    stages: Sequence[Mapping[str, Any]],
    expected_state: str | None = None,
    **changes,
) -> StageSet:
    """Create a stage set or change one: its own fields (``name``, ``name_en``,
    ``description``, ``is_default``, ``is_active``) and its stages, in their order. Each of
    ``stages`` is ``{"id": <a stage of this set> or None for a new one, "name", "name_en",
    "probability", "kind"}``; a stored stage left out is removed. Nothing is written unless
    everything is valid (see the module docstring)."""
    unknown = set(changes) - set(SET_FIELDS)
    if unknown:
        raise ValueError(f"Not a stage set setting: {sorted(unknown)}")
    with transaction.atomic():
        # Every set locked in id order first (a company has a handful): two saves that each make
        # a set the default queue instead of deadlocking on each other's rows.
        list(StageSet.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        if stage_set is None:
            _refuse(actor, Action.CREATE)
            stored, before = StageSet(), None
        else:
            stored = StageSet.objects.select_for_update().get(pk=stage_set.pk)
            _refuse(actor, Action.EDIT, stored)
            before = audit.config_snapshot(stored, RELATED)
            console._check_state(before, expected_state)
        was_default = stored.is_default and stored.pk is not None
        for name, value in changes.items():
            setattr(stored, name, value.strip() if isinstance(value, str) else value)
        field_errors: dict[str, list[ValidationError]] = {}
        try:
            stored.full_clean()
        except ValidationError as exc:
            field_errors.update(exc.error_dict)
        if was_default and not stored.is_default:
            field_errors.setdefault("is_default", []).append(
                ValidationError(
                    _("There is always one default stage set: make another set the default instead."),
                    code=SettingsCode.DEFAULT_REQUIRED,
                )
            )
        if stored.is_default and not stored.is_active:
            field_errors.setdefault("is_active", []).append(
                ValidationError(
                    _("The default stage set stays active: make another set the default first."),
                    code=SettingsCode.DEFAULT_REQUIRED,
                )
            )
        duplicate = StageSet.objects.filter(name__iexact=stored.name).exclude(pk=stored.pk)
        if stored.name and duplicate.exists():
            field_errors.setdefault("name", []).append(
                ValidationError(_("Another stage set has this name."), code=FieldCode.UNIQUE)
            )
        existing = {s.pk: s for s in (stored.stages.select_for_update() if stored.pk else [])}
        posted_ids = [row.get("id") for row in stages if row.get("id")]
        if len(posted_ids) != len(set(posted_ids)) or set(posted_ids) - set(existing):
            raise ValidationError(
                _("The stages changed since you opened this page. Reload it and make your change again."),
                code=RecordCode.VERSION_CONFLICT,
            )
        stage_errors = _check_stages(stages)
        # how many opportunities are in each stage of the set: one query
        in_use = dict(
            Opportunity.all_objects.filter(stage__in=list(existing))
            .values_list("stage")
            .annotate(n=models.Count("id"))
            .values_list("stage", "n")
        )
        removed = [existing[pk] for pk in set(existing) - set(posted_ids)]
        for stage in sorted(removed, key=lambda s: (s.order, s.pk)):
            count = in_use.get(stage.pk, 0)
            if count:
                stage_errors.append(
                    ValidationError(
                        _(
                            "“%(name)s” cannot be removed: %(count)s opportunities are in it. "
                            "Move them to another stage first."
                        )
                        % {"name": stage, "count": count},
                        code=SettingsCode.STAGE_IN_USE,
                    )
                )
        for row in stages:
            stage = existing.get(row.get("id"))
            if stage is None or row.get("kind") == stage.kind or row.get("kind") not in StageKind.values:
                continue
            count = in_use.get(stage.pk, 0)
            if count:  # an open deal would be closed (or a closed one reopened) behind its back
                stage_errors.append(
                    ValidationError(
                        _(
                            "The kind of “%(name)s” cannot change: %(count)s opportunities are in it. "
                            "Move them to another stage first."
                        )
                        % {"name": stage, "count": count},
                        code=SettingsCode.STAGE_IN_USE,
                    )
                )
        if stage_errors:
            field_errors["stages"] = stage_errors
        if field_errors:
            raise ValidationError(field_errors)

        others = []
        if stored.is_default and not was_default:
            for other in StageSet.objects.filter(is_default=True).exclude(pk=stored.pk):
                others.append((other, audit.config_snapshot(other, RELATED)))
        elif stored.pk is None and not StageSet.objects.filter(is_default=True).exists():
            stored.is_default = True  # the first set is the default
        stored.save()
        for other, _before in others:
            other.is_default = False
            other.save(update_fields=["is_default"])
        for stage in removed:
            stage.delete()
        for order, row in enumerate(stages, start=1):
            stage = existing.get(row.get("id")) or Stage(stage_set=stored)
            stage.name = str(row.get("name") or "").strip()
            stage.name_en = str(row.get("name_en") or "").strip()
            stage.probability = row["probability"]
            stage.kind = row["kind"]
            stage.order = order * 10
            stage.save()
        action = ObjectChange.ActionChoices.CREATE if before is None else ObjectChange.ActionChoices.UPDATE
        audit.record(action, stored, before, audit.config_snapshot(stored, RELATED), actor=actor)
        for other, snap in others:
            audit.record(
                ObjectChange.ActionChoices.UPDATE,
                other,
                snap,
                audit.config_snapshot(other, RELATED),
                actor=actor,
            )
        return stored
