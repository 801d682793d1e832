"""Revoke a user's API tokens whenever their password changes, whichever way it was changed."""

from django.utils.translation import gettext_lazy as _


class RevokeApiTokensOnPasswordChange:
    """An AUTH_PASSWORD_VALIDATORS entry that accepts every password and, through Django's
    password_changed() hook (AbstractBaseUser.save after set_password), deletes the user's tokens.

    The hook runs for the web password change, the reset link, the admin's "set password" form
    and `manage.py changepassword` alike, so no path can forget it.
    """

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        from portal.accounts import services

        if user is not None and user.pk is not None:
            services.api_tokens_revoke(user=user)

    def get_help_text(self):
        # Django lists every validator's help text under the password field; this one says what happens.
        return _("Each new password signs out every app that uses your account.")
