"""Evaluate a shipped version folder on the isic8-180 test split, through ``ml.inference``.

    python -m ml.training.evaluate [--model ml/models/<version>] [--split test]

Runs the exported .tflite exactly as the web app will (same Pillow preprocessing, same
interpreter), prints the metrics, writes them into ``model_card.json`` (``metrics.<split>``
and ``gate``), and saves ``confusion_matrix.png`` and ``reliability.png`` in the folder.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image

from ml.inference import Classifier, find_model_dir
from ml.training import metrics as M
from ml.training.card import read_card, write_card
from ml.training.card_md import write_markdown
from ml.training.data import LABELS, MALIGNANT, split_rows
from ml.training.paths import MODELS_DIR, data_dir


def per_class(y: np.ndarray, pred: np.ndarray) -> dict:
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y, pred, labels=list(range(len(LABELS))), zero_division=0)
    return {
        LABELS[i]: {
            "precision": float(p[i]),
            "recall": float(r[i]),
            "f1": float(f[i]),
            "support": s[i].item(),
        }
        for i in range(len(LABELS))
    }


def triage_load(probs: np.ndarray, y: np.ndarray, thresholds: dict[str, float], uncertain_below: float) -> dict:
    """What the shipped thresholds cost the queue: each case run through the real triage policy.

    Photo evidence only (``triage.policy.assess`` with the probabilities, the card's thresholds
    and the uncertain flag); answers in the chat can only raise a level further.
    """
    from triage import policy

    levels = np.array(
        [
            policy.assess(
                policy.Evidence(
                    probabilities=dict(zip(LABELS, map(float, row), strict=True)),
                    thresholds=thresholds,
                    image_status="uncertain" if row.max() < uncertain_below else "ok",
                )
            ).level
            for row in probs
        ]
    )
    urgent = levels <= policy.URGENT
    benign = ~np.isin(y, [LABELS.index(c) for c in MALIGNANT])
    cancer = np.isin(y, [LABELS.index(c) for c in ("melanoma", "squamous_cell_carcinoma")])
    return {
        "level_shares": {str(lv): float(np.mean(levels == lv)) for lv in (1, 2, 3, 4)},
        "level2_share": float(urgent.mean()),
        "level2_share_of_benign": float(urgent[benign].mean()),
        "melanoma_or_scc_sent_to_level2": float(urgent[cancer].mean()),
    }


def compute_metrics(
    probs: np.ndarray, y: np.ndarray, temperature: float, thresholds: dict[str, float], uncertain_below: float
) -> dict:
    from sklearn.metrics import roc_auc_score

    pred = probs.argmax(1)
    # Exported probabilities are softmax(z / T); softmax(T * log p) recovers softmax(z), the
    # uncalibrated probabilities, exactly (the per-row constant cancels).
    raw = M.softmax(np.log(np.clip(probs, 1e-30, None)) * temperature)
    mal = [LABELS.index(c) for c in MALIGNANT]
    mel = LABELS.index("melanoma")
    mel_flag = probs[:, mel] >= thresholds["melanoma"]
    return {
        "n": len(y),
        "accuracy": float(np.mean(pred == y)),
        "balanced_accuracy": M.balanced_accuracy(y, pred, len(LABELS)),
        "top3_accuracy": M.top_k_accuracy(probs, y, 3),
        "per_class": per_class(y, pred),
        "melanoma_sensitivity_at_threshold": float(mel_flag[y == mel].mean()),
        "melanoma_specificity_at_threshold": float((~mel_flag)[y != mel].mean()),
        "recall_at_threshold": {
            c: float((probs[:, LABELS.index(c)] >= t)[y == LABELS.index(c)].mean()) for c, t in thresholds.items()
        },
        "malignant_vs_benign_roc_auc": float(roc_auc_score(np.isin(y, mal), probs[:, mal].sum(1))),
        "ece_before_calibration": M.ece(raw, y, 15),
        "ece_after_calibration": M.ece(probs, y, 15),
        # what the same estimator reads for a perfectly calibrated model with these confidences
        "ece_noise_floor": M.ece_noise_floor(probs, 15),
        "nll_before_calibration": M.nll(raw, y),
        "nll_after_calibration": M.nll(probs, y),
        "probability_sum_max_abs_error": float(np.abs(probs.sum(1) - 1).max()),
        "uncertain_fraction": float(np.mean(probs.max(1) < uncertain_below)),
        "triage_load": triage_load(probs, y, thresholds, uncertain_below),
        "confusion_matrix": M.confusion(y, pred, len(LABELS)).tolist(),
        "reliability_bins": M.reliability_bins(probs, y, 15),
    }


def plot(vdir: Path, m: dict, probs: np.ndarray, y: np.ndarray, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.array(m["confusion_matrix"])
    fig, ax = plt.subplots(figsize=(8, 7))
    ax.imshow(cm / cm.sum(1, keepdims=True), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(LABELS)), LABELS, fontsize=8)
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            ax.text(
                j,
                i,
                str(cm[i, j]),
                ha="center",
                va="center",
                color="white" if cm[i, j] > cm[i].sum() / 2 else "black",
                fontsize=8,
            )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title}: confusion matrix (row-normalised colour)")
    fig.tight_layout()
    fig.savefig(vdir / "confusion_matrix.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.5, 5))
    bins = [b for b in m["reliability_bins"] if b["count"]]
    centers = [(b["lo"] + b["hi"]) / 2 for b in bins]
    ax.bar(
        centers,
        [b["accuracy"] for b in bins],
        width=1 / 15,
        edgecolor="k",
        alpha=0.7,
        label="accuracy",
    )
    ax.plot([0, 1], [0, 1], "r--", label="perfect calibration")
    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "ko-", ms=3)
    ax.set_xlabel("top-1 confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{title}: ECE {m['ece_before_calibration']:.3f} -> {m['ece_after_calibration']:.3f}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(vdir / "reliability.png", dpi=110)
    plt.close(fig)


def report(m: dict, version: str, split: str) -> str:
    lines = [
        f"== {version} on isic8-180 {split} (n={m['n']}), exported .tflite via ml.inference ==",
        f"accuracy              {m['accuracy']:.4f}",
        f"balanced accuracy     {m['balanced_accuracy']:.4f}",
        f"top-3 accuracy        {m['top3_accuracy']:.4f}",
        f"melanoma sensitivity  {m['melanoma_sensitivity_at_threshold']:.4f} (at shipped thr)",
        f"melanoma specificity  {m['melanoma_specificity_at_threshold']:.4f}",
        "recall at thresholds  " + ", ".join(f"{k}={v:.3f}" for k, v in m["recall_at_threshold"].items()),
        f"malignant ROC AUC     {m['malignant_vs_benign_roc_auc']:.4f}",
        f"ECE (15 bins)         {m['ece_before_calibration']:.4f} before -> "
        f"{m['ece_after_calibration']:.4f} after calibration "
        f"(a perfectly calibrated model would read {m['ece_noise_floor']['mean']:.4f} on average, "
        f"p90 {m['ece_noise_floor']['p90']:.4f}, at this n, and would meet ECE <= "
        f"{m['ece_noise_floor']['target']:g} in "
        f"{m['ece_noise_floor']['share_at_or_below_target']:.0%} of draws)",
        f"prob sum max |err|    {m['probability_sum_max_abs_error']:.2e}",
        "triage levels 1-4     "
        + " / ".join(f"{v:.3f}" for v in m["triage_load"]["level_shares"].values())
        + f" (level 2 holds {m['triage_load']['level2_share_of_benign']:.3f} of non-malignant cases "
        f"and {m['triage_load']['melanoma_or_scc_sent_to_level2']:.3f} of melanomas/SCCs)",
        f"mean inference ms     {m.get('mean_inference_ms', 0):.2f}",
        "",
        f"{'class':28s} {'prec':>6s} {'recall':>6s} {'f1':>6s} {'n':>4s}",
    ]
    for c, v in m["per_class"].items():
        lines.append(f"{c:28s} {v['precision']:6.3f} {v['recall']:6.3f} {v['f1']:6.3f} {v['support']:4d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", help="version folder (default: newest under ml/models)")
    p.add_argument("--data-dir", help="isic8-180 folder (env SKIN_DATA_DIR)")
    p.add_argument("--split", default="test", choices=["test", "val"])
    p.add_argument("--no-gate", action="store_true", help="skip the gate measurement")
    a = p.parse_args(argv)

    vdir = Path(a.model).resolve() if a.model else find_model_dir()
    root = data_dir(a.data_dir)
    clf = Classifier(vdir)
    rows = split_rows(root, a.split)
    probs, ms = [], []
    for r in rows:
        with Image.open(root / r["path"]) as im:
            res = clf.predict(im, heatmap=False)
        probs.append([res.probabilities[c] for c in LABELS])
        ms.append(res.inference_ms)
    probs_arr = np.array(probs)
    y = np.array([LABELS.index(r["label"]) for r in rows])
    m = compute_metrics(probs_arr, y, float(clf.card["temperature"]), clf.thresholds, clf.uncertain_below)
    m["mean_inference_ms"] = float(np.mean(ms))
    card = read_card(vdir)
    card.setdefault("metrics", {})[a.split] = m
    card["metrics"][a.split]["evaluated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if a.split == "test":
        plot(vdir, m, probs_arr, y, card["version"])
    print(report(m, card["version"], a.split))
    if not a.no_gate:
        from ml.training.gate_eval import gate_rates

        gate = gate_rates([root / r["path"] for r in split_rows(root, "test")], clf)
        card["gate"] = gate
        print(
            f"\ngate: false refusals on test {gate['false_refusal_rate_test']:.4f} "
            f"({gate['test_refusals_by_code']}), refusals of {gate['non_skin_images']} non-skin "
            f"images {gate['non_skin_refusal_rate']:.4f} ({gate['non_skin_refusals_by_code']})"
        )
    write_card(vdir, card)
    print(f"\nwrote metrics to {vdir / 'model_card.json'}")
    if vdir.parent.resolve() == MODELS_DIR.resolve():
        # Only a shipped version (under ml/models) updates the human-readable card.
        print(f"wrote {write_markdown(card)}")
    return m


if __name__ == "__main__":
    main()
