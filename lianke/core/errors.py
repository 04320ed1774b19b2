"""The stable, machine-readable codes of every validation error and refusal, by domain.

Every ``ValidationError`` the project raises names one of these (``code=``); the API lists each
message with its code (``{"field", "code", "message"}``, ``core.api.exceptions``) and the
server-rendered forms render it beside the message (``data-error-code``). Django's and DRF's
built-in codes are mapped onto them (``BUILTIN``, ``normalize``). A code is a promise to
clients: add codes freely, never rename or remove one. Each member's label says in one line
when it is given (the API schema's documentation of the enum).

A leaf module: it imports nothing of the project.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.forms.utils import ErrorList


# Note for model ``clean()`` methods: a ``ModelForm`` replaces the message of a model error whose
# code is one of its form field's own (``required``, ``invalid``, ``invalid_choice``…) by the form
# field's generic one; a rule with its own message takes a code of its own
# (``conditionally_required``, ``inconsistent``).
class FieldCode(models.TextChoices):
    """A field's value."""

    REQUIRED = "required", "A value is required and none was given."
    INVALID = "invalid", "Not a value of the field's kind or format (number, date, e-mail, phone, URL…)."
    TOO_LONG = "too_long", "Longer than the field allows."
    TOO_SHORT = "too_short", "Shorter than the field allows."
    OUT_OF_RANGE = "out_of_range", "A number or date outside the allowed range or with too many digits."
    INVALID_CHOICE = "invalid_choice", "Not one of the choices (an option, an active user, a known value)."
    DOES_NOT_EXIST = "does_not_exist", "No such related record, or not one the caller may see."
    UNIQUE = "unique", "Another record already has this value."
    UNKNOWN_FIELD = "unknown_field", "No such field or custom field on this type of record."
    CONDITIONALLY_REQUIRED = (
        "conditionally_required",
        "A value the record needs in its present state or kind (a loss reason, a task's due date).",
    )
    INCONSISTENT = (
        "inconsistent",
        "The value contradicts another one of the record (e.g. a won stage at 50%).",
    )
    OUT_OF_SCOPE = "out_of_scope", "A user the actor may not give this record to (outside their scope)."
    TOO_DEEP = "too_deep", "A value (or request body) nested too deeply."
    COMPUTED_FIELD = "computed_field", "A formula or roll-up: computed from other fields, never set."
    OPTION_NOT_ALLOWED = "option_not_allowed", "An option its parent field's value does not allow."
    UNKNOWN_USER = "unknown_user", "No such user, or one who may not be chosen (left, out of reach)."
    INVALID_USERS = "invalid_users", "Not a list of users."
    TOO_MANY_USERS = "too_many_users", "More users than the field holds."
    PASSWORD_MISMATCH = "password_mismatch", "The two passwords given differ."
    PASSWORD_TOO_WEAK = (
        "password_too_weak",
        "A password the password rules refuse (too short, too common, all digits, like the user's name).",
    )
    PASSWORD_INCORRECT = "password_incorrect", "The current password given is not the user's."


class RecordCode(models.TextChoices):
    """A record as a whole."""

    NOT_FOUND = "not_found", "No such record, or not one the caller may see."
    VERSION_CONFLICT = (
        "version_conflict",
        "The record changed since the caller read it (If-Match, a stale form).",
    )
    UNIQUE_CONFLICT = "unique_conflict", "Someone saved one of the unique values meanwhile; try again."
    PARENT_SELF = "parent_self", "A record cannot be its own parent."
    PARENT_LOOP = "parent_loop", "The parent would make a loop (a record above itself)."
    TARGET_FIXED = "target_fixed", "The record an activity is on cannot be changed."
    NOT_RESTORABLE = (
        "not_restorable",
        "A record cannot leave the recycle bin (a live one took its unique value).",
    )


class PermissionCode(models.TextChoices):
    """What the caller may not do."""

    PERMISSION_DENIED = "permission_denied", "Signed in, but not allowed to do this."
    NOT_AUTHENTICATED = "not_authenticated", "Not signed in."
    AUTHENTICATION_FAILED = "authentication_failed", "An unknown, expired or revoked token or password."
    FIELD_READ_ONLY = "field_read_only", "A change to a field the caller may not edit."
    FIELD_NOT_READABLE = "field_not_readable", "A filter or sort on a field the caller may not read in full."
    EXPORT_NEEDS_APPROVAL = (
        "export_needs_approval",
        "An export of more rows than may be exported without an approval.",
    )


class LifecycleCode(models.TextChoices):
    """A move along a record's stage path (``core.records.stages``)."""

    INVALID_STATE = "invalid_state", "Not a state of the record's lifecycle (or no such lifecycle)."
    TRANSITION_NOT_ALLOWED = "transition_not_allowed", "The lifecycle does not allow this move."
    TRANSITION_GUARDED = (
        "transition_guarded",
        "The move is allowed but its condition is not met (a loss reason…).",
    )


class BulkCode(models.TextChoices):
    """Bulk actions and imports."""

    NOT_EDITABLE = "not_editable", "This field cannot be set in bulk or here."
    TOO_MANY = "too_many", "More records than one action may change at once."
    INVALID_SELECTION = "invalid_selection", "The selection of records is not valid."
    INVALID_ROWS = "invalid_rows", "Some rows of a batch are invalid; nothing was saved."


class CustomFieldCode(models.TextChoices):
    """The definition of a custom field or a field permission (settings)."""

    INVALID_NAME = "invalid_name", "A name must be lower-case letters, digits and underscores."
    INVALID_OPTIONS = "invalid_options", "A select field's options are missing, incomplete or repeated."
    NOT_INDEXABLE = "not_indexable", "This kind of field cannot be indexed for sorting."
    TOO_MANY_INDEXED = "too_many_indexed", "The type already has as many indexed fields as it may."
    UNKNOWN_TYPE = "unknown_type", "Not a registered object type (or not one that takes this setting)."
    NOT_MASKABLE = "not_maskable", "Only phones and e-mail addresses can be masked."
    REQUIRED_FIELD = "required_field", "A field needed to save a record must stay editable."
    FORMULA_CYCLE = "formula_cycle", "Formulas that would compute each other in a circle."
    INVALID_PARENT = "invalid_parent", "A dependent select's parent is not a select or region of the type."
    INVALID_PARENT_VALUE = "invalid_parent_value", "An option names a parent value the parent does not have."
    INVALID_ROLLUP = "invalid_rollup", "A roll-up's child type, link or aggregate is not valid."


class SettingsCode(models.TextChoices):
    """The organisation's settings (the settings console, ``lianke.console``)."""

    DEPARTMENT_IN_USE = (
        "department_in_use",
        "A department with active people or sub-departments cannot be deactivated.",
    )
    OWN_ACCOUNT = "own_account", "An administrator cannot deactivate himself or drop his own rights."
    STAGE_IN_USE = "stage_in_use", "A stage that opportunities are in cannot be removed."
    STAGES_INCOMPLETE = "stages_incomplete", "A stage set needs an open, a won and a lost stage."
    DEFAULT_REQUIRED = "default_required", "Exactly one active stage set is the default."
    SYSTEM_STATUS = "system_status", "A status the system relies on cannot be deactivated."


class IdentityCode(models.TextChoices):
    """Identifiers of companies and people (``core.text.identity``, ``core.text.phones``)."""

    FORMAT = "format", "An identifier of the wrong shape (length or characters)."
    CHECKSUM = "checksum", "An identifier whose check character is wrong."


class FileCode(models.TextChoices):
    """Attachments (``core.records.attachments``)."""

    FILE_TYPE = "file_type", "The file's type is not allowed or does not match its name."
    FILE_TOO_LARGE = "file_too_large", "The file is larger than allowed."
    FILE_EMPTY = "file_empty", "The file is empty."
    IMAGE_UNREADABLE = "image_unreadable", "The image could not be read."
    FILE_NOT_FOUND = "file_not_found", "No such attachment on this record."
    INVALID_FILE = "invalid_file", "Not a file (or an attachment id) where a file is expected."


class ApprovalCode(models.TextChoices):
    """Approvals (``lianke.approvals``)."""

    RECORD_LOCKED = (
        "record_locked",
        "The record is under approval: only the flow's editable fields may change.",
    )
    NOT_AN_APPROVER = "not_an_approver", "The caller has no pending task in the approval's current step."
    NOT_THE_SUBMITTER = "not_the_submitter", "Only the submitter may do this (withdraw, resubmit, urge)."
    ALREADY_DECIDED = (
        "already_decided",
        "The approval or the caller's task was decided already (or withdrawn, or won by another approver).",
    )
    APPROVAL_OPEN = "approval_open", "The record already has an open approval."
    NOT_OPEN = (
        "not_open",
        "The approval is not in a state that allows this (e.g. resubmitting a pending one).",
    )
    SELF_APPROVAL = "self_approval", "The flow does not let the submitter approve his own request."
    NO_FLOW = "no_flow", "No active approval flow of the record's type applies to it."
    NO_APPROVER = "no_approver", "A step's approvers cannot be resolved, and no fallback exists."
    DELEGATION_CYCLE = "delegation_cycle", "The delegation would hand the task back round a circle."
    RATE_LIMITED = "rate_limited", "Done too often; try again later (urging approvers)."


class RequestCode(models.TextChoices):
    """The request itself (query parameters, settings forms, outgoing addresses)."""

    PARSE_ERROR = "parse_error", "The body is not valid JSON (or form data)."
    INVALID_CURSOR = "invalid_cursor", "A page cursor that was not copied from a page's next link."
    INVALID_PK_VALUE = "invalid_pk_value", "A key outside the range of record keys."
    URL_REFUSED = "url_refused", "An address that may not be called (a private network…)."


class JobCode(models.TextChoices):
    """Scheduled jobs (``lianke.jobs``: their schedules in Settings, ``lianke jobs run``)."""

    INVALID_CRON = (
        "invalid_cron",
        "A cron expression that does not parse (five fields: minute hour day month weekday).",
    )
    CRON_OR_INTERVAL = "cron_or_interval", "A schedule has a cron expression or an interval, not both."
    NOT_CONFIGURABLE = "not_configurable", "A job that takes no schedules of its own in Settings."
    UNKNOWN_JOB = "unknown_job", "No job or schedule of that name."
    CODE_SCHEDULE = "code_schedule", "A job's own schedule (declared in code) is turned off, never deleted."
    ALREADY_RUNNING = "already_running", "The schedule's run is still running; a second one waits for it."


class HandoverCode(models.TextChoices):
    """Handing a leaving user's work over to a colleague (``core.records.handover``)."""

    SAME_USER = "handover_same_user", "The receiver is the leaving user himself."
    RECEIVER_INACTIVE = "receiver_inactive", "The receiver is not an active user."
    STUCK = "handover_stuck", "A batch of a handover moved nothing; what is left stays with the leaving user."


class NotificationCode(models.TextChoices):
    """The notification centre (marking read, preferences, @mentions)."""

    NOTHING_TO_MARK = "nothing_to_mark", "Name the notifications to mark read (`ids`) or all of them (`all`)."
    UNKNOWN_TYPE = "unknown_notification_type", "A notification type no app declares."
    UNKNOWN_CHANNEL = "unknown_channel", "A channel that does not exist or is not connected."
    AMBIGUOUS_MENTION = (
        "ambiguous_mention",
        "An @name several people answer to: nobody would be told; write @ and the username.",
    )


DOMAINS = (
    FieldCode,
    RecordCode,
    PermissionCode,
    LifecycleCode,
    BulkCode,
    CustomFieldCode,
    SettingsCode,
    IdentityCode,
    FileCode,
    ApprovalCode,
    RequestCode,
    JobCode,
    HandoverCode,
    NotificationCode,
)
# Every code, with the line that documents it.
ALL: dict[str, str] = {str(value): str(label) for domain in DOMAINS for value, label in domain.choices}

# Django's and DRF's own codes, onto the project's.
BUILTIN: dict[str, str] = {
    "blank": FieldCode.REQUIRED,
    "null": FieldCode.REQUIRED,
    "empty": FieldCode.REQUIRED,
    "max_length": FieldCode.TOO_LONG,
    "max_string_length": FieldCode.TOO_LONG,
    "min_length": FieldCode.TOO_SHORT,
    "max_value": FieldCode.OUT_OF_RANGE,
    "min_value": FieldCode.OUT_OF_RANGE,
    "step_size": FieldCode.INVALID,
    "max_digits": FieldCode.OUT_OF_RANGE,
    "max_decimal_places": FieldCode.OUT_OF_RANGE,
    "max_whole_digits": FieldCode.OUT_OF_RANGE,
    "overflow": FieldCode.OUT_OF_RANGE,
    "date": FieldCode.INVALID,
    "datetime": FieldCode.INVALID,
    "make_aware": FieldCode.INVALID,
    "invalid_date": FieldCode.INVALID,
    "invalid_time": FieldCode.INVALID,
    "incorrect_type": FieldCode.INVALID,
    "incorrect_match": FieldCode.INVALID,
    "not_a_list": FieldCode.INVALID,
    "not_a_dict": FieldCode.INVALID,
    "list": FieldCode.INVALID,
    "no_name": FieldCode.INVALID,
    "contradiction": FieldCode.INVALID,
    "surrogate_characters_not_allowed": FieldCode.INVALID,
    "null_characters_not_allowed": FieldCode.INVALID,
    "invalid_list": FieldCode.INVALID,
    "invalid_extension": FieldCode.INVALID,
    "invalid_image": FieldCode.INVALID,
    "unique_together": FieldCode.UNIQUE,
    "unique_for_date": FieldCode.UNIQUE,
    "invalid_pk_value": RequestCode.INVALID_PK_VALUE,
    "missing": FieldCode.REQUIRED,
    "max_num": BulkCode.TOO_MANY,
    "min_num": FieldCode.REQUIRED,
    # django.contrib.auth's forms and password validators (the settings pages of users).
    "password_mismatch": FieldCode.PASSWORD_MISMATCH,
    "password_incorrect": FieldCode.PASSWORD_INCORRECT,
    "password_too_short": FieldCode.PASSWORD_TOO_WEAK,
    "password_too_common": FieldCode.PASSWORD_TOO_WEAK,
    "password_entirely_numeric": FieldCode.PASSWORD_TOO_WEAK,
    "password_too_similar": FieldCode.PASSWORD_TOO_WEAK,
}


def normalize(code: object) -> str:
    """The project's code for ``code`` (a Django or DRF built-in one mapped, ``None`` — a message
    raised without a code — as ``invalid``). An unknown code is passed on as it is, so the tests
    that check every code against ``ALL`` catch it."""
    if code is None or code == "":
        return FieldCode.INVALID.value
    text = str(code)
    return str(BUILTIN.get(text, text))


def code_of(exc: ValidationError) -> str:
    """The code of a validation error's first message (by field or not), normalized."""
    errors = (
        [e for es in exc.error_dict.values() for e in es] if hasattr(exc, "error_dict") else exc.error_list
    )
    return normalize(next((e.code for e in errors if e.code), None))


class CodedMessage(str):
    """A form error's translated message that knows its code (``{{ e.code }}`` in templates);
    otherwise the plain string it has always been."""

    code: str

    def __new__(cls, message: object, code: object) -> CodedMessage:
        obj = super().__new__(cls, message)
        obj.code = normalize(code)
        return obj


class CodedErrorList(ErrorList):
    """A form's error list whose items are ``CodedMessage``: templates render
    ``data-error-code="{{ e.code }}"`` beside each message; rendered whole (``{{ form.errors }}``,
    the settings pages of Django's admin) each item carries it too."""

    template_name = "core/partials/coded_errors.html"
    template_name_text = "django/forms/errors/list/text.txt"
    template_name_ul = "core/partials/coded_errors.html"

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self.data)))]
        error = self.data[i]
        if isinstance(error, ValidationError):
            return CodedMessage(next(iter(error)), error.code)
        return CodedMessage(error, None)


class CodedErrorsForm:
    """A form mixin (first among the bases) whose errors are a ``CodedErrorList``, whoever
    builds the form (Django's admin passes no ``error_class``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_class", CodedErrorList)
        super().__init__(*args, **kwargs)


def coded_form(form_class):
    """``form_class`` with its errors coded (``CodedErrorsForm``): for a form class built
    elsewhere (an admin page's, ``django.contrib.auth``'s)."""
    if issubclass(form_class, CodedErrorsForm):
        return form_class
    return type(form_class.__name__, (CodedErrorsForm, form_class), {"__module__": form_class.__module__})
