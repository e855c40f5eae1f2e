"""Training on many devices: data parallelism with `tf.distribute.MirroredStrategy`.

**Data parallelism.** Every device (a *replica*) holds a copy of the same weights.
Each training step, the global batch is cut into one slice per replica; each
replica runs the forward and backward pass on its slice alone, the replicas'
gradients are *all-reduced* (summed, and the sum handed back to every replica),
and every copy applies the same update, so the copies stay identical. Nothing
about the model changes: only where its arithmetic runs.

**The loss, done right.** Our loss is a mean over the real (non-padding) target
tokens. With `N` real tokens in the global batch, `n_r` of them on replica `r`
and `S_r` the sum of replica `r`'s token losses, the single-device loss is

    L = (S_1 + ... + S_R) / N,  so that  ∇L = Σ_r ∇(S_r / N).

Each replica must therefore return `S_r / N`, its token-loss *sum* over the
*global* token count, and the summed gradients are exactly the single-device
gradient. Each replica's own mean `S_r / n_r`, averaged over the replicas, is a
different number whenever the slices hold different numbers of real tokens,
which bucketed sentences of different lengths always do: it weighs a token of a
short-sentence slice more than a token of a long one. (`tf.nn.compute_average_loss`
is the same idea for per-example losses: it divides by the *global* batch size.)
`make_distributed_train_step` finds `N` with the replica context's `all_reduce`.

**What `model.fit` does under `strategy.scope()`** (read in Keras 3.13's sources):

- `keras/src/backend/tensorflow/trainer.py`: `train_step` runs on every replica
  through `strategy.run`; it computes the compiled loss on the replica's slice
  and hands its gradients to the optimizer, dividing by nothing itself.
- `keras/src/losses/loss.py`: `reduce_values` turns a loss's per-token values
  into the replica's mean, then `scale_loss_for_distribution` multiplies it by
  `1 / num_replicas`; but a loss whose `call` already returns a scalar, as
  `masked_loss` and chapter 5's `LabelSmoothedLoss` do, is returned unscaled.
- `keras/src/backend/tensorflow/optimizer.py`: `apply_gradients` in a replica
  context all-reduces the gradients with `SUM` (`_all_reduce_sum_gradients`)
  before updating the mirrored weights. `keras/src/optimizers/base_optimizer.py`
  clips them (`clipnorm`) *before* that sum: each replica clips its own part.
- `keras/src/trainers/trainer.py`: `jit_compile="auto"` turns XLA off under
  `tf.distribute`.

So with our scalar losses, `fit` on `R` replicas steps along `R ×` the
gradient of the mean of the per-replica means (measured by the tests), and logs
`R ×` that mean as its loss (`unscale_loss_for_distribution` undoes a division
that never happened). With a per-token Keras loss
(`SparseCategoricalCrossentropy(ignore_class=0)`) `reduce_values` does divide,
and the step follows the mean of the means. Neither is the global token mean
unless every slice holds as many real tokens. Adam hardly sees the constant
factor (its steps do not depend on the gradient's scale) but does see the
reweighting; plain SGD sees both.

**Keras' own distribution API** (`keras.distribution`) runs on the JAX backend
only (`keras/src/distribution/distribution_lib.py`: "Currently only the JAX
backend is supported"). There one writes the single-device program and the
compiler splits it (SPMD): the batch is one array sharded across the devices,
so the loss is the global token mean with no scaling to get wrong; one `fit`
step on two devices is the single-device step (the tests measure it). See
`keras_data_parallel`.
"""

import dataclasses
import itertools
import time

import keras
import tensorflow as tf

from chapters.ch05_transformer.experiments import DEFAULT_CHOICES, build_transformer
from chapters.common.arguments import positive_int
from chapters.common.masks import padding_mask
from chapters.common.metrics import labels_and_mask
from chapters.common.training import BUCKET_BOUNDARIES

# How each replica's loss is divided: by the global number of real target tokens
# (right), or by its own tokens and the number of replicas (the mean of the
# per-replica means: kept to show, and to test, what goes wrong).
LOSS_SCALINGS = ("global_tokens", "replica_means")


def use_logical_cpu_devices(count=2):
    """Splits the CPU into `count` logical devices, to practise on one machine.

    TensorFlow fixes its devices the first time it runs anything, so call this
    first, before any tensor is made. Calling it again with the same `count`
    changes nothing.

    Returns:
        The names of the logical CPU devices, for
        `tf.distribute.MirroredStrategy(devices=...)`.

    Raises:
        RuntimeError: TensorFlow already set its devices up, with another count.
    """
    count = positive_int(count, "count")
    cpu = tf.config.list_physical_devices("CPU")[0]
    configured = tf.config.get_logical_device_configuration(cpu)
    if configured is None or len(configured) != count:
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration()] * count
            )
        except RuntimeError as error:
            # Already initialized: fine only if it already has `count` devices.
            if len(tf.config.list_logical_devices("CPU")) != count:
                raise RuntimeError(
                    f"use_logical_cpu_devices({count}) came too late: TensorFlow "
                    "has already set up its devices "
                    f"({len(tf.config.list_logical_devices('CPU'))} logical CPU). "
                    "Restart the kernel (or the Python process) and call it first, "
                    "before anything else runs TensorFlow."
                ) from error
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def token_loss_sum(loss, targets, logits):
    """The sum of the token losses of a batch and its number of real tokens.

    `loss` is any token-mean loss of the course (`metrics.masked_loss`, chapter
    5's `LabelSmoothedLoss`): a mean over the real tokens times their number is
    their sum, so its math is reused as it is. A Keras `Loss` is applied through
    its `call`, the bare formula: its `__call__` may divide by the number of
    replicas (see the module docstring), which the caller does itself here.

    Returns:
        `(token_loss_sum, real_tokens)`, two float32 scalars.
    """
    formula = loss.call if isinstance(loss, keras.losses.Loss) else loss
    token_mean = formula(targets, logits)
    if token_mean.shape.rank != 0:
        raise ValueError(
            "loss must return the mean over the real tokens, a scalar, as "
            f"masked_loss does. Received: {loss!r} returning shape {token_mean.shape}"
        )
    _, mask = labels_and_mask(targets, logits)
    real_tokens = tf.reduce_sum(tf.cast(mask, tf.float32))
    return token_mean * real_tokens, real_tokens


def make_distributed_train_step(
    strategy, model, loss_scaling="global_tokens", jit_compile=False
):
    """A training step for `strategy`'s replicas: `step(distributed_batch) -> loss`.

    Steps, on every replica at once (`strategy.run`):
    (1) count the slice's real target tokens, and sum the counts of all the
    replicas (`all_reduce`); (2) forward and backward pass on the slice, with
    the loss `S_r / N` (see the module docstring); (3) `optimizer.apply_gradients`,
    which sums the replicas' gradients and updates every copy of the weights.
    The step returns the global token-mean loss (`strategy.reduce`).

    Args:
        strategy: a `tf.distribute.Strategy`; the model was built in its scope.
        model: a compiled model; its `loss` and `optimizer` are used.
        loss_scaling: `"global_tokens"`, or `"replica_means"` (the mean of the
            replicas' own token means, which is wrong: to compare).
        jit_compile: compile each replica's forward and backward pass with XLA.
            The sums across replicas stay outside it, as in `fit`.

    Returns:
        A `tf.function` taking one element of `distributed_batches`.
    """
    if loss_scaling not in LOSS_SCALINGS:
        raise ValueError(
            f"loss_scaling must be one of {LOSS_SCALINGS}. "
            f"Received: loss_scaling={loss_scaling!r}"
        )
    if not getattr(model, "compiled", False) or model.loss is None:
        raise ValueError(
            "make_distributed_train_step needs a compiled model, with a loss. "
            f"Received: {type(model).__name__} {model.name!r}"
        )
    weights = model.trainable_variables
    if not all(strategy.extended.variable_created_in_scope(w.value) for w in weights):
        raise ValueError(
            "The model's weights were not created in this strategy's scope: build "
            "and compile it inside `with strategy.scope():`."
        )
    # Its slot variables (Adam's moments) are mirrored too: made in the scope,
    # before the step, since replicas may not create variables.
    if not model.optimizer.built:
        with strategy.scope():
            model.optimizer.build(weights)
    replicas = strategy.num_replicas_in_sync

    def gradients_and_loss(inputs, targets, divisor):
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True)
            loss_sum, _ = token_loss_sum(model.loss, targets, logits)
            replica_loss = loss_sum / divisor
        return tape.gradient(replica_loss, weights), replica_loss

    if jit_compile:
        gradients_and_loss = tf.function(gradients_and_loss, jit_compile=True)

    def replica_step(inputs, targets):
        real_tokens = tf.reduce_sum(tf.cast(padding_mask(targets), tf.float32))
        if loss_scaling == "global_tokens":
            context = tf.distribute.get_replica_context()
            divisor = context.all_reduce(tf.distribute.ReduceOp.SUM, real_tokens)
        else:
            divisor = real_tokens * replicas
        # A replica whose slice is empty (a last batch smaller than the number
        # of replicas) adds a zero sum; it must not divide by zero.
        gradients, replica_loss = gradients_and_loss(
            inputs, targets, tf.maximum(divisor, 1.0)
        )
        model.optimizer.apply_gradients(zip(gradients, weights, strict=True))
        return replica_loss

    @tf.function(reduce_retracing=True)
    def train_step(distributed_batch):
        inputs, targets = distributed_batch
        per_replica_losses = strategy.run(replica_step, args=(inputs, targets))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica_losses, None)

    return train_step


def distributed_batches(
    strategy,
    data,
    global_batch_size,
    split="train",
    shuffle=True,
    bucket_boundaries=BUCKET_BOUNDARIES,
):
    """A split's length-bucketed batches, each cut into one slice per replica.

    `data.dataset` pads each batch of `global_batch_size` sentences to its own
    longest sentence; `strategy.experimental_distribute_dataset` then splits it
    along the batch axis, `global_batch_size / replicas` sentences per replica,
    all of the same padded length. A batch that does not divide evenly (a
    bucket's last one) is split as evenly as it can be, the first replicas taking
    one more; a batch smaller than the number of replicas leaves some replicas
    an empty slice, whose loss sum of zero changes nothing.

    Returns:
        A `tf.distribute.DistributedDataset` of
        `((source_ids, decoder_input_ids), target_ids)` per replica.
    """
    global_batch_size = positive_int(global_batch_size, "global_batch_size")
    dataset = data.dataset(
        split, global_batch_size, shuffle=shuffle, bucket_boundaries=bucket_boundaries
    )
    return strategy.experimental_distribute_dataset(dataset)


def replica_batch_sizes(strategy, distributed_tensor):
    """How many sentences each replica got of one distributed tensor."""
    return [
        int(part.shape[0])
        for part in strategy.experimental_local_results(distributed_tensor)
    ]


@dataclasses.dataclass
class DistributedRun:
    """What `train_on_strategy` did.

    Attributes:
        replicas: the strategy's replicas.
        global_batch_size: sentences per step, across all replicas.
        losses: the global token-mean loss of every step.
        step_seconds: the wall time of every step; the first ones include
            tracing (and XLA compiling), once per new batch shape.
        model: the trained model (its weights are mirrored on the replicas).
    """

    replicas: int
    global_batch_size: int
    losses: list
    step_seconds: list
    model: keras.Model


def train_on_strategy(
    strategy,
    data,
    config,
    global_batch_size,
    steps=None,
    epochs=1,
    choices=DEFAULT_CHOICES,
    learning_rate=None,
    jit_compile=False,
):
    """Trains chapter 5's Transformer on `strategy`'s replicas, step by step.

    The model and its optimizer are made in `strategy.scope()`, so that every
    weight is a mirrored variable with one copy per replica.

    Args:
        strategy: e.g. `tf.distribute.MirroredStrategy(use_logical_cpu_devices(2))`.
        data: a `TranslationData`.
        config: a `TransformerConfig` (e.g. `PRESETS["ci"]`).
        global_batch_size: sentences per step, all replicas together.
        steps: stop after this many steps; None: after `epochs` passes.
        epochs: passes over the training split.
        choices, learning_rate: as for `experiments.build_transformer`.
        jit_compile: compile each replica's step with XLA.

    Returns:
        A `DistributedRun`.
    """
    epochs = positive_int(epochs, "epochs")
    if steps is not None:
        steps = positive_int(steps, "steps")
    with strategy.scope():
        model = build_transformer(data, config, choices, learning_rate)
    train_step = make_distributed_train_step(strategy, model, jit_compile=jit_compile)
    batches = distributed_batches(strategy, data, global_batch_size)
    every_epoch = itertools.chain.from_iterable(batches for _ in range(epochs))
    losses, step_seconds = [], []
    for batch in itertools.islice(every_epoch, steps):
        started = time.perf_counter()
        # float() waits for the step to finish, so the time is the step's.
        losses.append(float(train_step(batch)))
        step_seconds.append(time.perf_counter() - started)
    return DistributedRun(
        strategy.num_replicas_in_sync, global_batch_size, losses, step_seconds, model
    )


def fit_on_strategy(
    strategy, data, config, global_batch_size, epochs=1, choices=DEFAULT_CHOICES
):
    """The plain Keras way: build in `strategy.scope()`, then `model.fit`.

    `fit` distributes the batches itself, but its loss is not the global token
    mean on more than one replica (see the module docstring). With Adam, its
    factor `R` hardly matters, and bucketing gives the slices of a batch
    similar lengths, so it mostly trains well; `train_on_strategy` is exact.

    Returns:
        `(model, history)`: the trained model and `fit`'s `History.history`.
    """
    with strategy.scope():
        model = build_transformer(data, config, choices)
    # Undistributed batches: `fit` hands them to `experimental_distribute_dataset`.
    batches = data.dataset(
        "train", global_batch_size, shuffle=True, bucket_boundaries=BUCKET_BOUNDARIES
    )
    history = model.fit(batches, epochs=positive_int(epochs, "epochs"), verbose=0)
    return model, history.history


def keras_data_parallel():
    """Keras 3's data parallelism on every device: `keras.distribution.DataParallel`.

    JAX backend only (`KERAS_BACKEND=jax`; on CPU,
    `XLA_FLAGS=--xla_force_host_platform_device_count=2` makes two devices).
    After this call, models built and `fit` shard each batch across the devices
    and replicate the weights. Each batch must split evenly: a batch size the
    number of devices does not divide (a bucket's last batch) is refused.

    Returns:
        The `DataParallel` distribution now in force.
    """
    if keras.backend.backend() != "jax":
        raise RuntimeError(
            "keras.distribution runs on the JAX backend only: set KERAS_BACKEND=jax "
            "before importing Keras. Received: backend "
            f"{keras.backend.backend()!r}; with TensorFlow, use tf.distribute."
        )
    distribution = keras.distribution.DataParallel(
        devices=keras.distribution.list_devices()
    )
    keras.distribution.set_distribution(distribution)
    return distribution
