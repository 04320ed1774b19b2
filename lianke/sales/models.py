"""Opportunities (商机/项目) moving through configurable sales stages (S1, S2)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import FieldCode
from lianke.core.fields import MoneyField, PinyinField, PinyinInitialsField
from lianke.core.models import BusinessModel
from lianke.core.models.base import Record, scope_indexes, set_only_indexes

from .choices import LossReason, OpportunitySource, StageKind, ThreatLevel


def _localized(obj):
    return obj.name_en if obj.name_en and (get_language() or "").startswith("en") else obj.name


class StageSet(models.Model):
    """An ordered set of stages, one per business type (e.g. distributor vs. project sales)."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("stage set")
        verbose_name_plural = _("stage sets")

    def __str__(self):
        return _localized(self)

    @classmethod
    def default(cls):
        return cls.objects.filter(is_active=True).order_by("-is_default", "pk").first()

    def first_open_stage(self):
        """Where a new opportunity of this set starts."""
        return self.stages.filter(kind=StageKind.OPEN).order_by("order", "pk").first()


class Stage(models.Model):
    stage_set = models.ForeignKey(
        StageSet, on_delete=models.CASCADE, related_name="stages", verbose_name=_("stage set")
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    kind = models.CharField(_("kind"), max_length=10, choices=StageKind.choices, default=StageKind.OPEN)

    class Meta:
        ordering = ["stage_set", "order", "id"]
        verbose_name = _("sales stage")
        verbose_name_plural = _("sales stages")

    def __str__(self):
        return _localized(self)

    def clean(self):
        if self.kind == StageKind.WON and self.probability != 100:
            raise ValidationError(
                {
                    "probability": ValidationError(
                        _("A won stage has a probability of 100%."), code=FieldCode.INCONSISTENT
                    )
                }
            )
        if self.kind == StageKind.LOST and self.probability != 0:
            raise ValidationError(
                {
                    "probability": ValidationError(
                        _("A lost stage has a probability of 0%."), code=FieldCode.INCONSISTENT
                    )
                }
            )


class Opportunity(BusinessModel):
    name = models.CharField(_("opportunity name"), max_length=200)
    name_pinyin = PinyinField(source="name")
    name_initials = PinyinInitialsField(source="name")
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="opportunities",
        db_index=False,
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("primary contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    stage_set = models.ForeignKey(
        StageSet, verbose_name=_("stage set"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    amount = MoneyField(_("amount"), default=0, validators=[MinValueValidator(0)])
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=0, validators=[MaxValueValidator(100)], editable=False
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    source = models.CharField(_("source"), max_length=20, choices=OpportunitySource.choices, blank=True)
    loss_reason = models.CharField(_("loss reason"), max_length=20, choices=LossReason.choices, blank=True)
    loss_note = models.CharField(_("loss details"), max_length=255, blank=True)
    competitors = models.CharField(_("competitors"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta(BusinessModel.Meta):
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            *scope_indexes("sales_opp"),
            *set_only_indexes("sales_opp", "deleted_by"),
            # A name's first characters ("线材") are matched by prefix (core.search.textsearch).
            models.Index(fields=["name", "id"], name="sales_opp_name"),
            models.Index(fields=["name_pinyin"], name="sales_opp_name_pinyin"),
            models.Index(fields=["name_initials", "id"], name="sales_opp_name_initials"),
            models.Index(fields=["account", "updated_at"], name="sales_opp_account"),
            models.Index(fields=["stage", "updated_at"], name="sales_opp_stage"),
            # The home page's pipeline of an owner: open opportunities by expected close date,
            # their count and amount, answered from the index alone.
            models.Index(
                fields=["owner", "expected_close_date", "id"],
                include=["stage", "amount", "department"],
                condition=models.Q(is_deleted=False),
                name="sales_opp_own_close",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.stage.kind != StageKind.OPEN

    def clean(self):
        """Stage belongs to the set; won/lost close it; lost says why; probability follows stage."""
        if self.stage_set_id is None and self.stage_id:
            self.stage_set_id = self.stage.stage_set_id
        if self.stage_id and self.stage.stage_set_id != self.stage_set_id:
            raise ValidationError(
                {
                    "stage": ValidationError(
                        _("Choose a stage of the opportunity's stage set."), code=FieldCode.INCONSISTENT
                    )
                }
            )
        if self.stage_id:
            self.probability = self.stage.probability
            if self.stage.kind == StageKind.LOST and not self.loss_reason:
                raise ValidationError(
                    {
                        "loss_reason": ValidationError(
                            _("Say why the opportunity was lost."), code=FieldCode.CONDITIONALLY_REQUIRED
                        )
                    }
                )
            if self.stage.kind == StageKind.OPEN:
                self.closed_at = None
            elif self.closed_at is None:
                self.closed_at = timezone.now()
        if self.contact_id and self.account_id and self.contact.account_id not in (None, self.account_id):
            raise ValidationError(
                {
                    "contact": ValidationError(
                        _("The contact belongs to another account."), code=FieldCode.INCONSISTENT
                    )
                }
            )


class Competitor(Record):
    """A company we compete with (竞争对手): shared reference data every salesperson reads (the
    Catalog kind), described once and named on the opportunities where it is met."""

    name = models.CharField(_("competitor name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    website = models.URLField(_("website"), blank=True)
    products = models.TextField(_("main products"), blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta(Record.Meta):
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        indexes = [
            models.Index(fields=["updated_at", "id"], name="sales_comp_upd"),
            models.Index(fields=["name", "id"], name="sales_comp_name"),
            *set_only_indexes("sales_comp", "deleted_by"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(is_deleted=False),
                name="sales_competitor_name_unique",
                violation_error_code="unique",
                violation_error_message=_("A competitor with this name already exists."),
            )
        ]

    def __str__(self):
        return self.name


class OpportunityCompetitor(Record):
    """A competitor met on one opportunity (商机竞争对手): what they offer and how big a threat
    they are. A child of the opportunity (the Child kind): whoever may read the opportunity reads
    it, whoever may edit the opportunity changes it, and its changes are the opportunity's history."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.PROTECT,
        related_name="competitor_entries",
        db_index=False,
    )
    competitor = models.ForeignKey(
        Competitor, verbose_name=_("competitor"), on_delete=models.PROTECT, related_name="+"
    )
    threat = models.CharField(
        _("threat"), max_length=10, choices=ThreatLevel.choices, default=ThreatLevel.MEDIUM
    )
    offered_price = MoneyField(_("their offer"), null=True, blank=True, validators=[MinValueValidator(0)])
    notes = models.TextField(_("notes"), blank=True)

    class Meta(Record.Meta):
        verbose_name = _("opportunity competitor")
        verbose_name_plural = _("opportunity competitors")
        indexes = [
            models.Index(fields=["updated_at", "id"], name="sales_oppcomp_upd"),
            models.Index(fields=["opportunity", "updated_at", "id"], name="sales_oppcomp_opp"),
            *set_only_indexes("sales_oppcomp", "deleted_by"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "competitor"],
                condition=models.Q(is_deleted=False),
                name="sales_oppcomp_unique",
                violation_error_message=_("This competitor is already on the opportunity."),
            )
        ]

    def __str__(self):
        return str(self.competitor)
