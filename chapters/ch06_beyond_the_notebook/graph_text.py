"""Translations back to text inside the TensorFlow graph.

An exported translator takes strings and gives strings, with no Python around it
(see `export.py`). Chapters 1-5 already tokenize in the graph (`tf_encode`); what
they do in Python alone is the way back: ids -> tokens -> pieces glued into words
(`subwords.join_pieces`) -> words joined into a sentence (`tokenizers.detokenize`).
This module is the graph twin of those three steps, written with ragged tensors,
with no loop over tokens:

1. `tf_ids_to_tokens`: each id's token, a `tf.gather` from the vocabulary.
2. `tf_join_pieces`: a piece starting with `##` continues the word before it;
   every other piece starts a word. Numbering the words with a running sum of
   "starts a word" lets `tf.strings.unsorted_segment_join` glue each word's pieces.
3. `tf_detokenize`: the separator in front of every token is decided from the
   token and its left neighbour at once. English glues `.,!?;:%)]}` to the word
   before and `([{$` to the word after; a `"` opens and closes in turn, so whether
   it opens is the parity of the quotes up to it, a running sum again. Chinese
   puts a space only between two runs of Latin letters or digits.

The tests check that each step gives exactly what its Python twin gives, on the
corpus and on random token sequences.
"""

import tensorflow as tf

from chapters.ch05_transformer.subwords import JOINER, SubwordTokenizer
from chapters.common.tokenizers import (
    LANGUAGES,
    NO_SPACE_AFTER,
    NO_SPACE_BEFORE,
    RE2_LATIN_RUN,
    WordTokenizer,
)
from chapters.common.vocabulary import END_ID


def _positions(tokens):
    """Each token's position in its row, `(B, None)` int64, like `tokens`."""
    starts = tf.gather(tokens.row_starts(), tokens.value_rowids())  # (N,)
    return tokens.with_flat_values(
        tf.range(tf.shape(tokens.flat_values, out_type=tf.int64)[0]) - starts
    )


def _running_count(flags):
    """How many of `flags` are True up to each position of its row, inclusive."""
    flat = tf.cumsum(tf.cast(flags.flat_values, tf.int64))  # (N,)
    before_row = tf.gather(tf.concat([[0], flat], 0), flags.row_starts())  # (B,)
    return flags.with_flat_values(flat - tf.gather(before_row, flags.value_rowids()))


def _previous(flags):
    """Each position's left neighbour in its row; False at the first position."""
    flat = flags.flat_values
    shifted = tf.concat([[False], flat[:-1]], 0)  # (N,) one step right, across rows
    first = tf.equal(_positions(flags).flat_values, 0)
    return flags.with_flat_values(shifted & ~first)


def _is_one_of(tokens, choices):
    """True where a token is one of the strings in `choices`."""
    flat = tokens.flat_values[:, tf.newaxis] == tf.constant(sorted(choices))
    return tokens.with_flat_values(tf.reduce_any(flat, axis=1))


def _join_with(tokens, add_space):
    """Each row's tokens concatenated, a space in front of those `add_space` marks."""
    separators = tf.where(add_space.flat_values, " ", "")
    return tf.strings.reduce_join(
        tokens.with_flat_values(separators + tokens.flat_values), axis=1
    )


def tf_detokenize(tokens, language):
    """The graph twin of `tokenizers.detokenize`: `(B, None)` ragged tokens to
    `(B,)` sentences, the same strings the Python function writes.

    Args:
        tokens: a `tf.RaggedTensor` of strings, one row per sentence.
        language: `"zh"` or `"en"`, the language of the tokens.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}. Received: {language!r}")
    first = tf.equal(_positions(tokens), 0)
    if language == "zh":
        latin = tokens.with_flat_values(
            tf.strings.regex_full_match(tokens.flat_values, RE2_LATIN_RUN)
        )
        return _join_with(tokens, latin & _previous(latin))
    is_quote = tf.equal(tokens, '"')
    # After the k-th quote of a row, a quote is open when k is odd.
    open_after = tf.equal(_running_count(is_quote) % 2, 1)
    glue_before = tf.where(is_quote, ~open_after, _is_one_of(tokens, NO_SPACE_BEFORE))
    glue_after = tf.where(is_quote, open_after, _is_one_of(tokens, NO_SPACE_AFTER))
    return _join_with(tokens, ~(first | glue_before | _previous(glue_after)))


def tf_join_pieces(pieces):
    """The graph twin of `subwords.join_pieces`: `(B, None)` ragged WordPiece
    pieces to `(B, None)` ragged words. A `##` piece with no piece before it in
    its row stays a word of its own, `##` included."""
    continues = tf.strings.regex_full_match(pieces, f"{JOINER}.*") & ~tf.equal(
        _positions(pieces), 0
    )  # (B, None)
    flat_continues = continues.flat_values
    text = tf.where(
        flat_continues,
        tf.strings.regex_replace(pieces.flat_values, f"^{JOINER}", ""),
        pieces.flat_values,
    )
    word_ids = tf.cumsum(tf.cast(~flat_continues, tf.int64)) - 1  # (N,)
    words_per_row = tf.reduce_sum(tf.cast(~continues, tf.int64), axis=1)  # (B,)
    words = tf.strings.unsorted_segment_join(
        text, word_ids, num_segments=tf.reduce_sum(words_per_row)
    )
    return tf.RaggedTensor.from_row_lengths(words, words_per_row)


def tf_ids_to_tokens(tokenizer, ids):
    """`tokenizer.ids_to_tokens` in the graph: ragged ids to ragged tokens."""
    return tf.gather(tf.constant(tokenizer.vocabulary.tokens), ids)


def tf_decode_outputs(tokenizer, token_ids, lengths):
    """A search's output to text in the graph, as `Translator` writes it.

    `Translator` keeps the first `lengths[b]` tokens of row `b`, drops `[END]`,
    and detokenizes the rest (pieces glued into words first for a
    `SubwordTokenizer`); so does this.

    Args:
        tokenizer: the target `WordTokenizer` (or `SubwordTokenizer`).
        token_ids: `(B, L)` int32 tokens of a search.
        lengths: `(B,)` tokens generated per row, `[END]` included.

    Returns:
        `(B,)` strings.
    """
    if not isinstance(tokenizer, WordTokenizer):
        raise TypeError(
            "Only a WordTokenizer (or SubwordTokenizer) can be decoded in the graph. "
            f"Received: {type(tokenizer).__name__}"
        )
    ids = tf.RaggedTensor.from_tensor(token_ids, lengths=lengths)
    ids = tf.ragged.boolean_mask(ids, tf.not_equal(ids, END_ID))
    tokens = tf_ids_to_tokens(tokenizer, ids)
    if isinstance(tokenizer, SubwordTokenizer):
        tokens = tf_join_pieces(tokens)
    return tf_detokenize(tokens, tokenizer.language)
