"""How a search text is matched — contained from three characters, a prefix below that — on both
databases, and SQLite's trigram tables (``core.search.fts``) kept in step with the records however they
are written, rebuilt when they fall out of step, and used by the query plan."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection

from lianke.core.objecttypes.registry import registry
from lianke.core.records import batch, bulk, services
from lianke.core.search import fts
from lianke.core.search.textsearch import search_plan
from lianke.core.tests.test_pinyin import SEARCH_PATHS
from lianke.customers.models import Account, Contact

sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the trigram tables are SQLite's")


def names_found(user_client, text, key="customers.account", path="list page") -> set[str]:
    ot = registry.get(key)
    ids = SEARCH_PATHS[path](user_client, ot, text)
    return set(ot.model.all_objects.filter(pk__in=ids).values_list("name", flat=True))


@pytest.fixture
def searcher(org, client_for, api_for):
    return SimpleNamespace(web=client_for(org.rep_js), api=api_for(org.rep_js))


@pytest.fixture
def accounts(org):
    names = (
        "张伟钢铁",
        "张伟明贸易",
        "李张伟五金",
        "Baosteel Trading",
        "宝山钢铁",
        'He said "steel" OR NEAR',
    )
    return {n: Account.objects.create(name=n, owner=org.rep_js) for n in names}


# ---------------------------------------------------------------------------------- semantics
@pytest.mark.parametrize("path", SEARCH_PATHS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one or two characters: the start of a name (an index serves it; trigrams cannot)
        ("张伟", {"张伟钢铁", "张伟明贸易"}),
        ("张", {"张伟钢铁", "张伟明贸易"}),
        ("bA", {"Baosteel Trading", "宝山钢铁"}),  # letters in any case, and pinyin: baoshan…
        ("钢铁", set()),  # two characters from the middle of a name do not match
        # three or more: anywhere in a search field, letters in any case
        ("张伟明", {"张伟明贸易"}),
        ("张伟钢铁", {"张伟钢铁"}),
        (" 山钢铁 ", {"宝山钢铁"}),  # surrounding spaces do not count
        ("STEEL", {"Baosteel Trading", 'He said "steel" OR NEAR'}),
        ("osteel tr", {"Baosteel Trading"}),
        # the search syntax of the index is never interpreted: quotes, operators, columns
        ('"steel" OR', {'He said "steel" OR NEAR'}),
        ("OR NEAR", {'He said "steel" OR NEAR'}),
        ("name : 张伟", set()),
        ('{name} "x', set()),
        ("*钢铁*", set()),
    ],
)
def test_a_text_is_found_contained_from_three_characters_and_as_a_prefix_below(
    accounts, searcher, path, text, expected
):
    assert names_found(searcher, text, path=path) == expected


def test_a_short_text_matches_anywhere_in_a_type_whose_search_fields_lead_no_index(org, client_for, stages):
    # given activities (subject and body: no b-tree leads with them) on an account of rep_js
    from django.contrib.contenttypes.models import ContentType

    from lianke.activities.models import Activity

    account = Account.objects.create(name="宝钢", owner=org.rep_js)
    on = {
        "account": account,
        "content_type": ContentType.objects.get_for_model(Account),
        "object_id": account.pk,
    }
    note = Activity.objects.create(subject="回访张伟", owner=org.rep_js, **on)
    Activity.objects.create(subject="报价", owner=org.rep_js, **on)
    # when rep_js searches their activities for two characters from the middle of a subject
    found = client_for(org.rep_js).get("/activities/activity/", {"search": "张伟"}).context["rows"]
    # then the activity is found all the same
    assert [row[0].pk for row in found] == [note.pk]


def test_a_related_name_is_searched_through_the_related_records_index(org, client_for, stages):
    # given an opportunity on an account whose name only the account holds
    from lianke.sales.models import Opportunity

    account = Account.objects.create(name="沙钢集团", owner=org.rep_js)
    deal = Opportunity.objects.create(
        name="线材",
        account=account,
        owner=org.rep_js,
        stage=stages["first"],
        stage_set=stages["first"].stage_set,
    )
    # when rep_js searches the opportunities by the account's name
    rows = client_for(org.rep_js).get("/sales/opportunity/", {"search": "沙钢集"}).context["rows"]
    # then the opportunity is found
    assert [row[0].pk for row in rows] == [deal.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's finders (SQLite: FTS5)")
@pytest.mark.parametrize("bound", [10000, 2])
def test_global_search_collects_an_account_name_once_for_accounts_and_their_opportunities(
    org, client_for, stages, monkeypatch, bound
):
    """The opportunities of the accounts a name matches are found through those accounts' ids
    and the opportunities' account key — the ids the accounts' own search collected — not a
    join per type; with more matching accounts than the search collects, the plain condition
    finds them all the same."""
    from django.test.utils import CaptureQueriesContext

    from lianke.core.search import textsearch
    from lianke.sales.models import Opportunity

    monkeypatch.setattr(textsearch, "SEARCH_CANDIDATES", bound)
    deals = {}
    for name in ("沙钢集团", "沙钢集团苏州", "沙钢集团无锡", "宝山钢铁"):
        account = Account.objects.create(name=name, owner=org.rep_js)
        deals[name] = Opportunity.objects.create(
            name="线材",
            account=account,
            owner=org.rep_js,
            stage=stages["first"],
            stage_set=stages["first"].stage_set,
        )
    with CaptureQueriesContext(connection) as queries:
        results = client_for(org.rep_js).get("/search/", {"q": "沙钢集团"}).context["results"]
    found = {r["type"].key: {record.pk for record, _cells in r["rows"]} for r in results}
    assert found["sales.opportunity"] == {deals[n].pk for n in ("沙钢集团", "沙钢集团苏州", "沙钢集团无锡")}
    assert len(found["customers.account"]) == 3
    name_reads = [q["sql"] for q in queries if 'UPPER("customers_account"."name"::text) LIKE' in q["sql"]]
    opportunity_ids = [
        q["sql"] for q in queries if q["sql"].startswith('SELECT "sales_opportunity"."id" AS "pk"')
    ]
    if bound == 10000:  # collected: once for both types, the opportunities by their key
        assert len(name_reads) == 1 and 'AS "pk" FROM "customers_account"' in name_reads[0]
        assert len(opportunity_ids) == 2  # (the opportunities' own name, then by account)
        assert '"sales_opportunity"."account_id" IN (SELECT unnest(' in opportunity_ids[1]
        assert "JOIN" not in opportunity_ids[1]
    else:  # too many to collect: each type's plain condition, the account name read once to tell
        assert sum('AS "pk" FROM "customers_account"' in sql for sql in name_reads) == 1


def test_global_search_by_an_account_name_shows_only_the_opportunities_one_may_see(org, client_for, stages):
    """The accounts' ids a global search collects (unscoped, shared with the opportunities'
    search) never widen what the searcher sees: another department's opportunity on a matching
    account stays out, and so does one on an account the searcher may not open."""
    from lianke.sales.models import Opportunity

    def deal(account, owner):
        return Opportunity.objects.create(
            name="线材",
            account=account,
            owner=owner,
            stage=stages["first"],
            stage_set=stages["first"].stage_set,
        )

    mine = Account.objects.create(name="沙钢集团江苏", owner=org.rep_js)
    theirs = Account.objects.create(name="沙钢集团浙江", owner=org.rep_zj)
    visible = deal(mine, org.rep_js)
    deal(mine, org.rep_zj)  # on my account, but another department's opportunity
    deal(theirs, org.rep_zj)
    results = client_for(org.rep_js).get("/search/", {"q": "沙钢集团"}).context["results"]
    found = {r["type"].key: [record.pk for record, _cells in r["rows"]] for r in results}
    assert found["customers.account"] == [mine.pk]
    assert found["sales.opportunity"] == [visible.pk]


def test_only_a_one_step_path_to_integer_keys_is_collected_through_the_related_ids():
    from django.db import models

    from lianke.core.search.textsearch import Through
    from lianke.sales.models import Opportunity

    through = Through.of(Opportunity, "account__name", "沙钢")
    assert (through.path, through.model) == ("account", Account)
    assert Through.of(Opportunity, "name", "沙钢") is None
    assert Through.of(Opportunity, "account__owner__name", "王") is None
    text_keyed = SimpleNamespace(_meta=SimpleNamespace(pk=models.CharField(primary_key=True)))
    relation = SimpleNamespace(related_model=text_keyed)
    assert (
        Through.of(SimpleNamespace(_meta=SimpleNamespace(get_field=lambda name: relation)), "code__name", "x")
        is None
    )


def test_the_search_stays_inside_the_searchers_scope(org, client_for):
    mine = Account.objects.create(name="江苏钢铁厂", owner=org.rep_js)
    Account.objects.create(name="浙江钢铁厂", owner=org.rep_zj)
    web = SimpleNamespace(web=client_for(org.rep_js), api=None)
    for text in ("钢铁厂", "江"):
        assert names_found(web, text) == ({mine.name} if text == "钢铁厂" else {mine.name}), text
    assert names_found(web, "浙江") == set()


# ---------------------------------------------------------------------------------- the tables
def fts_ids(model, text: str) -> set[int]:
    table = fts.table_name(model)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT rowid FROM "{table}" WHERE "{table}" MATCH %s', ['"' + text + '"'])
        return {row[0] for row in cursor.fetchall()}


@sqlite_only
def test_every_write_path_keeps_the_table_in_step(org):
    # created through the write pipeline
    account = services.save_record(actor=org.rep_js, instance=Account(name="鞍山钢铁", owner=org.rep_js))
    assert fts_ids(Account, "鞍山钢") == {account.pk}
    # renamed
    account.name = "本溪钢铁"
    services.save_record(actor=org.rep_js, instance=account)
    assert fts_ids(Account, "鞍山钢") == set()
    assert fts_ids(Account, "本溪钢") == {account.pk}
    # bulk edit and the batch path
    services.bulk_edit(actor=org.rep_js, records=[account], field="short_name", value="本钢股份")
    assert fts_ids(Account, "本钢股") == {account.pk}
    batch.update_records(actor=org.rep_js, model=Account, changes={account.pk: {"name": "攀枝花钢铁"}})
    assert fts_ids(Account, "攀枝花") == {account.pk}
    # rows inserted in bulk (imports, the demo loader), with a person's pinyin (its later
    # tokens, a surname's other reading, are contained text; a company's initials have a b-tree)
    [inserted] = bulk.insert([Account(name="酒泉钢铁", name_pinyin="jiuquangangtie jqgt", owner=org.rep_js)])
    assert fts_ids(Account, "酒泉钢") == {inserted.pk}
    assert fts_ids(Account, " jqg") == set()
    [person] = bulk.insert(
        [Contact(name="单伟", name_pinyin="shanwei sw danwei dw", account=account, owner=org.rep_js)]
    )
    assert fts_ids(Contact, " dw") == {person.pk}
    # purged for good
    Account.all_objects.filter(pk=inserted.pk).delete()
    assert fts_ids(Account, "酒泉钢") == set()


@sqlite_only
def test_a_table_out_of_step_with_the_declaration_is_rebuilt_after_migrate(org):
    account = Account.objects.create(name="首钢集团", owner=org.rep_js)
    table = fts.table_name(Account)
    # given the triggers lost (as when Django re-creates a table to alter it) and a write missed
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TRIGGER "{table}_au"')
    Account.all_objects.filter(pk=account.pk).update(name="首都钢铁")
    assert fts_ids(Account, "首都钢") == set()
    # when the post-migrate step runs
    assert table in fts.sync()
    # then the triggers are back and the table holds the rows as they are
    assert fts_ids(Account, "首都钢") == {account.pk}
    Account.all_objects.filter(pk=account.pk).update(name="首钢股份")
    assert fts_ids(Account, "首钢股") == {account.pk}
    # and a table in step is left alone
    assert table not in fts.sync()


@sqlite_only
def test_lianke_reindex_rebuilds_every_table(org, capsys):
    account = Account.objects.create(name="马钢股份", owner=org.rep_js)
    table = fts.table_name(Account)
    with connection.cursor() as cursor:  # the table emptied behind the triggers' back
        cursor.execute(f'INSERT INTO "{table}"("{table}") VALUES (\'delete-all\')')
    assert fts_ids(Account, "马钢股") == set()
    call_command("reindex")
    assert fts_ids(Account, "马钢股") == {account.pk}
    assert "customers_account_fts" in capsys.readouterr().out


@sqlite_only
def test_the_search_reads_the_trigram_table_not_the_records(db):
    ot = registry.get("customers.account")
    plan = search_plan(ot, "钢铁厂")
    finder, _plain = plan.finders[0]
    sql, params = Account.objects.filter(finder).order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        steps = [row[-1] for row in cursor.fetchall()]
    assert any(s.startswith("SCAN customers_account_fts VIRTUAL TABLE INDEX") for s in steps), steps
    assert not any(s.startswith("SCAN customers_account ") or s == "SCAN customers_account" for s in steps), (
        steps
    )


def test_reindex_on_postgresql_says_there_is_nothing_to_do(db, capsys):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL keeps its own indexes")
    call_command("reindex")
    assert "nothing to rebuild" in capsys.readouterr().out


def test_contacts_are_found_by_a_short_name(org, client_for):
    zhang = Contact.objects.create(name="张伟", owner=org.rep_js)
    Contact.objects.create(name="李张伟", owner=org.rep_js)
    rows = client_for(org.rep_js).get("/customers/contact/", {"search": "张伟"}).context["rows"]
    assert [row[0].pk for row in rows] == [zhang.pk]


def explain(queryset) -> str:
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        prefix = "EXPLAIN" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
        cursor.execute(f"{prefix} {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.parametrize("text", ["张伟", "张", "ab"])
def test_a_short_text_is_a_prefix_an_index_serves(db, text):
    # given the account search's condition for a text of one or two characters
    finder, _plain = search_plan(registry.get("customers.account"), text).finders[0]
    # when the database plans it (on a table too small to prefer an index: forbid the scan)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # nor a walk of the whole name-order b-tree
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("DROP INDEX cust_account_name")  # undone with the test's transaction
        plan = explain(Account.all_objects.filter(finder))
    # then an index of the names serves it: the trigram index's start-of-word trigrams on
    # PostgreSQL, the (name, id) b-tree on SQLite
    expected = "customers_account_name_trgm" if connection.vendor == "postgresql" else "cust_account_name"
    assert expected in plan, plan


@pytest.mark.parametrize("path", SEARCH_PATHS)
def test_two_characters_find_a_company_by_the_start_of_its_name_after_the_place(
    org, client_for, api_for, path
):
    # given companies whose distinctive word follows a city or province
    found = {
        n: Account.objects.create(name=n, owner=org.rep_js)
        for n in (
            "苏州精工机械",
            "杭州精工仪器有限公司",
            "江苏沙钢集团有限公司",
            "精密铸造厂",
            "上海金精工贸",
        )
    }
    searcher = SimpleNamespace(web=client_for(org.rep_js), api=api_for(org.rep_js))
    # then two characters find the names whose company key starts with them
    assert names_found(searcher, "精工", path=path) == {"苏州精工机械", "杭州精工仪器有限公司"}
    assert names_found(searcher, "沙钢", path=path) == {"江苏沙钢集团有限公司"}
    assert names_found(searcher, "精", path=path) == {"苏州精工机械", "杭州精工仪器有限公司", "精密铸造厂"}
    assert found


def test_two_characters_find_a_lead_by_its_company(org, client_for):
    from lianke.marketing.models import Lead

    lead = Lead.objects.create(name="王强", company="宁波精工五金厂", owner=org.rep_js)
    Lead.objects.create(name="李娜", company="宁波五金厂", owner=org.rep_js)
    rows = client_for(org.rep_js).get("/marketing/lead/", {"search": "精工"}).context["rows"]
    assert [row[0].pk for row in rows] == [lead.pk]


def test_the_company_key_prefix_is_served_by_its_index(db):
    finders = [f for f, _plain in search_plan(registry.get("customers.account"), "精工").finders]
    [key_finder] = [f for f in finders if "name_key" in str(f)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = explain(Account.all_objects.filter(key_finder))
    assert "cust_account_name_key" in plan, plan


@pytest.mark.parametrize("text", ["苏州", "苏州精工"])
def test_a_type_whose_search_fields_are_all_hidden_finds_nothing(org, client_for, text):
    # given a rep's account and a role that hides every search field of accounts from reps
    from lianke.org.choices import FieldMode
    from lianke.org.models import FieldPermission

    Account.objects.create(name="苏州精工机械", owner=org.rep_js)
    for name in registry.get("customers.account").search_fields:
        FieldPermission.objects.create(
            role=org.roles["sales_rep"], object_type="customers.account", field=name, mode=FieldMode.HIDDEN
        )
    # when the rep searches, short text or long, the list finds nothing (never everything)
    rows = client_for(org.rep_js).get("/customers/account/", {"search": text}).context["rows"]
    assert rows == []


@pytest.mark.parametrize("text", ["钢铁厂", "钢", "gt"])
def test_a_text_with_more_matches_than_the_indexes_collect_is_found_all_the_same(
    org, client_for, monkeypatch, text
):
    # given more matching accounts than the search collects through its indexes
    from lianke.core.search import textsearch

    monkeypatch.setattr(textsearch, "SEARCH_CANDIDATES", 2)
    names = ["钢铁厂一", "钢铁厂二", "钢铁厂三", "钢铁厂四"]
    for name in names:
        Account.objects.create(name=name, owner=org.rep_js)
    Account.objects.create(name="五金店", owner=org.rep_js)
    # when rep_js searches the list, then every match is there, newest first as the list sorts
    rows = client_for(org.rep_js).get("/customers/account/", {"search": text}).context["rows"]
    assert [row[0].name for row in rows] == names[::-1]


def test_a_managers_frequent_word_walks_the_list_order_and_stops_at_the_page(org, client_for, monkeypatch):
    """A text the index calls frequent is matched by the ordered scan. A manager's scope (``owner
    = me OR department IN (…)``) must not drive that query: through both indexes (``MULTI-INDEX
    OR``), SQLite would read every record in scope and sort them all for one page (13 s at a
    million accounts); the list's order index is walked instead, and stops at the page's end."""
    from django.test.utils import CaptureQueriesContext

    from lianke.core.search import textsearch

    monkeypatch.setattr(textsearch, "SEARCH_CANDIDATES", 2)
    mine = [Account.objects.create(name=f"江苏{i}号有限公司", owner=org.rep_js) for i in range(3)]
    mine.append(Account.objects.create(name="王芳的有限公司", owner=org.manager_js))
    Account.objects.create(name="浙江有限公司", owner=org.rep_zj)  # out of the manager's scope
    Account.objects.create(name="江苏五金店", owner=org.rep_js)  # no match
    client = client_for(org.manager_js)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/customers/account/", {"search": "有限公司"})
    # every match in scope, newest first
    assert [row[0].pk for row in response.context["rows"]] == [a.pk for a in reversed(mine)]
    [listed] = [
        q["sql"]
        for q in queries
        if "ORDER BY" in q["sql"] and "LIKE" in q["sql"] and "COUNT(" not in q["sql"]
    ]
    with connection.cursor() as cursor:
        prefix = "EXPLAIN" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
        cursor.execute(f"{prefix} {listed}")
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    if connection.vendor == "sqlite":
        assert "MULTI-INDEX OR" not in plan and "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
        assert "cust_account_upd" in plan, plan
    # a rep in no pool has a scope of one index (owner and list order, no pool branch): he walks
    # his own records in list order
    with CaptureQueriesContext(connection) as queries:
        rows = client_for(org.rep_js).get("/customers/account/", {"search": "有限公司"}).context["rows"]
    assert [row[0].pk for row in rows] == [a.pk for a in reversed(mine[:3])]
    if connection.vendor == "sqlite":
        [listed] = [
            q["sql"]
            for q in queries
            if "ORDER BY" in q["sql"] and "LIKE" in q["sql"] and "COUNT(" not in q["sql"]
        ]
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {listed}")
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        assert "cust_account_own_upd" in plan and "USE TEMP B-TREE" not in plan, plan


def test_a_frequent_phone_prefix_is_told_by_its_digits_index_before_any_ids_are_collected(
    org, client_for, monkeypatch
):
    """A phone number's first digits match many records (a mobile's prefix: 18,000 of a million
    contacts). The digits index says so by itself, so no finder collects ids for it — the
    trigram finders of the same text were the dearest part of such a search."""
    from django.test.utils import CaptureQueriesContext

    from lianke.core.search import textsearch

    monkeypatch.setattr(textsearch, "SEARCH_CANDIDATES", 2)
    account = Account.objects.create(name="江苏精工", owner=org.rep_js)
    found = [
        Contact.objects.create(name=f"联系人{i}", account=account, owner=org.rep_js, mobile=mobile)
        for i, mobile in enumerate(["133-8466-0001", "13384660002", "1338 466 0003", "138 1338 0004"])
    ]
    Contact.objects.create(name="无关", account=account, owner=org.rep_js, mobile="13900000000")
    client = client_for(org.rep_js)
    with CaptureQueriesContext(connection) as queries:
        rows = client.get("/customers/contact/", {"search": "1338"}).context["rows"]
    # every number starting with 1338 or holding it, newest first
    assert [row[0].pk for row in rows] == [c.pk for c in reversed(found)]
    collected = [q["sql"] for q in queries if 'AS "pk"' in q["sql"] and "LIMIT 3" in q["sql"]]
    assert collected == []
    # a prefix below the bound still collects its ids through the indexes
    with CaptureQueriesContext(connection) as queries:
        rows = client.get("/customers/contact/", {"search": "138 1338"}).context["rows"]
    assert [row[0].pk for row in rows] == [found[3].pk]
    assert [q for q in queries if 'AS "pk"' in q["sql"] and "LIMIT 3" in q["sql"]]


def test_many_keys_are_bound_as_one_parameter(org):
    """``pk__any_of`` (the ids a search collected, the batch path's counts): one array on
    PostgreSQL, one JSON array on SQLite, the same rows as ``pk__in``; none matches nothing."""
    from django.test.utils import CaptureQueriesContext

    accounts = [Account.objects.create(name=f"客户{i}", owner=org.rep_js) for i in range(3)]
    ids = [accounts[0].pk, accounts[2].pk]
    with CaptureQueriesContext(connection) as queries:
        found = set(Account.all_objects.filter(pk__any_of=ids).values_list("pk", flat=True))
    assert found == set(ids) == set(Account.all_objects.filter(pk__in=ids).values_list("pk", flat=True))
    [sql] = [q["sql"] for q in queries]
    # (on PostgreSQL an array literal of the key's own type: Python ints would adapt as int4[],
    # which the planner costs against a bigint key as a full scan)
    assert ("json_each" in sql) if connection.vendor == "sqlite" else ("::bigint[]" in sql), sql
    assert not Account.all_objects.filter(pk__any_of=[]).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="how PostgreSQL is given the keys")
def test_few_keys_are_rows_to_look_up_and_many_one_condition(org, monkeypatch):
    """Up to ``LOOKED_UP_BY_KEY`` keys PostgreSQL fetches by key (a page in list order of a
    rare text's matches); more it weighs whole against walking the order's index."""
    from django.test.utils import CaptureQueriesContext

    from lianke.core import fields

    ids = [Account.objects.create(name=f"客户{i}", owner=org.rep_js).pk for i in range(3)]
    newest = list(
        Account.objects.filter(pk__in=ids).order_by("-updated_at", "-id").values_list("pk", flat=True)[:2]
    )
    monkeypatch.setattr(fields, "LOOKED_UP_BY_KEY", 3)
    pages = {}
    for size in (3, 4):  # (a fourth key, of no row: beyond the bound)
        with CaptureQueriesContext(connection) as queries:
            pages[size] = list(
                Account.objects.filter(pk__any_of=[*ids, -1][:size])
                .order_by("-updated_at", "-id")
                .values_list("pk", flat=True)[:2]
            )
        [sql] = [q["sql"] for q in queries]
        assert ("IN (SELECT unnest(" in sql) == (size == 3), sql
        assert ("= ANY(" in sql) == (size == 4), sql
    assert pages[3] == pages[4] == newest


def test_a_company_names_initials_are_counted_and_collected_through_their_own_index(
    org, client_for, monkeypatch
):
    """Initials typed for a company ("zgsy") are a prefix of their own column: whether they are
    frequent, and which records have them, the (initials, id) index answers — no contained-text
    finder reads the pinyin column's rows (at a million accounts it read ~10,000 of them)."""
    from django.test.utils import CaptureQueriesContext

    from lianke.core.search import textsearch

    monkeypatch.setattr(textsearch, "SEARCH_CANDIDATES", 2)
    oil = [Account.objects.create(name=f"中国石油{n}", owner=org.rep_js) for n in "一二三"]
    chem = Account.objects.create(name="中国石化", owner=org.rep_js)
    client = client_for(org.rep_js)

    def search(text):
        with CaptureQueriesContext(connection) as queries:
            rows = client.get("/customers/account/", {"search": text}).context["rows"]
        return [row[0].pk for row in rows], [q["sql"] for q in queries]

    # more matches than collected: the index says so, and the list is the ordered scan's
    found, queries = search("zgsy")
    assert found == [a.pk for a in reversed(oil)]
    assert any('"name_initials" >=' in q and "OFFSET 2" in q for q in queries)
    assert not any('"name_initials" >=' in q and 'AS "pk"' in q for q in queries)
    assert not any("name_pinyin" in q and "LIKE" in q and 'AS "pk"' in q for q in queries)
    # few: their ids collected through the initials, nothing read as contained text
    found, queries = search("zgsh")
    assert found == [chem.pk]
    assert any('"name_initials" >=' in q and 'AS "pk"' in q for q in queries)
    assert not any("name_pinyin" in q and ("LIKE" in q or "MATCH" in q) and 'AS "pk"' in q for q in queries)


def test_a_persons_frequent_initials_are_told_by_their_index_and_other_readings_still_found(
    org, client_for, monkeypatch
):
    """ "zw" (张伟, 赵伟, 周文 …) is frequent among a million contacts: the initials' index says so
    before anything reads the table. A surname's other reading is still found ("dw" → 单伟)."""
    from django.test.utils import CaptureQueriesContext

    from lianke.core.search import textsearch

    monkeypatch.setattr(textsearch, "SEARCH_CANDIDATES", 2)
    zw = [Contact.objects.create(name=n, owner=org.rep_js) for n in ("张伟", "赵伟", "周文")]
    shan = Contact.objects.create(name="单伟", owner=org.rep_js)
    client = client_for(org.rep_js)
    with CaptureQueriesContext(connection) as queries:
        rows = client.get("/customers/contact/", {"search": "zw"}).context["rows"]
    assert [row[0].pk for row in rows] == [c.pk for c in reversed(zw)]
    sql = [q["sql"] for q in queries]
    assert any('"name_initials" >=' in q and "OFFSET 2" in q for q in sql)
    # nothing collected through any finder of the search: the ordered scan
    assert not any('AS "pk"' in q and ("name" in q or "mobile" in q) and "LIMIT 3" in q for q in sql), sql
    rows = client.get("/customers/contact/", {"search": "dw"}).context["rows"]
    assert [row[0].pk for row in rows] == [shan.pk]
