"""Register a shipped model folder in the registry and optionally activate it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ml import registry


class Command(BaseCommand):
    help = "Register ml/models/<version> (or --latest) and optionally activate it."

    def add_arguments(self, parser):
        parser.add_argument("folder", nargs="?", help="model folder (default: --latest)")
        parser.add_argument("--latest", action="store_true", help="the newest shipped version")
        parser.add_argument("--activate", action="store_true")

    def handle(self, *args, folder=None, latest=False, activate=False, **options):
        if folder:
            target = Path(folder)
        else:
            versions = registry.shipped_versions()
            if not versions:
                raise CommandError("no shipped model under MODEL_ROOT")
            target = versions[-1]
        try:
            mv = registry.model_register(folder=target, activate=activate)
        except registry.ModelUnavailable as exc:
            raise CommandError(str(exc)) from exc
        state = "active" if mv.active else "registered"
        self.stdout.write(self.style.SUCCESS(f"{mv.version} {state} (sha256 {mv.sha256[:12]})"))
