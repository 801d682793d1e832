"""(Re)build the model-based out-of-distribution statistics of a shipped version.

    python -m ml.training.ood --model ml/models/<version>

Runs the exported .tflite (through ``ml.inference``) on the isic8-180 train images to build the
k-NN feature bank and sets the cut at the 99th percentile of the val scores. ``train`` does the
same with the Keras features at export; this entry point lets a version be refreshed without
retraining (the classifier outputs are untouched).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from ml.inference import Classifier, find_model_dir, knn_ood_stats, ood_score
from ml.training.card import read_card, write_card
from ml.training.data import split_rows
from ml.training.paths import data_dir

OOD_QUANTILE = 0.99  # share of val lesions the model-based OOD check may call unfamiliar


def ood_bank(f_train: np.ndarray, f_val: np.ndarray) -> dict[str, np.ndarray]:
    """k-NN bank of the train features, cut at the OOD_QUANTILE of the val scores."""
    stats = knn_ood_stats(f_train)
    stats["threshold"] = np.array(float(np.quantile(ood_score(f_val, stats), OOD_QUANTILE)))
    return stats


def card_entry(stats: dict[str, np.ndarray]) -> dict:
    """The model card's description of the shipped ``ood_stats.npz``."""
    return {
        "file": "ood_stats.npz",
        "rule": "out_of_distribution when ml.inference.ood_score (cosine distance of the pooled "
        "features to the k-th nearest training image, k=10) > threshold (99th percentile of "
        "val); used by ml.gate as a 'not_skin' refusal",
        "threshold": float(stats["threshold"]),
    }


def features(clf: Classifier, paths: list[Path]) -> np.ndarray:
    out = []
    for p in paths:
        with Image.open(p) as im:
            out.append(clf.embed(im))
    return np.stack(out)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", help="version folder (default: newest under ml/models)")
    p.add_argument("--data-dir", help="isic8-180 folder (env SKIN_DATA_DIR)")
    a = p.parse_args(argv)
    vdir = Path(a.model).resolve() if a.model else find_model_dir()
    if "kinds" in read_card(vdir):
        raise SystemExit(
            f"{vdir.name} serves two photo kinds: its bank and per-kind cuts come from "
            "`python -m ml.training.kinds` (dermoscopic and phone photos together)"
        )
    root = data_dir(a.data_dir)
    clf = Classifier(vdir)
    f_train = features(clf, [root / r["path"] for r in split_rows(root, "train")])
    f_val = features(clf, [root / r["path"] for r in split_rows(root, "val")])
    stats = ood_bank(f_train, f_val)
    np.savez(vdir / "ood_stats.npz", **stats)
    card = read_card(vdir)
    card["ood"] = card_entry(stats)
    write_card(vdir, card)
    print(f"OOD threshold {float(stats['threshold']):.4f} (val median {np.median(ood_score(f_val, stats)):.4f})")


if __name__ == "__main__":
    main()
