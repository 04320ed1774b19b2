"""Attachments through services: adding and deleting a file is a change of the record it hangs
on, so both read that record locked, check that the actor may edit it (and that it is not in the
recycle bin), record history on it with the explicit actor and emit an ``updated`` event
(``changed=["attachments"]``) — for the web, the API, imports and jobs alike. Uploads: size
limit, content type checked on the bytes, images re-encoded."""

from __future__ import annotations

import io
from pathlib import PurePath

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from lianke.org import access
from lianke.org.choices import Action

from ..errors import FileCode
from ..models import Attachment, ObjectChange
from ..objecttypes.registry import registry
from . import audit, events

ALLOWED = {
    "image/jpeg": {".jpg", ".jpeg"},
    "image/png": {".png"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
    "application/pdf": {".pdf"},
    "application/zip": {".docx", ".xlsx", ".pptx", ".zip"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {".xlsx"},
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {".pptx"},
    "application/x-ole-storage": {".doc", ".xls", ".ppt"},
    "application/msword": {".doc"},
    "application/vnd.ms-excel": {".xls"},
}
TEXT_EXTENSIONS = {".txt", ".csv"}
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}


def _sniff(data: bytes, extension: str) -> str:
    kind = filetype.guess(data)
    if kind is not None:
        mime = kind.mime
        if mime in ALLOWED and extension in ALLOWED[mime]:
            return mime
        raise ValidationError(
            _("The file's content (%(type)s) is not an allowed type or does not match its name."),
            code=FileCode.FILE_TYPE,
            params={"type": mime},
        )
    if extension in TEXT_EXTENSIONS:
        for encoding in ("utf-8", "gb18030"):
            try:
                data.decode(encoding)
                return "text/csv" if extension == ".csv" else "text/plain"
            except UnicodeDecodeError:
                continue
    raise ValidationError(_("This file type is not allowed."), code=FileCode.FILE_TYPE)


def _reencode(data: bytes, mime: str) -> bytes:
    """Decode and write images again: strips metadata (GPS) and anything hidden behind them."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            out = io.BytesIO()
            fmt = IMAGE_FORMATS[mime]
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.save(out, format=fmt)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("The image could not be read."), code=FileCode.IMAGE_UNREADABLE) from exc


def _editable_parent(actor, model, pk):
    """The record a file hangs on, read locked: the actor must be able to edit it, and it must
    not be in the recycle bin (its files are read-only until it is restored)."""
    ot = registry.get_for_model(model, None) if model is not None else None
    if ot is None or not ot.has_attachments:
        raise PermissionDenied(_("This kind of record has no attachments."))
    from .services import locked

    try:
        record = locked(model, pk)
    except model.DoesNotExist:
        raise PermissionDenied(_("You do not have permission to do this.")) from None
    if record.is_deleted or not access.can(actor, record, Action.EDIT):
        raise PermissionDenied(_("You do not have permission to edit “%(record)s”.") % {"record": record})
    return record


def _announce(actor, record, before, after) -> None:
    audit.record(ObjectChange.ActionChoices.UPDATE, record, before, after, actor=actor)
    events.emit(events.UPDATED, record, [record.pk], actor=actor, changed=["attachments"])


@transaction.atomic
def add_attachment(*, actor, obj, upload) -> Attachment:
    """Store ``upload`` on ``obj`` as ``actor`` (who must be able to edit it): checked, images
    re-encoded, history and an event on the record. Nothing is stored if it is refused."""
    record = _editable_parent(actor, type(obj), obj.pk)
    name = PurePath(upload.name or "file").name[:200]
    if upload.size > settings.LIANKE_MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("The file is too large (at most %(mb)d MB)."),
            code=FileCode.FILE_TOO_LARGE,
            params={"mb": settings.LIANKE_MAX_ATTACHMENT_BYTES // 2**20},
        )
    data = upload.read()
    if not data:
        raise ValidationError(_("The file is empty."), code=FileCode.FILE_EMPTY)
    mime = _sniff(data, PurePath(name).suffix.lower())
    if mime in IMAGE_FORMATS:
        data = _reencode(data, mime)
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        name=name,
        size=len(data),
        mime_type=mime,
        uploaded_by=actor,
    )
    attachment.file.save(name, ContentFile(data), save=False)
    # A write that fails after this point rolls back: the stored file goes with it.
    try:
        attachment.save()
        _announce(actor, record, {"attachment": None}, {"attachment": name})
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def store_field_files(*, actor, obj, uploads: dict):
    """Files uploaded in a record's form for its file fields (``{field name: upload}``): each
    stored as an attachment of ``obj`` (the checks of ``add_attachment``), then the fields set
    to them through the write pipeline. Returns the record as written."""
    from .services import save_record

    data = dict(obj.custom_data or {})
    for name, upload in uploads.items():
        data[name] = add_attachment(actor=actor, obj=obj, upload=upload).pk
    record = type(obj).all_objects.get(pk=obj.pk)
    record.custom_data = data
    return save_record(actor=actor, instance=record)


@transaction.atomic
def delete_attachment(*, actor, attachment: Attachment | int) -> None:
    """Delete an attachment as ``actor``: the attachment is read again (its record comes from
    the database, never from the caller), the record locked and the edit permission checked on
    it; history and an event on the record. The file leaves the storage once the deletion has
    committed (a rolled-back deletion keeps its file)."""
    pk = attachment.pk if isinstance(attachment, Attachment) else attachment
    stored = Attachment.objects.select_for_update().filter(pk=pk).first()
    if stored is None:
        raise PermissionDenied(_("You do not have permission to do this."))
    record = _editable_parent(actor, stored.content_type.model_class(), stored.object_id)
    _announce(actor, record, {"attachment": stored.name}, {"attachment": None})
    storage, path = stored.file.storage, stored.file.name
    stored.delete()
    transaction.on_commit(lambda: storage.delete(path))
