"""The console's home is a list of settings pages that apps declare, grouped; none is hard-wired.

An app adds its page with one line, usually in its ``AppConfig.ready``::

    from lianke.console import pages
    pages.register("jobs", title=_("Scheduled jobs"), group=pages.WORKFLOW, url_name="jobs:settings")

An entry names its page by URL name (``url_name``) or by path (``path``); an entry whose page
does not exist in this installation (no such URL name, a path nothing answers) is left out, so a
page can be announced before it is built. Who sees an entry is its ``visible(user)`` (by default:
administrators, the users every config kind opens to); registering a key again replaces the
entry. The console itself registers its own pages and those of the platform it knows by URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy as _

ORGANISATION = "organisation"
OBJECTS = "objects"
WORKFLOW = "workflow"
INTEGRATIONS = "integrations"

#: The groups of the home page, in order.
GROUPS: dict[str, Any] = {
    ORGANISATION: _("Organisation"),
    OBJECTS: _("Objects & fields"),
    WORKFLOW: _("Workflow"),
    INTEGRATIONS: _("Integrations"),
}


def administrators(user) -> bool:
    """The default audience of a settings page: active superusers (what ``org.kinds.Config``
    grants without delegates)."""
    return bool(user.is_active and user.is_superuser)


@dataclass(frozen=True)
class Page:
    key: str
    title: Any
    group: str
    url_name: str = ""
    path: str = ""
    icon: str = "gear"
    description: Any = ""
    visible: Callable[[Any], bool] = administrators
    order: int = 100

    def url(self) -> str | None:
        """The page's address, or ``None`` where this installation does not have the page."""
        if self.url_name:
            try:
                return reverse(self.url_name)
            except NoReverseMatch:
                return None
        try:
            resolve(self.path)
        except Resolver404:
            return None
        return self.path


_pages: dict[str, Page] = {}


def register(key: str, *, title, group: str, **options) -> Page:
    """Declare (or replace) the settings page ``key``; ``options`` are :class:`Page`'s."""
    if group not in GROUPS:
        raise ValueError(f"Unknown settings group {group!r}; one of {sorted(GROUPS)}")
    if not options.get("url_name") and not options.get("path"):
        raise ValueError(f"Settings page {key!r} names neither a URL name nor a path")
    page = Page(key=key, title=title, group=group, **options)
    _pages[key] = page
    return page


def unregister(key: str) -> None:
    _pages.pop(key, None)


def get(key: str) -> Page | None:
    return _pages.get(key)


@dataclass(frozen=True)
class Entry:
    page: Page
    url: str


def entries_for(user) -> list[tuple[Any, list[Entry]]]:
    """``[(group label, [entries])]``: the pages ``user`` may open that exist here, groups in
    their order and pages by ``order`` then title; empty groups left out."""
    grouped: dict[str, list[Entry]] = {key: [] for key in GROUPS}
    for page in _pages.values():
        if not page.visible(user):
            continue
        url = page.url()
        if url is not None:
            grouped[page.group].append(Entry(page, url))
    return [
        (GROUPS[key], sorted(items, key=lambda e: (e.page.order, str(e.page.title))))
        for key, items in grouped.items()
        if items
    ]


def register_builtin() -> None:
    """The console's own pages, and the platform's settings pages it knows by address: the
    webhooks (outbox), and the pages of issue 9 that other apps bring (jobs, notifications,
    approvals, audit), shown once they answer. The business apps register their own pages
    (stage sets, lead statuses) from their ``AppConfig.ready``."""
    register(
        "departments",
        title=_("Departments"),
        group=ORGANISATION,
        url_name="console:departments",
        icon="diagram-3",
        description=_("The department tree: create, rename, move, managers."),
        order=10,
    )
    register(
        "users",
        title=_("Users"),
        group=ORGANISATION,
        url_name="console:users",
        icon="people",
        description=_("People, their department, superior and roles; activate or deactivate."),
        order=20,
    )
    register(
        "roles",
        title=_("Roles"),
        group=ORGANISATION,
        url_name="console:roles",
        icon="shield-lock",
        description=_("What each role may do with each object type, and on which records."),
        order=30,
    )
    register(
        "audit",
        title=_("Audit"),
        group=ORGANISATION,
        path="/settings/audit/",
        icon="journal-check",
        description=_("Sign-ins, exports, bulk changes, permission changes."),
        order=40,
    )
    register(
        "custom_fields",
        title=_("Custom fields"),
        group=OBJECTS,
        url_name="console:custom_fields",
        icon="input-cursor-text",
        description=_("Fields of each object type: create, order, sections, options."),
        order=10,
    )
    register(
        "approvals",
        title=_("Approval flows"),
        group=WORKFLOW,
        path="/settings/approvals/",
        icon="check2-square",
        order=10,
    )
    register(
        "notifications",
        title=_("Notification defaults"),
        group=WORKFLOW,
        path="/settings/notifications/",
        icon="bell",
        order=20,
    )
    register(
        "jobs",
        title=_("Scheduled jobs"),
        group=WORKFLOW,
        path="/settings/jobs/",
        icon="clock-history",
        order=30,
    )
    register(
        "webhooks",
        title=_("Webhooks"),
        group=INTEGRATIONS,
        url_name="outbox:webhooks",
        icon="send",
        description=_("Outgoing events to other systems, and their deliveries."),
        order=10,
    )
