"""Settings › Webhooks: administrators register webhooks and watch and retry deliveries."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianke.org.views import administrators_only

from . import delivery
from .forms import WebhookForm
from .models import OutboxMessage, Webhook

PAGE = 50


@administrators_only
def webhook_list(request):
    status = request.GET.get("status", "")
    outbox = OutboxMessage.objects.order_by("-id")
    if status in OutboxMessage.Status.values:
        outbox = outbox.filter(status=status)
    hooks = {f"webhook:{h.pk}": h for h in Webhook.objects.all()}
    rows = list(outbox[:PAGE])
    for m in rows:
        m.webhook = hooks.get(m.consumer)
    return render(
        request,
        "outbox/settings.html",
        {
            "webhooks": hooks.values(),
            "outbox": rows,
            "status": status,
            "statuses": OutboxMessage.Status.choices,
        },
    )


@administrators_only
def webhook_edit(request, pk=None):
    hook = get_object_or_404(Webhook, pk=pk) if pk else None
    form = WebhookForm(request.POST or None, instance=hook)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Webhook saved."))
        return redirect("outbox:webhooks")
    return render(request, "outbox/webhook_form.html", {"form": form, "webhook": hook})


@administrators_only
def webhook_delete(request, pk):
    hook = get_object_or_404(Webhook, pk=pk)
    if request.method == "POST":
        hook.delete()
        messages.success(request, _("Webhook deleted."))
        return redirect("outbox:webhooks")
    return render(request, "outbox/webhook_confirm_delete.html", {"webhook": hook})


@administrators_only
@require_POST
def message_retry(request, pk):
    message = get_object_or_404(OutboxMessage, pk=pk)
    if delivery.retry_now(OutboxMessage.objects.filter(pk=message.pk)):
        delivery.schedule()
        messages.success(request, _("The message will be sent again shortly."))
    return redirect("outbox:webhooks")
