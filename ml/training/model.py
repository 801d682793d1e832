"""MobileNetV2 pieces: frozen bottom, trainable top, and the exported end-to-end model.

Training runs in two halves to fit a 2-core CPU budget: the lower blocks are frozen, so their
output for a set of pre-augmented copies of each image is computed once ("feature cache"), and
only the upper blocks + head are trained on it. The exported model re-joins the very same layer
objects behind the preprocessing, so what ships is an ordinary end-to-end MobileNetV2.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ml.training.data import LABELS

N_CLASSES = len(LABELS)


def build_backbone(size: int, alpha: float, weights: Path) -> keras.Model:
    if not weights.exists():
        raise FileNotFoundError(f"MobileNetV2 weights not found at {weights}")
    bb = keras.applications.MobileNetV2(
        input_shape=(size, size, 3), alpha=alpha, include_top=False, weights=str(weights)
    )
    # BatchNorm stays in inference mode everywhere: with ~1.5k images, re-estimating BN
    # statistics on small batches hurts more than it helps (Keras 3 runs a non-trainable BN
    # layer in inference mode even when the model is called with training=True).
    for layer in bb.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    return bb


def preprocess_layer() -> keras.layers.Layer:
    # Same as mobilenet_v2.preprocess_input: x / 127.5 - 1, kept inside the graph so callers
    # feed raw RGB 0..255.
    return keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="preprocess")


@keras.saving.register_keras_serializable(package="skintriage")
class ShadesOfGray(keras.layers.Layer):
    """Shades-of-Gray colour constancy (Finlayson & Trezzi 2004), the ISIC challenge standard.

    Estimates each image's illuminant as the Minkowski p-norm mean of every channel and
    rescales the channels so that illuminant becomes neutral grey; it removes much of the
    colour cast that differs between dermatoscopes and clinics. Input and output are RGB 0..255.
    """

    def __init__(self, p: float = 6.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.p = float(p)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        xs = x / 255.0  # keep x**p well inside float32 range
        illum = tf.pow(tf.reduce_mean(tf.pow(xs + 1e-6, self.p), axis=[1, 2], keepdims=True), 1.0 / self.p)
        gain = tf.reduce_mean(illum, axis=-1, keepdims=True) / tf.maximum(illum, 1e-3)
        return tf.clip_by_value(x * gain, 0.0, 255.0)

    def get_config(self) -> dict:
        return {**super().get_config(), "p": self.p}


def input_stage(x: tf.Tensor, color_constancy: bool) -> tf.Tensor:
    """Raw RGB 0..255 -> backbone input: optional colour constancy, then MobileNetV2 scaling."""
    if color_constancy:
        x = ShadesOfGray(name="color_constancy")(x)
    return preprocess_layer()(x)


def bottom_model(bb: keras.Model, cut: str, color_constancy: bool = False) -> keras.Model:
    inp = keras.Input(bb.input.shape[1:], name="rgb")
    x = input_stage(inp, color_constancy)
    feats = keras.Model(bb.input, bb.get_layer(cut).output)(x)
    return keras.Model(inp, feats, name="bottom")


def _layers_after(bb: keras.Model, cut: str) -> list[keras.layers.Layer]:
    names = [layer.name for layer in bb.layers]
    return bb.layers[names.index(cut) + 1 :]


def apply_top(bb: keras.Model, cut: str, x: tf.Tensor) -> tf.Tensor:
    """Re-apply the backbone layers above ``cut`` to ``x`` (shares the layer objects).

    ``cut`` must be a point no skip connection crosses (e.g. ``block_12_add``, where block 13
    downsamples), which holds for every ``block_N_add``/``block_N_project_BN`` tensor fed only
    forward.
    """
    tensors: dict[str, tf.Tensor] = {cut: x}
    for layer in _layers_after(bb, cut):
        inbound = layer.input if isinstance(layer.input, list) else [layer.input]
        args = [tensors[t._keras_history.operation.name] for t in inbound]
        tensors[layer.name] = layer(args if len(args) > 1 else args[0])
    return tensors[bb.layers[-1].name]


def top_layers(bb: keras.Model, cut: str) -> list[keras.layers.Layer]:
    return [layer for layer in _layers_after(bb, cut) if layer.weights]


class Head:
    """GAP -> Dropout -> Dense logits. Kept as objects so the exported model can reuse them."""

    def __init__(self, dropout: float, l2: float = 1e-4, suffix: str = "") -> None:
        # ``suffix`` keeps layer names unique when several heads meet in one exported ensemble.
        self.pool = keras.layers.GlobalAveragePooling2D(name="gap" + suffix)
        self.drop = keras.layers.Dropout(dropout, name="head_dropout" + suffix)
        self.dense = keras.layers.Dense(N_CLASSES, name="logits" + suffix, kernel_regularizer=keras.regularizers.L2(l2))

    def __call__(self, fmap: tf.Tensor) -> tf.Tensor:
        return self.dense(self.drop(self.pool(fmap)))


def top_model(bb: keras.Model, cut: str, head: Head) -> keras.Model:
    inp = keras.Input(bb.get_layer(cut).output.shape[1:], name="cut_features")
    return keras.Model(inp, head(apply_top(bb, cut, inp)), name="top")


def pooled_model(bb: keras.Model, cut: str) -> keras.Model:
    inp = keras.Input(bb.get_layer(cut).output.shape[1:], name="cut_features")
    return keras.Model(inp, keras.layers.GlobalAveragePooling2D()(apply_top(bb, cut, inp)), name="pooled")


@keras.saving.register_keras_serializable(package="skintriage")
class FlipTTA(keras.layers.Layer):
    """Stacks the image and its horizontal mirror along the batch axis (batch must be 1..n)."""

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return tf.concat([x, tf.reverse(x, axis=[2])], axis=0)


@keras.saving.register_keras_serializable(package="skintriage")
class MeanTTA(keras.layers.Layer):
    """Averages logits of the two TTA views back to the original batch size."""

    def call(self, x: tf.Tensor) -> tf.Tensor:
        a, b = tf.split(x, 2, axis=0)
        return (a + b) / 2.0


@keras.saving.register_keras_serializable(package="skintriage")
class FirstHalf(keras.layers.Layer):
    """Keeps the un-flipped half of a TTA batch (used for the CAM output)."""

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return tf.split(x, 2, axis=0)[0]


def export_model(
    members: list[tuple[keras.Model, Head]],
    cut: str,
    size: int,
    temperature: float,
    tta: bool,
    color_constancy: bool = False,
) -> keras.Model:
    """End-to-end model: RGB 0..255 -> (calibrated probabilities, per-class CAM maps, features).

    ``members`` are (backbone, head) pairs fine-tuned above ``cut``; below it every backbone
    holds the same frozen ImageNet weights, so an ensemble shares one bottom and averages the
    members' logits. Output 1 is each head's dense layer applied at every position of the last
    feature map, i.e. the class activation map of each class (mean over positions = logit).
    """
    inp = keras.Input((size, size, 3), batch_size=1, name="rgb")
    x = input_stage(FlipTTA(name="tta_views")(inp) if tta else inp, color_constancy)
    if len(members) == 1:
        fmaps = [members[0][0](x)]
    else:
        bb0 = members[0][0]
        cut_feats = keras.Model(bb0.input, bb0.get_layer(cut).output, name="bottom")(x)
        fmaps = []
        for i, (bb, _) in enumerate(members):
            t_in = keras.Input(cut_feats.shape[1:], name=f"cut_features_{i}")
            fmaps.append(keras.Model(t_in, apply_top(bb, cut, t_in), name=f"top_{i}")(cut_feats))

    def mean(tensors: list, name: str):
        return tensors[0] if len(tensors) == 1 else keras.layers.Average(name=name)(tensors)

    logits = mean([head.dense(head.pool(f)) for f, (_, head) in zip(fmaps, members, strict=True)], "ensemble_mean")
    cam_srcs = fmaps
    if tta:
        logits = MeanTTA(name="tta_mean")(logits)
        cam_srcs = [FirstHalf(name="cam_view" + ("" if i == 0 else f"_{i}"))(f) for i, f in enumerate(fmaps)]
    scaled = keras.layers.Rescaling(1.0 / float(temperature), name="temperature")(logits)
    probs = keras.layers.Softmax(name="probabilities")(scaled)
    # Dense acts on the channel axis: [1, h, w, 8]
    cam = mean([head.dense(c) for c, (_, head) in zip(cam_srcs, members, strict=True)], "cam_mean")
    cam = keras.layers.Identity(name="cam")(cam)
    # Pooled features of the un-flipped view (first member): lets the serving side score how
    # far an input is from the training distribution (out-of-distribution check).
    feats = keras.layers.Identity(name="features")(members[0][1].pool(cam_srcs[0]))
    return keras.Model(inp, [probs, cam, feats], name="skintriage_mnv2")


def augmenter(seed: int) -> keras.Sequential:
    """Random dermoscopy-style augmentation (the lesion has no canonical orientation)."""
    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal_and_vertical", seed=seed),
            keras.layers.RandomRotation(0.5, fill_mode="reflect", seed=seed + 1),
            keras.layers.RandomZoom((-0.25, 0.05), fill_mode="reflect", seed=seed + 2),
            keras.layers.RandomBrightness(0.15, value_range=(0, 255), seed=seed + 3),
            keras.layers.RandomContrast(0.2, seed=seed + 4),
        ],
        name="augment",
    )


def augment_images(images: np.ndarray, aug: keras.Sequential, batch: int = 64) -> np.ndarray:
    out = []
    for i in range(0, len(images), batch):
        x = tf.convert_to_tensor(images[i : i + batch], dtype=tf.float32)
        out.append(tf.clip_by_value(aug(x, training=True), 0.0, 255.0).numpy())
    return np.round(np.concatenate(out)).astype(np.uint8)


def compute_features(
    bottom: keras.Model,
    images: np.ndarray,
    aug: keras.Sequential | None,
    transform: str = "none",
    batch: int = 64,
) -> np.ndarray:
    """Bottom features (float16) of ``images``, optionally randomly augmented or transformed."""
    out = []
    for i in range(0, len(images), batch):
        x = tf.convert_to_tensor(images[i : i + batch], dtype=tf.float32)
        if aug is not None:
            x = tf.clip_by_value(aug(x, training=True), 0.0, 255.0)
        if transform == "hflip":
            x = tf.reverse(x, axis=[2])
        elif transform == "vflip":
            x = tf.reverse(x, axis=[1])
        elif transform == "rot180":
            x = tf.reverse(x, axis=[1, 2])
        out.append(bottom(x, training=False).numpy().astype(np.float16))
    return np.concatenate(out)
