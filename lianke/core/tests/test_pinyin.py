"""Pinyin search: names found by their full pinyin or initials ("zgsy" → 中国石油, "zw" → 张伟)
through every search path and the people pickers, within the searcher's scope, and the pinyin
columns kept in step with the names however they are written."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection

from lianke.core.migration_operations import fill_derived
from lianke.core.objecttypes.registry import registry
from lianke.core.records import batch, services
from lianke.core.text.pinyin import MAX_VARIANTS, forms, letters_successor, query_letters
from lianke.customers.models import Account, Contact
from lianke.marketing.models import Lead
from lianke.org.models import User
from lianke.sales.models import Opportunity

ACCOUNTS = "/customers/account/"


# ------------------------------------------------------------------ the collector's work
def test_the_pinyin_dictionaries_are_left_out_of_the_collectors_passes():
    """pypinyin's ~190,000 static lists are frozen at import: a full collection (about one per
    5,000-row batch) no longer walks them (it cost the batch path ~20–40 µs a row)."""
    import gc

    from pypinyin.constants import PHRASES_DICT

    assert gc.get_freeze_count() >= len(PHRASES_DICT)
    phrase = next(iter(PHRASES_DICT.values()))
    assert gc.is_tracked(phrase)  # a list, which the collector would otherwise walk
    assert not any(o is phrase for o in gc.get_objects(generation=2))


# ---------------------------------------------------------------------------------- forms
@pytest.mark.parametrize(
    ("name", "person", "expected"),
    [
        ("中国石油", False, "zhongguoshiyou zgsy"),
        ("张伟", True, "zhangwei zw"),
        ("李娜", True, "lina ln"),
        ("王芳", True, "wangfang wf"),
        ("刘洋", True, "liuyang ly"),
        ("陈静", True, "chenjing cj"),
        ("杨磊", True, "yanglei yl"),
        ("黄敏", True, "huangmin hm"),
        ("赵强", True, "zhaoqiang zq"),
        ("周敏", True, "zhoumin zm"),
        ("吴军", True, "wujun wj"),
        ("徐涛", True, "xutao xt"),
        ("孙丽", True, "sunli sl"),
        ("马超", True, "machao mc"),
        ("朱丹", True, "zhudan zd"),
        ("胡斌", True, "hubin hb"),
        ("郭勇", True, "guoyong gy"),
        ("何平", True, "heping hp"),
        ("高峰", True, "gaofeng gf"),
        ("林海", True, "linhai lh"),
        ("吕布", True, "lvbu lb"),  # ü typed as v, as every pinyin keyboard does
        # polyphonic surnames: the surname reading first, the common one after
        ("单伟", True, "shanwei sw danwei dw"),
        ("曾国藩", True, "zengguofan zgf cengguofan cgf"),
        ("解缙", True, "xiejin xj jiejin jj"),
        ("仇明", True, "qiuming qm chouming cm"),
        ("朴海", True, "piaohai ph puhai"),
        ("区丽", True, "ouli ol quli ql"),
        ("查良", True, "zhaliang zl chaliang cl"),
        ("盖强", True, "geqiang gq gaiqiang"),
        ("乐华", True, "yuehua yh lehua lh"),
        ("尉迟", True, "yuchi yc"),  # the phrase reads 尉 yu already
        # not a person: the common reading only
        ("单伟", False, "danwei dw"),
        ("曾国藩", False, "cengguofan cgf"),
        # letters and digits outside Chinese kept, lower case; punctuation dropped
        ("ABC钢铁(苏州)有限公司", False, "abcgangtiesuzhouyouxiangongsi agtszyxgs"),
        ("宝钢 2 号", False, "baogang2hao bg2h"),
        ("", True, ""),
        ("  ", False, ""),
    ],
)
def test_a_name_is_stored_as_its_full_pinyin_and_initials(name, person, expected):
    assert forms(name, person=person) == expected


def test_syllables_are_those_of_the_whole_name_converted_at_once():
    # The cached per-word conversion must read every character as pypinyin reads the whole name
    # (a polyphonic character's reading depends on its neighbours: 银行 hang, 行走 xing).
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from pypinyin import Style, lazy_pinyin

    from lianke.core.text.pinyin import _KEEP, _syllables

    alphabet = "中国石油银行长沙重庆单曾解朴区查盖乐行走得地还会调传都为了着江苏钢铁有限公司分厂ABc12 （）-·"

    @settings(max_examples=400, deadline=None, database=None)
    @given(st.text(alphabet=alphabet, min_size=1, max_size=20))
    def check(text):
        whole = [_KEEP.sub("", p.lower().replace("ü", "v")) for p in lazy_pinyin(text, style=Style.NORMAL)]
        assert _syllables(text) == [p for p in whole if p]

    check()


def test_no_name_keeps_more_than_four_readings_and_none_overflows_the_column():
    many = "单" * 200
    assert len(forms(many, person=True).split()) <= 2 * MAX_VARIANTS
    assert len(forms(many, person=True)) <= 255


@pytest.mark.parametrize(
    ("text", "letters"),
    [
        ("zgsy", "zgsy"),
        ("ZhongGuo", "zhongguo"),
        ("zhong guo", "zhongguo"),
        ("xi'an", "xian"),
        ("z", None),  # one letter: too many matches to be worth an index
        ("zw1", None),
        ("张伟", None),
        ("", None),
    ],
)
def test_only_a_text_of_letters_is_matched_against_the_pinyin(text, letters):
    assert query_letters(text) == letters


def test_the_prefix_range_ends_just_above_every_text_that_starts_with_the_letters():
    assert letters_successor("zg") == "zh"
    assert letters_successor("az") == "b"
    assert letters_successor("zz") is None


# ---------------------------------------------------------------------------------- kept in step
def pinyin_of(obj, column="name_pinyin") -> str:
    return getattr(type(obj)._base_manager.get(pk=obj.pk), column)


def test_every_named_record_and_user_gets_its_pinyin_on_save(org):
    account = Account.objects.create(name="中国石油", owner=org.rep_js)
    contact = Contact.objects.create(name="单伟", owner=org.rep_js)
    lead = Lead.objects.create(name="曾强", company="中国石化", owner=org.rep_js)
    assert pinyin_of(account) == "zhongguoshiyou zgsy"
    assert pinyin_of(contact) == "shanwei sw danwei dw"
    assert (pinyin_of(lead), pinyin_of(lead, "company_pinyin")) == (
        "zengqiang zq cengqiang cq",
        "zhongguoshihua zgsh",
    )
    assert pinyin_of(org.rep_js) == "zhangwei zw"
    # the first reading's initials have a column of their own (a b-tree prefix), a person's
    # other reading another (contained text)
    assert (pinyin_of(account, "name_initials"), pinyin_of(lead, "company_initials")) == ("zgsy", "zgsh")
    assert (pinyin_of(contact, "name_initials"), pinyin_of(contact, "name_pinyin_other")) == (
        "sw",
        " danwei dw",
    )
    assert (pinyin_of(lead, "name_initials"), pinyin_of(lead, "name_pinyin_other")) == ("zq", " cengqiang cq")


def test_editing_a_name_through_the_form_and_the_api_moves_its_pinyin_along(org, client_for, api_for):
    contact = Contact.objects.create(name="张伟", owner=org.rep_js)
    response = client_for(org.rep_js).post(f"/customers/contact/{contact.pk}/edit/", {"name": "单伟"})
    assert response.status_code == 302
    assert pinyin_of(contact) == "shanwei sw danwei dw"
    api = api_for(org.rep_js).patch(f"/api/customers/contacts/{contact.pk}/", {"name": "李娜"}, format="json")
    assert api.status_code == 200
    assert pinyin_of(contact) == "lina ln"


def test_bulk_edit_and_batch_updates_move_the_pinyin_and_keep_it_out_of_history(org):
    rows = [Lead.objects.create(name=n, company="甲", owner=org.rep_js) for n in ("张伟", "李娜")]
    assert services.bulk_edit(actor=org.rep_js, records=rows, field="company", value="中国石油") == 2
    assert [pinyin_of(r, "company_pinyin") for r in rows] == ["zhongguoshiyou zgsy"] * 2
    assert [pinyin_of(r, "company_initials") for r in rows] == ["zgsy"] * 2
    changed = batch.update_records(actor=org.rep_js, model=Lead, changes={rows[0].pk: {"name": "单伟"}})
    assert changed == 1
    assert pinyin_of(rows[0]) == "shanwei sw danwei dw"
    assert (pinyin_of(rows[0], "name_initials"), pinyin_of(rows[0], "name_pinyin_other")) == (
        "sw",
        " danwei dw",
    )
    from lianke.core.models import ObjectChange

    change = ObjectChange.objects.latest("pk")
    assert "name" in change.postchange_data and "name_pinyin" not in change.postchange_data


def test_the_demo_loader_writes_the_pinyin_of_every_generated_name(demo_rows):
    columns = demo_rows(10, Account, Contact, Lead)
    for model, column, person in (
        (Account, "name", False),
        (Contact, "name", True),
        (Lead, "name", True),
        (Lead, "company", False),
    ):
        assert f"{column}_pinyin" in columns[model._meta.label_lower]
        rows = list(model.all_objects.values_list(column, f"{column}_pinyin"))
        assert len(rows) == 10
        assert all(p and p == forms(n, person=person) for n, p in rows), rows[:3]
    # the first reading's initials, and a person's other reading, split off the pinyin
    for model, column, person in (
        (Account, "name", False),
        (Lead, "company", False),
        (Contact, "name", True),
        (Lead, "name", True),
    ):
        other = "name_pinyin_other" if person else "pk"
        rows = list(model.all_objects.values_list(f"{column}_pinyin", f"{column}_initials", other))
        assert all(p.split(" ")[1] == i for p, i, _o in rows), rows[:3]
        if person:
            assert all(o == "".join(f" {t}" for t in p.split(" ")[2:]) for p, _i, o in rows), rows[:3]
    assert {"name_pinyin", "name_initials"} <= set(columns["sales.opportunity"])


def test_the_data_migration_fills_the_pinyin_of_existing_records_deleted_ones_too(org):
    account = Account.objects.create(name="中国石油", owner=org.rep_js)
    contact = Contact.objects.create(name="单伟", owner=org.rep_js)
    services.delete_records(actor=org.rep_js, records=[contact])
    Account.all_objects.update(name_pinyin="")
    Contact.all_objects.update(name_pinyin="")
    User.objects.update(name_pinyin="")
    editor = SimpleNamespace(connection=connection)
    for operation in (
        fill_derived("customers", "account", "name_pinyin"),
        fill_derived("customers", "contact", "name_pinyin"),
        fill_derived("org", "user", "name_pinyin"),
    ):
        operation.code(django_apps, editor)
    assert pinyin_of(account) == "zhongguoshiyou zgsy"
    assert pinyin_of(contact) == "shanwei sw danwei dw"
    assert pinyin_of(org.rep_js) == "zhangwei zw"


# ---------------------------------------------------------------------------------- search
def list_ids(web, url, text) -> list[int]:
    return [row[0].pk for row in web.get(url, {"search": text}).context["rows"]]


def api_ids(api, url, text) -> list[int]:
    response = api.get(url, {"search": text})
    assert response.status_code == 200
    return [r["id"] for r in response.json()["results"]]


def global_search_ids(web, key, text) -> list[int]:
    results = web.get("/search/", {"q": text}).context["results"]
    return [obj.pk for group in results if group["type"].key == key for obj, _links in group["rows"]]


def lookup_ids(web, key, text) -> list[int]:
    page = web.get(f"/lookup/{key}/", {"q": text}).content.decode()
    return [int(v) for v in re.findall(r'value="(\d+)"', page)]


SEARCH_PATHS = {
    "list page": lambda s, ot, text: list_ids(s.web, ot.url_list, text),
    "API": lambda s, ot, text: api_ids(s.api, f"/api/{ot.app_label}/{ot.api_plural}/", text),
    "global search": lambda s, ot, text: global_search_ids(s.web, ot.key, text),
    "lookup": lambda s, ot, text: lookup_ids(s.web, ot.key, text),
}
KEYS = ("customers.account", "customers.contact", "marketing.lead", "sales.opportunity")


@pytest.fixture
def named(org, stages):
    """A record of each kind whose name only pinyin can find, plus unrelated ones."""
    petro = Account.objects.create(name="中国石油", owner=org.rep_js)
    Account.objects.create(name="宝山钢铁", owner=org.rep_js)
    return {
        "customers.account": petro,
        "customers.contact": Contact.objects.create(name="单伟", owner=org.rep_js, account=petro),
        "marketing.lead": Lead.objects.create(name="王强", company="中国石化", owner=org.rep_js),
        "sales.opportunity": Opportunity.objects.create(
            name="中国石油管线钢",
            account=petro,
            owner=org.rep_js,
            stage=stages["first"],
            stage_set=stages["first"].stage_set,
        ),
    }


@pytest.mark.parametrize("path", SEARCH_PATHS)
@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("zgsy", ["customers.account", "sales.opportunity"]),  # 中国石油管线钢 starts with it too
        ("zhongguo", ["customers.account", "marketing.lead", "sales.opportunity"]),
        ("ZhongGuo Shi", ["customers.account", "marketing.lead", "sales.opportunity"]),
        ("zgsh", ["marketing.lead"]),  # the lead's company
        ("zgsygxg", ["sales.opportunity"]),
        ("shanwei", ["customers.contact"]),  # the surname reading of 单
        ("sw", ["customers.contact"]),
        ("danwei", ["customers.contact"]),  # and its common reading
        ("gsy", []),  # initials from the middle of a name do not match
        ("zgsyx", []),
    ],
)
def test_pinyin_finds_names_through_every_search_path(org, named, client_for, api_for, path, text, keys):
    searcher = SimpleNamespace(web=client_for(org.rep_js), api=api_for(org.rep_js))
    found = {key: SEARCH_PATHS[path](searcher, registry.get(key), text) for key in KEYS}
    assert found == {key: [named[key].pk] if key in keys else [] for key in KEYS}


def test_pinyin_search_never_reaches_outside_the_users_scope(org, client_for, api_for):
    mine = Account.objects.create(name="中国石油", owner=org.rep_js)
    Account.objects.create(name="中国石油浙江", owner=org.rep_zj)
    searcher = SimpleNamespace(web=client_for(org.rep_js), api=api_for(org.rep_js))
    account = registry.get("customers.account")
    for text in ("zgsy", "zhongguo", "zgsyzj"):
        for name, search in SEARCH_PATHS.items():
            assert search(searcher, account, text) == ([mine.pk] if text != "zgsyzj" else []), (name, text)
    page = searcher.web.get("/search/", {"q": "zgsy"}).content.decode()
    assert "中国石油浙江" not in page


def test_a_pinyin_search_still_finds_names_that_contain_the_letters(org, client_for):
    plain = Account.objects.create(name="ZGSY Trading", owner=org.rep_js)
    inside = Account.objects.create(name="上海abczgsy贸易", owner=org.rep_js)
    assert set(list_ids(client_for(org.rep_js), ACCOUNTS, "zgsy")) == {plain.pk, inside.pk}


def test_the_people_picker_finds_a_colleague_by_pinyin(org, client_for):
    web = client_for(org.manager_js)
    found = web.get("/people/any/", {"q": "zw"}).content.decode()
    assert "张伟" in found and "王芳" not in found and "赵强" not in found
    found = web.get("/people/any/", {"q": "zhangw"}).content.decode()
    assert "张伟" in found and "孙丽" not in found
    assert "张伟" not in web.get("/people/any/", {"q": "zx"}).content.decode()
