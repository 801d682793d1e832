"""Output contract, thread safety and "no TensorFlow in the worker" for ml.inference."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml.inference import Classifier, InferenceResult, get_classifier, reset_classifier
from ml.tests.conftest import EXPECTED_LABELS, REPO_ROOT


@pytest.fixture(scope="module")
def clf(shipped_model_dir: Path) -> Classifier:
    return Classifier(shipped_model_dir)


def _lesion_like(size: tuple[int, int] = (180, 180), seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    a = np.full((size[1], size[0], 3), (200, 150, 130), dtype=np.float32)
    yy, xx = np.mgrid[: size[1], : size[0]]
    blob = ((yy - size[1] / 2) ** 2 + (xx - size[0] / 2) ** 2) < (min(size) / 4) ** 2
    a[blob] = (90, 60, 50)
    a += rng.normal(0, 8, a.shape)
    return Image.fromarray(a.clip(0, 255).astype(np.uint8))


def _check_contract(res: InferenceResult, clf: Classifier) -> None:
    assert list(res.probabilities) == EXPECTED_LABELS
    probs = np.array(list(res.probabilities.values()))
    assert probs.shape == (8,)
    assert np.all(probs >= 0) and abs(probs.sum() - 1.0) <= 1e-4
    assert len(res.ranked) == 8 and {c for c, _ in res.ranked} == set(EXPECTED_LABELS)
    values = [p for _, p in res.ranked]
    assert values == sorted(values, reverse=True)
    assert abs(sum(values) - 1.0) <= 1e-4
    assert res.top == res.ranked[0][0]
    assert isinstance(res.uncertain, bool)
    assert res.inference_ms > 0
    assert res.model_version == clf.version


def test_labels_and_card(clf: Classifier) -> None:
    assert clf.labels == EXPECTED_LABELS
    assert set(clf.thresholds) == {"melanoma", "squamous_cell_carcinoma", "basal_cell_carcinoma"}
    assert all(0.0 < t < 1.0 for t in clf.thresholds.values())
    assert clf.card["version"] == clf.version
    assert (clf.model_dir / "model.tflite").stat().st_size <= 10 * 1024 * 1024


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P", "CMYK", "I;16"])
def test_contract_any_mode(clf: Classifier, mode: str) -> None:
    img = _lesion_like()
    img = img.convert("L").convert("I;16") if mode == "I;16" else img.convert(mode)
    res = clf.predict(img, heatmap=False)
    _check_contract(res, clf)
    assert res.heatmap_png is None


@pytest.mark.parametrize("size", [(64, 64), (180, 180), (1200, 900), (333, 517)])
def test_contract_any_size_and_heatmap(clf: Classifier, size: tuple[int, int]) -> None:
    res = clf.predict(_lesion_like(size), heatmap=True)
    _check_contract(res, clf)
    assert res.heatmap_png is not None
    heat = Image.open(io.BytesIO(res.heatmap_png))
    assert heat.format == "PNG" and max(heat.size) <= 224


def test_real_images(clf: Classifier, isic_test_images: list[tuple[Path, str]]) -> None:
    for path, _ in isic_test_images[:5]:
        with Image.open(path) as im:
            _check_contract(clf.predict(im), clf)


def test_deterministic(clf: Classifier) -> None:
    img = _lesion_like(seed=3)
    a = clf.predict(img, heatmap=False).probabilities
    b = clf.predict(img, heatmap=False).probabilities
    assert a == b


def test_thread_safety(clf: Classifier) -> None:
    images = [_lesion_like(seed=s) for s in range(4)]
    expected = [clf.predict(im, heatmap=False).probabilities for im in images]
    errors: list[BaseException] = []
    mismatches: list[int] = []

    def work(i: int) -> None:
        try:
            for _ in range(10):
                got = clf.predict(images[i], heatmap=(i % 2 == 0)).probabilities
                if any(abs(got[k] - expected[i][k]) > 1e-6 for k in got):
                    mismatches.append(i)
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and not mismatches


def test_get_classifier_cached_and_fork_reload(shipped_model_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("SKIN_MODEL_DIR", str(shipped_model_dir))
    reset_classifier()
    a = get_classifier()
    assert get_classifier() is a
    real_pid = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: real_pid + 1)  # as if we were a forked child
    b = get_classifier()
    assert b is not a and b.version == a.version
    monkeypatch.undo()
    reset_classifier()


def test_worker_never_imports_tensorflow(shipped_model_dir: Path) -> None:
    code = (
        "import sys\n"
        "from PIL import Image\n"
        "from ml.inference import get_classifier\n"
        "import ml.gate\n"
        "res = get_classifier().predict(Image.new('RGB', (200, 150), (190, 140, 120)))\n"
        "assert len(res.ranked) == 8\n"
        "bad = [m for m in ('tensorflow', 'keras', 'tf_keras') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    env = dict(
        os.environ,
        SKIN_MODEL_DIR=str(shipped_model_dir),
        PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")
