"""The batch path: rows are held to the rules of a form save — field types, lengths, choices,
required fields, custom fields, relations one may see, uniqueness (stored and within the batch),
whom records may be given to, the apps' rules — and a batch is all or nothing, with history and
one event per batch."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models

from lianke.core.models import CustomField, ObjectChange
from lianke.core.records import events
from lianke.core.records.batch import BatchError, create_records, update_records
from lianke.customers.models import Account, Contact

pytestmark = pytest.mark.django_db


def test_a_clean_batch_is_created_with_history_owners_departments_and_one_event(org):
    CustomField.objects.create(
        object_type="customers.account", name="staff", label="员工人数", type="integer"
    )
    heard = []
    events.subscribe(heard.append, durable=True)
    try:
        created = create_records(
            actor=org.rep_js,
            model=Account,
            rows=[
                {
                    "name": f"客户{i}",
                    "city": "苏州",
                    "phone": "0512-6688123" + str(i),
                    "custom_fields": {"staff": str(i)},
                }
                for i in range(5)
            ],
        )
    finally:
        events.unsubscribe(heard.append)
    assert len(created) == 5
    stored = list(Account.all_objects.order_by("pk"))
    assert [a.name for a in stored] == [f"客户{i}" for i in range(5)]
    assert {(a.owner_id, a.department_id, a.created_by_id, a.version) for a in stored} == {
        (org.rep_js.pk, org.js_team.pk, org.rep_js.pk, 1)
    }
    assert [a.custom_data for a in stored] == [{"staff": i} for i in range(5)]
    assert stored[0].phone_digits == "051266881230"  # derived columns as on a form save
    assert ObjectChange.objects.filter(action="create", content_type__model="account").count() == 5
    assert [(e.name, len(e.ids)) for e in heard] == [("created", 5)]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"name": ""}, "name"),  # required
        ({"name": "x" * 201}, "name"),  # too long
        ({"name": "甲", "level": "platinum"}, "level"),  # not a choice
        ({"name": "甲", "email": "not-an-email"}, "email"),
        ({"name": "甲", "custom_fields": {"staff": "many"}}, "cf_staff"),
        ({"name": "甲", "custom_fields": {"nope": 1}}, "cf_nope"),
        ({"name": "甲", "parent": 999999}, "parent"),  # no such record
        ({"name": "甲", "owner": "rep_zj"}, "owner"),  # someone one may not give records to
    ],
)
def test_one_bad_row_refuses_the_whole_batch_naming_row_and_field(org, row, field):
    CustomField.objects.create(
        object_type="customers.account", name="staff", label="员工人数", type="integer"
    )
    if row.get("owner") == "rep_zj":
        row = {**row, "owner": org.rep_zj.pk}
    rows = [{"name": "好的客户"}, row, {"name": "另一个好客户"}]
    with pytest.raises(BatchError) as caught:
        create_records(actor=org.rep_js, model=Account, rows=rows)
    assert list(caught.value.rows) == [1] and field in caught.value.rows[1]
    assert not Account.all_objects.exists() and not ObjectChange.objects.exists()


def test_a_hidden_related_record_is_no_valid_choice(org):
    theirs = Account.objects.create(name="杭州钢构", owner=org.rep_zj)
    with pytest.raises(BatchError) as caught:
        create_records(actor=org.rep_js, model=Contact, rows=[{"name": "王磊", "account": theirs.pk}])
    assert "account" in caught.value.rows[0]


def code(first17: str) -> str:
    from lianke.customers.validators import credit_code_check_char

    return first17 + credit_code_check_char(first17)


def test_unique_values_are_checked_against_stored_rows_and_within_the_batch(org):
    taken, fresh = code("91320500MA1XY2301"), code("91320500MA1XY2302")
    Account.objects.create(name="已有", owner=org.rep_zj, credit_code=taken)
    rows = [
        {"name": "甲", "credit_code": taken},  # taken (by a record the rep cannot see)
        {"name": "乙", "credit_code": fresh},
        {"name": "丙", "credit_code": fresh},  # twice in the batch
    ]
    with pytest.raises(BatchError) as caught:
        create_records(actor=org.rep_js, model=Account, rows=rows)
    assert sorted(caught.value.rows) == [0, 2]


def test_a_field_the_form_does_not_offer_cannot_be_set(org):
    with pytest.raises(ValidationError) as caught:
        create_records(actor=org.rep_js, model=Account, rows=[{"name": "甲", "version": 9}])
    assert "version" in caught.value.message_dict


def test_no_create_permission_no_batch(org):
    with pytest.raises(PermissionDenied):
        create_records(actor=org.nobody, model=Account, rows=[{"name": "甲"}])


def test_an_app_rule_refuses_its_rows(org):
    def no_test_companies(actor, record, action, before):
        if record.name.startswith("测试"):
            raise ValidationError({"name": ValidationError("No test companies.", code="test_company")})

    events.rule(no_test_companies, object_type="customers.account")
    try:
        with pytest.raises(BatchError) as caught:
            create_records(actor=org.rep_js, model=Account, rows=[{"name": "真客户"}, {"name": "测试公司"}])
    finally:
        events.unregister_rule(no_test_companies)
    assert caught.value.rows == {1: {"name": ["No test companies."]}}
    assert not Account.all_objects.exists()


def test_a_batch_update_changes_only_what_each_entry_names(org):
    CustomField.objects.create(
        object_type="customers.account", name="staff", label="员工人数", type="integer"
    )
    CustomField.objects.create(object_type="customers.account", name="note", label="备注", type="text")
    a = Account.objects.create(
        name="甲", owner=org.rep_js, city="苏州", custom_data={"staff": 5, "note": "老客户"}
    )
    b = Account.objects.create(name="乙", owner=org.rep_js, city="无锡")
    changed = update_records(
        actor=org.rep_js,
        model=Account,
        changes={a.pk: {"custom_fields": {"staff": "50"}}, b.pk: {"city": "常州"}},
    )
    assert changed == 2
    a, b = Account.all_objects.get(pk=a.pk), Account.all_objects.get(pk=b.pk)
    assert (a.city, a.custom_data, a.version) == ("苏州", {"staff": 50, "note": "老客户"}, 2)
    assert (b.city, b.version) == ("常州", 2)
    diffs = {c.object_id: c.diff() for c in ObjectChange.objects.filter(action="update")}
    assert diffs == {a.pk: [("cf.staff", 5, 50)], b.pk: [("city", "无锡", "常州")]}


def test_a_batch_update_of_a_record_out_of_reach_changes_nothing(org):
    mine = Account.objects.create(name="甲", owner=org.rep_js)
    theirs = Account.objects.create(name="乙", owner=org.rep_zj)
    with pytest.raises(PermissionDenied):
        update_records(
            actor=org.rep_js, model=Account, changes={mine.pk: {"city": "苏州"}, theirs.pk: {"city": "苏州"}}
        )
    assert Account.all_objects.get(pk=mine.pk).city == "" and Account.all_objects.get(pk=theirs.pk).city == ""


def test_a_bad_entry_refuses_the_whole_update(org):
    a = Account.objects.create(name="甲", owner=org.rep_js)
    b = Account.objects.create(name="乙", owner=org.rep_js)
    with pytest.raises(BatchError) as caught:
        update_records(
            actor=org.rep_js, model=Account, changes={a.pk: {"city": "苏州"}, b.pk: {"email": "bad"}}
        )
    assert list(caught.value.rows) == [1]
    assert Account.all_objects.get(pk=a.pk).city == ""


def test_a_batch_row_is_stored_exactly_as_the_same_record_saved_one_by_one(org):
    """The batch path builds records without ``Model.__init__`` and streams them without the
    per-value preparation where a value needs none: every column must come out as a save
    writes it — defaults, derived columns, a naive local date-time made aware, history."""
    import datetime as dt

    from django.forms.models import model_to_dict
    from django.utils import timezone

    from lianke.activities.models import Activity
    from lianke.core.context import acting_as
    from lianke.core.records import services

    row = {
        "kind": "visit",
        "subject": "拜访苏州精工",
        "occurred_at": "2026-03-05 14:30",  # local time, no zone: as an import reads it
        "location": "苏州工业园区",
        "duration_minutes": "45",
    }
    with acting_as(org.rep_js):
        [batched] = create_records(actor=org.rep_js, model=Activity, rows=[row])
        single = services.save_record(
            actor=org.rep_js,
            instance=Activity(
                kind="visit",
                subject="拜访苏州精工",
                occurred_at=timezone.make_aware(dt.datetime(2026, 3, 5, 14, 30)),
                location="苏州工业园区",
                duration_minutes=45,
            ),
        )
    skip = {"id", "created_at", "updated_at"}
    stored = [
        {
            k: v
            for k, v in model_to_dict(Activity.all_objects.get(pk=pk), fields=None).items()
            if k not in skip
        }
        | {
            "version": Activity.all_objects.get(pk=pk).version,
            "deleted_at": Activity.all_objects.get(pk=pk).deleted_at,
        }
        for pk in (batched.pk, single.pk)
    ]
    assert stored[0] == stored[1]
    assert Activity.all_objects.get(pk=batched.pk).occurred_at == timezone.make_aware(
        dt.datetime(2026, 3, 5, 14, 30)
    )
    histories = [
        ObjectChange.objects.get(object_id=pk, content_type__model="activity").postchange_data
        for pk in (batched.pk, single.pk)
    ]
    assert histories[0] == histories[1]


def _outcome(clean, value):
    try:
        return ("ok", clean(value, None))
    except ValidationError as exc:
        return ("error", exc.messages)


_TEXT_FIELDS = [
    (model, field)
    for model in (Account, Contact)
    for field in model._meta.concrete_fields
    if isinstance(field, models.CharField | models.TextField)
]


@pytest.mark.parametrize(
    ("model", "field"), _TEXT_FIELDS, ids=[f"{m.__name__}.{f.name}" for m, f in _TEXT_FIELDS]
)
def test_a_compiled_cleaner_answers_exactly_as_the_fields_own_clean(model, field):
    """The batch's fast path for text fields (``_cleaner``) must store the same value and raise
    the same messages as ``Field.clean`` for any input: lengths at and over the limit, choices
    and near-choices, e-mails, phones, credit codes, blanks, non-strings."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from lianke.core.records.batch import _PLAIN_EMAIL_RE, _cleaner

    fast = _cleaner(field)
    keys = [str(k) for k, _l in field.flatchoices] if field.choices else []
    limit = field.max_length or 300
    samples = st.one_of(
        st.text(max_size=limit + 2),
        st.text(alphabet="0123456789-+ ()abc@.", min_size=limit - 1 if limit > 1 else 0, max_size=limit + 1),
        st.from_regex(_PLAIN_EMAIL_RE, fullmatch=True),
        st.sampled_from(
            [
                *keys,
                *(k.upper() for k in keys),
                "",
                " ",
                None,
                5,
                "a@b.cn",
                "bad@",
                "a..b@x.cn",
                ".a@x.cn",
                "a@-x.cn",
                "a@x-.cn",
                "a@x.c",
                "a@x.c0m",
                "a@x..cn",
                "a@localhost",
                '"quoted"@x.cn',
                "张@x.cn",
                "a@例子.中国",
                "a" * 250 + "@x.cn",
                "0512-62345678",
                "13912345678",
                "91320594MA1N4K2Q5X",
                "91320594MA1N4K2Q5Y",
                "x" * limit,
                "x" * (limit + 1),
                "张" * limit,
                "张" * (limit + 1),
                "\x00",
            ]
        ),
    )

    @settings(max_examples=60, deadline=None, database=None)
    @given(samples)
    def check(value):
        assert _outcome(fast, value) == _outcome(field.clean, value)

    check()


def test_every_address_the_batch_lets_through_quickly_is_one_django_accepts():
    """The batch's quick e-mail check accepts a subset of Django's ``EmailValidator``: plain
    addresses only; everything else is asked of the validator itself."""
    from django.core.validators import validate_email
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from lianke.core.records.batch import _PLAIN_EMAIL_RE

    @settings(max_examples=300, deadline=None, database=None)
    @given(st.from_regex(_PLAIN_EMAIL_RE, fullmatch=True).filter(lambda a: len(a) <= 254))
    def check(address):
        validate_email(address)  # raises if the quick check let through an invalid address

    check()


def _custom_outcome(clean, definitions, incoming):
    from lianke.core.models.customfields import clean_custom_data

    try:
        slow = clean_custom_data(definitions, incoming)
    except ValidationError:
        slow = None
    fast = clean(incoming)
    return (list(fast.items()) if fast is not None else None), (
        list(slow.items()) if slow is not None else None
    )


def test_a_new_rows_custom_values_are_cleaned_as_clean_custom_data_cleans_them():
    """The batch's compiled custom-field cleaner (``_custom_cleaner``, for types whose kinds
    have no record rules) returns exactly what ``clean_custom_data`` returns, in the same
    order, and hands every input that call refuses back to it (``None``): unknown and inactive
    fields, values a kind refuses, blanks, missing required values, defaults, non-objects."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from lianke.core.records.batch import _custom_cleaner

    options = [{"key": "a", "label": "甲"}, {"key": "b", "label": "乙", "is_active": False}]
    specs = [
        ("staff", "integer", {"min_value": 0, "max_value": 1000}),
        ("tonnage", "decimal", {"decimal_places": 1}),
        ("budget", "money", {"required": True}),
        ("share", "percent", {}),
        ("note", "text", {"max_length": 5, "default": "无"}),
        ("since", "date", {}),
        ("vip", "boolean", {"default": False}),
        ("grade", "select", {"options": options}),
        ("tags", "multiselect", {"options": options}),
        ("mail", "email", {}),
        ("tel", "phone", {}),
        ("old", "text", {"is_active": False}),
    ]
    everything = {
        name: CustomField(object_type="customers.account", name=name, label=name, type=kind, **extra)
        for name, kind, extra in specs
    }
    values = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 2000),
        st.sampled_from(
            ["", " ", "12", "12.34", "1,200", "¥3.5", "50%", "abc", "甲", "a", "b", ["a"], ["a", "b"], []]
        ),
        st.sampled_from(["2026-12-06", "2026-13-01", "x@y.cn", "x@", "0512-62345678", "12", "\x00"]),
        st.text(max_size=7),
    )
    names = st.sampled_from([*everything, "unknown"])
    seen: set[bool] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(
        st.lists(st.sampled_from(list(everything)), unique=True, min_size=1),
        st.one_of(st.dictionaries(names, values, max_size=6), st.sampled_from([[], "x", None])),
    )
    def check(chosen, incoming):
        definitions = {name: everything[name] for name in chosen}
        fast, slow = _custom_outcome(_custom_cleaner(definitions), definitions, incoming)
        assert fast == slow
        seen.add(slow is None)

    check()
    assert seen == {True, False}  # both accepted and refused inputs were tried


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [1, 2])
def test_many_rows_go_in_batches_each_all_or_nothing_numbered_in_the_whole_input(org, workers):
    """``create_in_batches``: batches of ``size`` rows, each its own transaction — on
    PostgreSQL two at once on their own connections, carrying the caller's context (history
    says who and from where) —; a refused batch leaves the others created and names its rows by
    their place in the whole input."""
    import threading

    from lianke.core.context import acting_as
    from lianke.core.records.batch import create_in_batches

    rows = [{"name": f"批量{i:02d}", "city": "苏州"} for i in range(11)]
    rows[7] = {"name": "批量07", "level": "platinum"}  # the third batch's second row
    threads = set()

    def heard(event):
        threads.add(threading.get_ident())

    events.subscribe(heard, durable=True)
    try:
        with acting_as(org.rep_js, source="import"):
            results = create_in_batches(actor=org.rep_js, model=Account, rows=rows, size=3, workers=workers)
    finally:
        events.unsubscribe(heard)
    assert [(r.start, r.size, len(r.ids), type(r.error).__name__) for r in results] == [
        (0, 3, 3, "NoneType"),
        (3, 3, 3, "NoneType"),
        (6, 3, 0, "BatchError"),
        (9, 2, 2, "NoneType"),
    ]
    assert list(results[2].error.rows) == [7]
    assert "level" in results[2].error.rows[7]
    names = set(Account.all_objects.values_list("name", flat=True))
    assert names == {f"批量{i:02d}" for i in (0, 1, 2, 3, 4, 5, 9, 10)}
    history = ObjectChange.objects.filter(action="create", content_type__model="account")
    assert history.count() == 8
    assert set(history.values_list("user_id", "source")) == {(org.rep_js.pk, "import")}
    parallel = workers > 1 and connection.vendor == "postgresql"
    assert (threading.get_ident() not in threads) is parallel


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes the batches one by one")
def test_each_worker_writes_all_its_batches_on_one_connection(org):
    """A worker keeps its connection from one batch to the next: a new connection is a new
    server process, which reads the catalogs of every table it writes before its first row —
    per batch, that was the slowest part of a batch into a million accounts. Six batches, two
    workers: two server processes between them, none left open afterwards."""
    from django.db import connection as current

    from lianke.core.records.batch import create_in_batches

    servers: set[int] = set()

    def note(actor, record, action, before):
        servers.add(current.connection.info.backend_pid)

    events.rule(note, object_type="customers.account", actions=[events.CREATE])
    try:
        results = create_in_batches(
            actor=org.rep_js, model=Account, rows=[{"name": f"批量{i}"} for i in range(12)], size=2, workers=2
        )
    finally:
        events.unregister_rule(note)
    assert [r.error for r in results] == [None] * 6
    assert sum(len(r.ids) for r in results) == 12
    assert 1 <= len(servers) <= 2
    import time

    deadline = time.monotonic() + 5  # a closed connection's server process exits a moment later
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [list(servers)])
            left = cursor.fetchall()
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert left == []  # each worker closed its connection when done


def test_inside_a_transaction_the_batches_run_on_the_callers_connection(org):
    """Rows the caller's open transaction holds are invisible to other connections: there the
    batches run one after another on the caller's connection (and roll back with it)."""
    from lianke.core.records.batch import create_in_batches

    parent = create_records(actor=org.rep_js, model=Account, rows=[{"name": "总部"}])[0]
    results = create_in_batches(
        actor=org.rep_js,
        model=Account,
        rows=[{"name": f"分公司{i}", "parent": parent.pk} for i in range(4)],
        size=2,
        workers=2,
    )
    assert [r.error for r in results] == [None, None]
    assert Account.all_objects.filter(parent=parent).count() == 4


@pytest.mark.django_db(transaction=True)
def test_one_unique_value_in_two_batches_at_once_saves_one_and_names_the_other_row(org):
    """Two batches written at once both pass the uniqueness check with the same credit code
    (neither sees the other's uncommitted row); the database refuses the later one, which runs
    again alone and is refused with its row named — never a server error, never both saved."""
    from lianke.core.records.batch import create_in_batches

    same = code("91320500MA1XY2309")
    rows = [{"name": "甲", "credit_code": same}, {"name": "乙", "credit_code": same}]
    results = create_in_batches(actor=org.rep_js, model=Account, rows=rows, size=1, workers=2)
    assert sorted(len(r.ids) for r in results) == [0, 1]
    [refused] = [r for r in results if r.error]
    assert isinstance(refused.error, BatchError)
    assert list(refused.error.rows) == [refused.start]
    assert "credit_code" in refused.error.rows[refused.start]
    assert Account.all_objects.filter(credit_code=same).count() == 1


@pytest.mark.parametrize("model", [Account, Contact, ObjectChange], ids=lambda m: m.__name__)
def test_a_new_instance_without_init_is_the_instance_init_makes(model):
    """``bulk.new`` builds new records without ``Model.__init__``: every field holds what
    ``__init__`` would give it (defaults, callable ones called afresh for each instance), the
    values passed win, and the instance is new and unsaved."""
    from lianke.core.records.bulk import new

    values = {"name": "苏州精工"} if model is not ObjectChange else {"object_repr": "苏州精工"}
    made, plain = new(model)(values), model(**values)
    other = new(model)()
    for field in model._meta.concrete_fields:
        assert getattr(made, field.attname) == getattr(plain, field.attname), field.name
        if isinstance(getattr(made, field.attname), dict | list):
            assert getattr(made, field.attname) is not getattr(other, field.attname)  # not shared
    assert made._state.adding and made._state.db is None and made.pk is None
    assert made._state is not other._state


@pytest.mark.parametrize(
    "value",
    [
        {"名称": "苏州精工", "rate": 1.5, "ok": True, "none": None, "items": [1, "二"]},
        {1: "keys that are not text"},
        {"big": 2**70},
    ],
    ids=["plain", "int-keys", "beyond-64-bits"],
)
def test_json_sent_to_the_database_is_the_standard_encoders_value_unescaped(value):
    """``bulk.json_bytes`` (history snapshots, custom values, streamed by ``COPY``) takes the
    fast encoder where it can and the standard library where it cannot: the same JSON value
    either way, Chinese characters as UTF-8 rather than ``\\uXXXX`` escapes."""
    import json

    from lianke.core.records.bulk import json_bytes

    assert json.loads(json_bytes(value)) == json.loads(json.dumps(value))
    assert "苏州".encode() in json_bytes(value) or "苏州" not in json.dumps(value, ensure_ascii=False)
    assert b"\\u" not in json_bytes(value)


def test_history_written_in_bulk_keeps_every_value_of_its_snapshot(org):
    """History rows go to the database in one stream (binary ``COPY`` on PostgreSQL): a snapshot
    holding Chinese text, a decimal's text, ``None`` and an integer no 64-bit encoder takes comes
    back as it went in."""
    from lianke.core.records import audit

    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    after = {"name": "苏州精工机械", "cf.tonnage": "12.50", "parent": None, "cf.big": 2**70}
    audit.record_many([(ObjectChange.ActionChoices.UPDATE, account, {"name": "苏州精工"}, after)])
    change = ObjectChange.objects.filter(object_id=account.pk).latest("id")
    assert change.postchange_data == after
    assert change.prechange_data == {"name": "苏州精工"}
