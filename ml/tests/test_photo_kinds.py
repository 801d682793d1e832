"""The served path for both photo kinds, on the real shipped model and real photos: the
detector routes phone and dermoscopic photos, answers move phone-photo scores only, each kind's
own thresholds apply, and the gate accepts genuine phone photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml import upload
from ml.context import pad_context
from ml.gate import check_image
from ml.inference import Classifier


@pytest.fixture(scope="module")
def clf(shipped_model_dir: Path) -> Classifier:
    c = Classifier(shipped_model_dir)
    if "clinical" not in c.heads:
        pytest.skip(f"{c.version} has no per-kind heads (kinds.npz)")
    return c


def _stored(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return upload.as_stored(im)


def test_detector_routes_real_photos_of_both_kinds(clf, phone_data_dir, phone_test_rows, isic_test_images) -> None:
    phone = [clf.predict(_stored(phone_data_dir / r["path"])) for r in phone_test_rows]
    derm = [clf.predict(_stored(p)) for p, _ in isic_test_images]
    assert np.mean([r.photo_kind == "clinical" for r in phone]) >= 0.9
    assert np.mean([r.photo_kind == "dermoscopic" for r in derm]) >= 0.9
    for r in phone + derm:
        assert 0.0 <= r.kind_probability <= 1.0
        assert (r.kind_probability >= 0.5) == (r.photo_kind == "dermoscopic")
        assert r.thresholds == clf.heads[r.photo_kind].thresholds
        assert r.flagged == [c for c, t in r.thresholds.items() if r.probabilities[c] >= t]


def test_answers_are_fused_for_phone_photos_only(clf, phone_data_dir, phone_test_rows, isic_test_images) -> None:
    moved = 0
    for r in phone_test_rows:
        im = _stored(phone_data_dir / r["path"])
        alone = clf.predict(im)
        assert alone.context_used == {}
        assert alone.probabilities == pytest.approx(alone.image_probabilities, abs=1e-12)
        fused = clf.predict(im, context=pad_context(r))
        if fused.photo_kind != "clinical":
            continue
        assert set(fused.context_used) <= set(pad_context(r))
        assert fused.image_probabilities == pytest.approx(alone.image_probabilities, abs=1e-12)
        assert abs(sum(fused.probabilities.values()) - 1) < 1e-9
        moved += max(abs(fused.probabilities[c] - alone.probabilities[c]) for c in clf.labels) > 0.01
    assert moved >= len(phone_test_rows) // 2
    for path, _ in isic_test_images[:5]:
        im = _stored(path)
        res = clf.predict(im, context={"age": 80, "bleed": True, "grew": True, "body_site": "face"})
        if res.photo_kind == "dermoscopic":
            assert res.context_used == {}
            assert res.probabilities == pytest.approx(clf.predict(im).probabilities, abs=1e-12)


def test_cancer_answers_raise_the_cancer_probability(clf, phone_data_dir, phone_test_rows) -> None:
    """What PAD's clinicians recorded: an older patient's bleeding, growing, raised spot on the
    face is more often a BCC than a young patient's flat, stable one on the back."""
    worrying = {"age": 78, "body_site": "face", "bleed": True, "grew": True, "elevation": True, "changed": True}
    reassuring = {"age": 25, "body_site": "back", "bleed": False, "grew": False, "elevation": False, "hurt": False}
    higher = 0
    rows = [r for r in phone_test_rows]
    for r in rows:
        im = _stored(phone_data_dir / r["path"])
        a, b = clf.predict(im, context=worrying), clf.predict(im, context=reassuring)
        if a.photo_kind == "clinical":
            higher += a.probabilities["basal_cell_carcinoma"] > b.probabilities["basal_cell_carcinoma"]
    assert higher >= 0.9 * len(rows)


def test_dermatoscope_answer_decides_only_when_the_detector_is_unsure(clf, phone_data_dir, phone_test_rows) -> None:
    im = _stored(phone_data_dir / phone_test_rows[0]["path"])
    feats = clf.embed(im)
    kind, p = clf.photo_kind(feats, {})
    assert clf.photo_kind(feats, {"dermoscope": kind == "clinical"})[0] == kind or clf.kind_hint_band[0] <= p
    band = clf.kind_hint_band
    try:
        clf.kind_hint_band = (0.0, 1.0)  # everything "unsure": the answer decides
        assert clf.photo_kind(feats, {"dermoscope": True})[0] == "dermoscopic"
        assert clf.photo_kind(feats, {"dermoscope": False})[0] == "clinical"
        clf.kind_hint_band = (2.0, 2.0)  # never unsure: the answer is ignored
        assert clf.photo_kind(feats, {"dermoscope": kind != "dermoscopic"})[0] == kind
    finally:
        clf.kind_hint_band = band


def test_gate_accepts_genuine_phone_photos(clf, phone_data_dir) -> None:
    import csv

    with (phone_data_dir / "splits.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "val"][::2]
    ok = sum(check_image(_stored(phone_data_dir / r["path"]), classifier=clf).ok for r in rows)
    assert ok / len(rows) >= 0.95
