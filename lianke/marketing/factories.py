"""Test data for marketing (factory-boy, a development dependency; see customers.factories)."""

import factory
from factory.django import DjangoModelFactory

from .models import Lead


class LeadFactory(DjangoModelFactory):
    class Meta:
        model = Lead

    name = factory.Sequence(lambda n: f"刘先生{n:04d}")
