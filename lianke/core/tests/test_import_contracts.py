"""The import contracts (``[tool.importlinter]`` in pyproject.toml, checked by ``lint-imports``)
name every business app: a new app is forbidden to the platform and placed in the app layers,
or the contracts would not see it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from django.apps import apps

PLATFORM = {
    "lianke.core",
    "lianke.org",
    "lianke.outbox",
    "lianke.notifications",
    "lianke.jobs",
    "lianke.approvals",
    "lianke.console",
}
PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


def _contracts() -> dict[str, dict]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def test_every_business_app_is_forbidden_to_the_platform_and_in_the_app_layers():
    business = {c.name for c in apps.get_app_configs() if c.name.startswith("lianke.")} - PLATFORM
    contracts = _contracts()
    assert set(contracts["platform"]["source_modules"]) == PLATFORM
    assert set(contracts["platform"]["forbidden_modules"]) == business
    layered = {name for layer in contracts["apps"]["layers"] for name in re.split(r"[|:]", layer)}
    assert {name.strip() for name in layered} == business
