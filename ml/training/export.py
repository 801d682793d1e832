"""Export a trained backbone + head as the shipped version folder.

Called as the last step of ``python -m ml.training.train``. ``python -m ml.training.export
--model ml/models/<version>`` re-converts an existing ``keras_model.keras`` to TFLite (e.g.
after a TensorFlow upgrade) and refreshes the sha256 in the card.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from ml.training.card import DATA, INTENDED_USE, LICENCE, LIMITS, read_card, sha256, write_card
from ml.training.data import LABELS

MAX_TFLITE_BYTES = 10 * 1024 * 1024


def next_version(out: Path, log: Path | None = None, prefix: str = "mnv2", day: str | None = None) -> str:
    """``<prefix>-<day>-<n>`` with n above every n already used that day.

    A name is never reused, even after its folder was removed: deployed databases keep a
    ``ModelVersion`` row per name (with its sha256), so a new artifact under an old name would
    look tampered. Used names are the folders in ``out`` and those the experiment log mentions.
    """
    day = day or dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    pattern = re.compile(rf"\b{re.escape(prefix)}-{day}-(\d+)\b")
    texts = [d.name for d in out.iterdir()] if out.is_dir() else []
    if log is not None and log.exists():
        texts.append(log.read_text())
    used = [int(n) for t in texts for n in pattern.findall(t)]
    return f"{prefix}-{day}-{max(used, default=0) + 1}"


def to_tflite(model: Any, path: Path, tf: Any) -> str:
    """Write the .tflite; returns the weights' storage type ("float32" or "float16")."""
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    data = conv.convert()
    dtype = "float32"
    if len(data) > MAX_TFLITE_BYTES:
        # float16 weights halve the size with negligible accuracy change on this model.
        conv = tf.lite.TFLiteConverter.from_keras_model(model)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
        data = conv.convert()
        dtype = "float16"
    path.write_bytes(data)
    return dtype


def single_view(model: Any) -> Any:
    """The same network without its mirrored test-time view: the TTA layers become identities
    (every other layer, and so every weight, is shared). Half the work per image, for a model
    whose latency budget cannot pay for the mirror."""
    import keras

    from ml.training import model as MD

    def replace(layer: Any) -> Any:
        if isinstance(layer, (MD.FlipTTA, MD.MeanTTA, MD.FirstHalf)):
            return keras.layers.Identity(name=layer.name)
        return layer

    return keras.models.clone_model(model, clone_function=replace)


def single_member(model: Any, member: int) -> Any:
    """One member of an ensemble exported by ``ml.training.model.export_model`` (a shared frozen
    "bottom", tops "top_0", "top_1", ... and their heads), with the ensemble's input stage,
    mirrored view and temperature: outputs (probabilities, CAM). The ensemble's logits are the
    mean of its members', so its probabilities are the renormalised geometric mean of theirs."""
    import keras

    from ml.training import model as MD

    names = {layer.name: layer for layer in model.layers}
    if f"top_{member}" not in names:
        raise ValueError(f"the model has no ensemble member {member}")
    sfx = "" if member == 0 else f"_{member}"
    size = model.input_shape[1]
    inp = keras.Input((size, size, 3), batch_size=1, name="rgb")
    x = inp
    for name in ("tta_views", "preprocess"):
        if name in names:
            x = names[name](x)
    fmap = names[f"top_{member}"](names["bottom"](x))
    logits = names["logits" + sfx](names["gap" + sfx](fmap))
    cam_src = fmap
    if "tta_mean" in names:
        logits = MD.MeanTTA(name="tta_mean")(logits)
        cam_src = MD.FirstHalf(name="cam_view")(fmap)
    probs = keras.layers.Softmax(name="probabilities")(names["temperature"](logits))
    cam = keras.layers.Identity(name="cam")(names["logits" + sfx](cam_src))
    return keras.Model(inp, [probs, cam], name=f"member_{member}")


def export_member(src: Path, path: Path, member: int) -> dict:
    """Write ensemble member ``member`` of ``src``'s network as a .tflite (half the work of a
    two-member ensemble); returns what the card should record about it."""
    import keras
    import tensorflow as tf

    from ml.training import model as _custom_layers  # noqa: F401  (registers TTA layers)

    model = single_member(keras.models.load_model(src / "keras_model.keras"), member)
    return {"weights_dtype": to_tflite(model, path, tf), "member": member}


def export_single_view(src: Path, path: Path) -> dict:
    """Write ``src``'s network (a version folder's keras_model.keras) as a single-view .tflite;
    returns what the card should record about it."""
    import keras
    import tensorflow as tf

    from ml.training import model as _custom_layers  # noqa: F401  (registers TTA layers)

    model = single_view(keras.models.load_model(src / "keras_model.keras"))
    return {"weights_dtype": to_tflite(model, path, tf), "tta": None}


def check_agreement(model: Any, tflite_path: Path, images: np.ndarray) -> float:
    """Max |keras - tflite| probability difference on a few real images."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(str(tflite_path), num_threads=2)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]["index"]
    out = next(
        d["index"] for d in interp.get_output_details() if len(d["shape"]) == 2 and d["shape"][-1] == len(LABELS)
    )
    worst = 0.0
    for img in images:
        x = img[None].astype(np.float32)
        k = model(x, training=False)[0].numpy()
        interp.set_tensor(inp, x)
        interp.invoke()
        worst = max(worst, float(np.abs(interp.get_tensor(out) - k).max()))
    return worst


def export_version(
    *,
    members: list[tuple[Any, Any]],
    args: Any,
    temperature: float,
    use_tta: bool,
    thresholds: dict[str, float],
    uncertain_cut: float,
    val_metrics: dict,
    history: list[dict],
    train_seconds: float,
    feature_seconds: float | None = None,
    split_counts: dict,
    extra_counts: dict,
    val_images: np.ndarray,
    ood_stats: dict[str, np.ndarray],
    tf: Any,
) -> Path:
    from ml.training import model as MD
    from ml.training import ood
    from ml.training.train import EXPERIMENTS_LOG

    out = Path(args.out)
    version = args.version or next_version(out, EXPERIMENTS_LOG)
    vdir = out / version
    vdir.mkdir(parents=True, exist_ok=False)

    model = MD.export_model(members, args.cut, args.size, temperature, use_tta, args.color_constancy)
    model.save(vdir / "keras_model.keras")
    weights_dtype = to_tflite(model, vdir / "model.tflite", tf)
    diff = check_agreement(model, vdir / "model.tflite", val_images)
    (vdir / "labels.json").write_text(json.dumps(LABELS, indent=1) + "\n")
    np.savez(vdir / "ood_stats.npz", **ood_stats)

    experiments = json.loads(EXPERIMENTS_LOG.read_text()) if EXPERIMENTS_LOG.exists() else []
    card = {
        "version": version,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "architecture": f"MobileNetV2 alpha {args.alpha} (ImageNet init), GAP, dropout "
        f"{args.dropout}, dense 8; fine-tuned above {args.cut}, BatchNorm frozen"
        + (
            f"; ensemble of {len(members)} such tops fine-tuned from different seeds on one shared "
            "frozen bottom, logits averaged"
            if len(members) > 1
            else ""
        ),
        "labels": LABELS,
        "input": {
            "size": [args.size, args.size],
            "format": "float32 [1,H,W,3] RGB 0..255",
            "resize": "PIL convert('RGB') then resize((H, W), BILINEAR) on the whole image "
            "(squash, no crop), as in training",
            "preprocessing_in_graph": (
                "Shades-of-Gray colour constancy (p=6), then x / 127.5 - 1" if args.color_constancy else "x / 127.5 - 1"
            ),
        },
        "outputs": {
            "probabilities": "[1,8] calibrated softmax(logits / T), labels.json order",
            "cam": "[1,h,w,8] per-class activation maps (dense layer at each position)",
        },
        "tta": "mean logits of image and its horizontal mirror (in graph)" if use_tta else None,
        "temperature": temperature,
        "thresholds": thresholds,
        "threshold_rule": "flag class c when p(c) >= thresholds[c]; thresholds are the largest "
        "values whose val recall has a one-sided 95% Clopper-Pearson lower bound >= 0.85 (melanoma) "
        "or whose val recall is >= 0.85 (SCC, BCC)",
        "uncertain_rule": {
            "top_probability_below": uncertain_cut,
            "description": "uncertain when the calibrated top probability is below this cut "
            "(smallest cut at which val cases above it are >= 85% correct)",
        },
        "data": DATA,
        "split_counts": split_counts,
        "extra_training_counts": extra_counts,
        "training": {
            "config": {
                k: v
                for k, v in vars(args).items()
                if k not in {"data_dir", "extra_data_dir", "weights", "out", "cache_dir", "experiment"}
            },
            "history": history,
            "seconds": round(train_seconds, 1),
        },
        "training_time_seconds": round(train_seconds, 1),
        # under a minute means the augmented-feature cache of an earlier run was reused
        "feature_cache_seconds": None if feature_seconds is None else round(feature_seconds, 1),
        "metrics": {"val": val_metrics},
        "experiments": experiments,
        "keras_tflite_max_abs_diff_val20": diff,
        "ood": ood.card_entry(ood_stats),
        "intended_use": INTENDED_USE,
        "limits": LIMITS,
        "licence": LICENCE,
        "model_sha256": sha256(vdir / "model.tflite"),
        "model_bytes": (vdir / "model.tflite").stat().st_size,
        "weights_dtype": weights_dtype,
    }
    write_card(vdir, card)
    return vdir


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", required=True, help="version folder with keras_model.keras")
    a = p.parse_args(argv)
    import keras
    import tensorflow as tf

    from ml.training import model as _custom_layers  # noqa: F401  (registers TTA layers)

    vdir = Path(a.model)
    model = keras.models.load_model(vdir / "keras_model.keras")
    weights_dtype = to_tflite(model, vdir / "model.tflite", tf)
    card = read_card(vdir)
    card["weights_dtype"] = weights_dtype
    card["model_sha256"] = sha256(vdir / "model.tflite")
    card["model_bytes"] = (vdir / "model.tflite").stat().st_size
    write_card(vdir, card)
    print(f"re-exported {vdir / 'model.tflite'} sha256={card['model_sha256']}")


if __name__ == "__main__":
    main()
