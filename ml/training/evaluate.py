"""Evaluate a shipped version on both benchmarks through the product path.

    python -m ml.training.evaluate [--model ml/models/<version>] [--split test]

Each image goes the way an upload goes: the stored re-encode (``ml.upload``), the gate's pixel
checks and the model's out-of-distribution check, the photo-kind detector and that kind's head
(``ml.inference.Classifier.predict``), then ``triage.policy`` for the level. isic8-180 is the
dermoscopic benchmark; pad-ufes-20 the phone-photo one, image only and with each patient's own
answers (PAD's clinical metadata as ``ml.context``). Prints the metrics, writes them into
``model_card.json`` (``metrics.<split>`` and ``gate``), and saves confusion-matrix and
reliability plots per kind in the folder. Never used to choose anything.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

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


def plot(vdir: Path, m: dict, kind: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.array(m["confusion_matrix"])
    fig, ax = plt.subplots(figsize=(8, 7))
    ax.imshow(cm / np.maximum(cm.sum(1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
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
    fig.savefig(vdir / f"confusion_matrix_{kind}.png", dpi=110)
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
    ax.set_title(f"{title}: ECE {m['ece']:.3f}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(vdir / f"reliability_{kind}.png", dpi=110)
    plt.close(fig)


def product_metrics(results: list, y: np.ndarray, contexts: list[dict], refused: np.ndarray, kind: str) -> dict:
    """What patients get: the served prediction of each image (routed by the detector, its
    kind's head and thresholds), and its triage level through ``triage.policy`` with the answers
    (a refused photo reaches the policy as "rejected", as in the worker)."""
    from sklearn.metrics import roc_auc_score

    from triage import policy

    probs = np.array([[r.probabilities[c] for c in LABELS] for r in results])
    pred = probs.argmax(1)
    mel = LABELS.index("melanoma")
    mel_flagged = np.array(["melanoma" in r.flagged for r in results])
    levels = np.array(
        [
            policy.assess(
                policy.Evidence(
                    probabilities=None if ref else r.probabilities,
                    thresholds=r.thresholds,
                    image_status="rejected" if ref else ("uncertain" if r.uncertain else "ok"),
                    context=ctx,
                )
            ).level
            for r, ctx, ref in zip(results, contexts, refused, strict=True)
        ]
    )
    cancer = np.isin(y, [LABELS.index(c) for c in MALIGNANT])
    mal = [LABELS.index(c) for c in MALIGNANT]
    present = sorted(set(y.tolist()))
    return {
        "n": len(y),
        "accuracy": float(np.mean(pred == y)),
        "balanced_accuracy": M.balanced_accuracy(y, pred, len(LABELS)),
        "balanced_accuracy_classes": [LABELS[i] for i in present],
        "top3_accuracy": M.top_k_accuracy(probs, y, 3),
        "per_class": {k: v for k, v in per_class(y, pred).items() if v["support"]},
        "melanoma_sensitivity_at_threshold": float(mel_flagged[y == mel].mean()) if np.any(y == mel) else None,
        "melanoma_specificity_at_threshold": float((~mel_flagged)[y != mel].mean()),
        "melanoma_n": int(np.sum(y == mel)),
        "malignant_vs_benign_roc_auc": float(roc_auc_score(cancer, probs[:, mal].sum(1))),
        "ece": M.ece(probs, y, 15),
        "nll": M.nll(probs, y),
        "probability_sum_max_abs_error": float(np.abs(probs.sum(1) - 1).max()),
        "uncertain_fraction": float(np.mean([r.uncertain for r in results])),
        "routed_as_expected": float(np.mean([r.photo_kind == kind for r in results])),
        "gate_refusals": float(refused.mean()),
        "mean_inference_ms": float(np.mean([r.inference_ms for r in results])),
        "triage_load": {
            "level_shares": {str(lv): float(np.mean(levels == lv)) for lv in (1, 2, 3, 4)},
            "cancers_n": int(cancer.sum()),
            "cancers_to_level_le2": float(np.mean(levels[cancer] <= policy.URGENT)),
            "cancers_to_level_le3": float(np.mean(levels[cancer] <= policy.SOON)),
            "benign_n": int((~cancer).sum()),
            "benign_to_level2": float(np.mean(levels[~cancer] <= policy.URGENT)),
            "per_class_to_level_le2": {LABELS[i]: float(np.mean(levels[y == i] <= policy.URGENT)) for i in present},
        },
        "confusion_matrix": M.confusion(y, pred, len(LABELS)).tolist(),
        "reliability_bins": M.reliability_bins(probs, y, 15),
    }


def run_benchmark(clf: Classifier, root: Path, split: str, kind: str, with_answers: bool) -> dict:
    from ml.context import pad_context
    from ml.gate import check_image
    from ml.training.product import stored_image

    sel = split_rows(root, split)
    y = np.array([LABELS.index(r["label"]) for r in sel])
    img_results, ctx_results, refused, contexts = [], [], [], []
    for r in sel:
        im = stored_image(root / r["path"])
        gate = check_image(im, model_check=False)
        res = clf.predict(im)
        img_results.append(res)
        refused.append(not gate.ok or res.out_of_distribution)
        if with_answers:
            ctx = pad_context(r)
            contexts.append(ctx)
            ctx_results.append(clf.predict(im, context=ctx))
    refused_arr = np.array(refused)
    out = {"image_only": product_metrics(img_results, y, [{}] * len(y), refused_arr, kind)}
    if with_answers:
        out["with_answers"] = product_metrics(ctx_results, y, contexts, refused_arr, kind)
    return out


def report(m: dict, title: str) -> str:
    tl = m["triage_load"]
    mel = m["melanoma_sensitivity_at_threshold"]
    lines = [
        f"== {title} (n={m['n']}) ==",
        f"balanced accuracy     {m['balanced_accuracy']:.4f} (over {len(m['balanced_accuracy_classes'])} classes)",
        f"accuracy              {m['accuracy']:.4f}",
        f"top-3 accuracy        {m['top3_accuracy']:.4f}",
        f"melanoma at threshold recall {'n/a' if mel is None else f'{mel:.4f}'} (n={m['melanoma_n']}), "
        f"specificity {m['melanoma_specificity_at_threshold']:.4f}",
        f"malignant ROC AUC     {m['malignant_vs_benign_roc_auc']:.4f}",
        f"ECE / NLL             {m['ece']:.4f} / {m['nll']:.4f}",
        f"routed to its kind    {m['routed_as_expected']:.4f}",
        f"gate refusals         {m['gate_refusals']:.4f}",
        f"prob sum max |err|    {m['probability_sum_max_abs_error']:.2e}",
        "triage levels 1-4     " + " / ".join(f"{v:.3f}" for v in tl["level_shares"].values()),
        f"cancers (n={tl['cancers_n']}) to level <= 2: {tl['cancers_to_level_le2']:.3f}, <= 3: "
        f"{tl['cancers_to_level_le3']:.3f}; benign (n={tl['benign_n']}) to level 2: {tl['benign_to_level2']:.3f}",
        "to level <= 2 by class " + ", ".join(f"{k}={v:.2f}" for k, v in tl["per_class_to_level_le2"].items()),
        f"mean inference ms     {m['mean_inference_ms']:.2f}",
        "",
        f"{'class':28s} {'prec':>6s} {'recall':>6s} {'f1':>6s} {'n':>4s}",
    ]
    for c, v in m["per_class"].items():
        lines.append(f"{c:28s} {v['precision']:6.3f} {v['recall']:6.3f} {v['f1']:6.3f} {v['support']:4d}")
    return "\n".join(lines)


def non_skin_gate(clf: Classifier) -> dict:
    """The non-skin bank (ml.training.gate_eval) through the upload re-encode and the full gate."""
    from ml import upload
    from ml.gate import check_image
    from ml.training.gate_eval import non_skin_images

    others = non_skin_images()
    refused, accepted = {}, []
    for name, im in others:
        r = check_image(upload.as_stored(im), classifier=clf)
        if r.ok:
            accepted.append(name)
        else:
            refused[r.code] = refused.get(r.code, 0) + 1
    return {
        "non_skin_images": len(others),
        "non_skin_refusal_rate": round(sum(refused.values()) / len(others), 4),
        "non_skin_refusals_by_code": refused,
        "non_skin_accepted": accepted,
    }


def main(argv: list[str] | None = None) -> dict:
    from ml.training.paths import phone_data_dir

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", help="version folder (default: newest under ml/models)")
    p.add_argument("--data-dir", help="isic8-180 folder (env SKIN_DATA_DIR)")
    p.add_argument("--phone-data-dir", help="pad-ufes-20 folder (env SKIN_PHONE_DATA_DIR)")
    p.add_argument("--split", default="test", choices=["test", "val"])
    p.add_argument("--no-gate", action="store_true", help="skip the non-skin gate measurement")
    a = p.parse_args(argv)

    vdir = Path(a.model).resolve() if a.model else find_model_dir()
    clf = Classifier(vdir)
    card = read_card(vdir)
    version = card["version"]
    derm = run_benchmark(clf, data_dir(a.data_dir), a.split, "dermoscopic", with_answers=False)
    phone = run_benchmark(clf, phone_data_dir(a.phone_data_dir), a.split, "clinical", with_answers=True)
    m = {"dermoscopic": derm, "clinical": phone, "evaluated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    card.setdefault("metrics", {})[a.split] = m
    path = "upload re-encode, gate, detector, per-kind head, triage policy"
    print(report(derm["image_only"], f"{version} on isic8-180 {a.split}, dermoscopic, product path ({path})"))
    print()
    print(report(phone["image_only"], f"{version} on pad-ufes-20 {a.split}, phone photos, image only"))
    print()
    print(report(phone["with_answers"], f"{version} on pad-ufes-20 {a.split}, phone photos, with the answers"))
    if a.split == "test":
        plot(vdir, derm["image_only"], "dermoscopic", f"{version} isic8-180 test")
        plot(vdir, phone["with_answers"], "clinical", f"{version} pad-ufes-20 test, with answers")
    if not a.no_gate:
        gate = non_skin_gate(clf)
        gate["false_refusal_rate_test"] = derm["image_only"]["gate_refusals"]
        gate["false_refusal_rate_phone_test"] = phone["image_only"]["gate_refusals"]
        card["gate"] = gate
        print(
            f"\ngate: false refusals dermoscopic {gate['false_refusal_rate_test']:.4f}, phone "
            f"{gate['false_refusal_rate_phone_test']:.4f}; refusals of {gate['non_skin_images']} non-skin "
            f"images {gate['non_skin_refusal_rate']:.4f} ({gate['non_skin_refusals_by_code']}); accepted: "
            f"{gate['non_skin_accepted']}"
        )
    write_card(vdir, card)
    print(f"\nwrote metrics to {vdir / 'model_card.json'}")
    if vdir.parent.resolve() == MODELS_DIR.resolve():
        # Only a shipped version (under ml/models) updates the human-readable card.
        print(f"wrote {write_markdown(card)}")
    return m


if __name__ == "__main__":
    main()
