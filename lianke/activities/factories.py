"""Test data for activities (factory-boy, a development dependency; see customers.factories)."""

import factory
from factory.django import DjangoModelFactory

from .models import Activity


class ActivityFactory(DjangoModelFactory):
    """A note on no record in particular (log one on a record with ``services.log_activity``)."""

    class Meta:
        model = Activity

    subject = factory.Sequence(lambda n: f"电话沟通{n:04d}")
    kind = "note"
