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
"""

import keras
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
