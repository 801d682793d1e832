import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_create_user_with_role_makes_a_nurse_without_admin_access():
    # when
    nurse = User.objects.create_user(username="nn", password=DEFAULT_PASSWORD, role="nurse")
    # then
    assert nurse.role == User.Role.NURSE
    assert nurse.can_triage
    assert not nurse.is_staff
    assert not nurse.can_edit_content


def test_admin_role_gets_django_admin_access():
    admin = User.objects.create_user(username="aa", password=DEFAULT_PASSWORD, role="admin")
    assert admin.is_staff and admin.can_edit_content and admin.can_triage


def test_new_users_are_patients_by_default(patient_alice):
    assert patient_alice.is_patient
    assert not patient_alice.can_triage


def test_patient_signs_up_on_the_web_and_is_logged_in(client):
    # when
    response = client.post(
        reverse("signup"),
        {
            "username": "carol",
            "email": "c@example.org",
            "full_name": "Carol Example",
            "date_of_birth": "1975-03-04",
            "phone": "+447911123456",
            "password1": DEFAULT_PASSWORD,
            "password2": DEFAULT_PASSWORD,
        },
    )
    # then
    assert response.status_code == 302
    carol = User.objects.get(username="carol")
    assert carol.role == User.Role.PATIENT
    assert client.get(reverse("profile")).status_code == 200


def test_signup_refuses_a_common_password_and_creates_nothing(client):
    response = client.post(
        reverse("signup"), {"username": "dave", "password1": "password123", "password2": "password123"}
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert not User.objects.filter(username="dave").exists()


def test_login_and_logout(client, patient_alice):
    response = client.post(reverse("login"), {"username": "alice", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("profile")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("profile")).status_code == 302


def test_login_is_locked_after_repeated_failures_even_with_the_right_password(client, patient_alice, settings):
    # given: as many failures as the limit allows
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice", "password": "wrong-password"})
    # when
    response = client.post(reverse("login"), {"username": "alice", "password": DEFAULT_PASSWORD})
    # then
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert client.get(reverse("profile")).status_code == 302


def test_password_reset_sends_an_email_with_a_working_link(client, patient_alice):
    client.post(reverse("password_reset"), {"email": patient_alice.email})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    assert "new password" in response.content.decode().lower()


def test_password_change(client, patient_alice):
    client.force_login(patient_alice)
    new = "another-long-pass-phrase-7"
    response = client.post(
        reverse("password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    patient_alice.refresh_from_db()
    assert patient_alice.check_password(new)


def test_profile_saves_optional_facts_and_rejects_impossible_birth_date(client, patient_alice):
    # The year of birth (the model's context) now follows the date of birth (test_identity.py).
    client.force_login(patient_alice)
    who = {"full_name": "Alice", "phone": "+447911123456", "email": "a@example.org"}
    bad = client.post(reverse("profile"), {**who, "date_of_birth": "1700-01-01", "sex": "", "skin_type": ""})
    assert bad.status_code == 200
    patient_alice.refresh_from_db()
    assert patient_alice.year_of_birth is None

    client.post(reverse("profile"), {**who, "date_of_birth": "1980-06-01", "sex": "female", "skin_type": 2})
    patient_alice.refresh_from_db()
    assert (patient_alice.year_of_birth, patient_alice.sex, patient_alice.skin_type) == (1980, "female", 2)


def test_create_staff_command_makes_a_nurse(capsys):
    from django.core.management import call_command

    call_command("create_staff", "nora", "--role", "nurse")
    assert User.objects.get(username="nora").role == User.Role.NURSE
    assert "password:" in capsys.readouterr().out


def test_navigation_differs_per_role(client, patient_alice, admin_ada):
    client.force_login(admin_ada)
    assert reverse("admin:index") in client.get("/").content.decode()
    client.force_login(patient_alice)
    assert reverse("admin:index") not in client.get("/").content.decode()


def test_patient_pages_are_available_in_spanish(client, patient_alice):
    client.force_login(patient_alice)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    page = client.get(reverse("diagnosis:upload")).content.decode()
    assert "Revisar una lesión de la piel" in page
    assert "Apoyo a la decisión, no un diagnóstico." in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Check a skin lesion" in client.get(reverse("diagnosis:upload")).content.decode()
