"""The customers app's own page: "Request this customer" (申请转给我), reached from the "New
account" form when the duplicate check refused it — a rep asks, with a reason, for the existing
customer he typed (name, credit code, phone) to be transferred to him
(``registration.request_transfer``). The page tells nothing about that customer beyond what the
duplicate check told: no id, no name as stored, no owner."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from lianke.org import access
from lianke.org.choices import Action

from . import registration
from .models import Account


class TransferRequestForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("account name"), required=False, max_length=200)
    credit_code = forms.CharField(
        label=gettext_lazy("unified social credit code"), required=False, max_length=18
    )
    phone = forms.CharField(label=gettext_lazy("phone"), required=False, max_length=40)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,  # the service refuses a missing one, with its code
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


class TransferRequestView(LoginRequiredMixin, View):
    template_name = "customers/transfer_request.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.has_action(request.user, Account, Action.CREATE):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        initial = {k: request.GET.get(k, "") for k in ("name", "credit_code", "phone")}
        return self.render(TransferRequestForm(initial=initial))

    def post(self, request):
        form = TransferRequestForm(request.POST)
        if form.is_valid():
            try:
                registration.request_transfer(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                by_field = exc.error_dict if hasattr(exc, "error_dict") else {None: exc.error_list}
                for key, errors in by_field.items():
                    form.add_error(key if key in form.fields else None, ValidationError(errors))
            else:
                messages.success(
                    request,
                    _(
                        "Your request was sent: the customer’s owner’s manager decides. Follow it in your approvals."
                    ),
                )
                return redirect(reverse("approvals:inbox") + "?box=submitted")
        return self.render(form, status=400)

    def render(self, form, status: int = 200):
        context = {"form": form, "back_url": reverse("customers:account_list")}
        return render(self.request, self.template_name, context, status=status)
