"""Test data for sales (factory-boy, a development dependency; see customers.factories)."""

import factory
from factory.django import DjangoModelFactory

from lianke.customers.factories import AccountFactory

from .models import Competitor, Opportunity, OpportunityCompetitor, Stage, StageSet


def default_stage_set() -> StageSet:
    """The default stage set, made with four stages (open, open, won, lost) if there is none."""
    found = StageSet.objects.filter(is_default=True).first()
    if found is not None:
        return found
    stage_set = StageSet.objects.create(name="直销项目", is_default=True)
    for order, (name, probability, kind) in enumerate(
        [("初步接洽", 10, "open"), ("方案报价", 50, "open"), ("赢单", 100, "won"), ("输单", 0, "lost")]
    ):
        Stage.objects.create(stage_set=stage_set, name=name, order=order, probability=probability, kind=kind)
    return stage_set


class OpportunityFactory(DjangoModelFactory):
    """An opportunity at the first stage of the default stage set; on a stored account of its
    owner (named after it) unless an account is given."""

    class Meta:
        model = Opportunity

    name = factory.Sequence(lambda n: f"年度采购项目{n:04d}")
    account = factory.LazyAttribute(lambda o: AccountFactory(name=f"{o.name} 客户", owner=o.owner))
    stage_set = factory.LazyFunction(default_stage_set)
    stage = factory.LazyAttribute(
        lambda o: Stage.objects.filter(stage_set=o.stage_set).order_by("order").first()
    )


class CompetitorFactory(DjangoModelFactory):
    class Meta:
        model = Competitor

    name = factory.Sequence(lambda n: f"宝钢股份{n:04d}")


class OpportunityCompetitorFactory(DjangoModelFactory):
    """A competitor met on an opportunity (pass ``opportunity=``; ``competitor`` is made)."""

    class Meta:
        model = OpportunityCompetitor

    competitor = factory.SubFactory(CompetitorFactory)
    offered_price = 100
