from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import UserCreationForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User
from portal.accounts.validators import date_of_birth_validate, patient_required_fields

IDENTITY_WIDGETS = {
    "date_of_birth": forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
    "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
}
IDENTITY_HELP = {
    "full_name": _("As the clinic should know you."),
    "date_of_birth": _("Age changes how urgent some skin changes are."),
    "phone": _("So a nurse can call you about a case. Add +country code if it is not a local number."),
    "preferred_contact": _("How you would like the clinic to reach you."),
}


def privacy_link() -> str:
    return format_html('<a href="{}" target="_blank">{}</a>', reverse("privacy"), _("Read the privacy notice"))


class IdentityFieldsMixin:
    """The clinic decides which identity fields are required (settings.PATIENT_REQUIRED_FIELDS)."""

    def _require_identity(self) -> None:
        required = patient_required_fields()
        for name in ("full_name", "date_of_birth", "phone", "email", "preferred_contact"):
            if name in self.fields:
                self.fields[name].required = name in required

    def clean_date_of_birth(self):
        value = self.cleaned_data.get("date_of_birth")
        date_of_birth_validate(value)
        return value


class ConsentFieldsMixin(forms.Form):
    consent_photos = forms.BooleanField(
        label=_("I agree that SkinTriage stores my photos and answers so the clinic can triage them."),
        required=False,
        help_text=_("Needed before you can upload a photo. You can withdraw it at any time on your profile."),
    )
    consent_contact = forms.BooleanField(
        label=_("I agree that the clinic may contact me about my cases by the phone or e-mail I give."),
        required=False,
        help_text=_("Optional."),
    )


class SignUpForm(IdentityFieldsMixin, UserCreationForm):
    """Patients sign themselves up; staff accounts are made by admins."""

    email = forms.EmailField(label=_("E-mail"), required=False, help_text=_("Used to reset your password."))
    consent_photos = ConsentFieldsMixin.base_fields["consent_photos"]
    consent_contact = ConsentFieldsMixin.base_fields["consent_contact"]

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "full_name", "date_of_birth", "phone", "preferred_contact", "email")
        widgets = IDENTITY_WIDGETS
        help_texts = IDENTITY_HELP

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._require_identity()
        self.fields["consent_photos"].help_text = format_html(
            "{} {}", self.fields["consent_photos"].help_text, privacy_link()
        )

    def clean_username(self):
        # The API's register applies the same rules (portal.accounts.usernames).
        from portal.accounts.usernames import username_clean

        return username_clean(self.cleaned_data["username"])


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form; the link in the mail names SITE_DOMAIN, never the request's Host."""

    def save(self, **kwargs):
        # Whoever asks for the reset chooses the Host header (and port); the link must not follow it.
        return super().save(**{**kwargs, "domain_override": settings.SITE_DOMAIN})


class ProfileForm(IdentityFieldsMixin, forms.ModelForm):
    """The patient's own facts; staff have no identity fields to keep here."""

    class Meta:
        model = User
        fields = ("full_name", "date_of_birth", "phone", "preferred_contact", "email", "sex", "skin_type")
        widgets = IDENTITY_WIDGETS
        help_texts = {
            **IDENTITY_HELP,
            "skin_type": _("Optional. Fair skin that burns easily carries a higher skin-cancer risk."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.is_patient:
            self._require_identity()
        else:
            for name in ("full_name", "date_of_birth", "phone", "preferred_contact", "sex", "skin_type"):
                self.fields.pop(name)


class ConsentForm(ConsentFieldsMixin):
    """Consent again to a new privacy notice (or for the first time) before uploading."""

    consent_photos = forms.BooleanField(
        label=ConsentFieldsMixin.base_fields["consent_photos"].label,
        required=True,
        error_messages={"required": _("Tick this box to upload photos: we cannot store them without your consent.")},
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label=_("Your password, to confirm"), widget=forms.PasswordInput)
    confirm = forms.BooleanField(label=_("I understand that my photos, results and chats will be deleted for good."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."))
        return password
