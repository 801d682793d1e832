"""The val rules of ``ml.training.kinds`` that pick the dermoscopic operating point, and the new
head revision folder (same networks, byte copies, no stale test numbers)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ml.training import kinds
from ml.training import metrics as M


def _scores(rng: np.random.Generator, n_pos: int = 60, n_neg: int = 270) -> tuple[np.ndarray, np.ndarray]:
    pos = np.r_[rng.uniform(0.3, 0.9, n_pos - 3), [0.02, 0.05, 0.08]]  # three hard melanomas
    neg = rng.beta(1.2, 8.0, n_neg)
    return np.r_[pos, neg], np.r_[np.ones(n_pos, bool), np.zeros(n_neg, bool)]


def test_melanoma_threshold_catches_the_most_melanomas_the_spec_floor_allows() -> None:
    scores, positive = _scores(np.random.default_rng(0))
    t, note = kinds.melanoma_threshold(scores, positive)
    caught, n = note["melanoma_val_caught"]
    assert int(np.sum(scores[positive] >= t)) == caught
    spec = float(np.mean(scores[~positive] < t))
    assert spec >= kinds.SPEC_FLOOR
    assert note["melanoma_val_specificity"] == pytest.approx(spec, abs=1e-4)
    assert caught >= note["melanoma_floor_caught"]
    if caught < n:  # one more melanoma would have cost the floor
        t_more = M.sensitivity_threshold(scores, positive, (caught + 1) / n)
        assert np.mean(scores[~positive] < t_more) < kinds.SPEC_FLOOR


def test_melanoma_threshold_never_less_sensitive_than_the_former_rule() -> None:
    rng = np.random.default_rng(1)
    # melanomas no better than the rest: no threshold keeps the specificity floor
    scores, positive = rng.uniform(0, 1, 330), np.r_[np.ones(60, bool), np.zeros(270, bool)]
    t, note = kinds.melanoma_threshold(scores, positive)
    assert note["melanoma_val_caught"][0] == note["melanoma_floor_caught"]
    assert t == pytest.approx(M.confident_sensitivity_threshold(scores, positive, kinds.MEL_CONFIDENCE))
    assert note["melanoma_val_specificity"] < kinds.SPEC_FLOOR


def test_dermoscopic_thresholds_hold_the_benign_load_cap() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, len(kinds.LABELS), 400)
    p = rng.dirichlet(np.ones(len(kinds.LABELS)), 400)
    p[y == kinds.MEL, kinds.MEL] += 0.5
    p /= p.sum(1, keepdims=True)
    thr, note = kinds.dermoscopic_thresholds(p, y)
    benign = ~np.isin(y, kinds.CANCER)
    l2 = (p[:, kinds.MEL] >= thr["melanoma"]) | (p[:, kinds.SCC] >= thr["squamous_cell_carcinoma"])
    assert note["benign_load_val"] == pytest.approx(float(l2[benign].mean()))
    assert note["benign_load_val"] <= kinds.LOAD_CAP
    assert note["scc_val_recall"] == pytest.approx(
        float(np.mean(p[y == kinds.SCC, kinds.SCC] >= thr["squamous_cell_carcinoma"]))
    )


def test_choose_blend_prefers_melanoma_sensitivity_among_equally_calibrated_blends() -> None:
    rng = np.random.default_rng(3)
    n, k = 330, len(kinds.LABELS)
    y = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), y] += 1.5
    second = logits + rng.normal(0, 0.8, (n, k))
    dv = {"probs": kinds.softmax(logits), "probs_dermoscopic": kinds.softmax(second), "y": y}
    blend, scores = kinds.choose_blend(dv)
    assert [s["blend"] for s in scores] == list(kinds.BLENDS)
    for s in scores:
        b = kinds.blend_probabilities(dv["probs"], dv["probs_dermoscopic"], s["blend"])
        assert s["val_nll"] == pytest.approx(M.nll(b, y), abs=1e-4)
    best = min(s["val_nll"] for s in scores)
    tied = [s for s in scores if s["val_nll"] <= best + kinds.NLL_TIE]
    chosen = next(s for s in scores if s["blend"] == blend)
    assert chosen in tied
    assert all(
        (chosen["melanoma_val_caught"], chosen["melanoma_val_specificity"])
        >= (s["melanoma_val_caught"], s["melanoma_val_specificity"])
        for s in tied
    )


def test_new_head_version_copies_the_networks_and_drops_stale_numbers(tmp_path: Path) -> None:
    src, out = tmp_path / "mnv2-20261201-1", tmp_path / "mnv2-20261202-1"
    src.mkdir()
    (src / "model.tflite").write_bytes(b"\x00\x00\x00\x00TFL3main")
    (src / "dermoscopic.tflite").write_bytes(b"\x00\x00\x00\x00TFL3derm")
    (src / "labels.json").write_text(json.dumps(list(kinds.LABELS)))
    (src / "keras_model.keras").write_bytes(b"keras")
    card = {
        "version": src.name,
        "created": "2026-12-01T23:24:32+00:00",
        "metrics": {"test": {"dermoscopic": {}}},
        "gate": {"non_skin_refusal_rate": 0.99},
        "bench": {"latency_ms": {}},
        "acceptance_notes": ["old"],
        "dermoscopic_model": {"file": "dermoscopic.tflite", "from_version": "mnv2-20261126-3"},
    }
    (src / "model_card.json").write_text(json.dumps(card))

    kinds.new_head_version(src, out)

    for f in ("model.tflite", "dermoscopic.tflite", "labels.json", "keras_model.keras"):
        assert (out / f).read_bytes() == (src / f).read_bytes()
    new = json.loads((out / "model_card.json").read_text())
    assert new["version"] == out.name
    assert new["created"] > card["created"]
    assert new["heads_from"]["networks_of"] == src.name
    assert new["dermoscopic_model"] == card["dermoscopic_model"]
    for stale in ("metrics", "gate", "bench", "acceptance_notes"):
        assert stale not in new
    assert json.loads((src / "model_card.json").read_text()) == card  # the source is untouched
    with pytest.raises(SystemExit):
        kinds.new_head_version(src, out)
