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


def test_one_member_export_is_that_member_of_the_ensemble(shipped_model_dir: Path) -> None:
    # ml.training.export.single_member (kinds --dermoscopic-member): the ensemble averages its
    # members' logits, so its probabilities are the renormalised geometric mean of theirs.
    pytest.importorskip("tensorflow", reason="TensorFlow (requirements-train.txt) not installed")
    keras = pytest.importorskip("keras")
    import json

    from ml.training import model as _custom_layers  # noqa: F401  (registers TTA layers)
    from ml.training.export import single_member

    card = json.loads((shipped_model_dir / "model_card.json").read_text())
    src = shipped_model_dir.parent / card["dermoscopic_model"]["from_version"] / "keras_model.keras"
    if not src.exists():
        pytest.skip(f"{src} missing")
    model = keras.models.load_model(src)
    members = [single_member(model, k) for k in (0, 1)]
    x = np.random.default_rng(3).uniform(0, 255, (1, 192, 192, 3)).astype("float32")
    full = np.asarray(model(x)[0])[0]
    probs = [np.asarray(m(x)[0])[0] for m in members]
    geo = np.exp(np.mean([np.log(p) for p in probs], axis=0))
    np.testing.assert_allclose(geo / geo.sum(), full, atol=1e-5)
    assert float(np.abs(probs[0] - probs[1]).max()) > 1e-3  # two different members, not a copy
    assert members[0](x)[1].shape == model(x)[1].shape  # one CAM map per class
    with pytest.raises(ValueError, match="no ensemble member 2"):
        single_member(model, 2)


def test_a_one_view_main_network_serves_the_same_probabilities(
    shipped_model_dir: Path, tmp_path: Path, isic_test_images: list[tuple[Path, str]], phone_data_dir, phone_test_rows
) -> None:
    # kinds --main-one-view: model.tflite re-exported as one view, the mirror a second invoke
    # (card "mirror_by_invoke"); skipped only where the card says so (dermoscopic main_mirror).
    pytest.importorskip("tensorflow", reason="TensorFlow (requirements-train.txt) not installed")
    import json
    import shutil

    from ml.inference import Classifier, blend_probabilities
    from ml.training.kinds import one_view_main_network

    if not (shipped_model_dir / "keras_model.keras").exists():
        pytest.skip("the shipped version has no keras_model.keras")
    one = tmp_path / "one-view"
    shutil.copytree(shipped_model_dir, one)
    one_view_main_network(one)
    served, split = Classifier(shipped_model_dir), Classifier(one)
    assert split.mirror_by_invoke and not served.mirror_by_invoke
    images = [p for p, _ in isic_test_images[:6]] + [phone_data_dir / r["path"] for r in phone_test_rows[:6]]
    for path in images:
        with Image.open(path) as im:
            a, b = served.predict(im), split.predict(im)
            (p_tta, p_own, _), (q, _) = split.raw_views(im), served.raw_outputs(im)
        assert a.photo_kind == b.photo_kind
        np.testing.assert_allclose(list(b.probabilities.values()), list(a.probabilities.values()), atol=1e-4)
        np.testing.assert_allclose(p_tta, q, atol=1e-4)
        assert float(np.abs(p_own - p_tta).max()) > 1e-6  # the own view alone is not the mean of both
    # Where the card skips the mirror for dermoscopic photos, they get the own view, blended.
    card = json.loads((one / "model_card.json").read_text())
    card["kinds"]["dermoscopic"]["main_mirror"] = False
    (one / "model_card.json").write_text(json.dumps(card))
    skip = Classifier(one)
    head = skip.heads["dermoscopic"]
    for path, _ in isic_test_images[:4]:
        with Image.open(path) as im:
            res = skip.predict(im)
            _, p_own, _ = skip.raw_views(im)
            x = preprocess_for(skip, im)
        if res.photo_kind != "dermoscopic" or head.blend == 0:
            continue
        second, _ = skip.dermoscopic_outputs(x)
        want = blend_probabilities(p_own, second, head.blend)
        logp = np.log(want) * head.rescale
        want = np.exp(logp - logp.max()) / np.exp(logp - logp.max()).sum()
        np.testing.assert_allclose(list(res.image_probabilities.values()), want, atol=1e-6)


def preprocess_for(clf, im: Image.Image) -> np.ndarray:
    from ml.inference import preprocess

    return preprocess(im, clf.input_size)
