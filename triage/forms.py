from django import forms
from django.utils.translation import gettext_lazy as _

from triage.models import Case


class LevelForm(forms.Form):
    level = forms.TypedChoiceField(label=_("New level"), coerce=int, choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4")])
    reason = forms.CharField(label=_("Reason (required)"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Case.Outcome.choices)
    note = forms.CharField(
        label=_("Note for the patient"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
