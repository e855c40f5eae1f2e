"""The RNN encoder of a sequence-to-sequence model (Sutskever et al., 2014; Cho et al.,
2014).

The encoder reads the source sentence one token at a time and folds everything it has
read into its hidden state. Its final hidden state is the *context vector*: a single
fixed-size summary of the whole sentence, whose size is the number of hidden units
(twice that with a bidirectional encoder). The sequence of all hidden states is
returned as well; this chapter's decoder ignores it, the attention decoders of the
next chapters read it.
"""

import keras
from keras import ops

from chapters.common.arguments import positive_int
from chapters.common.masks import padding_mask

CELL_TYPES = ("gru", "lstm")


def check_cell_type(cell_type):
    """Returns `cell_type` lower-cased, or raises a `ValueError` naming the choices."""
    if not isinstance(cell_type, str) or cell_type.lower() not in CELL_TYPES:
        raise ValueError(
            f"cell_type must be one of {CELL_TYPES}. Received: cell_type={cell_type!r}"
        )
    return cell_type.lower()


def make_rnn(cell_type, units, **kwargs):
    """A Keras GRU or LSTM layer that returns its whole sequence and its final state."""
    layer_class = keras.layers.GRU if cell_type == "gru" else keras.layers.LSTM
    return layer_class(units, return_sequences=True, return_state=True, **kwargs)


@keras.saving.register_keras_serializable(package="course")
class Encoder(keras.layers.Layer):
    """Embeds source token ids and runs a recurrent layer over them.

    Steps:
    1. Token ids `(B, S)` become embeddings `(B, S, E)`.
    2. A padding mask (`True` where the id is not `[PAD]`) makes the RNN skip padded
       steps: the state is carried over unchanged, so a padded sentence gets exactly
       the final state it would get alone.
    3. The RNN returns its hidden state at every step and its final state; the final
       hidden state is the context vector.

    Args:
        vocabulary_size: number of source token ids.
        embedding_dim: width of the token embeddings, `E`.
        hidden_units: units of the RNN; the context vector has this size, doubled
            when `bidirectional=True`.
        cell_type: `"gru"` or `"lstm"`.
        bidirectional: also read the sentence right to left and concatenate both
            directions' states.
        **kwargs: passed on to `keras.layers.Layer`.

    Call arguments:
        source_ids: int tensor `(B, S)`, right-padded with `[PAD]` (id 0).
        training: Python bool, passed on to the sublayers.

    Returns:
        A dict with
        - `"outputs"`: `(B, S, C)` hidden state at every step, zeros at padding,
        - `"states"`: list of final states, each `(B, C)`: `[h]` for a GRU,
          `[h, cell]` for an LSTM (its output and its cell state),
        - `"context"`: `(B, C)` the final hidden state `h`, the context vector,
        - `"padding_mask"`: `(B, S)` bool, `True` at real tokens,

        where `C = hidden_units` (or `2 * hidden_units` when bidirectional).
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim,
        hidden_units,
        cell_type="gru",
        bidirectional=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = positive_int(vocabulary_size, "vocabulary_size")
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim")
        self.hidden_units = positive_int(hidden_units, "hidden_units")
        self.cell_type = check_cell_type(cell_type)
        self.bidirectional = bool(bidirectional)
        self.embedding = keras.layers.Embedding(
            self.vocabulary_size, self.embedding_dim, name="embedding"
        )
        # Zero outputs at padded steps keep the memory clean for attention later.
        rnn = make_rnn(
            self.cell_type, self.hidden_units, zero_output_for_mask=True, name="rnn"
        )
        if self.bidirectional:
            rnn = keras.layers.Bidirectional(rnn, merge_mode="concat", name="rnn")
        self.rnn = rnn

    @property
    def context_size(self):
        """Size `C` of the context vector and of every encoder output."""
        return self.hidden_units * (2 if self.bidirectional else 1)

    def build(self, source_shape):
        self.embedding.build(source_shape)
        self.rnn.build((*source_shape, self.embedding_dim))
        self.built = True

    def call(self, source_ids, training=None):
        # 1. Ids to vectors.
        embedded = self.embedding(source_ids)  # (B, S, E)
        # 2. Padded steps are skipped by the RNN.
        source_mask = padding_mask(source_ids)  # (B, S)
        # 3. All states and the final state(s).
        outputs, *states = self.rnn(embedded, mask=source_mask, training=training)
        if self.bidirectional:
            # Bidirectional returns forward states then backward states; pair them up
            # so that each final state is `(B, 2 * hidden_units)`.
            half = len(states) // 2
            states = [
                ops.concatenate([forward, backward], axis=-1)
                for forward, backward in zip(states[:half], states[half:], strict=True)
            ]
        return {
            "outputs": outputs,  # (B, S, C)
            "states": states,  # [(B, C)] or [(B, C), (B, C)]
            "context": states[0],  # (B, C)
            "padding_mask": source_mask,  # (B, S)
        }

    def compute_mask(self, source_ids, mask=None):
        # The padding mask travels inside the returned dict, where attention layers
        # of later chapters read it; Keras should not attach one to the outputs.
        return None

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary_size=self.vocabulary_size,
            embedding_dim=self.embedding_dim,
            hidden_units=self.hidden_units,
            cell_type=self.cell_type,
            bidirectional=self.bidirectional,
        )
        return config
