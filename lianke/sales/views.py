from django.db.models import Count, Sum
from django.shortcuts import render
from django.template.defaultfilters import floatformat

from lianke.core.pagination import capped_count
from lianke.core.stages import board_context
from lianke.core.views.objects import ObjectTypeView
from lianke.org import fieldaccess

from .models import Stage, StageSet
from .stages import state_of

CARDS_PER_STAGE = 30


class KanbanView(ObjectTypeView):
    """Opportunities of one stage set in columns by stage (S2), drawn by the generic stage board:
    drag a card or use its stage menu to move it; on a phone, one stage at a time (tabs)."""

    template_name = "sales/kanban.html"

    def get(self, request, *args, **kwargs):
        ot = self.object_type
        stage_sets = StageSet.objects.filter(is_active=True)
        stage_set = stage_sets.filter(pk=request.GET.get("stage_set") or 0).first() or StageSet.default()
        queryset = self.model.objects.filter(stage_set=stage_set)
        filterset = ot.filterset_class(request.GET or None, queryset=queryset, request=request)
        # Unbound (no query string) is valid too: only a bad filter empties the board.
        queryset = queryset.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
        stages = list(Stage.objects.filter(stage_set=stage_set)) if stage_set else []
        # An amount hidden from the reader (field permissions) is on no card and in no total.
        fields = fieldaccess.field_access(request.user, self.model)
        show_amount = fields.visible("amount")
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
            count, total = row.get("n", 0), row.get("total") or 0
            columns.append(
                {
                    "state": state_of(stage),
                    "stage": stage,
                    "cards": cards,
                    "count": count,
                    "more": count - len(cards),
                    "total": total,
                    "note": f"{stage.probability}%",
                    "summary": "¥" + floatformat(total, "0g") if show_amount else "",
                }
            )
        board = board_context(ot, request.user, columns, request.GET.get("tab"))
        context = self.base_context(
            stage_set=stage_set,
            stage_sets=stage_sets,
            columns=columns,
            board=board,
            filterset=filterset,
            count=capped_count(queryset)[0],
            fields=fields,
        )
        return render(request, self.template_name, context)
