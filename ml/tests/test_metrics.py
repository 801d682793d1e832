"""Calibration / threshold helpers used for the shipped card (numpy only)."""

from __future__ import annotations

import numpy as np

from ml.training import metrics as M


def test_temperature_recovers_overconfidence() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, (4000, 8))
    p = M.softmax(true_logits)
    y = np.array([rng.choice(8, p=row) for row in p])
    t = M.fit_temperature(true_logits * 3.0, y)  # a model 3x too confident
    assert 2.6 < t < 3.4
    assert M.ece(M.softmax(true_logits * 3.0, t), y) < M.ece(M.softmax(true_logits * 3.0), y)


def test_sensitivity_threshold_meets_target() -> None:
    rng = np.random.default_rng(1)
    scores = rng.uniform(size=500)
    positive = rng.uniform(size=500) < scores
    t = M.sensitivity_threshold(scores, positive, 0.9)
    assert np.mean(scores[positive] >= t) >= 0.9


def test_balanced_accuracy_and_topk() -> None:
    y = np.array([0, 0, 0, 1])
    assert M.balanced_accuracy(y, np.array([0, 0, 0, 0]), 2) == 0.5
    probs = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]])
    assert M.top_k_accuracy(probs, np.array([1, 0]), 2) == 0.5
