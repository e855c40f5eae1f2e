"""The Transformer (Vaswani et al., 2017, figure 1): an encoder stack and a
decoder stack of the blocks in `blocks.py`, with positional encodings in front
and a linear layer over the target vocabulary at the end.

    source ids -> PositionalEncoding -> Dropout -> N x EncoderBlock -> encoder outputs
    target ids -> PositionalEncoding -> Dropout -> N x DecoderBlock(encoder outputs)
               -> Dense(V) -> logits

With pre-norm blocks each stack ends with one more `LayerNormalization`: the
residual path of a pre-norm block is never normalized, so its sum must be before
it leaves the stack.

Training is teacher forcing, as for the RNN models: `call((source_ids,
decoder_input_ids))` gives the logits of every next token at once. Unlike the RNN
decoders, nothing here is a loop: every target position is computed in parallel,
the causal mask keeping each from reading the positions after it.
"""

import dataclasses

import keras
from keras import ops

from chapters.ch05_transformer.blocks import DecoderBlock, EncoderBlock
from chapters.ch05_transformer.positional import PositionalEncoding
from chapters.common.arguments import positive_int
from chapters.common.decoding import ATTENTION_WEIGHTS
from chapters.common.masks import padding_mask


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    """The sizes of a `Transformer`.

    Attributes:
        num_layers: encoder blocks, and as many decoder blocks (the paper: 6).
        d_model: width of every token's vector (the paper: 512).
        num_heads: attention heads per attention layer (the paper: 8).
        d_ff: hidden width of the feed-forward blocks (the paper: 2048).
        dropout: rate after every sublayer and after the positional encodings
            (the paper: 0.1).
        norm_first: pre-norm blocks instead of the paper's post-norm.
        max_length: the longest source or target the encodings cover.
    """

    num_layers: int = 3
    d_model: int = 256
    num_heads: int = 8
    d_ff: int = 1024
    dropout: float = 0.1
    norm_first: bool = False
    max_length: int = 128


# Sizes per course scale. `ci` only has to run. `cpu`: the paper's sizes halved
# (3 + 3 blocks, d_model 256), with the paper's dropout of 0.1; on Tatoeba, 0.3
# learned too slowly for our 15-epoch budget (validation loss 4.46 after three
# epochs against 3.90; see the README's chapter 5 results). `gpu` is a starting point,
# not tuned.
PRESETS = {
    "ci": TransformerConfig(num_layers=1, d_model=32, num_heads=2, d_ff=64),
    "cpu": TransformerConfig(num_layers=3, d_model=256, num_heads=8, d_ff=1024),
    "gpu": TransformerConfig(num_layers=6, d_model=512, num_heads=8, d_ff=2048),
}


@keras.saving.register_keras_serializable(package="course")
class Transformer(keras.Model):
    """An encoder-decoder Transformer for translation.

    Args:
        source_vocabulary_size: number of source token ids.
        target_vocabulary_size: number of target token ids, `V`.
        num_layers, d_model, num_heads, d_ff, dropout, norm_first, max_length:
            see `TransformerConfig`; `Transformer(s, t, **asdict(config))`.
        **kwargs: passed on to `keras.Model`.

    Call arguments:
        inputs: `(source_ids, decoder_input_ids)`, int tensors `(B, S)` and
            `(B, T)` right-padded with 0; the decoder inputs start with
            `[START]` (teacher forcing).
        training: Python bool, for dropout.

    Returns:
        Logits `(B, T, V)` for the next target token at every position.
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        num_layers=3,
        d_model=256,
        num_heads=8,
        d_ff=1024,
        dropout=0.1,
        norm_first=False,
        max_length=128,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.sizes = TransformerConfig(
            num_layers=positive_int(num_layers, "num_layers"),
            d_model=positive_int(d_model, "d_model"),
            num_heads=positive_int(num_heads, "num_heads"),
            d_ff=positive_int(d_ff, "d_ff"),
            dropout=float(dropout),
            norm_first=bool(norm_first),
            max_length=positive_int(max_length, "max_length"),
        )
        self.source_vocabulary_size = positive_int(
            source_vocabulary_size, "source_vocabulary_size"
        )
        self.target_vocabulary_size = positive_int(
            target_vocabulary_size, "target_vocabulary_size"
        )
        config = self.sizes
        # Every sublayer computes in the model's dtype policy (e.g.
        # `dtype="mixed_bfloat16"`, chapter 6); Keras does not pass it on itself.
        block_sizes = {
            "d_model": config.d_model,
            "num_heads": config.num_heads,
            "d_ff": config.d_ff,
            "dropout": config.dropout,
            "norm_first": config.norm_first,
        }
        self.source_embedding = PositionalEncoding(
            self.source_vocabulary_size,
            config.d_model,
            config.max_length,
            dtype=self.dtype_policy,
            name="source_embedding",
        )
        self.target_embedding = PositionalEncoding(
            self.target_vocabulary_size,
            config.d_model,
            config.max_length,
            dtype=self.dtype_policy,
            name="target_embedding",
        )
        self.embedding_dropout = keras.layers.Dropout(
            config.dropout, dtype=self.dtype_policy
        )
        self.encoder_blocks = [
            EncoderBlock(
                **block_sizes, dtype=self.dtype_policy, name=f"encoder_block_{index}"
            )
            for index in range(config.num_layers)
        ]
        self.decoder_blocks = [
            DecoderBlock(
                **block_sizes, dtype=self.dtype_policy, name=f"decoder_block_{index}"
            )
            for index in range(config.num_layers)
        ]
        # Pre-norm stacks end with a norm of their own (see the module docstring).
        self.encoder_norm = self.decoder_norm = None
        if config.norm_first:
            self.encoder_norm = keras.layers.LayerNormalization(
                epsilon=1e-6, dtype=self.dtype_policy, name="encoder_norm"
            )
            self.decoder_norm = keras.layers.LayerNormalization(
                epsilon=1e-6, dtype=self.dtype_policy, name="decoder_norm"
            )
        self.output_projection = keras.layers.Dense(
            self.target_vocabulary_size, dtype=self.dtype_policy, name="logits"
        )

    @property
    def max_positions(self):
        """The longest source or target the positional table covers; `Translator`
        refuses to read or write longer sequences."""
        return self.sizes.max_length

    def build(self, input_shape):
        source_shape, target_shape = (tuple(shape) for shape in input_shape)
        width = self.sizes.d_model
        encoded_shape = (*source_shape, width)  # (B, S, d_model)
        decoded_shape = (*target_shape, width)  # (B, T, d_model)
        self.source_embedding.build(source_shape)
        self.target_embedding.build(target_shape)
        for block in self.encoder_blocks:
            block.build(encoded_shape)
        for block in self.decoder_blocks:
            block.build(decoded_shape, encoded_shape)
        if self.sizes.norm_first:
            self.encoder_norm.build(encoded_shape)
            self.decoder_norm.build(decoded_shape)
        self.output_projection.build(decoded_shape)
        self.built = True

    def encode_source(self, source_ids, training=None):
        """The encoder stack: `(B, S)` ids -> `(B, S, d_model)` outputs and the
        source padding mask `(B, S)`."""
        source_mask = padding_mask(source_ids)
        x = self.embedding_dropout(self.source_embedding(source_ids), training=training)
        for block in self.encoder_blocks:
            x = block(x, padding_mask=source_mask, training=training)
        if self.encoder_norm is not None:
            x = self.encoder_norm(x)
        return x, source_mask

    def decode_target(
        self, decoder_input_ids, encoder_outputs, source_mask, training=None
    ):
        """The decoder stack and the output layer: `(B, T)` ids -> logits
        `(B, T, V)`, position `t` reading target positions `<= t` only."""
        target_mask = padding_mask(decoder_input_ids)
        y = self.embedding_dropout(
            self.target_embedding(decoder_input_ids), training=training
        )
        for block in self.decoder_blocks:
            y = block(y, encoder_outputs, target_mask, source_mask, training=training)
        if self.decoder_norm is not None:
            y = self.decoder_norm(y)
        return self.output_projection(y)

    def call(self, inputs, training=None):
        source_ids, decoder_input_ids = inputs
        encoder_outputs, source_mask = self.encode_source(source_ids, training)
        return self.decode_target(
            decoder_input_ids, encoder_outputs, source_mask, training
        )

    def attention_maps(self, source_ids, decoder_input_ids):
        """Every attention weight of a teacher-forced pass, per block and head.

        Args:
            source_ids, decoder_input_ids: as for `call`.

        Returns:
            A dict of lists with one array per block, first block first:
            `"encoder_self"` `(B, h, S, S)`, `"decoder_self"` `(B, h, T, T)` and
            `"cross"` `(B, h, T, S)`; row = query position, column = key.
        """
        if not self.built:  # called directly, it bypasses Keras' build-on-call
            self.build(((None, None), (None, None)))
        maps = {"encoder_self": [], "decoder_self": [], "cross": []}
        source_mask = padding_mask(source_ids)
        x = self.source_embedding(source_ids)
        for block in self.encoder_blocks:
            x, weights = block(x, source_mask, return_attention_scores=True)
            maps["encoder_self"].append(weights)
        if self.encoder_norm is not None:
            x = self.encoder_norm(x)
        target_mask = padding_mask(decoder_input_ids)
        y = self.target_embedding(decoder_input_ids)
        for block in self.decoder_blocks:
            y, weights = block(
                y, x, target_mask, source_mask, return_attention_scores=True
            )
            maps["decoder_self"].append(weights["self"])
            maps["cross"].append(weights["cross"])
        return maps

    def attention_weights(self, inputs):
        """The weights on the source of every teacher-forced step, `(B, T, S)`:
        the last decoder block's cross-attention averaged over its heads, what
        `decode_step` reports while translating (and what chapter 3's
        `alignment_quality.teacher_forced_attention` scores)."""
        source_ids, decoder_input_ids = inputs
        cross = self.attention_maps(source_ids, decoder_input_ids)["cross"][-1]
        return ops.mean(cross, axis=1)

    def encode(self, source_ids):
        """Protocol method (see `chapters/common/README.md`): reads the source
        once and sets up an empty cache.

        Returns:
            `(memory, state)`. `memory`: `"encoder_outputs"` `(B, S, d_model)`
            and `"padding_mask"` `(B, S)`. `state`: `"positions"` `(B,)`, the
            next token's position (0); for each decoder block `i`, `"keys_i"` and
            `"values_i"` `(B, max_length, d_model)`, preallocated zeros that
            `decode_step` fills one position at a time; `"attention_weights"`
            `(B, S)`, zeros.
        """
        if not self.built:  # the protocol's calls bypass Keras' build-on-call
            self.build(((None, None), (None, None)))
        encoder_outputs, source_mask = self.encode_source(source_ids, training=False)
        batch = ops.shape(source_ids)[0]
        empty = ops.zeros(
            (batch, self.sizes.max_length, self.sizes.d_model), encoder_outputs.dtype
        )
        state = {"positions": ops.zeros((batch,), "int32")}
        for index in range(self.sizes.num_layers):
            state[f"keys_{index}"] = empty
            state[f"values_{index}"] = empty
        state[ATTENTION_WEIGHTS] = ops.zeros(
            ops.shape(source_mask), encoder_outputs.dtype
        )
        memory = {"encoder_outputs": encoder_outputs, "padding_mask": source_mask}
        return memory, state

    def decode_step(self, token_ids, state, memory):
        """Protocol method: one token per sentence, with the key/value cache.

        Each decoder block computes the keys and values of the new position
        only, writes them into its cache at `"positions"`, and attends over the
        positions written so far: a step costs one position's work, not the
        whole prefix's. The logits are those `call` gives at that position.

        Returns:
            `(logits (B, V), state)`; the new state's `"attention_weights"`
            `(B, S)` are the last decoder block's cross-attention weights of this
            step, averaged over its heads.
        """
        positions = state["positions"]
        y = self.target_embedding.at(token_ids, positions)  # (B, 1, d_model)
        new_state = {"positions": positions + 1}
        for index, block in enumerate(self.decoder_blocks):
            cache = {"keys": state[f"keys_{index}"], "values": state[f"values_{index}"]}
            y, cache, weights = block.step(
                y,
                cache,
                positions,
                memory["encoder_outputs"],
                memory["padding_mask"],
            )
            new_state[f"keys_{index}"] = cache["keys"]
            new_state[f"values_{index}"] = cache["values"]
        if self.decoder_norm is not None:
            y = self.decoder_norm(y)
        new_state[ATTENTION_WEIGHTS] = ops.mean(weights[:, :, 0, :], axis=1)  # (B, S)
        return self.output_projection(y)[:, 0, :], new_state

    def get_config(self):
        config = super().get_config()
        config.update(
            source_vocabulary_size=self.source_vocabulary_size,
            target_vocabulary_size=self.target_vocabulary_size,
            **dataclasses.asdict(self.sizes),
        )
        return config


class WithoutCache:
    """A `Transformer` decoded the slow way, to measure what the cache saves.

    It speaks the same protocol, but its state keeps only the tokens written so
    far, in a buffer of `buffer_length` slots: every `decode_step` runs the whole
    decoder stack over the buffer again (the unwritten slots are padding, and the
    causal mask hides them) and keeps the logits of the new position. The tokens
    it picks are the cached model's; each step costs `buffer_length` positions'
    work instead of one.

    Args:
        model: a `Transformer`.
        buffer_length: the most tokens a search will ask for (its
            `max_length`), at most the model's `max_length`.
    """

    def __init__(self, model, buffer_length):
        self.model = model
        self.buffer_length = positive_int(buffer_length, "buffer_length")
        if self.buffer_length > model.sizes.max_length:
            raise ValueError(
                f"buffer_length must be at most the model's max_length="
                f"{model.sizes.max_length}. Received: buffer_length={buffer_length}"
            )

    def encode(self, source_ids):
        if not self.model.built:
            self.model.build(((None, None), (None, None)))
        encoder_outputs, source_mask = self.model.encode_source(source_ids, False)
        batch = ops.shape(source_ids)[0]
        state = {
            "positions": ops.zeros((batch,), "int32"),
            "tokens": ops.zeros((batch, self.buffer_length), "int32"),
        }
        memory = {"encoder_outputs": encoder_outputs, "padding_mask": source_mask}
        return memory, state

    def decode_step(self, token_ids, state, memory):
        positions = state["positions"]
        slots = ops.arange(self.buffer_length)[None, :]  # (1, L)
        here = ops.equal(slots, positions[:, None])  # (B, L)
        tokens = ops.where(here, ops.cast(token_ids, "int32")[:, None], state["tokens"])
        logits = self.model.decode_target(
            tokens, memory["encoder_outputs"], memory["padding_mask"], False
        )  # (B, L, V): every position again
        new_logits = ops.sum(
            ops.where(here[:, :, None], logits, ops.zeros_like(logits)), axis=1
        )  # (B, V): the new position's
        return new_logits, {"positions": positions + 1, "tokens": tokens}
