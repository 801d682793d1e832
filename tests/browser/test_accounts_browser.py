"""A new patient signs up and logs in, in a real browser."""

import pytest

from tests.browser.conftest import PHONE
from tests.browser.signup import PATIENT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_patient_signs_up_logs_out_and_logs_in(new_page, shots):
    page = new_page(PHONE)
    page.goto("/")
    shots(page, "home")
    page.goto("/accounts/signup/")
    page.fill("#id_username", "newpatient")
    page.fill("#id_email", "new@example.org")
    for name, value in PATIENT.items():  # the identity the clinic needs (tests/browser/signup.py)
        page.fill(f"#id_{name}", value)
    page.fill("#id_password1", "a-long-and-private-phrase-9")
    page.fill("#id_password2", "a-long-and-private-phrase-9")
    page.check("#id_consent_photos")
    shots(page, "signup-filled")
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    # One welcome, and the big button to check a spot first.
    assert page.content().count("Welcome") == 1
    assert page.locator("#check-a-spot").is_visible()
    shots(page, "signed-up")
    # log out (the menu collapses on a phone)
    page.click(".navbar-toggler")
    page.click("text=Log out")
    page.wait_for_selector("text=You have been logged out.")
    page.goto("/accounts/login/")
    page.fill("#id_username", "newpatient")
    page.fill("#id_password", "a-long-and-private-phrase-9")
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    assert page.locator("#check-a-spot").is_visible() and "Welcome back" not in page.content()
    shots(page, "logged-in")
