"""The context every read and write of business data runs in.

One context variable carries who is acting (for the data-scope filter) and why (for history):
the web middleware and the API set it per request, management commands and jobs set it
explicitly. Business managers refuse to query without one (fail closed).
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.http import HttpRequest

    from lianke.org.models import User


class Source:
    WEB = "web"
    API = "api"
    COMMAND = "command"
    IMPORT = "import"
    JOB = "job"
    SYSTEM = "system"


# How the history names each source.
SOURCE_LABELS = {
    Source.WEB: _("Web"),
    Source.API: _("API"),
    Source.COMMAND: _("Command line"),
    Source.IMPORT: _("Import"),
    Source.JOB: _("Scheduled job"),
    Source.SYSTEM: _("System"),
}


@dataclass
class Context:
    """Who acts, from where; plus a per-context cache for compiled scopes."""

    source: str
    system: bool = False
    _user: User | None = None
    request: HttpRequest | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    cache: dict[Any, Any] = field(default_factory=dict)
    # What does not depend on who acts (the configuration token): kept when ``cache`` is
    # cleared because the user became known (DRF authenticates inside the view).
    shared: dict[Any, Any] = field(default_factory=dict)

    @property
    def user(self) -> User | None:
        # Read lazily: DRF authenticates inside the view, after the middleware ran, and sets
        # ``request.user`` on the Django request when it does.
        if self.request is not None:
            user = getattr(self.request, "user", None)
            if user is not None and user.is_authenticated:
                if self.cache.get("_user_id") != user.pk:
                    self.cache.clear()
                    self.cache["_user_id"] = user.pk
                return user  # type: ignore[return-value]
            return None
        return self._user


class AccessContextMissing(RuntimeError):
    """A business query ran outside any access context: a programming error, never data."""


_current: contextvars.ContextVar[Context | None] = contextvars.ContextVar("lianke_context", default=None)


def current() -> Context | None:
    return _current.get()


def require() -> Context:
    ctx = _current.get()
    if ctx is None:
        raise AccessContextMissing(
            "Business data was queried outside an access context; wrap the code in "
            "acting_as(user) or system_context()."
        )
    return ctx


@contextmanager
def _activate(ctx: Context) -> Iterator[Context]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def acting_as(user: User, *, source: str = Source.COMMAND) -> contextlib_cm:
    """Run as ``user``: reads are limited to what the user may see; history names the user."""
    return _activate(Context(source=source, _user=user))


def system_context(*, source: str = Source.SYSTEM, actor: User | None = None) -> contextlib_cm:
    """Run unrestricted (migrations, jobs, demo data); history names ``actor`` if given."""
    return _activate(Context(source=source, system=True, _user=actor))


# A client's (or proxy's) ``X-Request-ID`` is kept only if it is a plain token that fits the
# history's column; anything else (spaces, markup, control characters, too long) is replaced.
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_from(request: HttpRequest) -> str:
    sent = request.headers.get("X-Request-ID", "")
    return sent if REQUEST_ID_RE.fullmatch(sent) else uuid.uuid4().hex


def request_context(request: HttpRequest, *, source: str = Source.WEB) -> contextlib_cm:
    return _activate(Context(source=source, request=request, request_id=request_id_from(request)))


contextlib_cm = Any  # the return type of the helpers above: a context manager yielding Context
