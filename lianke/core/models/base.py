"""The base every business object inherits: owner and department (for data scopes), custom
fields, timestamps, soft delete (recycle bin) and a fail-closed, scope-restricted manager."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from lianke.core import context
from lianke.core.fields import derived_fields
from lianke.org import access
from lianke.org.choices import Action

security_log = logging.getLogger("lianke.security")


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class BusinessQuerySet(models.QuerySet):
    def restrict(self, user, action: str = Action.VIEW):
        """Further limit to the records on which ``user`` may do ``action`` (e.g. edit)."""
        return access.restrict(self, user, action)


class BusinessManager(models.Manager):
    """Default manager: live (not deleted) records the current context may see.

    Outside an access context it raises instead of returning everything (fail closed).
    """

    _queryset_class = BusinessQuerySet

    def restrict(self, user, action: str = Action.VIEW):
        return self.get_queryset().restrict(user, action)

    def get_queryset(self):
        qs = super().get_queryset().filter(is_deleted=False)
        ctx = context.require()
        if ctx.system:
            return qs
        return access.restrict(qs, ctx.user, Action.VIEW)

    def none(self):
        # An empty queryset reads nothing, so it needs no context (schema generation uses it).
        return self._queryset_class(model=self.model, using=self._db).none()


class AllObjectsManager(models.Manager):
    """Every row, deleted or not, unrestricted: only for system code that restricts explicitly."""

    _queryset_class = BusinessQuerySet


def scope_indexes(prefix: str, key: str = "updated_at", suffix: str = "upd") -> list[models.Index]:
    """The indexes every business list needs: the default order, and that order within an
    owner's and within a department's live records (what the data scopes filter on), each
    ending in ``id`` for keyset pages. ``is_deleted`` after the owner or department lets a
    scope's capped count read the index alone: a department tree's 10,001 rows took 18 ms on
    SQLite through the table, 2 ms through the index."""
    return [
        models.Index(fields=[key, "id"], name=f"{prefix}_{suffix}"),
        models.Index(fields=["owner", "is_deleted", key, "id"], name=f"{prefix}_own_{suffix}"),
        models.Index(fields=["department", "is_deleted", key, "id"], name=f"{prefix}_dep_{suffix}"),
    ]


def set_only_indexes(prefix: str, *fields: str) -> list[models.Index]:
    """Indexes of foreign keys that most rows leave empty — who deleted a record, its parent
    account, its pool —, holding only the rows that have one: an insert without one writes
    nothing to them (the batch path's budget is counted in microseconds a row). A lookup by the
    key (``field = x``: related lists, deletes) implies it is set, and both databases then use
    the partial index; the system check W002 counts it as the key's index."""
    return [
        models.Index(
            fields=[name], condition=models.Q(**{f"{name}__isnull": False}), name=f"{prefix}_{name}_set"
        )
        for name in fields
    ]


class CustomFieldsModel(models.Model):
    """Administrator-defined fields (one JSON column; ``core.CustomField`` defines them)."""

    custom_data = models.JSONField(_("custom fields"), default=dict, blank=True, editable=False)

    class Meta:
        abstract = True


class SoftDeleteModel(models.Model):
    """Deletion to the recycle bin (restorable; a batch keeps what was deleted together)."""

    is_deleted = models.BooleanField(_("deleted"), default=False, editable=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,  # set_only_indexes(…, "deleted_by") in each model's Meta
    )
    deletion_batch = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class CreatedByModel(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True


class OwnedModel(models.Model):
    """An owner and the owner's department (what the data scopes filter on)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The owner's department; set automatically."),
        db_index=False,
    )

    class Meta:
        abstract = True


class Record(TimestampedModel, CustomFieldsModel, SoftDeleteModel, CreatedByModel):
    """What every business record has, whatever its kind (``org.kinds``): timestamps, custom
    fields, the recycle bin, who created it, and the fail-closed, scope-restricted manager."""

    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by one on every change.")
    )

    objects = BusinessManager()
    all_objects = AllObjectsManager()

    class Meta:
        abstract = True
        ordering = ["-updated_at", "-id"]

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is not None:
            # A field saved alone takes its derived columns along (computed in their pre_save).
            named = set(kwargs["update_fields"])
            kwargs["update_fields"] = [
                *named,
                *(f.name for f in derived_fields(type(self)) if f.source in named),
            ]
        super().save(*args, **kwargs)
        self.remember_loaded()  # what is stored now: the next write compares with it

    def get_absolute_url(self):
        return self.object_type.record_url(self.pk)

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance.remember_loaded(dict(zip(field_names, values, strict=True)))
        return instance

    def remember_loaded(self, values: dict | None = None) -> None:
        """Keep the column values as read (or as just written): the write pipeline compares
        them with the instance to know what a form or a PATCH changed — and writes only that."""
        if values is None:
            values = {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}
        if isinstance(values.get("custom_data"), dict):
            values["custom_data"] = dict(values["custom_data"])
        self._loaded = values

    def loaded_values(self) -> dict | None:
        """The column values as read from the database (``None`` for a record built in memory)."""
        return getattr(self, "_loaded", None)

    # Uniqueness must be checked against every row, not just the visible ones, or a hidden
    # duplicate would surface as an IntegrityError (a 500) instead of a clear form error.
    def _perform_unique_checks(self, unique_checks):
        with context.system_context():
            return super()._perform_unique_checks(unique_checks)

    def validate_constraints(self, exclude=None):
        actor = getattr(context.current(), "user", None)
        with context.system_context():
            try:
                return super().validate_constraints(exclude=exclude)
            except ValidationError as exc:
                self._log_duplicates(exc, actor)
                raise

    def _log_duplicates(self, exc: ValidationError, actor) -> None:
        """A refused duplicate tells the user that a record with this value exists somewhere
        (possibly out of their reach), never which: a deliberate choice (README, Security).
        Each attempt is logged for review — who, which field, never the whole value."""
        for name, errors in getattr(exc, "error_dict", {}).items():
            if any(getattr(e, "code", None) == "unique" for e in errors):
                value = str(getattr(self, name, "") or "")
                security_log.warning(
                    "Duplicate refused: user=%s object=%s field=%s value=%s",
                    getattr(actor, "username", "-"),
                    self._meta.label_lower,
                    name,
                    f"{value[:4]}…" if len(value) > 4 else "…",
                )

    @property
    def object_type(self):
        from lianke.core.objecttypes.registry import registry

        return registry.get_for_model(type(self))


class BusinessModel(Record, OwnedModel):
    """An owned business record (accounts, contacts, leads, opportunities, activities)."""

    class Meta(Record.Meta):
        abstract = True

    def save(self, *args, **kwargs):
        if self.owner_id and self.department_id is None:
            # The record belongs to its owner's department (services keep it in step on transfer).
            self.department_id = self.owner.department_id
        super().save(*args, **kwargs)


class PooledModel(BusinessModel):
    """An owned record that may sit, ownerless, in a pool (the ``Pooled`` kind). The concrete
    model declares its ``pool`` relation and ``pooled_constraints``: no owner means a pool."""

    owner = models.ForeignKey(  # type: ignore[assignment]  # nullable here: the pool holds it
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta(BusinessModel.Meta):
        abstract = True

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None


def pooled_constraints(prefix: str) -> list[models.CheckConstraint]:
    """A pooled record has an owner, or else a pool (never neither)."""
    return [
        models.CheckConstraint(
            condition=models.Q(owner__isnull=False) | models.Q(pool__isnull=False),
            name=f"{prefix}_owner_or_pool",
        )
    ]
