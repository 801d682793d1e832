"""Make a fresh site usable: seed medical content, register the shipped model, demo staff."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from ml import registry
from portal.accounts import services as account_services

User = get_user_model()

# Each app that owns seed content exposes `seed() -> str` (idempotent; never overwrites edits).
SEEDERS = ("triage.seed", "diagnosis.seed", "chatbot.seed")


class Command(BaseCommand):
    help = "Seed content, register and activate the newest shipped model, create demo staff once."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo-users", action="store_true")

    def handle(self, *args, no_demo_users=False, **options):
        for dotted in SEEDERS:
            module = __import__(dotted, fromlist=["seed"])
            self.stdout.write(f"seeded: {module.seed()}")

        versions = registry.shipped_versions()
        if versions:
            active = registry.active_model()
            # An upgrade that replaced the shipped version leaves the old one active with its
            # folder gone; move to the newest then. A folder that is present but fails its
            # hash stays unavailable on purpose (that is tampering, not an upgrade).
            gone = active is not None and not registry.resolve_path(active.path).exists()
            if gone:
                self.stdout.write(self.style.WARNING(f"model: {active.version} is no longer shipped"))
            newest = registry.model_register(folder=versions[-1], activate=active is None or gone)
            self.stdout.write(f"model: {registry.active_model() or newest} ")
        else:
            self.stdout.write(self.style.WARNING("model: none shipped under ml/models (run `make train`)"))

        if not no_demo_users:
            self._demo_staff()

    def _demo_staff(self) -> None:
        for username, role in (("nurse", User.Role.NURSE), ("admin", User.Role.ADMIN)):
            if User.objects.filter(username=username).exists():
                self.stdout.write(f"demo {role} {username!r} exists (password shown when it was created)")
                continue
            password = secrets.token_urlsafe(9)
            account_services.staff_create(username=username, password=password, role=role)
            # Printed once: it is not stored anywhere in clear text.
            self.stdout.write(self.style.SUCCESS(f"demo {role}: username {username!r} password {password!r}"))
