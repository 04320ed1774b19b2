"""Attachments: content checked on the bytes, images re-encoded, served only with the record."""

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from lianke.core.models import Attachment
from lianke.customers.models import Account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"PE\x00\x00"
    + b"\x00" * 200
)


def png_bytes(secret: str = "") -> bytes:
    info = PngImagePlugin.PngInfo()
    if secret:
        info.add_text("Comment", secret)
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


@pytest.fixture
def record(org):
    return Account.objects.create(name="苏州精工", owner=org.rep_js)


def upload_url(obj):
    ct = ContentType.objects.get_for_model(type(obj))
    return f"/attachments/upload/{ct.pk}/{obj.pk}/"


def upload(client, obj, name, data, content_type="application/octet-stream"):
    response = client.post(
        upload_url(obj), {"file": SimpleUploadedFile(name, data, content_type=content_type)}
    )
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def test_a_png_is_accepted_and_re_encoded_without_its_metadata(org, record, client_for):
    # given a PNG carrying a hidden text chunk
    data = png_bytes(secret="GPS 31.29N 120.58E")
    # when the owner uploads it
    response, messages = upload(client_for(org.rep_js), record, "现场照片.png", data, "image/png")
    # then it is stored as a clean PNG of the same picture
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.mime_type, attachment.uploaded_by) == (
        "现场照片.png",
        "image/png",
        org.rep_js,
    )
    stored = attachment.file.read()
    assert b"GPS 31.29N" not in stored
    assert attachment.size == len(stored)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG"
        assert image.size == (8, 8)
    assert messages == ["Uploaded “现场照片.png”."]


def test_a_pdf_is_accepted_as_is(org, record, client_for):
    response, _messages = upload(client_for(org.rep_js), record, "报价单.pdf", PDF, "application/pdf")
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.mime_type == "application/pdf"
    assert attachment.file.read() == PDF


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.exe", EXE, "is not an allowed type or does not match its name"),
        ("报价单.pdf", EXE, "is not an allowed type or does not match its name"),
        ("照片.pdf", png_bytes(), "(image/png) is not an allowed type or does not match its name"),
        ("照片.png", b"just some text, not an image\n", "This file type is not allowed."),
        ("空文件.pdf", b"", "The file is empty."),
    ],
)
def test_files_that_are_not_what_they_claim_are_rejected_and_nothing_is_stored(
    org, record, client_for, settings, name, data, message
):
    # when such a file is uploaded
    response, messages = upload(client_for(org.rep_js), record, name, data)
    # then the user is told why, and nothing is stored
    assert response.status_code in (302, 400)
    assert any(message in m for m in messages) or message in response.content.decode()
    assert not Attachment.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_file_over_the_size_limit_is_rejected(org, record, client_for, settings):
    # given a 1 MB limit
    settings.LIANKE_MAX_ATTACHMENT_BYTES = 2**20
    # when a slightly larger PDF is uploaded
    response, messages = upload(client_for(org.rep_js), record, "大文件.pdf", PDF + b"0" * 2**20)
    # then it is rejected with the limit named
    assert response.status_code == 302
    assert messages == ["The file is too large (at most 1 MB)."]
    assert not Attachment.objects.exists()


def test_uploading_needs_edit_rights_on_the_record(org, record, client_for):
    # a colleague who cannot see it gets 404; operations (read-only) get 403
    assert upload(client_for(org.rep_js2), record, "a.pdf", PDF)[0].status_code == 404
    assert upload(client_for(org.ops), record, "a.pdf", PDF)[0].status_code == 403
    assert not Attachment.objects.exists()


@pytest.fixture
def attachment(org, record, client_for):
    upload(client_for(org.rep_js), record, "报价单.pdf", PDF, "application/pdf")
    return Attachment.objects.get()


def test_download_is_served_to_those_who_can_see_the_record(org, attachment, client_for):
    # when the owner, the manager and operations download it, then they get the file
    for user in (org.rep_js, org.manager_js, org.ops):
        response = client_for(user).get(f"/attachments/{attachment.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_download_is_404_for_those_who_cannot_see_the_record(org, record, attachment, client_for):
    # a colleague and a rep in another company cannot see it
    for user in (org.rep_js2, org.rep_zj, org.nobody):
        assert client_for(user).get(f"/attachments/{attachment.pk}/").status_code == 404
    # nor can anyone once the record is in the recycle bin
    Account.all_objects.filter(pk=record.pk).update(is_deleted=True)
    assert client_for(org.rep_js).get(f"/attachments/{attachment.pk}/").status_code == 404


def test_deleting_an_attachment_needs_edit_rights(
    org, attachment, client_for, django_capture_on_commit_callbacks
):
    # when those who cannot edit try to delete it, then it stays
    assert client_for(org.ops).post(f"/attachments/{attachment.pk}/delete/").status_code == 403
    assert client_for(org.rep_zj).post(f"/attachments/{attachment.pk}/delete/").status_code == 404
    assert client_for(org.rep_js).get(f"/attachments/{attachment.pk}/delete/").status_code == 405
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    # when the owner deletes it, then it and its file are gone
    storage, path = attachment.file.storage, attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once committed
        assert client_for(org.rep_js).post(f"/attachments/{attachment.pk}/delete/").status_code == 302
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not storage.exists(path)


def test_the_record_page_lists_its_attachments(org, record, attachment, client_for):
    html = client_for(org.rep_js).get(record.get_absolute_url()).content.decode()
    assert "报价单.pdf" in html
    assert f"/attachments/{attachment.pk}/" in html


# ---------------------------------------------------------------------------------- services
def _history(record):
    from lianke.core.records import audit

    return [
        (c.user, c.prechange_data, c.postchange_data)
        for c in audit.changes_of(record).filter(action="update").order_by("id")
    ]


@pytest.fixture
def heard():
    """The ``updated`` events the attachment services emit (run inside the transaction)."""
    from lianke.core.records import events

    seen: list = []
    handler = events.subscribe(seen.append, events=[events.UPDATED], durable=True)
    yield seen
    events.unsubscribe(handler)


def test_upload_and_delete_are_history_of_the_record_by_who_did_them_with_an_event(
    org, record, client_for, heard, django_capture_on_commit_callbacks
):
    # when the owner uploads a file and the manager deletes it
    upload(client_for(org.rep_js), record, "报价单.pdf", PDF, "application/pdf")
    attachment = Attachment.objects.get()
    storage, path = attachment.file.storage, attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.manager_js).post(f"/attachments/{attachment.pk}/delete/")
    # then the record's history tells both, each by who did it
    assert response.status_code == 302
    assert _history(record) == [
        (org.rep_js, {"attachment": None}, {"attachment": "报价单.pdf"}),
        (org.manager_js, {"attachment": "报价单.pdf"}, {"attachment": None}),
    ]
    # and each was announced as a change of the record's attachments
    assert [(e.object_type, e.ids, e.actor_id, e.changed) for e in heard] == [
        ("customers.account", (record.pk,), org.rep_js.pk, ("attachments",)),
        ("customers.account", (record.pk,), org.manager_js.pk, ("attachments",)),
    ]
    # and the file is gone from the storage
    assert not Attachment.objects.exists()
    assert not storage.exists(path)


@pytest.mark.parametrize("attacker", ["rep_js2", "rep_zj", "nobody", "ops"])
def test_the_delete_service_refuses_whoever_may_not_edit_the_record(org, attachment, attacker, heard):
    from django.core.exceptions import PermissionDenied

    from lianke.core.records.attachments import delete_attachment

    # when someone who may not edit the record calls the service directly (a job, the API)
    history = _history(attachment_record(attachment))
    with pytest.raises(PermissionDenied):
        delete_attachment(actor=getattr(org, attacker), attachment=attachment.pk)
    # then the attachment, its file and the history stay as they were
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert attachment.file.storage.exists(attachment.file.name)
    assert _history(attachment_record(attachment)) == history
    assert heard == []


def attachment_record(attachment):
    return Account.all_objects.get(pk=attachment.object_id)


@pytest.mark.parametrize("attacker", ["rep_js2", "rep_zj", "nobody", "ops"])
def test_the_upload_service_refuses_whoever_may_not_edit_the_record(org, record, attacker, settings):
    from django.core.exceptions import PermissionDenied

    from lianke.core.records.attachments import add_attachment

    with pytest.raises(PermissionDenied):
        add_attachment(actor=getattr(org, attacker), obj=record, upload=SimpleUploadedFile("a.pdf", PDF))
    assert not Attachment.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_guessed_attachment_ids_reveal_and_delete_nothing(org, record, attachment, client_for):
    # given an attachment on a record of the Zhejiang rep
    theirs = Account.objects.create(name="杭州机电", owner=org.rep_zj)
    upload(client_for(org.rep_zj), theirs, "合同.pdf", PDF, "application/pdf")
    hidden = Attachment.objects.get(object_id=theirs.pk)
    me = client_for(org.rep_js)
    # when the Jiangsu rep tries ids: theirs, one that does not exist, and a negative one
    assert me.post(f"/attachments/{hidden.pk}/delete/").status_code == 404
    assert me.get(f"/attachments/{hidden.pk}/").status_code == 404
    assert me.post(f"/attachments/{hidden.pk + 1000}/delete/").status_code == 404
    assert me.post("/attachments/-1/delete/").status_code == 404
    # then both attachments are still there
    assert Attachment.objects.count() == 2
    # and uploading onto their record through the URL is refused too
    assert upload(me, theirs, "x.pdf", PDF)[0].status_code == 404
    assert Attachment.objects.count() == 2


def test_files_of_a_record_in_the_recycle_bin_are_neither_added_nor_deleted(org, record, attachment):
    from django.core.exceptions import PermissionDenied

    from lianke.core.records import services
    from lianke.core.records.attachments import add_attachment, delete_attachment

    services.delete_records(actor=org.rep_js, records=[record])
    with pytest.raises(PermissionDenied):
        delete_attachment(actor=org.rep_js, attachment=attachment)
    with pytest.raises(PermissionDenied):
        add_attachment(actor=org.rep_js, obj=record, upload=SimpleUploadedFile("b.pdf", PDF))
    assert list(Attachment.objects.values_list("name", flat=True)) == ["报价单.pdf"]


def test_a_deletion_that_rolls_back_keeps_the_file(org, attachment):
    from django.db import transaction

    from lianke.core.records.attachments import delete_attachment

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        delete_attachment(actor=org.rep_js, attachment=attachment)
        raise Undo
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert attachment.file.storage.exists(attachment.file.name)


def test_deleting_in_the_settings_goes_through_the_service(org, record, attachment, client_for):
    # when an administrator deletes the attachment on the settings pages
    response = client_for(org.admin).post(f"/admin/core/attachment/{attachment.pk}/delete/", {"post": "yes"})
    # then it is gone, and the record's history says who removed it
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert _history(record)[-1] == (org.admin, {"attachment": "报价单.pdf"}, {"attachment": None})
