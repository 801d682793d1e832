"""Latency / memory benchmark of the shipped model vs. Keras baselines.

    python -m ml.bench [--model ml/models/<version>] [--runs 200]

1. Peak RSS of a fresh worker process that loads the model through ``ml.inference`` and
   classifies one image; it asserts TensorFlow was never imported.
2. Single-image latency p50/p95 of the whole served path (``Classifier.predict``: preprocessing,
   the LiteRT network, the photo-kind detector, the kind's head and, for a phone photo, the
   answer fusion; heatmap off) on a real phone photo with answers and a real dermoscopic image
   (from ``../shared`` when present, else synthetic), against the same MobileNetV2 in Keras and
   the paper's architecture, Keras DenseNet121(weights=None, 224x224) + GAP + Dropout + Dense(9).
   Each Keras model is timed both as compiled graphs (``tf.function``: the fair comparison) and
   as eager calls; the headline ratio is against the compiled DenseNet121.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import resource, sys, time, json
import numpy as np
from PIL import Image
from ml.inference import get_classifier
clf = get_classifier()
rng = np.random.default_rng(0)
img = Image.fromarray(rng.integers(60, 200, (180, 180, 3), dtype=np.uint8))
res = clf.predict(img, heatmap=True)
assert "tensorflow" not in sys.modules, "ml.inference imported tensorflow"
assert "keras" not in sys.modules, "ml.inference imported keras"
print(json.dumps({
    "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "top": res.top, "version": clf.version,
}))
"""


def worker_rss(model_dir: Path | None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if model_dir is not None:
        env["SKIN_MODEL_DIR"] = str(model_dir)
    out = subprocess.run(  # noqa: S603 - fixed interpreter and code, no user input
        [sys.executable, "-c", WORKER],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def timeit(fn, runs: int, warmup: int = 5) -> tuple[float, float]:
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1000)
    return float(np.percentile(ts, 50)), float(np.percentile(ts, 95))


def sample_images(rng: np.random.Generator) -> tuple[Image.Image, Image.Image, dict, str]:
    """A real phone photo with its patient's answers and a real dermoscopic image, each as the
    upload stores it; synthetic stand-ins when ``../shared`` is absent."""
    from ml import upload
    from ml.context import pad_context
    from ml.training.data import split_rows as rows
    from ml.training.paths import data_dir, phone_data_dir

    try:
        prow = rows(phone_data_dir(), "test")[0]
        drow = rows(data_dir(), "test")[0]
        with Image.open(phone_data_dir() / prow["path"]) as p, Image.open(data_dir() / drow["path"]) as d:
            return upload.as_stored(p), upload.as_stored(d), pad_context(prow), f"{prow['path']}, {drow['path']}"
    except FileNotFoundError:
        img = Image.fromarray(rng.integers(60, 200, (300, 300, 3), dtype=np.uint8))
        return img, img, {"age": 60, "bleed": True, "grew": True}, "synthetic (no ../shared)"


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", help="version folder (default: SKIN_MODEL_DIR or newest)")
    p.add_argument("--runs", type=int, default=200, help="LiteRT timed runs")
    p.add_argument("--keras-runs", type=int, default=30)
    p.add_argument("--no-card", action="store_true", help="do not store results in the card")
    a = p.parse_args(argv)

    from ml.inference import Classifier, find_model_dir

    vdir = Path(a.model).resolve() if a.model else find_model_dir()
    rss = worker_rss(vdir)

    clf = Classifier(vdir)
    rng = np.random.default_rng(0)
    phone, derm, ctx, source = sample_images(rng)
    rows: list[tuple[str, float, float]] = []
    rows.append(
        (
            f"served path, phone photo + answers ({clf.version})",
            *timeit(lambda: clf.predict(phone, heatmap=False, context=ctx), a.runs),
        )
    )
    rows.append(
        (
            "served path, dermoscopic photo",
            *timeit(lambda: clf.predict(derm, heatmap=False), a.runs),
        )
    )
    kinds = (clf.predict(phone, context=ctx).photo_kind, clf.predict(derm).photo_kind)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    from ml.training import model as _custom_layers  # noqa: F401  (registers TTA layers)

    mnv2 = keras.models.load_model(vdir / "keras_model.keras")
    size = int(mnv2.input.shape[1])
    x_m = tf.constant(rng.uniform(0, 255, (1, size, size, 3)).astype("float32"))
    mnv2_graph = tf.function(lambda x: mnv2(x, training=False), reduce_retracing=True)
    rows.append(
        (
            f"Keras MobileNetV2 (same model, {size}px), tf.function",
            *timeit(lambda: mnv2_graph(x_m), a.keras_runs, warmup=10),
        )
    )
    rows.append(
        (
            f"Keras MobileNetV2 (same model, {size}px), eager",
            *timeit(lambda: mnv2(x_m, training=False), a.keras_runs),
        )
    )

    inp = keras.Input((224, 224, 3))
    base = keras.applications.DenseNet121(weights=None, include_top=False, input_tensor=inp)
    y = keras.layers.GlobalAveragePooling2D()(base.output)
    y = keras.layers.Dropout(0.5)(y)
    dense = keras.Model(inp, keras.layers.Dense(9, activation="softmax")(y))
    x_d = tf.constant(rng.uniform(0, 1, (1, 224, 224, 3)).astype("float32"))
    dense_graph = tf.function(lambda x: dense(x, training=False), reduce_retracing=True)
    rows.append(
        (
            "Keras DenseNet121 (paper, 224px), tf.function",
            *timeit(lambda: dense_graph(x_d), a.keras_runs, warmup=10),
        )
    )
    rows.append(
        (
            "Keras DenseNet121 (paper, 224px), eager",
            *timeit(lambda: dense(x_d, training=False), a.keras_runs),
        )
    )

    lite_p50 = rows[0][1]
    print(f"\nimages: {source}; routed as {kinds[0]} / {kinds[1]}")
    print(f"\n{'model':58s} {'p50 ms':>9s} {'p95 ms':>9s} {'p50 / served':>13s}")
    print("-" * 92)
    for name, p50, p95 in rows:
        print(f"{name:58s} {p50:9.2f} {p95:9.2f} {p50 / lite_p50:12.1f}x")
    print("-" * 92)
    dense_compiled = next(
        p50 for name, p50, _ in rows if name.startswith("Keras DenseNet121") and "tf.function" in name
    )
    print(f"DenseNet121 compiled / served phone path: {dense_compiled / lite_p50:.1f}x")
    print(
        f"worker peak RSS (fresh process, model loaded + 1 prediction): "
        f"{rss['max_rss_mb']:.0f} MB; tensorflow imported: no"
    )
    print(f"cpu count {os.cpu_count()}; LiteRT threads {os.environ.get('SKIN_TFLITE_THREADS', 2)}")
    result = {
        "latency_ms": {n: {"p50": p50, "p95": p95} for n, p50, p95 in rows},
        "densenet_compiled_over_served_p50": dense_compiled / lite_p50,
        "images": source,
        "worker_max_rss_mb": rss["max_rss_mb"],
        "cpu_count": os.cpu_count(),
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if not a.no_card:
        from ml.training.card import read_card, write_card
        from ml.training.card_md import write_markdown
        from ml.training.paths import MODELS_DIR

        card = read_card(vdir)
        card["bench"] = result
        write_card(vdir, card)
        if vdir.parent.resolve() == MODELS_DIR.resolve():
            write_markdown(card)
    return result


if __name__ == "__main__":
    main()
