from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from lianke.core.pagination import capped_count
from lianke.core.views.objects import ObjectTypeView
from lianke.org.choices import Action

from .choices import LossReason, StageKind
from .models import Stage, StageSet
from .services import move_stage

CARDS_PER_STAGE = 30


class KanbanView(ObjectTypeView):
    """Opportunities of one stage set in columns by stage; drag a card to move it (S2)."""

    template_name = "sales/kanban.html"

    def get(self, request, *args, **kwargs):
        stage_sets = StageSet.objects.filter(is_active=True)
        stage_set = stage_sets.filter(pk=request.GET.get("stage_set") or 0).first() or StageSet.default()
        queryset = self.model.objects.filter(stage_set=stage_set)
        filterset = self.object_type.filterset_class(request.GET or None, queryset=queryset, request=request)
        # Unbound (no query string) is valid too: only a bad filter empties the board.
        queryset = queryset.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
        stages = list(Stage.objects.filter(stage_set=stage_set)) if stage_set else []
        # Totals per stage in one aggregate query; cards limited per column.
        totals = {
            row["stage"]: row
            for row in queryset.order_by().values("stage").annotate(n=Count("pk"), total=Sum("amount"))
        }
        columns = []
        for stage in stages:
            cards = list(
                queryset.filter(stage=stage)
                .select_related("account", "owner")
                .order_by("-updated_at", "-pk")[:CARDS_PER_STAGE]
            )
            row = totals.get(stage.pk, {})
            columns.append(
                {"stage": stage, "cards": cards, "count": row.get("n", 0), "total": row.get("total") or 0}
            )
        context = self.base_context(
            stage_set=stage_set,
            stage_sets=stage_sets,
            columns=columns,
            filterset=filterset,
            loss_reasons=LossReason.choices,
            count=capped_count(queryset)[0],
        )
        return render(request, self.template_name, context)


class MoveStageView(ObjectTypeView):
    action = Action.EDIT

    def post(self, request, *args, **kwargs):
        opportunity = self.get_object(Action.EDIT)
        stage = get_object_or_404(Stage, pk=request.POST.get("stage"), stage_set=opportunity.stage_set_id)
        try:
            move_stage(
                actor=request.user,
                opportunity=opportunity,
                stage=stage,
                loss_reason=request.POST.get("loss_reason", ""),
                loss_note=request.POST.get("loss_note", ""),
            )
        except ValidationError as exc:
            return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
        message = _("Won!") if stage.kind == StageKind.WON else _("Moved to “%(stage)s”.") % {"stage": stage}
        return render(request, "sales/partials/card.html", {"card": opportunity, "message": message})
