from django.db import models
from django.utils.translation import gettext_lazy as _


class Industry(models.TextChoices):
    CONSTRUCTION = "construction", _("Construction")
    AUTOMOTIVE = "automotive", _("Automotive")
    MACHINERY = "machinery", _("Machinery")
    SHIPBUILDING = "shipbuilding", _("Shipbuilding")
    HOME_APPLIANCES = "home_appliances", _("Home appliances")
    ENERGY = "energy", _("Energy and power")
    RAIL = "rail", _("Rail transit")
    METAL_PROCESSING = "metal_processing", _("Metal processing")
    TRADING = "trading", _("Steel trading")
    OTHER = "other", _("Other")


class AccountType(models.TextChoices):
    END_CUSTOMER = "end_customer", _("End customer")
    DISTRIBUTOR = "distributor", _("Distributor")
    PROCESSOR = "processor", _("Processor")
    PROJECT = "project", _("Project customer")
    PERSONAL = "personal", _("Individual")


class AccountLevel(models.TextChoices):
    KEY = "key", _("Key account")
    A = "a", _("Grade A")
    B = "b", _("Grade B")
    C = "c", _("Grade C")


class AccountSource(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    REFERRAL = "referral", _("Referral")
    EXHIBITION = "exhibition", _("Exhibition")
    WEBSITE = "website", _("Website")
    COLD_CALL = "cold_call", _("Cold call")
    CONVERTED_LEAD = "lead", _("Converted lead")
    ERP = "erp", _("ERP")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")


class Registration(models.TextChoices):
    """Customer registration (客户报备): an account a rep registers is his only once approved."""

    REGISTERED = "registered", _("Registered")
    PENDING = "pending", _("Pending registration")
    REJECTED = "rejected", _("Registration rejected")
