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


def test_recall_lower_bound_matches_clopper_pearson() -> None:
    # 56/60 caught: the one-sided 95% Clopper-Pearson lower bound is 0.854 (reference value
    # from scipy.stats.binomtest(56, 60).proportion_ci(0.90, "exact").low).
    assert abs(M.recall_lower_bound(56, 60) - 0.8543) < 1e-3
    assert M.recall_lower_bound(0, 60) == 0.0
    assert M.recall_lower_bound(55, 60) < 0.85 <= M.recall_lower_bound(56, 60)


def test_confident_threshold_catches_enough_positives() -> None:
    rng = np.random.default_rng(2)
    scores = rng.uniform(size=400)
    positive = np.zeros(400, dtype=bool)
    positive[rng.choice(400, 60, replace=False)] = True
    t = M.confident_sensitivity_threshold(scores, positive, 0.85)
    caught = int(np.sum(scores[positive] >= t))
    assert caught == 56  # the fewest of 60 whose lower bound reaches 0.85
    # stricter than the point-target rule at the same target
    assert t <= M.sensitivity_threshold(scores, positive, 0.85)


def test_point_threshold_does_not_over_round() -> None:
    scores = np.linspace(0, 1, 60)
    positive = np.ones(60, dtype=bool)
    t = M.sensitivity_threshold(scores, positive, 0.9)  # 0.9 * 60 = 54 exactly, not 55
    assert int(np.sum(scores >= t)) == 54


def test_ece_noise_floor_of_a_calibrated_model() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 2, (330, 8))
    p = M.softmax(logits)
    floor = M.ece_noise_floor(p, draws=300)
    assert 0.02 < floor["mean"] < floor["p90"] < 0.2
    big = M.ece_noise_floor(M.softmax(rng.normal(0, 2, (20000, 8))), draws=50)
    assert big["mean"] < floor["mean"] / 3  # the floor shrinks with more cases


def test_ece_noise_floor_says_how_often_a_calibrated_model_meets_a_bar() -> None:
    rng = np.random.default_rng(4)
    p = M.softmax(rng.normal(0, 2, (330, 8)))
    floor = M.ece_noise_floor(p, draws=300, target=0.05)
    assert floor["target"] == 0.05
    assert 0.0 < floor["share_at_or_below_target"] < 0.5  # 330 cases: a 0.05 bar is mostly missed
    assert M.ece_noise_floor(p, draws=300, target=1.0)["share_at_or_below_target"] == 1.0
    big = M.ece_noise_floor(M.softmax(rng.normal(0, 2, (20000, 8))), draws=50, target=0.05)
    assert big["share_at_or_below_target"] == 1.0  # with enough cases the same bar is always met
