from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """Data scope of a role on one object type, narrowest first."""

    OWN = "own", _("Own records")
    SUBORDINATES = "subordinates", _("Own and subordinates' records")
    DEPARTMENT = "department", _("Own department")
    DEPARTMENT_TREE = "department_tree", _("Department and sub-departments")
    ALL = "all", _("All records")


class Action(models.TextChoices):
    """Function permissions. Object types may add their own (e.g. ``convert``)."""

    VIEW = "view", _("View")
    CREATE = "create", _("Create")
    EDIT = "edit", _("Edit")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    TRANSFER = "transfer", _("Transfer")


class CollaboratorAccess(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class FieldMode(models.TextChoices):
    """What a role lets its users do with one field of an object type, narrowest first. Across
    a user's roles the widest wins; no rule means editable."""

    HIDDEN = "hidden", _("Hidden")
    MASKED = "masked", _("Masked (phones and e-mails: 138****5678)")
    READ_ONLY = "read_only", _("Read only")
    EDITABLE = "editable", _("Editable")


class TokenScope(models.TextChoices):
    """What an API token may do: read only (GET/HEAD/OPTIONS), or read and write."""

    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class TokenRevocation(models.TextChoices):
    """Why an API token stopped working."""

    REVOKED = "revoked", _("Revoked")
    ROTATED = "rotated", _("Replaced by a new token")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    DEACTIVATED = "deactivated", _("User deactivated")


class AuditKind(models.TextChoices):
    """The security-relevant events the data-protection audit (``org.audit``) records."""

    SIGN_IN = "sign_in", _("Sign-in")
    SIGN_IN_FAILED = "sign_in_failed", _("Failed sign-in")
    EXPORT = "export", _("Export")
    EXPORT_REFUSED = "export_refused", _("Export refused")
    EXPORT_REQUESTED = "export_requested", _("Export approval requested")
    EXPORT_DECIDED = "export_decided", _("Export approval decided")
    BULK_TRANSFER = "bulk_transfer", _("Bulk transfer")
    BULK_DELETE = "bulk_delete", _("Bulk delete")
    PERMISSION_CHANGE = "permission_change", _("Permission or role change")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    HANDOVER = "handover", _("Handover of a leaving user")
