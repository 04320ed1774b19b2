"""What a search text becomes: the conditions of a type's search (global search, list and API
``?search=``, lookups) and of a phone filter, and how they are run so an index serves each.

A text is matched three ways, each through an index on both databases:

- **Three characters or more: contained**, case-insensitive, in every search field — through the
  trigram GIN indexes on PostgreSQL (pg_trgm serves ``icontains``) and the FTS5 trigram tables on
  SQLite (``core.search.fts``).
- **One or two characters: a prefix** of the fields that lead a b-tree index (names: "张伟" finds
  张伟 and 张伟明, not 李张伟), and of a company name's key (``core.text.identity.company_key``: the
  name without its leading place and legal form, so "精工" finds 苏州精工机械 and "沙钢" 江苏沙钢
  集团有限公司), since no trigram index can serve so short a text. A type none of whose search
  fields has such an index (activities: subject and body) matches them as contained text,
  reading its table.
- Beside either: **a phone number's digits** from the start (``phones.query_digits``) and
  **pinyin** (``core.text.pinyin``: "zgsy", "zhongguo" → 中国石油), by b-tree ranges.

:func:`narrow_to_matches` runs them: each condition's ids through its own index, bounded by
``SEARCH_CANDIDATES``; a text with more matches than that runs the plain condition instead,
whose scan in list order meets them early. Custom fields an administrator marks searchable have
no index: they are read row by row (``rest``)."""

from __future__ import annotations

import copy
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Func, IntegerField, Lookup, Q
from django.db.models.expressions import Col
from django.db.models.sql.where import OR, WhereNode

from lianke.org import fieldaccess

from ..fields import (
    company_key_fields,
    contained_pinyin_fields,
    digits_field_name,
    initials_fields,
    pinyin_fields,
)
from ..text.phones import digits_successor, query_digits
from ..text.pinyin import letters_successor, query_letters
from . import fts

# Up to this many matches are collected through the indexes and ordered among themselves (a few
# milliseconds per thousand); a text with more is frequent enough for the ordered scan.
SEARCH_CANDIDATES = 10000


def clean(text: str) -> str:
    return text.replace("\x00", "")  # no record holds NUL, and PostgreSQL refuses it (a 500)


def contains_q(fields, text: str) -> Q:
    """OR of case-insensitive ``contains`` over ``fields``."""
    text = clean(text)
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__icontains": text})
    return q


def digits_prefix_q(column: str, digits: str) -> Q:
    """Numbers in the digits ``column`` that are ``digits`` or start with it: a range, which a
    plain b-tree serves on both databases (``LIKE 'x%'`` would need a special operator class on
    PostgreSQL and a case-sensitive LIKE on SQLite)."""
    q = Q(**{f"{column}__gte": digits})
    upper = digits_successor(digits)
    return q & Q(**{f"{column}__lt": upper}) if upper is not None else q


def phone_search_ranges(model, fields, text: str) -> list[Q]:
    """The digits conditions of a search ``text`` that looks like a phone number (see
    ``phones.query_digits``), one per digits column of the phone ``fields``; else none."""
    digits = query_digits(text)
    if digits is None:
        return []
    columns = [c for c in (digits_field_name(model, name) for name in fields) if c]
    return [digits_prefix_q(column, digits) for column in columns]


def text_successor(text: str) -> str | None:
    """The smallest string above every string starting with ``text`` in code-point order."""
    stripped = text.rstrip(chr(0x10FFFF))
    if not stripped:
        return None
    return stripped[:-1] + chr(ord(stripped[-1]) + 1)


def prefix_q(name: str, text: str) -> Q:
    """Values of ``name`` starting with ``text`` (one or two characters), letters in any case,
    through an index: on PostgreSQL ``UPPER(name) LIKE 'TEXT%'``, which the column's trigram
    index serves from its start-of-word trigrams ("  张", " 张伟": a b-tree could serve ``LIKE``
    only under the C collation); on SQLite a code-point range on the b-tree per spelling of the
    letters (its ``LIKE`` ignores case and so cannot use an index; a range is a prefix under its
    binary collation)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{name}__istartswith": text})
    q = Q()
    for spelling in _spellings(text):
        upper = text_successor(spelling)
        start = Q(**{f"{name}__gte": spelling})
        q |= start & Q(**{f"{name}__lt": upper}) if upper is not None else start
    return q


def _spellings(text: str) -> list[str]:
    """``text`` with its ASCII letters in every case ("ab" → ab, aB, Ab, AB); short texts only."""
    out = [""]
    for char in text:
        cases = {char.lower(), char.upper()} if char.isascii() and char.isalpha() else {char}
        out = [s + c for s in out for c in sorted(cases)]
    return out


def key_prefix_q(column: str, key: str) -> Q:
    """Company keys (lower case, as stored) starting with ``key``: ``LIKE 'key%'`` on PostgreSQL,
    served by the key's ``varchar_pattern_ops`` index under any collation; a range on SQLite."""
    if connection.vendor == "postgresql":
        return Q(**{f"{column}__startswith": key})
    upper = text_successor(key)
    start = Q(**{f"{column}__gte": key})
    return start & Q(**{f"{column}__lt": upper}) if upper is not None else start


def leads_an_index(model, name: str) -> bool:
    """Whether a b-tree index of ``model`` starts with the column ``name``."""
    if "__" in name:
        return False
    field = model._meta.get_field(name)
    if field.db_index or field.unique or field.primary_key:
        return True
    for index in model._meta.indexes:
        if index.fields and index.fields[0].lstrip("-") == name and not getattr(index, "opclasses", None):
            return True
    return any(name == fields[0] for fields in model._meta.unique_together)


@dataclass
class Plan:
    """A search as conditions run one by one through their indexes (``finders``: a ``Q``, or a
    ``Through`` a related table's ids; each with the plain condition it stands for), and
    ``rest`` that no index serves."""

    finders: list[tuple[Q | Through, Q]] = field(default_factory=list)
    rest: Q | None = None
    # Conditions a plain b-tree serves on its own (a range): how many rows match is told by the
    # index alone, before any finder collects ids.
    ranges: list[Q] = field(default_factory=list)
    # A text an index says is frequent (more than ``SEARCH_CANDIDATES`` rows): the plain
    # condition's ordered scan meets its matches early, collecting them would not.
    frequent: bool = False

    def add(self, finder: Q | Through, plain: Q | None = None) -> None:
        """``finder``, standing for ``plain`` (itself if a ``Q`` and none given)."""
        if plain is None:
            if not isinstance(finder, Q):
                raise TypeError("a Through finder stands for a plain condition")
            plain = finder
        self.finders.append((finder, plain))

    def add_ranges(self, ranges: list[Q]) -> None:
        """``ranges`` (b-tree ranges, see ``ranges``) as one finder."""
        if ranges:
            self.ranges += ranges
            finder = Q()
            for q in ranges:
                finder |= q
            self.add(finder)

    def digits(self, model, fields, text: str) -> None:
        """Phone numbers of ``fields`` starting with the digits of ``text``, if it looks like
        one (``phone_search_ranges``)."""
        self.add_ranges(phone_search_ranges(model, fields, text))

    def add_rest(self, q: Q) -> None:
        self.rest = q if self.rest is None else self.rest | q

    def contained(self, model, fields, text: str) -> None:
        """``fields`` containing ``text``, each through its trigram index (on SQLite, a text
        shorter than a trigram is read row by row)."""
        if connection.vendor == "postgresql":  # pg_trgm serves each icontains
            for name in fields:
                through = Through.of(model, name, text)
                self.add(through or contains_q([name], text), contains_q([name], text))
            return
        if len(text) < fts.MIN_LENGTH:  # too short for trigrams: read row by row
            self.add_rest(contains_q(fields, text))
            return
        own = {f.name: f.attname for f in model._meta.concrete_fields}
        indexed = set(fts.indexed_columns_of(model))
        local = [n for n in fields if own.get(n) in indexed]
        if local:
            columns = [own[n] for n in local]
            self.frequent |= fts.more_matches_than(model, columns, text, SEARCH_CANDIDATES)
            self.add(fts.match_q(model, columns, text), contains_q(local, text))
        for name in fields:
            if name in local:
                continue
            related = _related_match(model, name, text)
            if related is not None:
                self.frequent |= related[1]
                self.add(related[0], contains_q([name], text))
            else:
                self.add_rest(contains_q([name], text))

    def as_q(self) -> Q:
        q = Q(pk__in=[])
        for _finder, plain in self.finders:
            q |= plain
        return q | self.rest if self.rest is not None else q


@dataclass(frozen=True)
class Through:
    """A finder of the rows whose ``path`` is one of the ``model`` rows matching ``condition``
    (``account__name`` contains "鞍山华盛": the opportunities of those accounts): the related
    ids collected through the related table's own index first — the same ids the related type's
    search collects, once per search (``shared_collections``) —, then the rows through the key's
    index. A join instead read up to 10,001 rows of both tables per type before it could tell a
    frequent text (PostgreSQL, a million accounts: 26 ms for 有限公司)."""

    path: str
    model: type
    condition: Q

    @classmethod
    def of(cls, model, name: str, text: str) -> Through | None:
        """The finder of ``name`` (``relation__column``, one step) containing ``text``, if it is
        such a path."""
        path, _, column = name.rpartition("__")
        if not path or "__" in path:
            return None
        related = model._meta.get_field(path).related_model
        if related is None or not isinstance(related._meta.pk, IntegerField):  # (keys for ``any_of``)
            return None
        return cls(path, related, contains_q([column], text))


_shared: ContextVar[dict | None] = ContextVar("search_collections", default=None)


@contextmanager
def shared_collections():
    """Within it, the ids a finder collected are kept and reused by the searches that follow
    (global search: the accounts a name matches, for the opportunities too)."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def _related_match(model, name: str, text: str) -> tuple[Q, bool] | None:
    """``rel__column`` matched through the related table's FTS table (SQLite), if it has one,
    and whether the text is frequent there."""
    path, _, column = name.rpartition("__")
    if "__" in path:
        return None
    related = model._meta.get_field(path).related_model
    if related is None:
        return None
    target = related._meta.get_field(column).attname
    if target not in fts.indexed_columns_of(related):
        return None
    frequent = fts.more_matches_than(related, [target], text, SEARCH_CANDIDATES)
    return fts.match_q(related, [target], text, path=path), frequent


def pinyin_parts(model, fields, text: str) -> tuple[list[Q], list[str], str] | None:
    """For a search ``text`` of ASCII letters only (``core.text.pinyin.query_letters``), the pinyin
    columns of the name ``fields`` that start with it ("zgsy", "zhongguo" → 中国石油): the prefix
    of the first form, and of the initials where they have a column of their own
    (``PinyinInitialsField``), as ranges a plain b-tree serves, one per column; and the columns
    and text (a space, then the letters) that find the other forms of the rest (a person's
    initials and surname readings) as a later token — through the columns' trigram indexes;
    else ``None``."""
    letters = query_letters(text)
    prefixed = [f.name for f in (*pinyin_fields(model), *initials_fields(model)) if f.source in fields]
    if letters is None or not prefixed:
        return None
    upper = letters_successor(letters)
    ranges = []
    for column in prefixed:
        first = Q(**{f"{column}__gte": letters})
        ranges.append(first & Q(**{f"{column}__lt": upper}) if upper is not None else first)
    columns = [f.name for f in contained_pinyin_fields(model) if f.source in fields]
    return ranges, columns, f" {letters}"


def pinyin_q(model, fields, text: str) -> Q | None:
    """:func:`pinyin_parts` as one condition (the people pickers, which read a small table)."""
    parts = pinyin_parts(model, fields, text)
    if parts is None:
        return None
    ranges, columns, token = parts
    q = Q()
    for condition in ranges:
        q |= condition
    for column in columns:
        q |= Q(**{f"{column}__icontains": token})
    return q


def plan_for(model, names, text: str, *, custom: Q | None = None) -> Plan:
    """The plan of a search ``text`` over the search fields ``names`` of ``model`` (and the
    ``custom`` condition of searchable custom fields, which no index serves)."""
    text = clean(text)
    plan = Plan()
    if len(text) >= fts.MIN_LENGTH:
        plan.contained(model, names, text)
        if custom is not None:
            plan.add_rest(custom)
    else:
        prefixed = [n for n in names if leads_an_index(model, n)]
        if prefixed:
            for name in prefixed:
                plan.add(prefix_q(name, text))
            key = unicodedata.normalize("NFKC", text).casefold()
            for column in (f.attname for f in company_key_fields(model) if f.source in names):
                plan.add_ranges([key_prefix_q(column, key)])
        else:
            if names:  # (none readable: nothing to match; an empty Q would match every row)
                plan.add_rest(contains_q(names, text))
            if custom is not None:
                plan.add_rest(custom)
    plan.digits(model, names, text)
    letters = pinyin_parts(model, names, text)
    if letters is not None:
        prefix, columns, token = letters
        for q in prefix:  # each on its own: an index of (column, id) gives the ids alone
            plan.add_ranges([q])
        if columns:
            plan.contained(model, columns, token)
    if not plan.finders and plan.rest is None:
        plan.add(Q(pk__in=[]))
    return plan


def _more_than_candidates(queryset, condition: Q) -> bool:
    """Whether more than ``SEARCH_CANDIDATES`` rows match the b-tree range ``condition``: a look
    at the row past them, which the index answers alone (PostgreSQL, a million contacts: 3 ms,
    where collecting the ids of a frequent phone prefix reads 10,000 rows of the table, 23 ms)."""
    return queryset.filter(condition).order_by()[SEARCH_CANDIDATES : SEARCH_CANDIDATES + 1].exists()


def _bounded_ids(model, condition) -> list | None:
    """Ids of up to ``SEARCH_CANDIDATES`` rows of ``model`` matching ``condition`` (a ``Q`` or a
    ``Through``), deleted ones too; ``None`` if there are more. Kept for the rest of a search
    within ``shared_collections``."""
    shared = _shared.get()
    key = (model._meta.label, condition)
    if shared is not None and key in shared:
        return shared[key]
    if isinstance(condition, Through):
        related = _bounded_ids(condition.model, condition.condition)
        found = None if related is None else _collect(model, Q(**{f"{condition.path}__pk__any_of": related}))
    else:
        found = _collect(model, condition)
    if shared is not None:
        shared[key] = found
    return found


def _collect(model, condition: Q) -> list | None:
    found = list(
        model._base_manager.filter(condition).order_by().values_list("pk", flat=True)[: SEARCH_CANDIDATES + 1]
    )
    return None if len(found) > SEARCH_CANDIDATES else found


def narrow_to_matches(queryset, plan: Plan):
    """``queryset`` narrowed to ``plan``'s matches, planned so that each index is used.

    Ordered by ``updated_at … LIMIT n``, a database walks the updated_at index and tests each
    condition row by row, expecting matches early (PostgreSQL never estimates ``LIKE '%text%'``
    below 0.01% of the table): for a rare text, such as a full phone number, it reads every row
    (seconds at a million). So first collect the matching ids one condition at a time, each
    through its own index and bounded; when there are few, filter on just those (and on
    ``rest``, read row by row). A text with many matches keeps the plain condition, whose ordered
    scan then meets them early."""
    # The candidates are collected without the reader's scope, each query on its index alone (with
    # the scope in it, SQLite may prefer walking the owner's rows and test the condition on each:
    # half a second for a rep's 60,000 leads); the final query applies the scope, so ids out of
    # reach are only ever a filter, never read.
    candidates = queryset.model._base_manager.all()
    # A range the index says is frequent settles it before any finder reads the table: a phone
    # number's first digits are often such a text, and their trigram finders the dearest.
    if plan.frequent or any(_more_than_candidates(candidates, q) for q in plan.ranges):
        return in_list_order(queryset).filter(plan.as_q())
    ids: set[int] = set()
    for finder, _plain in plan.finders:
        found = _bounded_ids(queryset.model, finder)
        if found is None:
            return in_list_order(queryset).filter(plan.as_q())
        ids.update(found)
        if len(ids) > SEARCH_CANDIDATES:  # (so the final query binds a bounded list)
            return in_list_order(queryset).filter(plan.as_q())
    # The ids as one parameter (``pk__any_of``): thousands bound one by one cost more than the
    # query (9,568 on PostgreSQL: ~70 ms of the request's time)
    q = Q(pk__any_of=list(ids))
    return queryset.filter(q | plan.rest if plan.rest is not None else q)


class _NotIndexed(Func):
    """A column SQLite may not look up through an index: ``+"table"."column"`` (its value
    unchanged)."""

    template = "+%(expressions)s"
    arity = 1


def _not_indexed(node, in_or: bool = False):
    """``node`` (a WHERE tree) with the columns of its disjunctions wrapped in ``_NotIndexed``;
    ``None`` if it has none."""
    if isinstance(node, WhereNode):
        in_or = in_or or (node.connector == OR and len(node.children) > 1)
        children = [_not_indexed(child, in_or) for child in node.children]
        if all(new is None for new in children):
            return None
        return WhereNode(
            [old if new is None else new for old, new in zip(node.children, children, strict=True)],
            node.connector,
            node.negated,
        )
    if in_or and isinstance(node, Lookup) and isinstance(node.lhs, Col):
        lookup = copy.copy(node)
        lookup.lhs = _NotIndexed(node.lhs, output_field=node.lhs.output_field)
        return lookup
    return None


def in_list_order(queryset):
    """``queryset`` for the ordered scan of a frequent text (SQLite): its conditions joined by OR
    (a manager's data scope: ``owner = me OR department IN (…)``) made unable to drive an index.

    With them indexed, SQLite reads every row of the scope through each index (``MULTI-INDEX
    OR``) and sorts all the matches for one page (13 s for a manager at a million accounts);
    without, it walks the list's order index and stops at the page's end, as it does for a
    scope of one index. A small scope (no more rows than ``SEARCH_CANDIDATES``) keeps its
    indexes: its matches are few to sort, and the walk would read the whole order for them."""
    if connection.vendor != "sqlite":  # PostgreSQL weighs the scope's rows against the walk
        return queryset
    where = _not_indexed(queryset.query.where)
    if where is None:
        return queryset
    if queryset.order_by().values("pk")[: SEARCH_CANDIDATES + 1].count() <= SEARCH_CANDIDATES:
        return queryset
    walked = queryset.all()
    walked.query.where = where
    return walked


# ------------------------------------------------------------------ an object type's search
def search_plan(object_type, text: str) -> Plan:
    """The one search of an object type: its search fields, and the custom fields an
    administrator marked searchable, matched as contained text (three characters or more) or by
    prefix (one or two), phone digits and pinyin from the start — only what the searcher may read
    in full: a hidden or masked field is not searched (finding a record by a number one may not
    see would reveal the number)."""
    fields = fieldaccess.current(object_type.model)
    names = [n for n in object_type.search_fields if fields.readable(n)]
    custom = None
    for d in object_type.custom_fields():
        if d.searchable and d.searched_as_text and fields.readable(d.filter_name):
            q = Q(**{f"custom_data__{d.name}__icontains": clean(text)})
            custom = q if custom is None else custom | q
    return plan_for(object_type.model, names, text, custom=custom)


def search(object_type, queryset, text: str):
    """``queryset`` (of ``object_type``) narrowed to the records matching ``text``, planned to use
    the indexes: what list filters, the API, global search and lookups run."""
    return narrow_to_matches(queryset, search_plan(object_type, text))
