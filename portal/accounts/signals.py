"""What must go with a deleted user, whichever way the user was deleted."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete


def forget_login_records(sender, instance, **kwargs) -> None:
    """Delete django-axes' attempt and log rows of a deleted user (they hold the username and addresses).

    A signal rather than a line in services.account_delete: these rows are keyed by the username,
    not by a foreign key that would cascade, and a deletion that bypasses the service (a Django
    admin queryset delete, a shell, a management command) must not leave them behind.
    """
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    username = instance.get_username()
    # Log-in attempts are recorded as typed; one account's name in another case is still that
    # account unless another user really has that spelling.
    others = get_user_model().objects.filter(username__iexact=username).exclude(pk=instance.pk)
    match = {"username": username} if others.exists() else {"username__iexact": username}
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(**match).delete()


def connect() -> None:
    post_delete.connect(forget_login_records, sender=get_user_model(), dispatch_uid="accounts.forget_login_records")
