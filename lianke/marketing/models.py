"""Leads (线索): unqualified prospects, with a status lifecycle and a source (M3)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import FieldCode
from lianke.core.fields import (
    CompanyKeyField,
    PhoneDigitsField,
    PhoneField,
    PinyinField,
    PinyinInitialsField,
    PinyinOtherReadingsField,
)
from lianke.core.models.base import PooledModel, pooled_constraints, scope_indexes, set_only_indexes
from lianke.core.text.regions import PROVINCES
from lianke.customers.choices import Industry
from lianke.pools.models import pool_field

from . import statuses
from .choices import LeadSource, LeadStatus


class Lead(PooledModel):
    name = models.CharField(_("contact name"), max_length=100)
    company = models.CharField(_("company"), max_length=200, blank=True)
    name_pinyin = PinyinField(source="name", person=True)
    name_initials = PinyinInitialsField(source="name", person=True)
    name_pinyin_other = PinyinOtherReadingsField(source="name")
    company_pinyin = PinyinField(source="company")
    company_initials = PinyinInitialsField(source="company")
    company_key = CompanyKeyField(source="company")
    title = models.CharField(_("job title"), max_length=100, blank=True)
    mobile = PhoneField(_("mobile"), kind=PhoneField.MOBILE, blank=True)
    mobile_digits = PhoneDigitsField(source="mobile")
    phone = PhoneField(_("phone"), blank=True)
    phone_digits = PhoneDigitsField(source="phone")
    email = models.EmailField(_("email"), blank=True)
    # The statuses an administrator configures (Settings › Lead statuses; ``statuses``): the
    # code is stored, the label and the order come from the table.
    status = models.CharField(_("status"), max_length=20, choices=statuses.choices, default=LeadStatus.NEW)
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices, blank=True)
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices, blank=True)
    province = models.CharField(_("province"), max_length=20, choices=PROVINCES, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    unqualified_reason = models.CharField(_("reason unqualified"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    last_activity_at = models.DateTimeField(_("last follow-up"), null=True, blank=True, editable=False)
    pool = pool_field()

    class Meta(PooledModel.Meta):
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            *scope_indexes("mkt_lead"),
            *set_only_indexes("mkt_lead", "deleted_by", "pool"),
            models.Index(
                fields=["pool", "updated_at", "id"],
                condition=models.Q(owner__isnull=True),
                name="mkt_lead_pool",
            ),
            models.Index(fields=["status", "updated_at"], name="mkt_lead_status"),
            models.Index(fields=["mobile_digits"], name="mkt_lead_mobile_digits"),
            # A name's first characters ("张伟") are matched by prefix (core.search.textsearch).
            models.Index(fields=["name", "id"], name="mkt_lead_name"),
            models.Index(fields=["company", "id"], name="mkt_lead_company"),
            models.Index(fields=["name_pinyin"], name="mkt_lead_name_pinyin"),
            models.Index(fields=["name_initials", "id"], name="mkt_lead_name_initials"),
            models.Index(fields=["company_pinyin"], name="mkt_lead_company_pinyin"),
            models.Index(fields=["company_initials", "id"], name="mkt_lead_company_initials"),
            models.Index(fields=["phone_digits"], name="mkt_lead_phone_digits"),
            # The duplicate check (core.text.identity) looks companies and e-mails up by equality; the
            # company key's pattern operator class also serves a short search's prefix.
            models.Index(
                fields=["company_key"], name="mkt_lead_company_key", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(Lower("email"), name="mkt_lead_email_lower"),
        ]
        constraints = [*pooled_constraints("mkt_lead")]

    def __str__(self):
        return f"{self.name} · {self.company}" if self.company else self.name

    def clean(self):
        """An unqualified lead says why (its status lifecycle is declared on the object type)."""
        if self.status == LeadStatus.UNQUALIFIED and not self.unqualified_reason.strip():
            raise ValidationError(
                {
                    "unqualified_reason": ValidationError(
                        _("Say why the lead is unqualified."), code=FieldCode.CONDITIONALLY_REQUIRED
                    )
                }
            )


class LeadStatusOption(models.Model):
    """One status a lead can be in (Settings › Lead statuses). The five system statuses
    (``choices.LeadStatus``: new, contacted, qualified, unqualified, converted) are always there
    — the code relies on what they mean — and may be renamed, reordered and (contacted)
    deactivated; an administrator adds his own, each of an open system category (a "nurturing"
    status works like "contacted"). ``next_codes`` lists the statuses a lead may move to from
    this one. Read through ``statuses``, changed through its services (history, expected state)."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=LeadStatus.choices)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    next_codes = models.JSONField(_("may move to"), default=list, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("lead status")
        verbose_name_plural = _("lead statuses")

    def __str__(self):
        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name

    @property
    def is_system(self) -> bool:
        return self.code == self.category
