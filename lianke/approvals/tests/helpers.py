"""Test helpers: flows declared in a line, records of the shipped types through the registry."""

from __future__ import annotations

from lianke.approvals import versions
from lianke.approvals.models import ApprovalFlow, ApprovalStep
from lianke.core.objecttypes.registry import registry


def make_flow(object_type: str = "customers.account", steps=(), **settings) -> ApprovalFlow:
    """A flow with ``steps`` (dicts of ``ApprovalStep`` fields), frozen as its first version."""
    settings.setdefault("name", "测试审批")
    flow = ApprovalFlow.objects.create(object_type=object_type, **settings)
    for position, step in enumerate(steps or [{"name": "上级审批", "approver_kind": "superior"}]):
        step = {"name": f"第{position + 1}步", **step}
        ApprovalStep.objects.create(flow=flow, position=position, **step)
    versions.freeze(flow)
    return flow


def account(owner, **values):
    return registry.get("customers.account").factory_class()(owner=owner, **values)


def opportunity(owner, **values):
    return registry.get("sales.opportunity").factory_class()(owner=owner, **values)
