from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        # portal/celery.py sets its own beat_schedule after reading settings, which would hide a
        # CELERY_BEAT_SCHEDULE there; the operations entries (settings.OPS_BEAT_SCHEDULE) are
        # merged into the app's schedule here instead, in every process (beat included) once
        # Django is set up.
        from django.conf import settings

        from portal.celery import app

        app.conf.beat_schedule = {**app.conf.beat_schedule, **getattr(settings, "OPS_BEAT_SCHEDULE", {})}
