from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        user_logged_out.connect(_say_logged_out, dispatch_uid="portal-logged-out-message")


def _say_logged_out(sender, request, user, **kwargs) -> None:
    """A "logged out" notice on the next page (kept in the message cookie across the session flush)."""
    from django.contrib import messages
    from django.utils.translation import gettext as _

    if request is not None and hasattr(request, "_messages"):
        messages.info(request, _("You have been logged out."))
