"""Writes on accounts: sign-up and staff creation."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

User = get_user_model()


@transaction.atomic
def patient_register(*, username: str, password: str, email: str = "") -> User:
    """Create a patient account; the password must pass the configured validators."""
    user = User(username=username, email=email, role=User.Role.PATIENT)
    validate_password(password, user=user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def staff_create(*, username: str, password: str, role: str, email: str = "") -> User:
    """Create a nurse or an admin (admins also get Django admin access)."""
    if role not in (User.Role.NURSE, User.Role.ADMIN):
        raise ValueError(f"staff role must be nurse or admin, not {role!r}")
    return User.objects.create_user(username=username, password=password, email=email, role=role)
