"""A lifecycle's pages, for every object type that declares a ``stage_path``: the one-tap move
(``<app>/<model>/<pk>/move/``, from the record page and from a board's card) and the board
(``<app>/<model>/board/``: the records in columns by state)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from lianke.org import access, fieldaccess
from lianke.org.choices import Action

from ..pagination import capped_count
from ..records.stages import StateKind, board_context
from ..ui.display import Cell, field_cell, prime_readable
from ..ui.filtersets import filterset_for
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


CARDS_PER_STATE = 30


class BoardView(ObjectTypeView):
    """The records the user may see in columns by state (S2's kanban, for any lifecycle): counts
    and totals per column in one aggregate query, the newest cards of each column; filters and
    search as on the list; drag a card or use its menu to move it; on a phone, one state at a
    time (tabs). The path may add controls (an opportunity board's stage set)."""

    template_name = "core/board.html"

    def get(self, request, *args, **kwargs):
        ot = self.object_type
        path = ot.stage_path
        fields = fieldaccess.field_access(request.user, self.model)
        if not fields.visible(path.field):  # columns by a field one may not see would show it
            raise PermissionDenied(_("You do not have permission to do this."))
        # A total of a field hidden from the reader is on no column.
        sum_field = path.sum_field if path.sum_field and fields.visible(path.sum_field) else None
        states, queryset, extra = path.board(request, self.model.objects.all())
        filterset = filterset_for(ot)(request.GET or None, queryset=queryset, request=request)
        # Unbound (no query string) is valid too: only a bad filter empties the board.
        queryset = queryset.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
        attname = path.model_field().attname
        aggregates = {"n": Count("pk"), **({"total": Sum(sum_field)} if sum_field else {})}
        totals = {
            path.value_of(row[attname]): row
            for row in queryset.order_by().values(attname).annotate(**aggregates)
        }
        columns = []
        for state in states:
            cards = list(
                ot.list_queryset(queryset.filter(path.state_q(state))).order_by("-updated_at", "-pk")[
                    :CARDS_PER_STATE
                ]
            )
            row = totals.get(state.value, {})
            count, total = row.get("n", 0), row.get("total") or 0
            columns.append(
                {
                    "state": state,
                    "cards": cards,
                    "count": count,
                    "more": count - len(cards),
                    "note": state.note,
                    "summary": "¥" + floatformat(total, "0g") if sum_field else "",
                }
            )
        shown = [card for column in columns for card in column["cards"]]
        prime_readable(shown, list(ot.card_fields), ot)
        for card in shown:  # what the generic card shows: its title and the type's card fields
            card.board_card = ot.card(card, lambda obj, name: _card_cell(ot, obj, name))
        context = self.base_context(
            columns=columns,
            board=board_context(ot, request.user, columns, request.GET.get("tab")),
            filterset=filterset,
            fields=fields,
            count=capped_count(queryset)[0],
            **extra,
        )
        return render(request, self.template_name, context)


def _card_cell(ot, obj, name: str) -> Cell:
    """A field on a board's card (custom fields are shown on the list's cards, not here)."""
    try:
        return field_cell(obj, name, ot)
    except FieldDoesNotExist:
        return Cell()
