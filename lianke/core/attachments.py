"""Attachment uploads: size limit, content type checked on the bytes, images re-encoded."""

from __future__ import annotations

import io
from pathlib import PurePath

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from .models import Attachment

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
            params={"type": mime},
        )
    if extension in TEXT_EXTENSIONS:
        for encoding in ("utf-8", "gb18030"):
            try:
                data.decode(encoding)
                return "text/csv" if extension == ".csv" else "text/plain"
            except UnicodeDecodeError:
                continue
    raise ValidationError(_("This file type is not allowed."))


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
        raise ValidationError(_("The image could not be read.")) from exc


@transaction.atomic
def add_attachment(*, actor, obj, upload) -> Attachment:
    from . import audit
    from .models import ObjectChange

    name = PurePath(upload.name or "file").name[:200]
    if upload.size > settings.LIANKE_MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("The file is too large (at most %(mb)d MB)."),
            params={"mb": settings.LIANKE_MAX_ATTACHMENT_BYTES // 2**20},
        )
    data = upload.read()
    if not data:
        raise ValidationError(_("The file is empty."))
    mime = _sniff(data, PurePath(name).suffix.lower())
    if mime in IMAGE_FORMATS:
        data = _reencode(data, mime)
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        name=name,
        size=len(data),
        mime_type=mime,
        uploaded_by=actor,
    )
    attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    audit.record(ObjectChange.ActionChoices.UPDATE, obj, {"attachment": None}, {"attachment": name})
    return attachment
