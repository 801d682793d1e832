"""Create a nurse or admin account from the command line."""

import secrets

from django.core.management.base import BaseCommand, CommandError

from portal.accounts import services
from portal.accounts.models import User


class Command(BaseCommand):
    help = "Create a staff account (nurse or admin). Prints a generated password if none is given."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=[User.Role.NURSE, User.Role.ADMIN], default=User.Role.NURSE)
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None)

    def handle(self, *args, username, role, email, password, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} already exists")
        generated = password is None
        password = password or secrets.token_urlsafe(12)
        services.staff_create(username=username, password=password, role=role, email=email)
        shown = password if generated else "(as given)"
        self.stdout.write(self.style.SUCCESS(f"Created {role} {username!r}, password: {shown}"))
