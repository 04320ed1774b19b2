from django.utils.translation import gettext_lazy as _

from lianke.core.objecttypes.registry import ObjectType, Related, register
from lianke.core.text.identity import Identity
from lianke.org.choices import Action, Scope
from lianke.org.defaults import SELLING
from lianke.org.kinds import Pooled

from .models import Account, Contact


@register
class AccountObject(ObjectType):
    model = Account
    factory = "lianke.customers.factories.AccountFactory"
    access = Pooled()  # owned, or ownerless in an account pool (公海)
    # Sellers work them; marketing reads those of its department tree.
    default_grants = {**SELLING, "marketing": ([Action.VIEW], Scope.DEPARTMENT_TREE)}
    icon = "building"
    nav_order = 10
    search_fields = ("name", "short_name", "phone", "credit_code")
    list_columns = ("name", "account_type", "industry", "level", "province", "city", "owner", "updated_at")
    card_fields = ("account_type", "level", "city")
    card_phone = "phone"
    filter_fields = (
        "account_type",
        "industry",
        "level",
        "source",
        "province",
        "city",
        "parent",
        "registration",
    )
    sections = (
        (
            _("Basic information"),
            ("name", "short_name", "credit_code", "account_type", "industry", "level", "source", "parent"),
        ),
        (_("Contact information"), ("phone", "email", "website", "province", "city", "district", "address")),
        (_("Description"), ("description",)),
    )
    related = (
        Related("customers.contact", "account", ("name", "title", "mobile", "email")),
        Related("sales.opportunity", "account", ("name", "stage", "amount", "expected_close_date")),
    )
    transfer_related = ("contacts", "opportunities")
    delete_cascade = ("contacts",)
    identity = Identity(
        name_key="name_key", credit_code="credit_code", phones=("phone_digits",), emails=("email",)
    )
    # A new account is registered (客户报备) when a registration flow applies: pending, submitted.
    create_service = "lianke.customers.registration.create_account"
    duplicate_request = ("customers:account_transfer_request", _("Request this customer"))

    @property
    def serializer_base(self):
        from .api import AccountSerializer

        return AccountSerializer

    @property
    def viewset_base(self):
        from .api import AccountViewSet

        return AccountViewSet

    def extra_urls(self) -> list:
        from django.urls import path

        from .views import TransferRequestView

        return [
            path("account/transfer-request/", TransferRequestView.as_view(), name="account_transfer_request")
        ]


@register
class ContactObject(ObjectType):
    model = Contact
    factory = "lianke.customers.factories.ContactFactory"
    default_grants = {**SELLING, "marketing": ([Action.VIEW], Scope.DEPARTMENT_TREE)}
    icon = "person"
    nav_order = 20
    search_fields = ("name", "mobile", "phone", "email")
    list_columns = ("name", "account", "title", "mobile", "email", "owner", "updated_at")
    card_fields = ("account", "title", "email")
    card_phone = "mobile"
    filter_fields = ("account", "gender", "is_primary", "is_decision_maker", "title")
    sections = (
        (
            _("Basic information"),
            ("name", "account", "title", "department_name", "gender", "is_primary", "is_decision_maker"),
        ),
        (_("Contact information"), ("mobile", "phone", "email", "wechat", "address", "birthday")),
        (_("Description"), ("description",)),
    )
    parent_field = "account"
    list_select_related = ("account",)
    identity = Identity(phones=("mobile_digits", "phone_digits"), emails=("email",))
