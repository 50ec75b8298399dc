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
  cannot keep up with weights that change this fast: after a short run (a few dozen
  steps) they describe the network of many steps ago, and in inference mode the model
  scores every frame alike. So before each validation pass, and thereby in the saved
  model, they are recomputed for the current weights (``recalibrate_batchnorm``).

In every phase the bias of each convolution that feeds a BatchNormalization stays fixed
(``freeze_redundant_biases``): BatchNormalization subtracts the batch mean, which removes
a per-channel bias exactly, so its true gradient is zero. What the optimizer computes
for it is rounding noise, and Adam divides by the gradient's own scale, turning that
noise into steps as large as the learning rate. Those steps change nothing the network
computes in training mode, but they make two runs that round differently (one machine
or two workers, another CPU) drift apart; fixed, the runs stay the same training.

The model takes preprocessed images (``scorers.classifier.preprocess``) and ends in a
sigmoid for two labels (the positive's probability) or a softmax for more.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from highlight import HighlightError

FINE_TUNE_PREFIX = "conv5_"  # ResNet50's last stage: the layers unfrozen in phase two
RECALIBRATION_BATCHES = 50  # batches of training frames that BatchNormalization statistics are averaged over


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
    inputs = keras.Input((height, width, 3), name="image")
    features = backbone(inputs, training=False) if pretrained else backbone(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(features)
    x = keras.layers.Dropout(dropout, name="dropout_1")(x)
    x = keras.layers.Dense(256, activation="relu", name="head_dense")(x)
    x = keras.layers.Dropout(dropout, name="dropout_2")(x)
    activation = "sigmoid" if n_outputs == 1 else "softmax"
    outputs = keras.layers.Dense(n_outputs, activation=activation, name="highlight")(x)
    freeze_redundant_biases(backbone)
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
        raise HighlightError(
            f"--weights {weights}: not ResNet50 no-top weights ({' '.join(str(error).split())[:200]})"
        ) from None


def set_trainable(backbone, which: str) -> None:
    """Freeze the backbone (``head``), unfreeze its last stage (``top``) or all of it (``all``).

    Each layer is set, not just the backbone: a Keras model's ``trainable`` does not
    reach the layers of a functional model. Setting a layer's ``trainable`` makes all its
    variables trainable again, so the redundant biases are frozen afresh.
    """
    backbone.trainable = which != "head"
    for layer in backbone.layers:
        layer.trainable = which == "all" or (which == "top" and layer.name.startswith(FINE_TUNE_PREFIX))
    freeze_redundant_biases(backbone)


def redundant_biases(network) -> list:
    """The bias of every convolution in ``network`` whose output goes straight into a BatchNormalization.

    In training mode BatchNormalization subtracts each channel's batch mean, which
    removes such a bias exactly; in inference mode the bias only shifts what the
    layer's own ``beta`` shifts. Either way it adds nothing the network can learn. (In
    ``keras.applications.ResNet50`` every convolution's output feeds its
    BatchNormalization alone.)
    """
    import keras

    convolutions = {
        id(layer.output): layer for layer in network.layers if isinstance(layer, keras.layers.Conv2D) and layer.use_bias
    }
    return [
        convolutions[id(layer.input)].bias
        for layer in network.layers
        if isinstance(layer, keras.layers.BatchNormalization) and id(layer.input) in convolutions
    ]


def freeze_redundant_biases(network) -> None:
    """Keep ``redundant_biases`` out of training: their gradient is rounding noise (see the module docstring)."""
    for bias in redundant_biases(network):
        bias.trainable = False


def batchnorm_layers(model) -> list:
    """Every BatchNormalization layer of ``model``, nested models included."""
    import keras

    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif isinstance(layer, keras.Model):
            found.extend(batchnorm_layers(layer))
    return found


def recalibrate_batchnorm(network, batches: Iterable, max_batches: int = RECALIBRATION_BATCHES) -> None:
    """Set the moving statistics of ``network``'s BatchNormalization layers to their average over ``batches``.

    Training normalises each batch by its own statistics; inference uses the moving
    averages. From scratch the weights move faster than those averages follow, so the
    two disagree and validation (and the saved model) sees another network than the one
    trained. Running the current weights over batches like those trained on (the
    training pipeline's, augmented, one replica's share each) and averaging their
    statistics makes inference normalise as training did. Only the moving statistics
    change. Pass the backbone, not the whole model: the head's Dropout would draw random
    numbers and change what the next epoch trains with. Training does this before every
    validation pass: ``BatchNormRecalibration`` keeps the compiled pass between them.
    """
    BatchNormRecalibration(network)(batches, max_batches)


class BatchNormRecalibration:
    """``recalibrate_batchnorm`` for one network, its forward pass compiled once and kept.

    Run eagerly, ResNet50's forward pass dispatches its hundreds of operations one by
    one: at small images that took 12 s a recalibration, half of a test training's
    epochs. Compiled, the momentum is a constant of the trace: it is 0, so each pass
    leaves its own batch's statistics in the moving ones, and they are averaged here.
    """

    def __init__(self, network):
        self.network = network
        self.layers = [layer for layer in batchnorm_layers(network) if layer.trainable]
        self._forward = None

    def __call__(self, batches: Iterable, max_batches: int = RECALIBRATION_BATCHES) -> None:
        """Average the statistics of up to ``max_batches`` of ``batches`` into the moving ones."""
        if not self.layers:
            return
        momenta = [layer.momentum for layer in self.layers]
        sums = [(np.zeros(layer.moving_mean.shape), np.zeros(layer.moving_variance.shape)) for layer in self.layers]
        count = 0
        try:
            for layer in self.layers:
                layer.momentum = 0.0
            for batch in itertools.islice(batches, max_batches):
                self._forward_pass(batch)
                for (mean, variance), layer in zip(sums, self.layers):
                    mean += layer.moving_mean.numpy()
                    variance += layer.moving_variance.numpy()
                count += 1
        finally:
            for layer, momentum in zip(self.layers, momenta):
                layer.momentum = momentum
        if count:
            for layer, (mean, variance) in zip(self.layers, sums):
                layer.moving_mean.assign((mean / count).astype(np.float32))
                layer.moving_variance.assign((variance / count).astype(np.float32))

    def _forward_pass(self, batch) -> None:
        """The network in training mode on ``batch``, compiled at the first call for any batch size."""
        if self._forward is None:
            import tensorflow as tf

            self._forward = tf.function(
                lambda images: self.network(images, training=True),
                input_signature=[tf.TensorSpec([None, *batch.shape[1:]], batch.dtype)],
            )
        self._forward(batch)
