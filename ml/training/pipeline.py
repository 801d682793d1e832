"""``make train``: every step that produces a shipped version, in order, with progress printed.

    python -m ml.training.pipeline [--dermoscopic-model ml/models/<version>] [--members 1]

1. the dermoscopic network (isic8-180 only; the recipe of mnv2-20261126-3: two members,
   16 augmented copies, up to 40 epochs), unless ``--dermoscopic-model`` names one to reuse;
2. the main network on dermoscopic and phone photos together (isic8-180 + pad-ufes-20 train);
3. ``ml.training.kinds``: photo-kind detector, per-kind heads, answer fusion, thresholds, the
   out-of-distribution bank, with the dermoscopic network attached;
4. ``ml.training.evaluate`` on both test benchmarks (reported, never used to choose).
About 70 minutes on this 2-core CPU from a clean clone (step 1: ~45, step 2: ~25).

A head revision of an existing version (same networks, heads re-chosen by the rules of
``ml.training.kinds``) is step 3 into a new folder, then step 4:
``python -m ml.training.kinds --model ml/models/<version> --out ml/models/<new version>``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

DERMOSCOPIC_RECIPE = ["--phone", "none", "--members", "2", "--variants", "16", "--epochs", "40", "--patience", "12"]


def main(argv: list[str] | None = None) -> Path:
    from ml.training import evaluate, kinds, train
    from ml.training.paths import MODELS_DIR

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dermoscopic-model", help="reuse this version folder's network for dermoscopic photos")
    p.add_argument("--members", default="1", help="ensemble members of the main network")
    a = p.parse_args(argv)
    t0 = time.time()

    def step(msg: str) -> None:
        print(f"\n===== [{(time.time() - t0) / 60:5.1f} min] {msg} =====", flush=True)

    if a.dermoscopic_model:
        derm = Path(a.dermoscopic_model).resolve()
    else:
        step("1/4 dermoscopic network (isic8-180)")
        derm = MODELS_DIR / train.main(DERMOSCOPIC_RECIPE)["version"]
    step("2/4 main network (dermoscopic + phone photos)")
    vdir = MODELS_DIR / train.main(["--members", a.members])["version"]
    step(f"3/4 per-kind heads for {vdir.name} (dermoscopic network: {derm.name})")
    kinds.main(["--model", str(vdir), "--dermoscopic-model", str(derm)])
    step("4/4 evaluation on both test benchmarks")
    evaluate.main(["--model", str(vdir)])
    step(f"done: {vdir}")
    return vdir


if __name__ == "__main__":
    main()
