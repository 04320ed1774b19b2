"""Accounts (客户) and contacts (联系人)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lianke.core.context import system_context
from lianke.core.errors import RecordCode
from lianke.core.fields import (
    CompanyKeyField,
    PhoneDigitsField,
    PhoneField,
    PinyinField,
    PinyinInitialsField,
    PinyinOtherReadingsField,
)
from lianke.core.models import BusinessModel
from lianke.core.models.base import PooledModel, pooled_constraints, scope_indexes, set_only_indexes
from lianke.core.text.identity import credit_code_key
from lianke.core.text.regions import PROVINCES
from lianke.pools.models import pool_field

from .choices import AccountLevel, AccountSource, AccountType, Gender, Industry, Registration
from .validators import validate_credit_code


class Account(PooledModel):
    """A company (or person) we sell to; the centre of the customer-360 page (C1)."""

    name = models.CharField(_("account name"), max_length=200)
    name_pinyin = PinyinField(source="name")
    name_initials = PinyinInitialsField(source="name")
    name_key = CompanyKeyField(source="name")
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    account_type = models.CharField(
        _("account type"), max_length=20, choices=AccountType.choices, default=AccountType.END_CUSTOMER
    )
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=AccountLevel.choices, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=AccountSource.choices, blank=True)
    phone = PhoneField(_("phone"), blank=True)
    phone_digits = PhoneDigitsField(source="phone")
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    province = models.CharField(_("province"), max_length=20, choices=PROVINCES, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district / county"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        db_index=False,  # set_only_indexes below
    )
    description = models.TextField(_("description"), blank=True)
    last_activity_at = models.DateTimeField(_("last follow-up"), null=True, blank=True, editable=False)
    pool = pool_field()
    # Customer registration (客户报备, ``customers.registration``): pending until approved,
    # rejected with the reason; every other account is registered.
    registration = models.CharField(
        _("registration"), max_length=12, choices=Registration.choices, default=Registration.REGISTERED
    )
    registration_note = models.CharField(_("registration note"), max_length=255, blank=True)

    class Meta(PooledModel.Meta):
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            *scope_indexes("cust_account"),
            *set_only_indexes("cust_account", "deleted_by", "parent", "pool"),
            models.Index(
                fields=["pool", "updated_at", "id"],
                condition=models.Q(owner__isnull=True),
                name="cust_account_pool",
            ),
            models.Index(fields=["name", "id"], name="cust_account_name"),
            models.Index(fields=["phone_digits"], name="cust_account_phone_digits"),
            models.Index(fields=["name_pinyin"], name="cust_account_name_pinyin"),
            models.Index(fields=["name_initials", "id"], name="cust_account_name_initials"),
            # The duplicate check (core.text.identity) looks names and e-mails up by equality.
            # Equality (the duplicate check) and, with the pattern operator class, a short
            # search's prefix ("精工" → 苏州精工机械, key 精工机械) under any collation.
            models.Index(
                fields=["name_key"], name="cust_account_name_key", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(Lower("email"), name="cust_account_email_lower"),
            # "Follow up today" on the home page: an owner's (registered) accounts by last
            # follow-up, with the scope, creation and registration columns, answered from the
            # index alone.
            models.Index(
                fields=["owner", "last_activity_at", "id"],
                include=["department", "created_at", "registration"],
                condition=models.Q(is_deleted=False),
                name="cust_account_own_last",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=models.Q(is_deleted=False) & ~models.Q(credit_code=""),
                name="cust_account_credit_code_unique",
                # Deliberately says that the customer exists, never whose it is (README, Security).
                violation_error_code="unique",
                violation_error_message=_(
                    "A customer with this credit code already exists in the company; ask its owner or a manager."
                ),
            ),
            *pooled_constraints("cust_account"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.credit_code = credit_code_key(self.credit_code)
        self.name = (self.name or "").strip()
        self.check_parent()

    def check_parent(self) -> None:
        """An account is never above itself: not its own parent, and not the parent of one of
        its ancestors. The ancestors are read from the database in a system context (every row,
        deleted ones too: a loop through an account the user cannot see is still a loop; the
        message names none of them)."""
        if self.parent_id is None:
            return
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError(
                {
                    "parent": ValidationError(
                        _("An account cannot be its own parent."), code=RecordCode.PARENT_SELF
                    )
                }
            )
        if self.pk is None:
            return  # nothing points to a new account yet
        seen: set[int] = set()
        current: int | None = self.parent_id
        with system_context():
            while current is not None and current not in seen:
                if current == self.pk:
                    raise ValidationError(
                        {
                            "parent": ValidationError(
                                _(
                                    "This parent account would make a loop: an account cannot be above itself."
                                ),
                                code=RecordCode.PARENT_LOOP,
                            )
                        }
                    )
                seen.add(current)
                current = Account.all_objects.filter(pk=current).values_list("parent_id", flat=True).first()


class Contact(BusinessModel):
    """A person at an account (K1), captured wherever sales meets them."""

    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    name_pinyin = PinyinField(source="name", person=True)
    name_initials = PinyinInitialsField(source="name", person=True)
    name_pinyin_other = PinyinOtherReadingsField(source="name")
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        db_index=False,
    )
    title = models.CharField(_("job title"), max_length=100, blank=True)
    department_name = models.CharField(_("department at account"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    mobile = PhoneField(_("mobile"), kind=PhoneField.MOBILE, blank=True)
    mobile_digits = PhoneDigitsField(source="mobile")
    phone = PhoneField(_("phone"), blank=True)
    phone_digits = PhoneDigitsField(source="phone")
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=50, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta(BusinessModel.Meta):
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            *scope_indexes("cust_contact"),
            *set_only_indexes("cust_contact", "deleted_by"),
            models.Index(fields=["account", "updated_at"], name="cust_contact_account"),
            models.Index(fields=["mobile_digits"], name="cust_contact_mobile_digits"),
            # A name's first characters ("张伟") are matched by prefix (core.search.textsearch).
            models.Index(fields=["name", "id"], name="cust_contact_name"),
            models.Index(fields=["name_pinyin"], name="cust_contact_name_pinyin"),
            models.Index(fields=["name_initials", "id"], name="cust_contact_name_initials"),
            models.Index(fields=["phone_digits"], name="cust_contact_phone_digits"),
            models.Index(Lower("email"), name="cust_contact_email_lower"),
        ]

    def __str__(self):
        return self.name
