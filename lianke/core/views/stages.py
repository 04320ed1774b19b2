"""The one-tap move along a record's stage path (``<app>/<model>/<pk>/move/``), for every object
type that declares a ``stage_path``: from its record page and from a board's card."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from lianke.org import access, fieldaccess
from lianke.org.choices import Action

from ..stages import StateKind
from .objects import ObjectTypeView, htmx_redirect


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def error_text(ot, exc: ValidationError) -> str:
    """``"Loss reason: Say why the opportunity was lost."``: each message after its field's label."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for name, errors in exc.message_dict.items():
        try:
            label = capfirst(ot.field(name).verbose_name)
        except FieldDoesNotExist:
            label = ""
        parts += [
            _("%(field)s: %(message)s") % {"field": label, "message": message} if label else message
            for message in errors
        ]
    return " ".join(parts)


class StageMoveView(ObjectTypeView):
    """POST ``<field>=<state>`` (and, for a lost state, the path's reason fields).

    A record the user cannot see answers 404; one they see but may not edit, 403. A refused
    move answers 400 with the reason as text and changes nothing. On success a board gets the
    card back (``render=card``); the record page is reloaded with a message (htmx redirect).
    """

    action = Action.EDIT

    def post(self, request, *args, **kwargs):
        ot = self.object_type
        path = ot.stage_path
        obj = self.get_object(Action.VIEW)
        if not access.can(request.user, obj, Action.EDIT):
            return _plain(_("You do not have permission to change this record."), 403)
        value = request.POST.get(path.field, "")
        try:
            obj, moved = path.move(actor=request.user, obj=obj, value=value, reason=request.POST)
        except ValidationError as exc:
            return _plain(error_text(ot, exc), 400)
        except PermissionDenied as exc:
            return _plain(str(exc) or _("You do not have permission to do this."), 403)
        state = path.resolve(obj, path.current(obj))
        message = ""
        if moved:
            message = (
                _("Won!")
                if state.kind == StateKind.WON
                else _("Moved to “%(stage)s”.") % {"stage": state.label}
            )
        if request.POST.get("render") == "card" and path.card_template:
            return render(
                request,
                path.card_template,
                {
                    "card": obj,
                    "object_type": ot,
                    "message": message,
                    "state": state,
                    "fields": fieldaccess.current(ot.model),
                },
            )
        if message:
            messages.success(request, message)
        return htmx_redirect(request, obj.get_absolute_url())
