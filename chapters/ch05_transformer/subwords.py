"""Subwords for English: a WordPiece vocabulary learned from the training split.

A word-level vocabulary has two faults on a small corpus. Every rare word
("unbelievably", a name seen once) either gets an id of its own, learned from one
or two examples, or, below `min_count`, becomes `[UNK]`, which the model then
writes in its translations. WordPiece (Schuster and Nakajima, 2012; Wu et al.,
2016) keeps whole words for the frequent ones and splits the rest into pieces it
has seen often: `unbelievably` -> `un ##believ ##ably`, where `##` marks a piece
that continues the word before it. Every single character is a piece too, so
almost no word is unknown, and the vocabulary is as large as we choose.

Splitting a word is greedy, longest match first: take the longest piece of the
vocabulary the word starts with, then the longest `##` piece the rest starts
with, and so on; if some rest starts with no piece at all, the whole word is
`[UNK]`. `wordpiece` does this in Python and tensorflow-text's
`WordpieceTokenizer` in the graph; the tests check they agree on the corpus.

Which pieces enter the vocabulary is tensorflow-text's learner's choice
(`wordpiece_tokenizer_learner_lib.learn`, the algorithm behind
`bert_vocab_from_dataset`). We feed it the words of our own English tokenizer,
so pieces never cross the word boundaries BLEU counts.

Chinese stays in characters: a character already is a unit of a few thousand,
and most Chinese words are one or two of them.
"""

import collections

import keras
import tensorflow as tf

from chapters.common.arguments import positive_int
from chapters.common.tokenizers import (
    WordTokenizer,
    detokenize,
    tf_tokenize,
    tokenize,
)
from chapters.common.vocabulary import RESERVED_TOKENS, UNK, Vocabulary

JOINER = "##"
# Words longer than this many UTF-8 bytes are `[UNK]` whole, as in tensorflow-text.
MAX_BYTES_PER_WORD = 100


def wordpiece(word, pieces, max_bytes_per_word=MAX_BYTES_PER_WORD):
    """Splits one word into pieces of `pieces`, greedily, longest match first.

    Args:
        word: a word, e.g. `"unbelievably"`.
        pieces: a set (or other container) of vocabulary pieces; pieces after the
            first carry the `JOINER` prefix, e.g. `{"un", "##believ", "##ably"}`.
        max_bytes_per_word: a longer word is `[UNK]` without being split.

    Returns:
        The pieces, e.g. `["un", "##believ", "##ably"]`, or `["[UNK]"]` when some
        rest of the word starts with no piece.
    """
    if len(word.encode("utf-8")) > max_bytes_per_word:
        return [UNK]
    found, start = [], 0
    while start < len(word):
        prefix = JOINER if start else ""
        for end in range(len(word), start, -1):
            if prefix + word[start:end] in pieces:
                found.append(prefix + word[start:end])
                start = end
                break
        else:
            return [UNK]
    return found


def join_pieces(pieces):
    """Pieces back to words: `["un", "##believ", "##ably", "!"]` ->
    `["unbelievably", "!"]`. A `##` piece with no word before it stays a word."""
    words = []
    for piece in pieces:
        if piece.startswith(JOINER) and words:
            words[-1] += piece[len(JOINER) :]
        else:
            words.append(piece)
    return words


def learn_pieces(sentences, language, vocabulary_size, lowercase=True):
    """WordPiece vocabulary of about `vocabulary_size` pieces for `sentences`.

    Words are counted with the course's tokenizer, then tensorflow-text's learner
    picks the pieces. The result starts with `RESERVED_TOKENS`; it can be a little
    shorter or longer than asked, as the learner only approximates the size.
    """
    from tensorflow_text.tools.wordpiece_vocab import (
        wordpiece_tokenizer_learner_lib as learner,
    )

    counts = collections.Counter()
    for sentence in sentences:
        counts.update(tokenize(sentence, language, lowercase))
    learned = learner.learn(
        sorted(counts.items()),
        vocab_size=vocabulary_size,
        reserved_tokens=list(RESERVED_TOKENS),
        lower_thresh=1,
    )
    return list(dict.fromkeys(learned))  # unique, order kept


@keras.saving.register_keras_serializable(package="seq2seq_course")
class SubwordTokenizer(WordTokenizer):
    """Words split into WordPiece pieces, with a `Vocabulary` of the pieces.

    A `WordTokenizer` whose tokens are pieces of words: it splits text into
    words as `tokenize` does, then every word with `wordpiece`. Build one from
    training sentences with `SubwordTokenizer.build`. `detokenize` glues the
    pieces back into words (`"##ing"` continues the word before it) and then
    into text, exactly as `WordTokenizer` would write those words.

    Args:
        vocabulary: a `Vocabulary` of pieces.
        language: `"zh"` or `"en"`.
        lowercase: lowercase English first, as when the pieces were learned.
    """

    def __init__(self, vocabulary: Vocabulary, language: str, lowercase: bool = True):
        super().__init__(vocabulary, language, lowercase)
        self._pieces = frozenset(vocabulary.tokens)
        self._tf_tokenizer = None

    @classmethod
    def build(cls, sentences, language, vocabulary_size=4000, lowercase=True):
        """Learns a WordPiece vocabulary of about `vocabulary_size` pieces."""
        if isinstance(sentences, str):
            raise TypeError(
                "sentences must be a list of sentences, not one string. "
                f"Received: {sentences!r:.60}"
            )
        vocabulary_size = positive_int(
            vocabulary_size, "vocabulary_size", minimum=len(RESERVED_TOKENS) + 1
        )
        pieces = learn_pieces(sentences, language, vocabulary_size, lowercase)
        return cls(Vocabulary(pieces), language, lowercase)

    def __repr__(self) -> str:
        return super().__repr__().replace("WordTokenizer", "SubwordTokenizer", 1)

    def words(self, text: str) -> list[str]:
        """The words of `text`, before they are split into pieces."""
        return tokenize(text, self.language, self.lowercase)

    def tokenize(self, text: str) -> list[str]:
        words = self.words(text)
        return [piece for word in words for piece in wordpiece(word, self._pieces)]

    def detokenize(self, tokens) -> str:
        if isinstance(tokens, str):
            raise TypeError(f"tokens must be a list of strings. Received: {tokens!r}")
        return detokenize(join_pieces(list(tokens)), self.language)

    def tf_encode(self, sentences) -> tf.RaggedTensor:
        words = tf_tokenize(sentences, self.language, self.lowercase)
        pieces = self._wordpiece_tokenizer().tokenize(words)  # (B, words, pieces)
        # The table's out-of-vocabulary bucket is never used: the tokenizer
        # looks `[UNK]` up for a word it cannot split.
        return tf.cast(pieces.merge_dims(-2, -1), tf.int32)

    def tf_resources(self) -> list:
        return [self._wordpiece_tokenizer()]

    def _wordpiece_tokenizer(self):
        """tensorflow-text's `WordpieceTokenizer` over the pieces, made once."""
        import tensorflow_text as tf_text  # see `tokenizers._tf_normalize`

        if self._tf_tokenizer is None:
            # Created eagerly even inside a tf.data trace (see Vocabulary.lookup).
            with tf.init_scope():
                table = tf.lookup.StaticVocabularyTable(
                    tf.lookup.KeyValueTensorInitializer(
                        tf.constant(self.vocabulary.tokens),
                        tf.range(self.vocabulary_size, dtype=tf.int64),
                    ),
                    num_oov_buckets=1,
                )
                self._tf_tokenizer = tf_text.WordpieceTokenizer(
                    table,
                    suffix_indicator=JOINER,
                    max_bytes_per_word=MAX_BYTES_PER_WORD,
                    token_out_type=tf.int64,
                    unknown_token=UNK,
                )
        return self._tf_tokenizer
