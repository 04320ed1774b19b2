from django.db import models
from django.utils.translation import gettext_lazy as _


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class LossReason(models.TextChoices):
    PRICE = "price", _("Price too high")
    COMPETITOR = "competitor", _("Lost to a competitor")
    QUALITY = "quality", _("Quality or specification")
    DELIVERY = "delivery", _("Delivery time")
    CREDIT = "credit", _("Credit or payment terms")
    NO_BUDGET = "no_budget", _("No budget / project cancelled")
    OTHER = "other", _("Other")


class OpportunitySource(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    LEAD = "lead", _("Converted lead")
    EXISTING = "existing", _("Existing customer")
    REFERRAL = "referral", _("Referral")
    TENDER = "tender", _("Tender")
    OTHER = "other", _("Other")


class ThreatLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
