from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")
    CONVERTED = "converted", _("Converted")


# The lead lifecycle (M3) as shipped: which status may follow which (the five rows of
# marketing.0018; administrators change them in Settings › Lead statuses). Conversion (M5)
# is its own workflow.
LEAD_TRANSITIONS = {
    LeadStatus.NEW: {LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.UNQUALIFIED},
    LeadStatus.CONTACTED: {LeadStatus.QUALIFIED, LeadStatus.UNQUALIFIED, LeadStatus.NEW},
    LeadStatus.QUALIFIED: {LeadStatus.CONTACTED, LeadStatus.UNQUALIFIED, LeadStatus.CONVERTED},
    LeadStatus.UNQUALIFIED: {LeadStatus.CONTACTED, LeadStatus.NEW},
    LeadStatus.CONVERTED: set(),
}


class LeadSource(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    EXHIBITION = "exhibition", _("Exhibition")
    WEBSITE = "website", _("Website")
    REFERRAL = "referral", _("Referral")
    COLD_CALL = "cold_call", _("Cold call")
    WECHAT = "wechat", _("WeChat")
    PARTNER = "partner", _("Partner")
    OTHER = "other", _("Other")
