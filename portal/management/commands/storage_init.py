"""Create the private photo bucket when S3_BUCKET is set, and prove it can write, read and delete."""

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Object storage: create the S3 bucket if missing (never public) and check a round trip."

    def handle(self, *args, **options):
        if not settings.S3_BUCKET:
            self.stdout.write(f"storage: local folder {settings.MEDIA_ROOT}")
            return
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            bucket = default_storage.bucket
            client = default_storage.connection.meta.client
            try:
                client.head_bucket(Bucket=bucket.name)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                    raise
                client.create_bucket(Bucket=bucket.name)
                self.stdout.write(f"storage: created bucket {bucket.name}")
            probe = default_storage.save(f"healthcheck/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
            with default_storage.open(probe, "rb") as fh:
                assert fh.read() == b"ok"
            default_storage.delete(probe)
        except (BotoCoreError, ClientError, AssertionError) as exc:
            raise CommandError(f"storage: bucket {settings.S3_BUCKET} is not usable: {exc}") from exc
        self.stdout.write(
            f"storage: bucket {settings.S3_BUCKET} at {settings.STORAGES['default']['OPTIONS']['endpoint_url']}"
        )
