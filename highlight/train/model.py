"""ResNet50 + a small dense head, and the phases it is trained in.

* **Pretrained** backbone (``imagenet``, or a weights file): first the head alone (the
  backbone frozen, so that the random head's large early gradients cannot wreck the
  pretrained filters), then the top stage of the backbone (``conv5``) at a learning
  rate 100x lower. The backbone runs in inference mode throughout (``training=False``),
  so its BatchNormalization statistics stay the ImageNet ones, as the Keras fine-tuning
  guide recommends for small datasets.
* **From scratch** (``none``): one phase, everything trainable, BatchNormalization in
  training mode. There is nothing pretrained to protect, and a frozen random backbone
  gives features a dense head cannot separate. BatchNormalization's moving averages
  use momentum 0.9 instead of 0.99, because a short run (a few hundred steps) would
  otherwise end with statistics still half way from their initial values, and the
  model would predict differently from how it trained.

The model takes preprocessed images (``scorers.classifier.preprocess``) and ends in a
sigmoid for two labels (the positive's probability) or a softmax for more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from highlight import HighlightError

FINE_TUNE_PREFIX = "conv5_"  # ResNet50's last stage: the layers unfrozen in phase two
SCRATCH_BN_MOMENTUM = 0.9


@dataclass(frozen=True)
class Phase:
    name: str
    epochs: int
    learning_rate: float
    trainable: str  # "head", "top" (conv5 + head) or "all"


def plan_phases(weights: str, epochs: int, learning_rate: float | None = None) -> list[Phase]:
    """The training phases for ``epochs`` epochs in all."""
    if epochs < 1:
        raise HighlightError("--epochs must be at least 1")
    if weights == "none":
        return [Phase("scratch", epochs, learning_rate or 1e-3, "all")]
    rate = learning_rate or 1e-3
    head = max(1, math.ceil(epochs / 3))
    phases = [Phase("head", head, rate, "head")]
    if epochs > head:
        phases.append(Phase("fine-tune", epochs - head, rate / 100, "top"))
    return phases


def build_model(n_outputs: int, size: tuple[int, int], weights: str = "imagenet", dropout: float = 0.3):
    """(model, backbone). ``n_outputs`` 1: sigmoid; more: softmax over that many labels."""
    import keras

    width, height = size
    pretrained = weights != "none"
    backbone = _backbone(keras, weights, (height, width, 3))
    if not pretrained:
        for layer in backbone.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = SCRATCH_BN_MOMENTUM
    inputs = keras.Input((height, width, 3), name="image")
    features = backbone(inputs, training=False) if pretrained else backbone(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(features)
    x = keras.layers.Dropout(dropout, name="dropout_1")(x)
    x = keras.layers.Dense(256, activation="relu", name="head_dense")(x)
    x = keras.layers.Dropout(dropout, name="dropout_2")(x)
    activation = "sigmoid" if n_outputs == 1 else "softmax"
    outputs = keras.layers.Dense(n_outputs, activation=activation, name="highlight")(x)
    return keras.Model(inputs, outputs, name="highlight_resnet50"), backbone


def _backbone(keras, weights: str, shape: tuple[int, int, int]):
    if weights not in ("imagenet", "none") and not Path(weights).is_file():
        raise HighlightError(f"--weights {weights}: not 'imagenet', 'none' or an existing weights file")
    source = None if weights == "none" else weights
    try:
        return keras.applications.ResNet50(include_top=False, weights=source, input_shape=shape)
    except Exception as error:  # download failures and mismatched files arrive as many types
        if weights == "imagenet":
            raise HighlightError(
                "cannot get the ImageNet weights for ResNet50 (Keras downloads them once, to ~/.keras/models; "
                f"is this machine offline?): {error}. Use --weights PATH to a ResNet50 no-top weights file, "
                "or --weights none"
            ) from None
        raise HighlightError(f"--weights {weights}: not ResNet50 no-top weights ({' '.join(str(error).split())[:200]})") from None


def set_trainable(backbone, which: str) -> None:
    """Freeze the backbone (``head``), unfreeze its last stage (``top``) or all of it (``all``)."""
    if which == "head":
        backbone.trainable = False
        return
    backbone.trainable = True
    if which == "top":
        for layer in backbone.layers:
            layer.trainable = layer.name.startswith(FINE_TUNE_PREFIX)
