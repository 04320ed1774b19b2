"""``lianke demo``: the dataset the README promises, and never on a database in use."""

import io

import pytest
from django.core.management import CommandError, call_command

from lianke.activities.models import Activity
from lianke.customers.models import Account, Contact
from lianke.marketing.models import Lead
from lianke.org.models import User
from lianke.sales.models import Opportunity


@pytest.mark.django_db(transaction=True)
def test_demo_loads_the_documented_group_users_and_volumes():
    # when the demo is loaded into an empty database
    call_command("demo", "--no-migrate", stdout=io.StringIO())
    # then the documented users exist with their scopes' shape, and the volumes of scale 1
    users = {u.username: u for u in User.objects.all()}
    assert {"admin", "wang.fang", "zhang.wei", "li.na"} <= set(users)
    assert users["zhang.wei"].superior == users["wang.fang"]
    assert users["admin"].is_superuser
    assert 35 <= len(users) <= 60
    assert Account.all_objects.count() == 2000
    assert Contact.all_objects.count() == 5000
    assert Lead.all_objects.count() == 5000
    assert Opportunity.all_objects.count() == 1500
    assert Activity.all_objects.count() == 20000
    # and rows written afterwards get fresh ids (sequences were reset after the bulk load)
    account = Account.all_objects.create(name="新客户", owner=users["zhang.wei"])
    assert account.pk > 2000


@pytest.mark.django_db(transaction=True)
def test_demo_refuses_a_database_that_already_holds_data():
    # given a database with a real user
    User.objects.create_user("boss", password="x")
    # when the demo is asked to load, then it refuses and loads nothing
    with pytest.raises(CommandError):
        call_command("demo", "--no-migrate")
    assert Account.all_objects.count() == 0
