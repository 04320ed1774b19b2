"""Organisation: departments (any depth), users with superiors, roles and their permissions, and
the users' API tokens (kept beside the user they authenticate: a token dies with the user's
password and active flag, which this app owns; see ``org.tokens``)."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from tree_queries.models import TreeNode

from lianke.core.errors import CustomFieldCode, FieldCode, RecordCode
from lianke.core.fields import PinyinField

from .choices import AuditKind, CollaboratorAccess, FieldMode, Scope, TokenRevocation, TokenScope


class Department(TreeNode):
    """A node of the org tree: group → company → team, as deep as the customer needs (O2)."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=50, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name

    def clean(self):
        # The tree's own check raises its message without a code (and for the whole form):
        # the parent field, coded as a loop.
        try:
            super().clean()
        except ValidationError as exc:
            if not self.parent_id or hasattr(exc, "error_dict"):
                raise
            raise ValidationError(
                {
                    "parent": ValidationError(
                        _("A department cannot be placed under itself or one of its sub-departments."),
                        code=RecordCode.PARENT_LOOP,
                    )
                }
            ) from exc


class User(AbstractUser):
    """A member of staff. ``name`` is the display name (e.g. 张伟)."""

    name = models.CharField(pgettext_lazy("person", "name"), max_length=50, blank=True)
    name_pinyin = PinyinField(source="name", person=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    title = models.CharField(_("job title"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=30, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    employee_no = models.CharField(_("employee number"), max_length=30, blank=True)
    superior = models.ForeignKey(
        "self",
        verbose_name=_("superior"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="direct_reports",
    )
    roles = models.ManyToManyField("Role", verbose_name=_("roles"), blank=True, related_name="users")  # type: ignore[var-annotated]

    class Meta:
        ordering = ["username"]
        indexes = [models.Index(fields=["name_pinyin"], name="org_user_name_pinyin")]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.name or self.get_full_name() or self.username

    def save(self, *args, **kwargs):
        """Saves the user; a changed password or a deactivation revokes the user's API tokens,
        whatever the path (forms, the settings, ``changepassword``, code), in the same
        transaction. A hash upgraded at login (same password, new hasher parameters) is no
        change: Django saves it with ``update_fields=["password"]`` after clearing
        ``_password``."""
        from . import tokens

        update_fields = kwargs.get("update_fields")
        watched = update_fields is None or {"password", "is_active"} & set(update_fields)
        if self._state.adding or self.pk is None or not watched:
            return super().save(*args, **kwargs)
        rehash = self._password is None and update_fields is not None and set(update_fields) == {"password"}
        stored = type(self)._default_manager.filter(pk=self.pk).values("password", "is_active").first()
        with transaction.atomic():
            super().save(*args, **kwargs)
            if stored is None:
                return None
            if stored["is_active"] and not self.is_active:
                tokens.revoke_tokens(user=self, reason=TokenRevocation.DEACTIVATED)
            elif stored["password"] != self.password and not rehash:
                tokens.revoke_tokens(user=self, reason=TokenRevocation.PASSWORD_CHANGED)
        return None

    def clean(self):
        super().clean()
        from django.core.exceptions import ValidationError

        # A reporting line may not loop back onto the user.
        seen, boss = {self.pk}, self.superior
        while boss is not None:
            if boss.pk in seen:
                raise ValidationError(
                    {
                        "superior": ValidationError(
                            _("A user cannot report to themselves, directly or through others."),
                            code=RecordCode.PARENT_LOOP,
                        )
                    }
                )
            seen.add(boss.pk)
            boss = boss.superior


class Role(models.Model):
    """A bundle of function permissions and data scopes (X1). Several roles combine permissively."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self):
        return self.name


class RolePermission(models.Model):
    """What a role may do with one object type, and on which records (data scope)."""

    role = models.ForeignKey(
        Role, on_delete=models.CASCADE, related_name="permissions", verbose_name=_("role"), db_index=False
    )
    object_type = models.CharField(_("object type"), max_length=100)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    scope = models.CharField(_("data scope"), max_length=20, choices=Scope.choices, default=Scope.OWN)

    class Meta:
        ordering = ["role", "object_type"]
        verbose_name = _("role permission")
        verbose_name_plural = _("role permissions")
        constraints = [
            models.UniqueConstraint(fields=["role", "object_type"], name="org_rolepermission_unique")
        ]

    def __str__(self):
        return f"{self.role} · {self.object_type}"

    def clean(self):
        """Only what the object type declares may be granted: a registered type, its own actions
        (no transfer where records have no owner), and no grants at all on a child type (its
        parent's grants decide)."""
        from lianke.core.objecttypes.registry import registry

        if self.object_type not in registry:
            raise ValidationError(
                {
                    "object_type": ValidationError(
                        _("Choose a registered object type."), code=CustomFieldCode.UNKNOWN_TYPE
                    )
                }
            )
        ot = registry.get(self.object_type)
        if ot.kind == "child":
            raise ValidationError(
                {
                    "object_type": ValidationError(
                        _("%(type)s follow their parent record's permissions and take no grants."),
                        code=CustomFieldCode.UNKNOWN_TYPE,
                        params={"type": ot.label_plural},
                    )
                }
            )
        declared = {action for action, _label in ot.actions}
        unknown = sorted(set(self.actions or ()) - declared)
        if unknown:
            raise ValidationError(
                {
                    "actions": ValidationError(
                        _("Not an action of %(type)s: %(actions)s."),
                        code=FieldCode.INVALID_CHOICE,
                        params={"type": ot.label_plural, "actions": ", ".join(unknown)},
                    )
                }
            )


class FieldPermission(models.Model):
    """What a role lets its users do with one field of one object type (field-level security):
    hidden, masked (phones and e-mails), read only or editable. ``field`` is a model field of the
    type's sections or a custom field as ``cf_<name>``. Roles combine: the widest mode wins, no
    rule is editable (``org.fieldaccess`` resolves it for every channel)."""

    role = models.ForeignKey(
        Role,
        on_delete=models.CASCADE,
        related_name="field_permissions",
        verbose_name=_("role"),
        db_index=False,
    )
    object_type = models.CharField(_("object type"), max_length=100)
    field = models.CharField(_("field"), max_length=60)
    mode = models.CharField(
        _("access"), max_length=20, choices=FieldMode.choices, default=FieldMode.READ_ONLY
    )

    class Meta:
        ordering = ["role", "object_type", "field"]
        verbose_name = _("field permission")
        verbose_name_plural = _("field permissions")
        constraints = [
            models.UniqueConstraint(
                fields=["role", "object_type", "field"], name="org_fieldpermission_unique"
            )
        ]

    def __str__(self):
        return f"{self.role} · {self.object_type}.{self.field}: {self.get_mode_display()}"

    def clean(self):
        """The field must be one of the type's (``fieldaccess.configurable_fields``); masking only
        for phones and e-mails; a field a record cannot be saved without (required, the title)
        may not be hidden or read only, or nobody with the role could create one."""
        from .fieldaccess import configurable_fields

        fields = configurable_fields(self.object_type)
        if fields is None:
            raise ValidationError(
                {
                    "object_type": ValidationError(
                        _("Choose a registered object type."), code=CustomFieldCode.UNKNOWN_TYPE
                    )
                }
            )
        spec = fields.get(self.field)
        if spec is None:
            raise ValidationError(
                {
                    "field": ValidationError(
                        _("Not a field of this object type."), code=FieldCode.UNKNOWN_FIELD
                    )
                }
            )
        if self.mode == FieldMode.MASKED and not spec.maskable:
            raise ValidationError(
                {
                    "mode": ValidationError(
                        _("Only phone numbers and e-mail addresses can be masked; hide the field instead."),
                        code=CustomFieldCode.NOT_MASKABLE,
                    )
                }
            )
        if self.mode != FieldMode.EDITABLE and spec.required:
            raise ValidationError(
                {
                    "mode": ValidationError(
                        _("“%(field)s” is required to save a record: it must stay editable."),
                        params={"field": spec.label},
                        code=CustomFieldCode.REQUIRED_FIELD,
                    )
                }
            )


class Collaborator(models.Model):
    """A user who shares one record (协同负责人) with read or read-write access."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, db_index=False)
    object_id = models.BigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="collaborations",
        verbose_name=_("user"),
        db_index=False,
    )
    access = models.CharField(
        _("access"), max_length=10, choices=CollaboratorAccess.choices, default=CollaboratorAccess.READ
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("collaborator")
        verbose_name_plural = _("collaborators")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "user"], name="org_collaborator_unique"
            )
        ]
        indexes = [models.Index(fields=["user", "content_type", "access", "object_id"])]

    def __str__(self):
        return f"{self.user} ({self.get_access_display()})"


class ApiToken(models.Model):
    """A named key for the REST API. Only a SHA-256 hash of the key is stored; the key is shown
    once, when the token is made (``org.tokens.issue_token``). ``prefix`` names the token
    without revealing it (``lk_<prefix>…``) and finds its row; ``scope`` says whether it may
    write. A revoked token is kept (revoked_at, the reason) for the record, never reactivated."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(
        _("access"), max_length=20, choices=TokenScope.choices, default=TokenScope.READ_WRITE
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_reason = models.CharField(
        _("revoked because"), max_length=20, choices=TokenRevocation.choices, blank=True, editable=False
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self):
        return f"{self.user} · {self.name} ({self.display_key})"

    @property
    def display_key(self) -> str:
        """What identifies the token on screen: ``lk_<prefix>…``, never the secret."""
        return f"lk_{self.prefix}…"

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def read_only(self) -> bool:
        return self.scope == TokenScope.READ


class AuditEvent(models.Model):
    """One security-relevant event of the data-protection audit (``org.audit.record``): sign-ins
    and failures, exports and refused exports, bulk transfers and deletes, permission and role
    changes, API tokens, handovers. Written once, never changed; read by administrators on
    Settings › Audit, newest first, filtered by kind, user and time (the three indexes)."""

    kind = models.CharField(_("event"), max_length=30, choices=AuditKind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # Who, as a name kept when the user is gone (and the name typed at a failed sign-in).
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    summary = models.CharField(_("summary"), max_length=300)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["at", "id"], name="audit_at"),
            models.Index(fields=["kind", "at", "id"], name="audit_kind_at"),
            models.Index(fields=["actor", "at", "id"], name="audit_actor_at"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.actor_name} · {self.summary}"
