"""Default locations of shared data and weights, overridable by env vars and CLI args.

Nothing under /work is hard-coded: defaults are resolved relative to the repository root so a
clean clone next to a ``shared/`` folder works without configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

# ml/training/paths.py -> parents[2] is the repository root.
REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT / ".." / "shared"
MODELS_DIR = REPO_ROOT / "ml" / "models"
CACHE_DIR = REPO_ROOT / "ml" / "training" / "cache"

WEIGHT_FILES = {
    1.0: "mobilenet_v2_1.0_224_no_top_tfslim.h5",
    0.35: "mobilenet_v2_0.35_224_no_top_tm.h5",
}


def _env_path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default.resolve()


def data_dir(override: str | None = None) -> Path:
    if override:
        return Path(override).expanduser().resolve()
    return _env_path("SKIN_DATA_DIR", SHARED / "datasets" / "isic8-180")


def extra_data_dir(override: str | None = None) -> Path:
    if override:
        return Path(override).expanduser().resolve()
    return _env_path("SKIN_EXTRA_DATA_DIR", SHARED / "datasets" / "isic-extra")


def phone_data_dir(override: str | None = None) -> Path:
    """pad-ufes-20 (smartphone photos with clinical metadata)."""
    if override:
        return Path(override).expanduser().resolve()
    return _env_path("SKIN_PHONE_DATA_DIR", SHARED / "datasets" / "pad-ufes-20")


def weights_path(override: str | None = None, alpha: float = 1.0) -> Path:
    if override:
        return Path(override).expanduser().resolve()
    return _env_path("SKIN_WEIGHTS_PATH", SHARED / "weights" / WEIGHT_FILES[alpha])
