"""Fixtures for the ML tests: plain pytest, no Django database needed."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTED_LABELS = [
    "actinic_keratosis",
    "basal_cell_carcinoma",
    "dermatofibroma",
    "melanoma",
    "nevus",
    "pigmented_benign_keratosis",
    "squamous_cell_carcinoma",
    "vascular_lesion",
]


def _data_dir() -> Path:
    env = os.environ.get("SKIN_DATA_DIR")
    return Path(env) if env else (REPO_ROOT / ".." / "shared" / "datasets" / "isic8-180").resolve()


@pytest.fixture(scope="session")
def shipped_model_dir() -> Path:
    from ml.inference import find_model_dir

    try:
        d = find_model_dir()
    except FileNotFoundError:
        pytest.skip("no shipped model under ml/models/*/model.tflite (run `make train`)")
    if not (d / "model.tflite").exists():
        pytest.skip(f"SKIN_MODEL_DIR={d} has no model.tflite")
    return d


@pytest.fixture(scope="session")
def isic_data_dir() -> Path:
    d = _data_dir()
    if not (d / "splits.csv").exists():
        pytest.skip(f"shared isic8-180 data not found at {d} (set SKIN_DATA_DIR)")
    return d


@pytest.fixture(scope="session")
def isic_test_images(isic_data_dir: Path) -> list[tuple[Path, str]]:
    """~20 real test-split images, a few from every class (deterministic)."""
    with (isic_data_dir / "splits.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test"]
    picked: list[tuple[Path, str]] = []
    for label in EXPECTED_LABELS:
        picked += [(isic_data_dir / r["path"], label) for r in rows if r["label"] == label][:3]
    return picked[:20] if len(picked) > 20 else picked


def _phone_dir() -> Path:
    env = os.environ.get("SKIN_PHONE_DATA_DIR")
    return Path(env) if env else (REPO_ROOT / ".." / "shared" / "datasets" / "pad-ufes-20").resolve()


@pytest.fixture(scope="session")
def phone_data_dir() -> Path:
    d = _phone_dir()
    if not (d / "splits.csv").exists():
        pytest.skip(f"shared pad-ufes-20 phone photos not found at {d} (set SKIN_PHONE_DATA_DIR)")
    return d


@pytest.fixture(scope="session")
def phone_test_rows(phone_data_dir: Path) -> list[dict[str, str]]:
    """~20 real phone photos of the test split with their patients' answers, every class."""
    with (phone_data_dir / "splits.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test"]
    picked: list[dict[str, str]] = []
    for label in EXPECTED_LABELS:
        picked += [r for r in rows if r["label"] == label][:4]
    return picked[:20]
