"""A list's state lives in its URL: filters, sort, columns, page size and the "mine / my team"
tab. :class:`ListState` reads it from a query string and writes it back into every link that
must keep it — export, saved views, sort headers, page size, tabs, bulk actions and the "back to
list" links of the record pages (the last state of each list is remembered in the session)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import QueryDict

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
# Query parameters that are positions in the list, not its state.
NOT_STATE = ("after",)
SESSION_KEY = "lianke_lists"


class ListState:
    def __init__(self, object_type, params: QueryDict | str | None = None):
        self.object_type = object_type
        if not isinstance(params, QueryDict):
            params = QueryDict(params or "")
        state = QueryDict(mutable=True)
        for key, values in params.lists():
            values = [v for v in values if v != ""]
            if key not in NOT_STATE and values:
                state.setlist(key, values)
        # Defaults are left out, so that the same list always has the same, short URL.
        if state.getlist("cols") == list(object_type.list_columns):
            state.pop("cols")
        if state.get("per_page") == str(DEFAULT_PAGE_SIZE):
            state.pop("per_page")
        self.params = state

    # ------------------------------------------------------------------ values
    @property
    def sort(self) -> str:
        return self.params.get("sort", "")

    @property
    def scope(self) -> str:
        return self.params.get("scope", "")

    @property
    def per_page(self) -> int:
        try:
            size = int(self.params.get("per_page", DEFAULT_PAGE_SIZE))
        except ValueError:
            return DEFAULT_PAGE_SIZE
        return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE

    @property
    def columns(self) -> list[str]:
        return self.params.getlist("cols")

    # ------------------------------------------------------------------ query strings
    @property
    def query(self) -> str:
        """The canonical query string of this state (no page position)."""
        return self.params.urlencode()

    def with_(self, **changes) -> str:
        """The query string with some parameters replaced (``None`` removes one)."""
        params = self.params.copy()
        for key, value in changes.items():
            params.pop(key, None)
            if value not in (None, ""):
                params.setlist(key, value if isinstance(value, list | tuple) else [value])
        return params.urlencode()

    def url(self, **changes) -> str:
        query = self.with_(**changes) if changes else self.query
        return self.object_type.url_list + ("?" + query if query else "")

    def export_url(self, file_format: str, columns: str) -> str:
        extra = urlencode({"format": file_format, "columns": columns})
        return self.object_type.url("export") + "?" + (self.query + "&" if self.query else "") + extra

    def same_as(self, query: str) -> bool:
        """Is ``query`` (e.g. a saved view's) this state, whatever the parameter order?"""
        other = ListState(self.object_type, query).params
        mine = self.params

        def norm(params):
            return sorted((k, tuple(sorted(v for v in params.getlist(k) if v))) for k in params)

        return [kv for kv in norm(other) if kv[1]] == [kv for kv in norm(mine) if kv[1]]

    # ------------------------------------------------------------------ memory
    def remember(self, session) -> None:
        lists = session.get(SESSION_KEY) or {}
        if lists.get(self.object_type.key) != self.query:
            lists[self.object_type.key] = self.query
            session[SESSION_KEY] = lists

    @classmethod
    def remembered(cls, object_type, session) -> ListState:
        return cls(object_type, (session.get(SESSION_KEY) or {}).get(object_type.key, ""))
