"""Test data for customers (factory-boy, a development dependency): named by the object types
(``AccountObject.factory``) and used by the permission matrices and tests. Never imported by
the product. The owner is always given by the caller: whose record it is is what tests vary."""

import factory
from factory.django import DjangoModelFactory

from .models import Account, Contact


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"苏州精工机械{n:04d}")


class ContactFactory(DjangoModelFactory):
    """A contact; without an account unless one is given."""

    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"联系人{n:04d}")
    account = None
