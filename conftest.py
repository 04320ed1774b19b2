"""Shared pytest fixtures: an access context for test code, a small two-company organisation
with one user per scope, and logged-in web/API clients."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

# Tests serve static files from the finders (no collectstatic manifest).
os.environ.setdefault("LIANKE_DEBUG", "0")


def pytest_configure(config):
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only


def pytest_collection_modifyitems(config, items):
    _deselect_slow(config, items)
    _cut_browser_matrix_on_postgresql(config, items)


def _deselect_slow(config, items):
    """Tests marked ``slow`` (exhaustive races, worker kills, large batches) run only with
    ``LIANKE_SLOW_TESTS=1``; CI runs their representative, unmarked variants."""
    if os.environ.get("LIANKE_SLOW_TESTS") == "1":
        return
    keep = [item for item in items if item.get_closest_marker("slow") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def _cut_browser_matrix_on_postgresql(config, items):
    """On PostgreSQL the browser matrix is cut to the tests whose result depends on the database
    (marked ``both_databases``: phone search, export counts…); the rest of the browser tests
    drive the same pages and run on SQLite. ``LIANKE_ALL_BROWSER_TESTS=1`` runs them all."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    if os.environ.get("LIANKE_ALL_BROWSER_TESTS") == "1":
        return
    keep, drop = [], []
    for item in items:
        database_bound = item.get_closest_marker("both_databases") is not None
        (drop if item.get_closest_marker("browser") and not database_bound else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def access_context():
    """Test code itself runs as the system (unrestricted). Requests made through the test
    client open their own per-user context in the middleware, exactly as in production."""
    from lianke.core.context import system_context

    with system_context():
        yield


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class Org:
    group: object
    js: object  # Jiangsu company
    js_team: object  # a team under Jiangsu
    zj: object  # Zhejiang company
    zj_team: object
    admin: object
    manager_js: object  # sales manager, scope: department tree (Jiangsu)
    lead_js: object  # team lead, scope: own + subordinates
    rep_js: object  # sales rep in the Jiangsu team, reports to lead_js → manager_js
    rep_js2: object  # another rep in the same team
    rep_zj: object  # sales rep in Zhejiang
    ops: object  # sales operations, scope: all (view/export/transfer)
    nobody: object  # active user without any role
    roles: dict


@pytest.fixture
def org(db) -> Org:
    from lianke.org.defaults import ensure_default_roles
    from lianke.org.models import Department, User

    roles = ensure_default_roles()
    group = Department.objects.create(name="大明集团")
    js = Department.objects.create(name="江苏公司", parent=group)
    js_team = Department.objects.create(name="江苏销售一部", parent=js)
    zj = Department.objects.create(name="浙江公司", parent=group)
    zj_team = Department.objects.create(name="浙江销售一部", parent=zj)

    def user(username, name, dept, role=None, superior=None, **extra):
        u = User.objects.create_user(
            username, password="pw-" + username, name=name, department=dept, superior=superior, **extra
        )
        if role:
            u.roles.add(roles[role])
        return u

    admin = user("admin", "管理员", group, is_superuser=True, is_staff=True)
    manager_js = user("manager_js", "王芳", js, "sales_manager")
    lead_js = user("lead_js", "赵强", js_team, "team_lead", manager_js)
    rep_js = user("rep_js", "张伟", js_team, "sales_rep", lead_js)
    rep_js2 = user("rep_js2", "孙丽", js_team, "sales_rep", manager_js)
    rep_zj = user("rep_zj", "李娜", zj_team, "sales_rep")
    ops = user("ops", "周敏", group, "sales_ops")
    nobody = user("nobody", "无角色", group)
    return Org(
        group,
        js,
        js_team,
        zj,
        zj_team,
        admin,
        manager_js,
        lead_js,
        rep_js,
        rep_js2,
        rep_zj,
        ops,
        nobody,
        roles,
    )


@pytest.fixture
def english(settings):
    """Pin English, the source language, for tests that assert message texts (the zh-hans
    catalogue translates them; test_i18n checks the catalogue)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def stages(db):
    """The default stage set: open stages, one won and one lost."""
    from lianke.sales.models import Stage, StageSet

    stage_set = StageSet.objects.create(name="直销项目", is_default=True)
    result = {}
    for order, (key, name, probability, kind) in enumerate(
        [
            ("first", "初步接洽", 10, "open"),
            ("quote", "方案报价", 50, "open"),
            ("won", "赢单", 100, "won"),
            ("lost", "输单", 0, "lost"),
        ]
    ):
        result[key] = Stage.objects.create(
            stage_set=stage_set, name=name, order=order, probability=probability, kind=kind
        )
    result["set"] = stage_set
    return result


@pytest.fixture
def client_for(client):
    """``client_for(user)`` → a Django test client logged in as ``user``."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture
def api_for():
    """``api_for(user)`` → a DRF APIClient authenticated with a new API token of the user
    (``scope="read"`` for a read-only one)."""
    from rest_framework.test import APIClient

    from lianke.org.tokens import issue_token

    def make(user, scope="read_write"):
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user=user, name='test', scope=scope).key}")
        return c

    return make
