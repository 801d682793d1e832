"""The worker's view of the model: the registry's active version, loaded once per process."""

import logging
import os
import threading

from ml import registry

log = logging.getLogger(__name__)
_lock = threading.Lock()
_loaded: dict = {}


def active_classifier():
    """The classifier of the active ModelVersion, built once per process (and again after a fork
    or an activation of another version). Raises registry.ModelUnavailable."""
    from ml.inference import Classifier

    folder = registry.active_model_dir()
    key = (os.getpid(), str(folder))
    with _lock:
        if _loaded.get("key") != key:
            try:
                clf = Classifier(folder)
            except Exception as exc:  # a corrupt file must read as "model unavailable", not a crash loop
                error = registry.ModelUnavailable(f"model in {folder.name} cannot be loaded: {exc}")
                _report(error=str(error))
                raise error from exc
            _loaded.clear()
            _loaded.update(key=key, classifier=clf)
            log.info("loaded model %s in process %s", clf.version, os.getpid())
            _report(version=clf.version)
        return _loaded["classifier"]


def _report(*, version: str = "", error: str = "") -> None:
    """Tell /healthz (through the heartbeat row) what this worker can serve; never fail a task."""
    from portal.tasks import worker_report

    try:
        worker_report(model_version=version, model_error=error)
    except Exception as exc:  # the database may be the thing that is down
        log.warning("could not record the model status: %s", exc)
