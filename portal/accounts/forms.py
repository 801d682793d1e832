from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User


class SignUpForm(UserCreationForm):
    """Patients sign themselves up; staff accounts are made by admins."""

    email = forms.EmailField(label=_("E-mail"), required=False, help_text=_("Used only to reset your password."))

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_username(self):
        # The API's register applies the same rules (portal.accounts.usernames).
        from portal.accounts.usernames import username_clean

        return username_clean(self.cleaned_data["username"])


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form; the link in the mail names SITE_DOMAIN, never the request's Host."""

    def save(self, **kwargs):
        # Whoever asks for the reset chooses the Host header (and port); the link must not follow it.
        return super().save(**{**kwargs, "domain_override": settings.SITE_DOMAIN})


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("email", "year_of_birth", "sex", "skin_type")
        help_texts = {
            "year_of_birth": _("Optional. Age changes how urgent some skin changes are."),
            "skin_type": _("Optional. Fair skin that burns easily carries a higher skin-cancer risk."),
        }

    def clean_year_of_birth(self):
        from django.utils import timezone

        year = self.cleaned_data.get("year_of_birth")
        this_year = timezone.now().year
        if year is not None and not (this_year - 120 <= year <= this_year):
            raise forms.ValidationError(
                _("Enter a year between %(a)s and %(b)s.") % {"a": this_year - 120, "b": this_year}
            )
        return year


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
