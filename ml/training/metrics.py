"""Numpy-only metrics, calibration and threshold selection (no TensorFlow import)."""

from __future__ import annotations

import itertools

import numpy as np


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def balanced_accuracy(y: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    recalls = [np.mean(pred[y == c] == c) for c in range(n_classes) if np.any(y == c)]
    return float(np.mean(recalls))


def nll(probs: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None))))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising NLL on held-out logits (1-D search, coarse then fine, in log T)."""
    grid = np.exp(np.linspace(np.log(0.2), np.log(10.0), 400))
    losses = [nll(softmax(logits, t), y) for t in grid]
    best = grid[int(np.argmin(losses))]
    fine = np.exp(np.linspace(np.log(best) - 0.02, np.log(best) + 0.02, 200))
    losses = [nll(softmax(logits, t), y) for t in fine]
    return float(fine[int(np.argmin(losses))])


def ece(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top-1 confidence, equal-width bins."""
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(total)


def ece_noise_floor(probs: np.ndarray, bins: int = 15, draws: int = 2000, seed: int = 0, target: float = 0.05) -> dict:
    """ECE a *perfectly calibrated* model with these confidences would show on this many cases.

    Each case is re-drawn correct with probability equal to its confidence, so any ECE measured
    here is sampling noise of the binned estimator. On ~330 images it is about 0.06, which is why
    a measured ECE near 0.05 cannot separate a calibrated model from a slightly miscalibrated one.
    """
    conf = probs.max(axis=1)
    edges = np.linspace(0.0, 1.0, bins + 1)
    masks = [(conf > lo) & (conf <= hi) for lo, hi in itertools.pairwise(edges)]
    masks = [m for m in masks if m.any()]
    rng = np.random.default_rng(seed)
    sims = np.empty(draws)
    for i in range(draws):
        correct = rng.random(len(conf)) < conf
        sims[i] = sum(m.mean() * abs(conf[m].mean() - correct[m].mean()) for m in masks)
    return {
        "mean": float(sims.mean()),
        "p90": float(np.quantile(sims, 0.9)),
        # How often a perfectly calibrated model would meet an ECE bar of ``target`` here.
        "target": target,
        "share_at_or_below_target": float(np.mean(sims <= target)),
    }


def reliability_bins(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> list[dict]:
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    out = []
    for lo, hi in itertools.pairwise(edges):
        m = (conf > lo) & (conf <= hi)
        out.append(
            {
                "lo": float(lo),
                "hi": float(hi),
                "count": int(m.sum()),
                "confidence": float(conf[m].mean()) if m.any() else None,
                "accuracy": float(correct[m].mean()) if m.any() else None,
            }
        )
    return out


def sensitivity_threshold(scores: np.ndarray, positive: np.ndarray, target: float) -> float:
    """Largest threshold t with recall(score >= t) >= target on these (validation) scores.

    The largest such t keeps specificity as high as possible; it is nudged down to halfway to
    the next lower positive score so a tiny shift in the scores does not drop a case.
    """
    if not np.any(positive):
        return 0.5
    # need at least k positives at or above t (rounded so that 0.9 * 60 is 54, not 55)
    return _threshold_catching(scores, positive, int(np.ceil(round(target * int(positive.sum()), 9))))


def _threshold_catching(scores: np.ndarray, positive: np.ndarray, k: int) -> float:
    pos = np.sort(scores[positive])[::-1]
    k = min(max(k, 1), len(pos))
    t = pos[k - 1]
    nxt = pos[k] if k < len(pos) else 0.0
    return float((t + nxt) / 2.0)


def recall_lower_bound(hits: int, n: int, confidence: float = 0.95) -> float:
    """One-sided Clopper-Pearson lower confidence bound on a recall of hits/n."""
    from scipy.stats import beta

    if hits <= 0:
        return 0.0
    return float(beta.ppf(1.0 - confidence, hits, n - hits + 1))


def confident_sensitivity_threshold(
    scores: np.ndarray, positive: np.ndarray, target: float, confidence: float = 0.95
) -> float:
    """Largest threshold whose val recall has a lower confidence bound >= target.

    With only ~60 validation melanomas a threshold that just reaches the target recall on val
    misses it on new data about half the time; demanding the one-sided Clopper-Pearson bound
    reach the target leaves a margin that shrinks as the validation set grows (60 positives:
    56 must be caught, i.e. point recall 0.933 for a 0.85 target).
    """
    n = int(positive.sum())
    if n == 0:
        return 0.5
    k = next((k for k in range(1, n + 1) if recall_lower_bound(k, n, confidence) >= target), n)
    return _threshold_catching(scores, positive, k)


def confusion(y: np.ndarray, pred: np.ndarray, n: int) -> np.ndarray:
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    return cm


def top_k_accuracy(probs: np.ndarray, y: np.ndarray, k: int) -> float:
    topk = np.argsort(-probs, axis=1)[:, :k]
    return float(np.mean([y[i] in topk[i] for i in range(len(y))]))
