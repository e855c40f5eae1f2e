"""How the Transformer is trained (Vaswani et al., 2017, section 5.3 and 5.4):
a learning rate that warms up and then decays, and label smoothing.

**The schedule.** With `step` counting training steps from 1,

    lrate = d_model^-0.5 · min(step^-0.5, step · warmup_steps^-1.5)

rises linearly for `warmup_steps` steps, peaks at `step = warmup_steps`, then
falls as `1 / √step`. A freshly initialized Transformer's attention and layer
norms give large, unreliable gradients at first; small early steps keep Adam's
running estimates from being thrown off before they have settled.

**Label smoothing.** The target distribution puts `1 - ε` on the reference token
and spreads `ε` evenly over the whole vocabulary (the reference included), so the
model is never pushed towards infinite confidence. The paper uses `ε = 0.1`; it
"hurts perplexity, as the model learns to be more unsure, but improves accuracy
and BLEU score". Padding positions count for nothing, as in `masked_loss`.

**Checkpoint averaging.** The paper's base models are "obtained by averaging the
last 5 checkpoints". Late in training the weights wander around a minimum with
each batch's noise; their mean sits nearer its centre than any one of them.
`CheckpointAverage` keeps the weights at the end of each of the last epochs and
puts their mean in the model when training ends.
"""

import collections

import keras
import numpy as np
from keras import ops

from chapters.common.arguments import positive_int
from chapters.common.metrics import labels_and_mask, masked_mean


@keras.saving.register_keras_serializable(package="course")
class WarmupSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """The paper's learning rate, a function of the optimizer's step.

    Args:
        d_model: the model's width; the peak rate is
            `(d_model · warmup_steps)^-0.5`.
        warmup_steps: steps of linear warm-up (the paper: 4000).

    Called with the optimizer's `iterations`, which are 0 at the first step: the
    schedule uses `step = iterations + 1`, so that the first step gets the
    smallest warm-up rate and not `0^-0.5`.
    """

    def __init__(self, d_model, warmup_steps=4000):
        super().__init__()
        self.d_model = positive_int(d_model, "d_model")
        self.warmup_steps = positive_int(warmup_steps, "warmup_steps")

    def __call__(self, iterations):
        step = ops.cast(iterations, "float32") + 1.0
        warmup = ops.cast(self.warmup_steps, "float32")
        rising = step * warmup**-1.5
        falling = ops.rsqrt(step)
        return ops.rsqrt(ops.cast(self.d_model, "float32")) * ops.minimum(
            rising, falling
        )

    def get_config(self):
        return {"d_model": self.d_model, "warmup_steps": self.warmup_steps}


@keras.saving.register_keras_serializable(package="course")
class LabelSmoothedLoss(keras.losses.Loss):
    """Cross-entropy against smoothed targets, averaged over non-padding tokens.

    For each real target token `y` and logits `z` over `V` words:
    `loss = -Σ_v q_v log softmax(z)_v` with `q_v = (1 - ε) [v = y] + ε / V`.
    With `ε = 0` it is `masked_loss`.

    Args:
        smoothing: `ε` in [0, 1).
        name: the loss's name in Keras' logs.
    """

    def __init__(self, smoothing=0.1, name="label_smoothed_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        if isinstance(smoothing, bool) or not 0.0 <= float(smoothing) < 1.0:
            raise ValueError(
                f"smoothing must be in [0, 1). Received: smoothing={smoothing!r}"
            )
        self.smoothing = float(smoothing)

    def call(self, y_true, y_pred):
        y_true, mask = labels_and_mask(y_true, y_pred)
        # Zero logits at padding keep an overflow there out of the gradient.
        logits = ops.where(ops.expand_dims(mask, -1), ops.cast(y_pred, "float32"), 0.0)
        log_probabilities = ops.log_softmax(logits, axis=-1)  # (B, T, V)
        reference = -ops.take_along_axis(
            log_probabilities, ops.expand_dims(y_true, -1), axis=-1
        )[..., 0]  # -log p(y): (B, T)
        uniform = -ops.mean(log_probabilities, axis=-1)  # -(1/V) Σ_v log p(v)
        token_losses = (1.0 - self.smoothing) * reference + self.smoothing * uniform
        return masked_mean(token_losses, mask)

    def get_config(self):
        config = super().get_config()
        config.update(smoothing=self.smoothing)
        return config


def average_weights(snapshots):
    """The element-wise mean of several snapshots of the same weights.

    Args:
        snapshots: a non-empty sequence of lists of arrays, one list per
            checkpoint, every list with the same shapes in the same order.

    Returns:
        One list of float arrays: `mean over checkpoints` per weight.
    """
    snapshots = list(snapshots)
    if not snapshots:
        raise ValueError("average_weights needs at least one snapshot.")
    shapes = [[np.shape(weight) for weight in snapshot] for snapshot in snapshots]
    if any(other != shapes[0] for other in shapes[1:]):
        raise ValueError(
            "Every snapshot must hold the same weights in the same order. "
            f"Received shapes: {shapes}"
        )
    return [
        np.mean(np.stack(weights), axis=0) for weights in zip(*snapshots, strict=True)
    ]


class CheckpointAverage(keras.callbacks.Callback):
    """Ends training with the mean of the weights at the last `last` epoch ends.

    Args:
        last: how many epoch-end checkpoints to average; 1 leaves the model as
            training left it. A run shorter than `last` epochs averages all
            of its epochs.

    After training, `final_weights` holds the weights of the last epoch, so the
    averaged model can be compared with it (`model.set_weights`).
    Only trainable weights are averaged; counters such as the optimizer's and
    the dropout seeds are left as they are.
    """

    def __init__(self, last=5):
        super().__init__()
        self.last = positive_int(last, "last")
        self.snapshots = collections.deque(maxlen=self.last)
        self.final_weights = None

    def on_train_begin(self, logs=None):
        self.snapshots.clear()
        self.final_weights = None

    def on_epoch_end(self, epoch, logs=None):
        self.snapshots.append([ops.convert_to_numpy(w) for w in self._weights()])

    def on_train_end(self, logs=None):
        if not self.snapshots:
            return
        self.final_weights = self.model.get_weights()
        for variable, value in zip(
            self._weights(), average_weights(self.snapshots), strict=True
        ):
            variable.assign(value.astype(variable.dtype))

    def _weights(self):
        return self.model.trainable_weights
