"""Register, activate and look up shipped model versions (no TensorFlow, no LiteRT here)."""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction

from ml.models import ModelVersion
from ml.versions import version_key

ARTIFACT_FILES = ("model.tflite", "labels.json", "model_card.json")


class ModelUnavailable(RuntimeError):
    """No usable model: nothing registered, files missing, or the file is not the one registered."""


def resolve_path(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else Path(settings.MODEL_ROOT) / p


@lru_cache(maxsize=8)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    # Keyed on mtime and size so a replaced file is re-hashed, an unchanged one is not.
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    stat = path.stat()
    return _sha256(str(path), stat.st_mtime_ns, stat.st_size)


def shipped_versions() -> list[Path]:
    """Version folders under MODEL_ROOT that hold a complete artifact, oldest first."""
    root = Path(settings.MODEL_ROOT)
    folders = [p for p in root.iterdir() if p.is_dir() and all((p / f).exists() for f in ARTIFACT_FILES)]
    return sorted(folders, key=version_key)


@transaction.atomic
def model_register(*, folder: Path, activate: bool = False) -> ModelVersion:
    """Register (or refresh) the artifact in `folder`; optionally make it the active one."""
    folder = folder.resolve()
    missing = [f for f in ARTIFACT_FILES if not (folder / f).exists()]
    if missing:
        raise ModelUnavailable(f"{folder.name}: missing {', '.join(missing)}")
    card = json.loads((folder / "model_card.json").read_text())
    version = card.get("version") or folder.name
    root = Path(settings.MODEL_ROOT).resolve()
    stored_path = str(folder.relative_to(root)) if folder.is_relative_to(root) else str(folder)
    mv, _ = ModelVersion.objects.update_or_create(
        version=version,
        defaults={
            "path": stored_path,
            "sha256": file_sha256(folder / "model.tflite"),
            "metrics": card.get("metrics", {}),
            "thresholds": card.get("thresholds", {}),
        },
    )
    if activate:
        model_activate(model_version=mv)
    return mv


@transaction.atomic
def model_activate(*, model_version: ModelVersion) -> ModelVersion:
    # Queryset updates, not the instance's (possibly stale) idea of which one is active.
    ModelVersion.objects.filter(active=True).exclude(pk=model_version.pk).update(active=False)
    ModelVersion.objects.filter(pk=model_version.pk).update(active=True)
    model_version.active = True
    return model_version


def active_model() -> ModelVersion | None:
    """The active version. On a database where no version was ever registered (a plain `migrate`,
    no `setup_site`), the newest shipped one registers itself and becomes active."""
    active = ModelVersion.objects.filter(active=True).first()
    if active is None and not ModelVersion.objects.exists():
        active = _register_newest_shipped()
    return active


def _register_newest_shipped() -> ModelVersion | None:
    from django.db import IntegrityError

    versions = shipped_versions() if Path(settings.MODEL_ROOT).is_dir() else []
    if not versions:
        return None
    try:
        return model_register(folder=versions[-1], activate=True)
    except IntegrityError:  # another process registered it at the same moment
        return ModelVersion.objects.filter(active=True).first()


def active_model_dir() -> Path:
    """The active model's folder, checked against its registered hash."""
    mv = active_model()
    if mv is None:
        raise ModelUnavailable("no active model is registered (run: manage.py register_model --latest)")
    folder = resolve_path(mv.path)
    tflite = folder / "model.tflite"
    if not tflite.exists():
        raise ModelUnavailable(f"model file for {mv.version} is missing")
    if file_sha256(tflite) != mv.sha256:
        raise ModelUnavailable(f"model file for {mv.version} does not match its registered sha256")
    with open(tflite, "rb") as fh:
        # Every TFLite flatbuffer carries the identifier "TFL3" at bytes 4-8.
        if fh.read(8)[4:8] != b"TFL3":
            raise ModelUnavailable(f"model file for {mv.version} is not a TFLite model")
    _check_second_network(folder, mv.version)
    return folder


def _check_second_network(folder: Path, version: str) -> None:
    """A version's dermoscopic network (if it ships one) must be the file its card names."""
    import json

    try:
        spec = json.loads((folder / "model_card.json").read_text()).get("dermoscopic_model")
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"model card of {version} cannot be read: {exc}") from exc
    if not spec:
        return
    path = folder / spec["file"]
    if not path.exists() or file_sha256(path) != spec.get("sha256"):
        raise ModelUnavailable(f"the dermoscopic network of {version} is missing or not the one its card names")


def active_version_checked() -> str:
    active_model_dir()
    return active_model().version
