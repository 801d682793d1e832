"""The shipped .tflite must reproduce the saved Keras model on real test images (dermoscopic and
phone photos alike: the main network serves both)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def test_keras_vs_tflite(
    shipped_model_dir: Path, isic_test_images: list[tuple[Path, str]], phone_data_dir, phone_test_rows
) -> None:
    pytest.importorskip("tensorflow", reason="TensorFlow (requirements-train.txt) not installed")
    keras = pytest.importorskip("keras")
    from ml.inference import Classifier, preprocess
    from ml.training import model as _custom_layers  # noqa: F401  (registers TTA layers)

    keras_path = shipped_model_dir / "keras_model.keras"
    if not keras_path.exists():
        pytest.skip(f"{keras_path} missing")
    # float32 Keras source of a two-member ensemble (the .tflite itself stores float16, < 10 MB)
    assert keras_path.stat().st_size < 24 * 1024 * 1024
    kmodel = keras.models.load_model(keras_path)
    clf = Classifier(shipped_model_dir)
    diffs, same_top = [], []
    phone_images = [(phone_data_dir / r["path"], r["label"]) for r in phone_test_rows]
    for path, _ in isic_test_images + phone_images:
        with Image.open(path) as im:
            x = preprocess(im, clf.input_size)
            # the network's own output, before any per-kind head (those are numpy, fitted later)
            t, _ = clf.raw_outputs(im)
        k = np.asarray(kmodel(x[None], training=False)[0])[0]
        diffs.append(float(np.abs(k - t).max()))
        same_top.append(int(k.argmax()) == int(t.argmax()))
    assert len(diffs) >= 16
    if clf.card.get("weights_dtype") == "float16":
        # The .tflite stores float16 weights (after BatchNorm folding) to stay under 10 MB:
        # probabilities move by up to a few hundredths, and only near-ties may swap their top
        # class. The shipped metrics are measured on the .tflite, so they include this.
        assert max(diffs) < 0.05, max(diffs)
        assert np.mean(same_top) >= 0.9, same_top
    else:
        assert max(diffs) < 1e-3 or all(same_top), (max(diffs), same_top)


def test_single_view_export_drops_only_the_mirrored_view(shipped_model_dir: Path) -> None:
    # ml.training.export.single_view (kinds --dermoscopic-single-view): the same weights, one view
    pytest.importorskip("tensorflow", reason="TensorFlow (requirements-train.txt) not installed")
    keras = pytest.importorskip("keras")
    from ml.training import model as _custom_layers  # noqa: F401  (registers TTA layers)
    from ml.training.export import single_view

    keras_path = shipped_model_dir / "keras_model.keras"
    if not keras_path.exists():
        pytest.skip(f"{keras_path} missing")
    model = keras.models.load_model(keras_path)
    one = single_view(model)
    rng = np.random.default_rng(7)
    half = rng.uniform(0, 255, (1, 192, 96, 3)).astype("float32")
    symmetric = np.concatenate([half, half[:, :, ::-1]], axis=2)  # its mirror is itself
    lopsided = np.concatenate([half, np.zeros_like(half)], axis=2)
    # A mirror-symmetric image has two equal views, so the mean of both is the single view ...
    np.testing.assert_allclose(one(symmetric)[0], model(symmetric)[0], atol=1e-5)
    # ... and a lopsided one shows the mirror was really dropped (not the whole TTA model copied).
    assert float(np.abs(np.asarray(one(lopsided)[0]) - np.asarray(model(lopsided)[0])).max()) > 1e-4
    assert one(lopsided)[1].shape == model(lopsided)[1].shape  # the CAM still has one map per class
