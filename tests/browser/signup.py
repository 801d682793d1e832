"""Filling the sign-up form as a new patient does (identity, both consents), and logging in, for
every browser test."""

PATIENT = {"full_name": "Noor Al-Sayed", "date_of_birth": "1984-09-30", "phone": "07911 123456"}


def sign_up(page, username: str, password: str, *, email: str = "", consent: bool = True, **identity) -> None:
    """Open the sign-up page, fill it in and submit; identity fields default to PATIENT's."""
    page.goto("/accounts/signup/")
    page.fill("#id_username", username)
    for name, value in {**PATIENT, **identity}.items():
        if name == "preferred_contact":
            page.select_option("#id_preferred_contact", value)
        else:
            page.fill(f"#id_{name}", value)
    if email:
        page.fill("#id_email", email)
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    if consent:
        page.check("#id_consent_photos")
        page.check("#id_consent_contact")
    page.click("main button[type=submit]")


def log_in(page, username: str, password: str) -> None:
    """Log in on the login page and wait for the page it lands on (home, or the queue for nurses)."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
