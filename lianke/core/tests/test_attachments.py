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


def test_deleting_an_attachment_needs_edit_rights(org, attachment, client_for):
    # when those who cannot edit try to delete it, then it stays
    assert client_for(org.ops).post(f"/attachments/{attachment.pk}/delete/").status_code == 403
    assert client_for(org.rep_zj).post(f"/attachments/{attachment.pk}/delete/").status_code == 404
    assert client_for(org.rep_js).get(f"/attachments/{attachment.pk}/delete/").status_code == 405
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    # when the owner deletes it, then it and its file are gone
    storage, path = attachment.file.storage, attachment.file.name
    assert client_for(org.rep_js).post(f"/attachments/{attachment.pk}/delete/").status_code == 302
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not storage.exists(path)


def test_the_record_page_lists_its_attachments(org, record, attachment, client_for):
    html = client_for(org.rep_js).get(record.get_absolute_url()).content.decode()
    assert "报价单.pdf" in html
    assert f"/attachments/{attachment.pk}/" in html
