"""File custom fields: one attachment of the record held in a field — uploaded through the form
with the checks of attachments (nothing saved when refused), named by the API and the batch by
an attachment of the same record, shown by its name and downloaded through the attachment URL,
whose permission check is the record's."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lianke.core.models import Attachment, CustomField
from lianke.core.records.attachments import add_attachment
from lianke.customers.models import Account
from lianke.org.choices import FieldMode
from lianke.org.models import FieldPermission

pytestmark = pytest.mark.django_db

LIST_URL = "/customers/account/"
API_URL = "/api/customers/accounts/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English, the source language (see conftest)."""


@pytest.fixture
def contract(db):
    return CustomField.objects.create(
        object_type="customers.account", name="contract", label="合同", type="file"
    )


def base(org):
    return {"name": "昆山新材料有限公司", "account_type": "end_customer", "owner": org.rep_js.pk}


def test_the_form_uploads_the_file_as_an_attachment_of_the_record(org, contract, client_for):
    client = client_for(org.rep_js)
    assert 'enctype="multipart/form-data"' in client.get(f"{LIST_URL}new/").content.decode()
    upload = SimpleUploadedFile("合同.pdf", PDF, content_type="application/pdf")
    response = client.post(f"{LIST_URL}new/", {**base(org), "cf_contract": upload})
    assert response.status_code == 302, response.context["form"].errors
    obj = Account.objects.get(name="昆山新材料有限公司")
    attachment = Attachment.objects.get(object_id=obj.pk)
    assert obj.custom_data == {"contract": attachment.pk}
    html = client.get(obj.get_absolute_url()).content.decode()
    assert "合同.pdf" in html and f"/attachments/{attachment.pk}/" in html
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 200
    # somebody who may not see the record cannot download its file
    assert client_for(org.rep_zj).get(f"/attachments/{attachment.pk}/").status_code == 404
    # an edit without a new file keeps it
    edit = client.post(f"{LIST_URL}{obj.pk}/edit/", {**base(org), "name": "新名称"})
    assert edit.status_code == 302
    assert Account.objects.get(pk=obj.pk).custom_data == {"contract": attachment.pk}


def test_a_refused_upload_saves_nothing(org, contract, client_for):
    client = client_for(org.rep_js)
    upload = SimpleUploadedFile("合同.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(f"{LIST_URL}new/", {**base(org), "cf_contract": upload})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not Account.objects.exists()
    assert not Attachment.objects.exists()


def test_the_api_names_an_attachment_of_the_same_record_only(org, contract, api_for):
    own = Account.objects.create(name="甲", owner=org.rep_js)
    other = Account.objects.create(name="乙", owner=org.rep_js)
    mine = add_attachment(actor=org.rep_js, obj=own, upload=SimpleUploadedFile("a.pdf", PDF))
    theirs = add_attachment(actor=org.rep_js, obj=other, upload=SimpleUploadedFile("b.pdf", PDF))
    api = api_for(org.rep_js)
    for value, code in ((theirs.pk, "file_not_found"), ("abc", "invalid_file"), (99999, "file_not_found")):
        response = api.patch(f"{API_URL}{own.pk}/", {"custom_fields": {"contract": value}}, format="json")
        assert response.status_code == 400, value
        assert response.json()["custom_fields"]["contract"]
        assert response.json().get("code") == code
    assert Account.objects.get(pk=own.pk).custom_data == {}
    ok = api.patch(f"{API_URL}{own.pk}/", {"custom_fields": {"contract": mine.pk}}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["custom_fields"] == {"contract": mine.pk}


def test_a_hidden_file_field_is_neither_returned_nor_shown(org, contract, api_for, client_for):
    obj = Account.objects.create(name="甲", owner=org.manager_js)
    attachment = add_attachment(actor=org.manager_js, obj=obj, upload=SimpleUploadedFile("秘密.pdf", PDF))
    obj.custom_data = {"contract": attachment.pk}
    obj.save()
    FieldPermission.objects.create(
        role=org.roles["sales_manager"],
        object_type="customers.account",
        field="cf_contract",
        mode=FieldMode.HIDDEN,
    )
    assert "contract" not in api_for(org.manager_js).get(f"{API_URL}{obj.pk}/").json()["custom_fields"]
    page = client_for(org.manager_js).get(f"{LIST_URL}{obj.pk}/edit/")
    assert "cf_contract" not in page.context["form"].fields


# ---------------------------------------------------------------------------------- required
@pytest.fixture
def required_contract(db):
    return CustomField.objects.create(
        object_type="customers.account", name="contract", label="合同", type="file", required=True
    )


def test_a_required_file_is_demanded_by_the_form_on_create(org, required_contract, client_for):
    client = client_for(org.rep_js)
    response = client.post(f"{LIST_URL}new/", base(org))
    assert response.status_code == 400
    form = response.context["form"]
    assert [e.code for e in form.errors["cf_contract"]] == ["required"]
    assert "合同" in form.errors["cf_contract"][0]
    html = response.content.decode()
    assert 'data-error-code="required"' in html
    assert not Account.all_objects.exists() and not Attachment.objects.exists()
    # with the file it is created, the field holding it
    upload = SimpleUploadedFile("合同.pdf", PDF, content_type="application/pdf")
    response = client.post(f"{LIST_URL}new/", {**base(org), "cf_contract": upload})
    assert response.status_code == 302, response.context["form"].errors
    obj = Account.objects.get()
    assert obj.custom_data == {"contract": Attachment.objects.get(object_id=obj.pk).pk}
    # an edit without a new file keeps it: no re-upload demanded
    edit = client.post(f"{LIST_URL}{obj.pk}/edit/", {**base(org), "name": "新名称"})
    assert edit.status_code == 302, edit.context["form"].errors
    assert Account.objects.get(pk=obj.pk).name == "新名称"


def test_a_required_file_is_demanded_by_the_api_and_the_batch_on_create(org, required_contract, api_for):
    from lianke.core.records.batch import BatchError, create_records

    api = api_for(org.rep_js)
    response = api.post(API_URL, {"name": "甲", "account_type": "end_customer"}, format="json")
    assert response.status_code == 400, response.json()
    assert {"field": "custom_fields.contract", "code": "required"} in [
        {"field": i["field"], "code": i["code"]} for i in response.json()["errors"]
    ]
    with pytest.raises(BatchError) as caught:
        create_records(actor=org.rep_js, model=Account, rows=[{"name": "乙"}])
    assert caught.value.rows[0]["cf_contract"] == ["合同 is required."]
    assert not Account.all_objects.exists()
    # a record that has its file is changed through the API without naming it again
    obj = Account.objects.create(name="丙", owner=org.rep_js)
    attachment = add_attachment(actor=org.rep_js, obj=obj, upload=SimpleUploadedFile("a.pdf", PDF))
    Account.all_objects.filter(pk=obj.pk).update(custom_data={"contract": attachment.pk})
    ok = api.patch(f"{API_URL}{obj.pk}/", {"name": "丁"}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["custom_fields"] == {"contract": attachment.pk}
