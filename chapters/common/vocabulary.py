"""Vocabularies: the table between tokens and integer ids, with four reserved ids.

Every sequence the course's models read or write uses the same four reserved ids,
whatever the tokenizer: `PAD_ID` 0 fills a batch up to its longest sentence,
`UNK_ID` 1 stands for a token the vocabulary lacks, and `START_ID` 2 and `END_ID` 3
open and close a target sentence for the decoder. `PAD_ID` is 0 so that Keras'
`Embedding(mask_zero=True)` masks padding.

A `Vocabulary` maps tokens to ids twice: in Python (`encode`, `decode`) for reading
and for single sentences, and in the TensorFlow graph (`lookup`) for `tf.data`
pipelines.
"""

import collections

import keras
import numpy as np
import tensorflow as tf

from chapters.common.arguments import positive_int

PAD, UNK, START, END = "[PAD]", "[UNK]", "[START]", "[END]"
RESERVED_TOKENS = (PAD, UNK, START, END)
PAD_ID, UNK_ID, START_ID, END_ID = 0, 1, 2, 3


def _check_strings(tokens, where: str) -> None:
    # Checked up front: a None among the tokens would otherwise surface as an
    # obscure "'<' not supported" from sorting, far from the mistake.
    for token in tokens:
        if not isinstance(token, str):
            raise TypeError(
                f"Every token {where} must be a string. Received: {token!r} "
                f"of type {type(token).__name__}"
            )


def _id_list(ids) -> list[int]:
    ids = np.asarray(ids)
    if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
        raise ValueError(
            f"ids must be a 1-D sequence of integer ids. Received shape "
            f"{ids.shape} and dtype {ids.dtype}"
        )
    return ids.tolist()


def strip_special_ids(ids) -> list[int]:
    """The ids before the first `END_ID`, without `PAD_ID` and `START_ID`.

    This is how a generated sequence becomes a sentence: everything after `[END]`
    is filler, and `[PAD]` and `[START]` are never words. `[UNK]` stays, so that a
    reader sees where a word was unknown.

    Args:
        ids: a 1-D sequence of integer ids (list, NumPy array or tensor).

    Returns:
        A list of Python ints.
    """
    kept = []
    for token_id in _id_list(ids):
        if token_id == END_ID:
            break
        if token_id not in (PAD_ID, START_ID):
            kept.append(token_id)
    return kept


@keras.saving.register_keras_serializable(package="seq2seq_course")
class Vocabulary:
    """Maps tokens to integer ids and back; ids 0-3 are the reserved tokens.

    Build one from tokenized training sentences with `Vocabulary.build`. Tokens
    that are not in the vocabulary map to `UNK_ID`.

    Args:
        tokens: every token, `RESERVED_TOKENS` first; a token's id is its index.
    """

    def __init__(self, tokens):
        tokens = list(tokens)
        _check_strings(tokens, "of a vocabulary")
        if tuple(tokens[: len(RESERVED_TOKENS)]) != RESERVED_TOKENS:
            raise ValueError(
                f"A vocabulary must start with {RESERVED_TOKENS}. "
                f"Received: {tokens[: len(RESERVED_TOKENS)]}"
            )
        duplicates = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if duplicates:
            raise ValueError(
                f"Tokens must be unique. Received duplicates: {duplicates}"
            )
        self.tokens = tokens
        self._ids = {token: index for index, token in enumerate(tokens)}
        self._table = None

    @classmethod
    def build(cls, tokenized_sentences, min_count=1, max_size=None) -> "Vocabulary":
        """Counts tokens; keeps those seen `min_count` times, most frequent first.

        Args:
            tokenized_sentences: an iterable of token lists, e.g.
                `[tokenize(s, "en") for s in sentences]`.
            min_count: the fewest occurrences a token needs to enter.
            max_size: the largest vocabulary, reserved tokens included, so at
                least `len(RESERVED_TOKENS)`; None for no limit.
        """
        min_count = positive_int(min_count, "min_count")
        if max_size is not None:
            max_size = positive_int(max_size, "max_size", minimum=len(RESERVED_TOKENS))
        counts = collections.Counter()
        for index, sentence in enumerate(tokenized_sentences):
            if isinstance(sentence, str):
                raise TypeError(
                    "Vocabulary.build expects a list of tokens per sentence, e.g. "
                    f"tokenize(text, language). Received a string: {sentence!r:.60}"
                )
            sentence = list(sentence)
            _check_strings(sentence, f"of sentence {index}")
            counts.update(sentence)
        for token in RESERVED_TOKENS:
            counts.pop(token, None)
        # Ties are broken alphabetically so that the same data gives the same ids.
        kept = sorted(
            (token for token, count in counts.items() if count >= min_count),
            key=lambda token: (-counts[token], token),
        )
        if max_size is not None:
            kept = kept[: max_size - len(RESERVED_TOKENS)]
        return cls(list(RESERVED_TOKENS) + kept)

    def __len__(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)})"

    def encode(self, tokens, add_start_end: bool = False) -> list[int]:
        """Token ids of `tokens`, optionally between `START_ID` and `END_ID`."""
        if isinstance(tokens, str):
            raise TypeError(
                "encode expects a list of tokens; call tokenize first. "
                f"Received a string: {tokens!r:.60}"
            )
        ids = [self._ids.get(token, UNK_ID) for token in tokens]
        return [START_ID, *ids, END_ID] if add_start_end else ids

    def decode(self, ids, strip_special: bool = True) -> list[str]:
        """Tokens of `ids`; with `strip_special`, see `strip_special_ids`.

        Raises:
            ValueError: an id (before the first `END_ID`, with `strip_special`)
                lies outside `[0, len(self))`.
        """
        ids = strip_special_ids(ids) if strip_special else _id_list(ids)
        for token_id in ids:
            if not 0 <= token_id < len(self):
                raise ValueError(
                    f"Token id out of range [0, {len(self)}). Received: {token_id}"
                )
        return [self.tokens[token_id] for token_id in ids]

    def lookup(self, token_tensor) -> tf.Tensor:
        """In-graph token -> id (int64), for `tf.data`; unknown tokens give `UNK_ID`.

        Works on dense and ragged string tensors, e.g. the output of `tf_tokenize`.
        """
        if not isinstance(token_tensor, tf.RaggedTensor):
            token_tensor = tf.convert_to_tensor(token_tensor, dtype=tf.string)
        return self.tf_table().lookup(token_tensor)

    def tf_table(self) -> tf.lookup.StaticHashTable:
        """The TensorFlow table behind `lookup`, created on first use and shared.

        A graph exported with `lookup` inside must track it (chapter 6).
        """
        if self._table is None:
            # init_scope creates the table eagerly even when the first call is
            # traced inside a tf.data map, so that every later call can share it.
            with tf.init_scope():
                initializer = tf.lookup.KeyValueTensorInitializer(
                    tf.constant(self.tokens), tf.range(len(self), dtype=tf.int64)
                )
                self._table = tf.lookup.StaticHashTable(initializer, UNK_ID)
        return self._table

    def get_config(self) -> dict:
        return {"tokens": list(self.tokens)}

    @classmethod
    def from_config(cls, config) -> "Vocabulary":
        return cls(**config)
