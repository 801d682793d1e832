"""Shades-of-Gray colour constancy, the first layer of the exported model."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="TensorFlow (requirements-train.txt) not installed")


def _sog(x: np.ndarray) -> np.ndarray:
    from ml.training.model import ShadesOfGray

    return np.asarray(ShadesOfGray()(x.astype(np.float32)))


def _lesion(rng: np.random.Generator) -> np.ndarray:
    """A skin-coloured field with a darker blob: a crude lesion under neutral light."""
    yy, xx = np.mgrid[:64, :64]
    blob = ((yy - 32) ** 2 + (xx - 30) ** 2 < 200)[..., None]
    img = np.where(blob, [90.0, 60.0, 50.0], [200.0, 160.0, 140.0]) + rng.normal(0, 6, (64, 64, 3))
    return np.clip(img, 0, 255)[None]


def test_removes_a_colour_cast() -> None:
    """The same lesion under a blue and under a yellow light comes out (nearly) the same."""
    img = _lesion(np.random.default_rng(0))
    # casts of equal overall brightness (mean gain 1): only the colour differs
    blue, yellow = img * [0.75, 0.9, 1.35], img * [1.2, 1.05, 0.75]
    before = np.abs(blue - yellow).mean()
    after = np.abs(_sog(np.clip(blue, 0, 255)) - _sog(np.clip(yellow, 0, 255))).mean()
    assert after < before / 5, (before, after)


def test_grey_image_unchanged_and_range_kept() -> None:
    grey = np.full((1, 32, 32, 3), 120.0)
    np.testing.assert_allclose(_sog(grey), grey, atol=0.01)
    bright = np.clip(_lesion(np.random.default_rng(1)) * [1.6, 1.0, 0.5], 0, 255)
    out = _sog(bright)
    assert out.min() >= 0.0 and out.max() <= 255.0


def test_each_image_of_a_batch_gets_its_own_illuminant() -> None:
    img = _lesion(np.random.default_rng(2))
    batch = np.concatenate([img, np.clip(img * [1.2, 1.0, 0.6], 0, 255)])
    np.testing.assert_allclose(_sog(batch)[0], _sog(img)[0], atol=1e-3)
