from __future__ import annotations

from django import forms

from lianke.core.fieldtypes.people import PeopleChecks
from lianke.org.models import Department
from lianke.org.users import active_users

from .models import Pool
from .services import DELEGATED_FIELDS, state_of


class PoolForm(forms.ModelForm):
    """What a pool's administrators edit: its name, description and who belongs to it — onto the
    state the form was opened with (``state``)."""

    state = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Pool
        fields = list(DELEGATED_FIELDS)
        widgets = {"members": PeopleChecks(), "member_departments": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].initial = state_of(self.instance)
        self.fields["members"].queryset = active_users()
        self.fields["member_departments"].queryset = Department.objects.all()
        self.fields["name"].widget.attrs["class"] = "form-control"
        self.fields["description"].widget.attrs.update({"class": "form-control", "rows": 3})
