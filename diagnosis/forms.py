from django import forms
from django.utils.translation import gettext_lazy as _

from diagnosis.models import Submission


class UploadForm(forms.Form):
    image = forms.FileField(
        label=_("Photo of the skin lesion"),
        # "image/*" makes phones offer both the camera and the photo library.
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.heic,.heif"}),
        help_text=_("JPEG, PNG, WebP or HEIC, up to 15 MB."),
    )
    body_site = forms.ChoiceField(
        label=_("Where on the body?"), choices=[("", "—"), *Submission.BodySite.choices], required=False
    )
    symptoms = forms.CharField(
        label=_("Anything you have noticed? (optional)"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        max_length=2000,
        required=False,
        help_text=_("For example: how long it has been there, whether it grew, bleeds or itches."),
    )
