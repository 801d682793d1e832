"""Back up and restore the photo bucket: copy every object to a folder, or a folder back.

Runs in the app image (boto3 is already there) with the app's own S3_* settings, so it reads
exactly the bucket the web and workers use:

    python deploy/s3_mirror.py download /backup/bucket    # bucket -> folder (+ MANIFEST.json)
    python deploy/s3_mirror.py upload /backup/bucket      # folder -> bucket (restore)

`download` writes each object under its key and a manifest of keys, sizes and content types;
`upload` puts back exactly the manifest's objects and checks their sizes. Objects are private
(no ACL is set); the bucket is created if it is missing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

MANIFEST = "MANIFEST.json"


def client_from_env():
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
        aws_access_key_id=os.environ.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        region_name=os.environ.get("S3_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def _inside(folder: Path, key: str) -> Path:
    target = (folder / key).resolve()
    if key.startswith("/") or not target.is_relative_to(folder.resolve()) or target.name == MANIFEST:
        raise ValueError(f"refusing object key {key!r}: it would land outside {folder}")
    return target


def download(client, bucket: str, folder: Path) -> int:
    """Copy every object of `bucket` into `folder`; returns how many."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            target = _inside(folder, obj["Key"])
            target.parent.mkdir(parents=True, exist_ok=True)
            head = client.head_object(Bucket=bucket, Key=obj["Key"])
            client.download_file(bucket, obj["Key"], str(target))
            entries.append({"key": obj["Key"], "size": obj["Size"], "content_type": head.get("ContentType", "")})
    (folder / MANIFEST).write_text(json.dumps({"bucket": bucket, "objects": entries}, indent=1))
    return len(entries)


def upload(client, bucket: str, folder: Path) -> int:
    """Put back every object listed in `folder`'s manifest; returns how many."""
    manifest = json.loads((folder / MANIFEST).read_text())
    try:
        client.head_bucket(Bucket=bucket)
    except client.exceptions.ClientError:
        client.create_bucket(Bucket=bucket)
    for entry in manifest["objects"]:
        source = _inside(folder, entry["key"])
        if source.stat().st_size != entry["size"]:
            raise ValueError(f"{entry['key']}: {source.stat().st_size} bytes on disk, {entry['size']} in the manifest")
        extra = {"ContentType": entry["content_type"]} if entry["content_type"] else None
        client.upload_file(str(source), bucket, entry["key"], ExtraArgs=extra)
    return len(manifest["objects"])


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("download", "upload"):
        print(__doc__, file=sys.stderr)
        return 2
    bucket = os.environ.get("S3_BUCKET")
    if not bucket:
        print("S3_BUCKET is not set: the photos are in MEDIA_ROOT; back up that folder instead", file=sys.stderr)
        return 2
    action = download if argv[1] == "download" else upload
    count = action(client_from_env(), bucket, Path(argv[2]))
    print(f"{argv[1]}: {count} objects, bucket {bucket}, folder {argv[2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
