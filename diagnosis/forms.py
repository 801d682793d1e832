from django import forms
from django.utils.translation import gettext_lazy as _

from chatbot.engine import screen
from diagnosis.models import DIAMETER_MM_MAX, DIAMETER_MM_MIN, SYMPTOM_QUESTIONS, Submission, SubmissionPhoto


def _answer(label: str) -> forms.ChoiceField:
    """A yes / no / not sure question; left unanswered it is simply not known."""
    return forms.ChoiceField(
        label=label,
        choices=Submission.Answer.choices,
        required=False,
        # Bootstrap's toggle buttons: big enough to tap, three in a row on a phone.
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented recipe): a list, possibly empty."""

    def __init__(self, *args, max_files: int, **kwargs):
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > self.max_files:
            raise forms.ValidationError(
                _("You can add at most %(n)s extra photos.") % {"n": self.max_files}, code="too_many_files"
            )
        single = super().clean
        return [single(f, initial) for f in files]


class UploadForm(forms.Form):
    image = forms.FileField(
        label=_("Photo of the skin lesion"),
        # "image/*" makes phones offer both the camera and the photo library.
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.heic,.heif"}),
        help_text=_("JPEG, PNG, WebP or HEIC, up to 15 MB."),
    )
    # The close-up is the photo the model reads; these are for the patient and the nurse only.
    extra_images = MultipleFileField(
        label=_("Extra photos (optional)"),
        required=False,
        max_files=SubmissionPhoto.MAX_PER_SUBMISSION,
        widget=MultipleFileInput(attrs={"accept": "image/*,.heic,.heif"}),
        help_text=_("Up to 2 more: one from further away showing where on the body it is, or another angle."),
    )
    body_site = forms.ChoiceField(
        label=_("Where on the body?"), choices=[("", "—"), *Submission.BodySite.choices], required=False
    )
    dermoscope = forms.BooleanField(
        label=_("Was this photo taken through a dermatoscope (a skin magnifier used by clinics)?"),
        required=False,
        help_text=_("Leave it unticked for an ordinary phone or camera photo."),
    )
    itch = _answer(_("Does it itch?"))
    grew = _answer(_("Has it grown?"))
    hurt = _answer(_("Does it hurt?"))
    changed = _answer(_("Has it changed (colour, shape)?"))
    bleed = _answer(_("Has it bled?"))
    elevation = _answer(_("Is it raised above the skin?"))
    diameter_mm = forms.FloatField(
        label=_("Size across, in mm (optional)"),
        required=False,
        min_value=DIAMETER_MM_MIN,
        max_value=DIAMETER_MM_MAX,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
        help_text=_("Measure the widest part with a ruler if you can."),
    )
    symptoms = forms.CharField(
        label=_("Anything you have noticed? (optional)"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        max_length=2000,
        required=False,
        help_text=_("For example: how long it has been there, whether it grew, bleeds or itches."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, qid in screen.UPLOAD_FIELDS.items():
            self.fields[name] = _answer(_(screen.BY_ID[qid].form_label))

    def questions(self) -> list[forms.BoundField]:
        """The yes / no / not sure questions, in the order the template shows them."""
        return [self[name] for name in SYMPTOM_QUESTIONS]

    def screen_questions(self) -> list[forms.BoundField]:
        """The red-flag screen ("Right now, do you have any of these?"), in the table's order."""
        return [self[name] for name in screen.UPLOAD_FIELDS]

    def clean(self):
        cleaned = super().clean()
        # The screen's answers travel as one dict, as submission_create takes and stores them.
        cleaned["screen"] = {qid: cleaned.pop(name) for name, qid in screen.UPLOAD_FIELDS.items() if cleaned.get(name)}
        for name in screen.UPLOAD_FIELDS:
            cleaned.pop(name, None)
        return cleaned
