"""The one data-scope resolver: every scope, collaborators, combined roles and the edge cases
(inactive users and roles, superusers, reporting chains with loops)."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.contenttypes.models import ContentType

from lianke.core.context import AccessContextMissing, _current, acting_as
from lianke.customers.models import Account, Contact
from lianke.org import access
from lianke.org.choices import Action, CollaboratorAccess, Scope
from lianke.org.models import Collaborator, Department, Role, RolePermission, User

pytestmark = pytest.mark.django_db

ACCOUNT = "customers.account"
_names = itertools.count()


def make_user(username, department, superior=None, **extra):
    return User.objects.create_user(
        username, password="pw", name=username, department=department, superior=superior, **extra
    )


def grant(user, scope, actions=(Action.VIEW,), object_type=ACCOUNT, role_active=True):
    """Give ``user`` a fresh role with one permission row."""
    role = Role.objects.create(name=f"role-{next(_names)}", is_active=role_active)
    RolePermission.objects.create(
        role=role, object_type=object_type, actions=[str(a) for a in actions], scope=scope
    )
    user.roles.add(role)
    access.clear_cache(user)
    return role


def account_of(owner, name=None, **extra):
    return Account.objects.create(name=name or f"acct-{owner.username}-{next(_names)}", owner=owner, **extra)


def visible(user, model=Account, action=Action.VIEW):
    """The names of the records ``user`` may do ``action`` on, through ``access.restrict``."""
    return set(access.restrict(model.all_objects.all(), user, action).values_list("name", flat=True))


@pytest.fixture
def accounts(org):
    """One account per org user, named after the owner."""
    users = [org.admin, org.manager_js, org.lead_js, org.rep_js, org.rep_js2, org.rep_zj, org.ops, org.nobody]
    return {u.username: account_of(u, name=u.username) for u in users}


# ---------------------------------------------------------------------------------- scopes
def test_own_scope_reaches_only_the_users_own_records(org, accounts):
    # given a rep whose role grants "own records"
    # when we resolve what they may view
    names = visible(org.rep_js)
    # then it is exactly their own account
    assert names == {"rep_js"}


def test_subordinates_scope_reaches_the_whole_chain_below_but_not_peers_or_superiors(org, accounts):
    # given the team lead (rep_js reports to them; rep_js2 reports to the manager directly)
    # when we resolve the team lead's view
    names = visible(org.lead_js)
    # then they see their own and rep_js's records, nothing of peers or their manager
    assert names == {"lead_js", "rep_js"}


def test_subordinates_scope_follows_a_reporting_chain_three_levels_deep(org):
    # given boss → mid → low → lowest, and an outsider in the same department
    boss = make_user("boss", org.js_team)
    mid = make_user("mid", org.js_team, boss)
    low = make_user("low", org.js_team, mid)
    lowest = make_user("lowest", org.js_team, low)
    outsider = make_user("outsider", org.js_team)
    for u in (boss, mid, low, lowest, outsider):
        account_of(u, name=u.username)
    grant(boss, Scope.SUBORDINATES)
    grant(mid, Scope.SUBORDINATES)
    # when we resolve what boss and mid may see
    # then each sees everyone below them, at any depth, and nobody above or beside
    assert visible(boss) == {"boss", "mid", "low", "lowest"}
    assert visible(mid) == {"mid", "low", "lowest"}
    assert set(access.subordinate_ids(boss)) == {mid.pk, low.pk, lowest.pk}


def test_a_loop_in_the_superior_chain_does_not_hang_or_include_the_user(org):
    # given a -> b -> c -> a (a loop the form would refuse, written straight to the database)
    a = make_user("loop_a", org.js_team)
    b = make_user("loop_b", org.js_team, a)
    c = make_user("loop_c", org.js_team, b)
    User.objects.filter(pk=a.pk).update(superior=c)
    for u in (a, b, c):
        account_of(u, name=u.username)
    grant(a, Scope.SUBORDINATES)
    # when we resolve a's subordinates
    subordinates = access.subordinate_ids(a)
    # then the query terminates with the others, and a's view is the three of them
    assert sorted(subordinates) == sorted([b.pk, c.pk])
    assert visible(a) == {"loop_a", "loop_b", "loop_c"}


def test_department_scope_reaches_the_users_department_but_not_its_sub_departments(org, accounts):
    # given a user in the Jiangsu company (the team is a sub-department) with "own department"
    clerk = make_user("clerk", org.js)
    grant(clerk, Scope.DEPARTMENT)
    # when we resolve their view
    names = visible(clerk)
    # then they see the company-level manager's records, not the team's nor Zhejiang's
    assert names == {"manager_js"}


def test_department_scope_still_reaches_the_users_own_records_kept_elsewhere(org):
    # given a user with "own department" whose own account is booked in another department
    clerk = make_user("clerk", org.js)
    account_of(clerk, name="mine-elsewhere", department=org.zj)
    account_of(org.rep_zj, name="theirs")
    grant(clerk, Scope.DEPARTMENT)
    # when we resolve their view
    # then their own record is included, the other department's is not
    assert visible(clerk) == {"mine-elsewhere"}


def test_department_scope_of_a_user_without_department_is_own_records_only(org):
    # given a user with "own department" who belongs to no department
    floater = make_user("floater", None)
    account_of(floater, name="floater")
    grant(floater, Scope.DEPARTMENT)
    grant(floater, Scope.DEPARTMENT_TREE, object_type="customers.contact")
    Contact.objects.create(name="floater-contact", owner=floater)
    Contact.objects.create(name="other-contact", owner=org.rep_zj)
    # when we resolve their view
    # then only their own records: an empty department never means "everything"
    assert visible(floater) == {"floater"}
    assert visible(floater, Contact) == {"floater-contact"}


def test_department_tree_scope_reaches_sub_departments_but_not_a_sister_company(org, accounts):
    # given the Jiangsu manager (department tree from the Jiangsu company)
    # when we resolve their view
    names = visible(org.manager_js)
    # then every Jiangsu record at any depth, none of Zhejiang or the group level
    assert names == {"manager_js", "lead_js", "rep_js", "rep_js2"}


def test_department_tree_scope_follows_departments_added_deeper_later(org):
    # given a new sub-team under the Jiangsu team, with a rep in it
    sub_team = Department.objects.create(name="江苏销售一部一组", parent=org.js_team)
    deep_rep = make_user("deep_rep", sub_team)
    account_of(deep_rep, name="deep")
    # when the Jiangsu manager looks
    # then the deeper record is included
    assert "deep" in visible(org.manager_js)


def test_all_scope_reaches_every_record_and_compiles_to_no_filter(org, accounts):
    # given sales operations with scope "all"
    # when we resolve their filter
    q = access.scope_q(org.ops, Account, Action.VIEW)
    # then it is the empty filter and every account is visible
    assert q is not None and not q
    assert visible(org.ops) == set(accounts)


# ---------------------------------------------------------------------------------- collaborators
def share(record, user, level):
    Collaborator.objects.create(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        user=user,
        access=level,
    )
    access.clear_cache(user)


def test_read_collaborator_may_view_but_not_edit_delete_or_transfer(org, accounts):
    # given rep_js2 shares rep_zj's account read-only
    record = accounts["rep_zj"]
    share(record, org.rep_js2, CollaboratorAccess.READ)
    # when we ask what rep_js2 may do with it
    # then view only
    assert access.can(org.rep_js2, record, Action.VIEW)
    assert not access.can(org.rep_js2, record, Action.EDIT)
    assert not access.can(org.rep_js2, record, Action.DELETE)
    assert visible(org.rep_js2) == {"rep_js2", "rep_zj"}
    assert visible(org.rep_js2, action=Action.EDIT) == {"rep_js2"}


def test_write_collaborator_may_view_and_edit_but_not_delete_or_transfer(org, accounts):
    # given rep_js2 shares rep_zj's account read-write, and may transfer by role
    record = accounts["rep_zj"]
    share(record, org.rep_js2, CollaboratorAccess.WRITE)
    grant(org.rep_js2, Scope.OWN, actions=(Action.TRANSFER,))
    # when we ask what rep_js2 may do with it
    # then view and edit, but deleting or giving it away stays with the owner's scope
    assert access.can(org.rep_js2, record, Action.VIEW)
    assert access.can(org.rep_js2, record, Action.EDIT)
    assert not access.can(org.rep_js2, record, Action.DELETE)
    assert not access.can(org.rep_js2, record, Action.TRANSFER)


@pytest.mark.parametrize("inline", [1, 0])
def test_a_command_or_jobs_scope_names_the_few_shared_records_instead_of_a_subquery(
    org, accounts, monkeypatch, inline
):
    """Outside a request too (a command, a job), a user's few shared records are named in the
    scope: an OR with a subquery on the shares made PostgreSQL filter every row instead of using
    the owner index (a rep's leads counted in 210 ms at a million, 7.6 ms named). Beyond
    ``SHARED_INLINE`` shares the subquery stays."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(access, "SHARED_INLINE", inline)
    share(accounts["rep_zj"], org.rep_js2, CollaboratorAccess.READ)
    with acting_as(org.rep_js2), CaptureQueriesContext(connection) as queries:
        names = set(Account.objects.values_list("name", flat=True))
    # the shared record is there either way, and nothing else of rep_zj's
    assert names == {"rep_js2", "rep_zj"}
    [listed] = [q["sql"] for q in queries if q["sql"].startswith('SELECT "customers_account"."name"')]
    assert ("org_collaborator" in listed) == (inline == 0), listed


def test_collaboration_on_a_contact_does_not_open_an_account_with_the_same_id(org):
    # given a contact and an account that happen to share an id, both owned by rep_zj
    account = account_of(org.rep_zj, name="zj-account")
    contact = Contact(name="zj-contact", owner=org.rep_zj, pk=account.pk)
    contact.save(force_insert=True)
    share(contact, org.rep_js, CollaboratorAccess.WRITE)
    # when rep_js is asked about both
    # then only the shared contact is reachable
    assert access.can(org.rep_js, contact, Action.EDIT)
    assert not access.can(org.rep_js, account, Action.VIEW)


def test_collaboration_needs_the_function_permission_of_the_object_type(org, accounts):
    # given nobody (no role at all) is added as a write collaborator
    record = accounts["rep_zj"]
    share(record, org.nobody, CollaboratorAccess.WRITE)
    # when we ask what they may do
    # then nothing: sharing a record does not grant the right to use accounts at all
    assert not access.can(org.nobody, record, Action.VIEW)
    assert visible(org.nobody) == set()


# ---------------------------------------------------------------------------------- roles
def test_several_roles_combine_and_the_widest_scope_wins(org, accounts):
    # given rep_js has "own" (sales rep) and also a role with "department tree" for viewing
    grant(org.rep_js, Scope.DEPARTMENT_TREE, actions=(Action.VIEW,))
    # when we resolve view and edit
    # then view is widened to the team's department tree, edit stays "own"
    assert access.granted_scope(org.rep_js, Account, Action.VIEW) == Scope.DEPARTMENT_TREE
    assert access.granted_scope(org.rep_js, Account, Action.EDIT) == Scope.OWN
    assert visible(org.rep_js) == {"lead_js", "rep_js", "rep_js2"}
    assert visible(org.rep_js, action=Action.EDIT) == {"rep_js"}


def test_a_narrower_second_role_never_narrows_a_wider_one(org, accounts):
    # given the manager also gets a role with "own" on the same actions
    grant(org.manager_js, Scope.OWN, actions=(Action.VIEW, Action.EDIT))
    # when we resolve
    # then the department tree still applies
    assert access.granted_scope(org.manager_js, Account, Action.VIEW) == Scope.DEPARTMENT_TREE
    assert visible(org.manager_js) == {"manager_js", "lead_js", "rep_js", "rep_js2"}


def test_roles_add_up_actions_per_object_type(org):
    # given one role lets a user view accounts, another lets them export contacts
    clerk = make_user("clerk", org.js)
    grant(clerk, Scope.ALL, actions=(Action.VIEW,))
    grant(clerk, Scope.OWN, actions=(Action.EXPORT,), object_type="customers.contact")
    # when we ask for function permissions
    # then each applies to its own object type only
    assert access.has_action(clerk, Account, Action.VIEW)
    assert not access.has_action(clerk, Account, Action.EXPORT)
    assert access.has_action(clerk, Contact, Action.EXPORT)
    assert not access.has_action(clerk, Contact, Action.VIEW)


def test_an_inactive_role_grants_nothing(org, accounts):
    # given a user whose only role is switched off
    clerk = make_user("clerk", org.js)
    grant(clerk, Scope.ALL, actions=(Action.VIEW, Action.EDIT), role_active=False)
    # when we resolve
    # then no function permission and no records
    assert not access.has_action(clerk, Account, Action.VIEW)
    assert access.scope_q(clerk, Account) is None
    assert visible(clerk) == set()


def test_a_user_without_roles_sees_nothing(org, accounts):
    # given "nobody", who owns an account but holds no role
    # when we resolve
    # then not even their own record: data scope needs a function permission first
    assert not access.has_action(org.nobody, Account, Action.VIEW)
    assert visible(org.nobody) == set()
    assert not access.can(org.nobody, accounts["nobody"])


def test_an_inactive_user_sees_nothing_even_with_roles(org, accounts):
    # given the Jiangsu manager leaves the company (deactivated, roles kept)
    manager = User.objects.get(pk=org.manager_js.pk)
    manager.is_active = False
    manager.save()
    # when we resolve
    # then nothing at all, not even their own records
    assert not access.has_action(manager, Account, Action.VIEW)
    assert visible(manager) == set()
    assert not access.can(manager, accounts["manager_js"], Action.VIEW)


def test_an_inactive_superuser_sees_nothing(org, accounts):
    # given a deactivated administrator
    admin = User.objects.get(pk=org.admin.pk)
    admin.is_active = False
    admin.save()
    # then no access at all
    assert visible(admin) == set()


def test_a_superuser_sees_and_may_do_everything_without_roles(org, accounts):
    # given the administrator (no roles, superuser)
    # then all scope on every action, and every record
    assert access.granted_scope(org.admin, Account, Action.DELETE) == Scope.ALL
    assert visible(org.admin) == set(accounts)
    assert access.can(org.admin, accounts["rep_zj"], Action.TRANSFER)


def test_anonymous_user_may_do_nothing(org, accounts):
    # given no user at all
    # then no permission and an empty queryset
    assert not access.has_action(None, Account, Action.VIEW)
    assert not access.restrict(Account.all_objects.all(), None).exists()


def test_restrict_is_empty_when_the_action_is_not_granted(org, accounts):
    # given a sales rep (no export permission)
    # when restricted for export
    qs = access.restrict(Account.all_objects.all(), org.rep_js, Action.EXPORT)
    # then empty, even though they own an account
    assert not qs.exists()


def test_can_decides_in_the_database_not_on_the_object_in_memory(org, accounts):
    # given rep_zj's account, with its owner changed in memory only
    record = accounts["rep_zj"]
    record.owner = org.rep_js
    record.owner_id = org.rep_js.pk
    # when rep_js asks whether they may edit it
    # then the stored owner decides
    assert not access.can(org.rep_js, record, Action.EDIT)


def test_task_assignee_may_view_and_edit_a_task_someone_else_owns(org):
    # given rep_js assigns a task to rep_js2
    from lianke.activities.models import Activity

    task = Activity.objects.create(subject="Call back", owner=org.rep_js, assignee=org.rep_js2)
    other = Activity.objects.create(subject="Private note", owner=org.rep_js)
    # then rep_js2 may view and edit that task (to mark it done), but not delete it
    assert access.can(org.rep_js2, task, Action.VIEW)
    assert access.can(org.rep_js2, task, Action.EDIT)
    assert not access.can(org.rep_js2, task, Action.DELETE)
    assert not access.can(org.rep_js2, other, Action.VIEW)


# ---------------------------------------------------------------------------------- managers
def test_default_manager_applies_the_acting_users_scope(org, accounts):
    # given code running as rep_js
    with acting_as(org.rep_js):
        # when it reads accounts through the default manager
        names = set(Account.objects.values_list("name", flat=True))
    # then only rep_js's own account
    assert names == {"rep_js"}


def test_default_manager_hides_records_in_the_recycle_bin(org, accounts):
    # given rep_js's account in the recycle bin
    Account.all_objects.filter(pk=accounts["rep_js"].pk).update(is_deleted=True)
    # when rep_js reads accounts
    with acting_as(org.rep_js):
        names = set(Account.objects.values_list("name", flat=True))
    # then it is gone from normal reads but still a row
    assert names == set()
    assert Account.all_objects.filter(pk=accounts["rep_js"].pk).exists()


def test_default_manager_refuses_to_run_outside_an_access_context(org, accounts):
    # given no access context at all
    token = _current.set(None)
    try:
        # when business data is read
        # then it fails closed instead of returning every row
        with pytest.raises(AccessContextMissing):
            list(Account.objects.all())
    finally:
        _current.reset(token)


# ---------------------------------------------------------------------------------- assignable users
def assignable(actor, action=Action.CREATE, model=Account) -> set[str]:
    """The usernames ``actor`` may give records of ``model`` to when doing ``action``."""
    return set(access.assignable_users(actor, model, action).values_list("username", flat=True))


EVERYBODY_ACTIVE = {"admin", "manager_js", "lead_js", "rep_js", "rep_js2", "rep_zj", "ops", "nobody"}


def test_with_own_scope_a_user_may_give_records_only_to_themself(org):
    # given a rep whose create scope is "own records"
    # when we resolve whom they may make the owner of a new account
    # then only themself
    assert assignable(org.rep_js) == {"rep_js"}


def test_with_subordinates_scope_a_user_may_give_records_down_their_reporting_chain(org):
    # given the team lead (rep_js reports to them; rep_js2, in the same team, to the manager)
    # when we resolve whom they may make the owner of a new account
    # then themself and rep_js, not the peer nor their manager
    assert assignable(org.lead_js) == {"lead_js", "rep_js"}


def test_with_department_scope_a_user_may_give_records_to_their_department_not_its_teams(org):
    # given a clerk at the Jiangsu company level with "own department" for creating accounts
    clerk = make_user("clerk", org.js)
    grant(clerk, Scope.DEPARTMENT, actions=(Action.CREATE,))
    # when we resolve whom they may make the owner
    # then the company-level people only (the team below is a sub-department)
    assert assignable(clerk) == {"clerk", "manager_js"}


def test_with_department_scope_and_no_department_a_user_may_give_records_only_to_themself(org):
    floater = make_user("floater", None)
    grant(floater, Scope.DEPARTMENT, actions=(Action.CREATE,))
    assert assignable(floater) == {"floater"}


def test_with_department_tree_scope_a_user_may_give_records_to_their_company_at_any_depth(org):
    # given the Jiangsu manager and a rep in a team added later below the Jiangsu team
    deep_rep = make_user("deep_rep", Department.objects.create(name="江苏销售一部一组", parent=org.js_team))
    # when we resolve whom the manager may make the owner
    # then everybody in Jiangsu at any depth, nobody in Zhejiang or at the group level
    assert assignable(org.manager_js) == {"manager_js", "lead_js", "rep_js", "rep_js2", deep_rep.username}


def test_with_all_scope_and_as_superuser_a_user_may_give_records_to_every_active_user(org):
    # given a user who has left
    make_user("left", org.js_team, is_active=False)
    # when we resolve whom operations may transfer to and whom the administrator may assign
    # then every active user, never the one who left
    assert assignable(org.ops, Action.TRANSFER) == EVERYBODY_ACTIVE
    assert assignable(org.admin) == EVERYBODY_ACTIVE


def test_nobody_is_assignable_without_the_action_or_by_an_inactive_user(org):
    # given operations (no create right), a user without roles and a rep who has left
    org.rep_js2.is_active = False
    org.rep_js2.save()
    access.clear_cache(org.rep_js2)
    # when we resolve whom each may give a new account to
    # then nobody
    assert assignable(org.ops, Action.CREATE) == set()
    assert assignable(org.nobody) == set()
    assert assignable(org.rep_js2) == set()
    assert assignable(None) == set()


def test_assignable_users_follow_the_scope_of_the_action_asked(org):
    # given a rep who creates with "own" but transfers within their team's department tree
    grant(org.rep_js, Scope.DEPARTMENT_TREE, actions=(Action.TRANSFER,))
    # when we resolve both
    # then each action has its own set
    assert assignable(org.rep_js, Action.CREATE) == {"rep_js"}
    assert assignable(org.rep_js, Action.TRANSFER) == {"lead_js", "rep_js", "rep_js2"}


def test_a_collaboration_never_makes_its_owner_assignable(org):
    # given rep_zj's account shared read-write with rep_js
    share(account_of(org.rep_zj), org.rep_js, CollaboratorAccess.WRITE)
    # when we resolve whom rep_js may give records to on edit
    # then still only themself: sharing one record opens that record, not its owner
    assert assignable(org.rep_js, Action.EDIT) == {"rep_js"}
    assert not access.may_assign(org.rep_js, Account, Action.EDIT, org.rep_zj.pk)
    assert access.may_assign(org.rep_js, Account, Action.EDIT, org.rep_js.pk)
