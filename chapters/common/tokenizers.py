"""Tokenizers: text to token ids and back, for the course's two languages.

The first steps of every translation pipeline (text -> tokens -> vocabulary ids)
live here:

* Chinese is split into characters, because Chinese writes no spaces between
  words and a character vocabulary of a few thousand entries covers the corpus.
  A run of Latin letters or digits inside Chinese text ("Tom", "2013") stays one
  token, so a name or a number is not spelled out letter by letter.
* English is split into words with the punctuation split off. Contractions and
  hyphenated words stay whole ("don't", "twenty-one") and so do numbers with
  separators ("3.5", "1,000", "3:30"). Apart from the time of day, these are
  the units sacrebleu's default `13a` tokenizer scores, so the model predicts
  what BLEU counts.

Text is normalized first (`normalize`): Unicode NFKC folds full-width letters
and digits (`Ａ１` -> `A1`) and full-width spaces; invisible format characters
(zero-width spaces, byte-order marks) are dropped. NFKC also turns the Chinese
punctuation `，？！：；（）` into ASCII, so on the Chinese side we map those back to
their full-width forms: Chinese text always ends in `。`, `？` or `！`, whichever
form the writer typed. On the English side curly quotes become straight ones.

Every step exists twice: in Python (`tokenize`) for reading and for single
sentences, and in the TensorFlow graph with tensorflow-text (`tf_tokenize`) for
`tf.data` pipelines that scale. The tests check that both give the same tokens on
the whole corpus.

`Tokenizer` is what the rest of the course asks of a tokenizer: text to ids and
back, in Python and in the graph. `WordTokenizer` implements it with the
functions above and a `Vocabulary`. A subword tokenizer (chapter 5) is meant to
implement it too, so that `make_dataset` and `Translator` work with either.
"""

import abc
import itertools
import re
import unicodedata

import keras
import tensorflow as tf

from chapters.common.vocabulary import Vocabulary, strip_special_ids

LANGUAGES = ("zh", "en")

# After NFKC, per language: characters that are written back in their usual form.
_REPLACEMENTS = {
    "zh": {",": "，", "?": "？", "!": "！", ":": "：", ";": "；", "(": "（", ")": "）"},
    "en": {"‘": "'", "’": "'", "“": '"', "”": '"'},
}

# Letters and digits below U+2E80 (Latin, Greek, Cyrillic ...) form runs inside
# Chinese text; Chinese characters and everything else stand alone.
_LATIN_RUN = re.compile(r"[^\W_\u2e80-\U0010ffff]+")
# Token patterns, once for Python's `re` and once for RE2 (TensorFlow). They
# are written to match the same strings: Python's `\d` and `[^\W_]` are
# Unicode-aware, RE2's are not, so RE2 spells the Unicode classes out. The
# last alternative catches any other single non-space character (punctuation).
_PYTHON_TOKEN = {
    "en": re.compile(r"\d+(?:[.,:]\d+)+|[^\W_]+(?:['-][^\W_]+)*|\S"),
    "zh": re.compile(rf"{_LATIN_RUN.pattern}|\S"),
}
# `_LATIN_RUN` for RE2: a letter or digit below U+2E80, one or more times.
RE2_LATIN_RUN = r"(?:[^\P{L}\x{2E80}-\x{10FFFF}]|[^\P{N}\x{2E80}-\x{10FFFF}])+"
# Python's str.isspace() set: separators plus the ASCII and C1 control spaces.
_RE2_SPACE = r"\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}"
_RE2_TOKEN = {
    "en": (
        r"\p{Nd}+(?:[.,:]\p{Nd}+)+|[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*"
        rf"|[^{_RE2_SPACE}]"
    ),
    "zh": rf"{RE2_LATIN_RUN}|[^{_RE2_SPACE}]",
}

# Detokenizing English: tokens glued to the word before or after them.
NO_SPACE_BEFORE = frozenset(".,!?;:%)]}")
NO_SPACE_AFTER = frozenset("([{$")


def _check_language(language) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}. Received: {language!r}")


def normalize(text: str, language: str) -> str:
    """Returns `text` in the canonical form the tokenizers expect.

    NFKC, without invisible format characters, with the punctuation of the
    language in its usual form (see the module docstring) and single spaces.
    """
    _check_language(language)
    if not isinstance(text, str):
        raise TypeError(f"text must be a string. Received: {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text)
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    for old, new in _REPLACEMENTS[language].items():
        text = text.replace(old, new)
    return " ".join(text.split())


def tokenize(text: str, language: str, lowercase: bool = True) -> list[str]:
    """Splits one sentence into tokens: characters for "zh", words for "en".

    Args:
        text: the sentence. Empty or whitespace-only text has no tokens to
            translate and raises `ValueError`.
        language: "zh" or "en".
        lowercase: lowercase English. Chinese tokens are never changed.

    Returns:
        The tokens, a list of strings.
    """
    _check_language(language)
    if not isinstance(text, str):
        raise TypeError(
            f"tokenize expects one sentence as a string. Received: "
            f"{type(text).__name__} {text!r:.60}"
        )
    normalized = normalize(text, language)
    if lowercase and language == "en":
        normalized = normalized.lower()
    tokens = _PYTHON_TOKEN[language].findall(normalized)
    if not tokens:
        raise ValueError(
            f"Cannot tokenize a sentence without visible characters. Received: {text!r}"
        )
    return tokens


def tokenize_chinese(text: str) -> list[str]:
    """One token per Chinese character or punctuation mark; see `tokenize`."""
    return tokenize(text, "zh")


def tokenize_english(text: str, lowercase: bool = True) -> list[str]:
    """Words with punctuation split off; see `tokenize`."""
    return tokenize(text, "en", lowercase=lowercase)


def detokenize(tokens, language: str) -> str:
    """Joins tokens into a clean sentence, the form BLEU expects.

    English: "i like apples ." -> "i like apples.", with `"` treated as opening
    and closing in turn. Chinese: no spaces, except between two Latin words.
    """
    _check_language(language)
    if isinstance(tokens, str):
        raise TypeError(f"tokens must be a list of strings. Received: {tokens!r:.60}")
    tokens = list(tokens)
    if not all(isinstance(token, str) for token in tokens):
        raise TypeError(f"tokens must be a list of strings. Received: {tokens!r:.60}")
    if language == "zh":
        text = "".join(tokens[:1])
        for previous, token in itertools.pairwise(tokens):
            latin_pair = _is_latin_run(previous) and _is_latin_run(token)
            text += " " + token if latin_pair else token
        return text
    text = ""
    glue_next = True  # The first token has nothing to be separated from.
    quote_is_open = False
    for token in tokens:
        if token == '"':
            quote_is_open = not quote_is_open
            glue_before, glue_after = not quote_is_open, quote_is_open
        else:
            glue_before = token in NO_SPACE_BEFORE
            glue_after = token in NO_SPACE_AFTER
        text += token if glue_next or glue_before else " " + token
        glue_next = glue_after
    return text


def _is_latin_run(token: str) -> bool:
    return bool(_LATIN_RUN.fullmatch(token))


def _tf_normalize(sentences: tf.Tensor, language: str) -> tf.Tensor:
    """The in-graph twin of `normalize`, except for spaces (tokens ignore them)."""
    # tensorflow-text is imported where it is used, not at the top: each release
    # is built for one TensorFlow release, and lessons that never build a
    # tf.data pipeline must import this module where no matching one exists.
    import tensorflow_text as tf_text

    sentences = tf_text.normalize_utf8(sentences, "NFKC")
    sentences = tf.strings.regex_replace(sentences, r"\p{Cf}", "")
    for old, new in _REPLACEMENTS[language].items():
        sentences = tf.strings.regex_replace(sentences, re.escape(old), new)
    return sentences


def tf_tokenize(sentences, language: str, lowercase: bool = True) -> tf.RaggedTensor:
    """In-graph `tokenize` with tensorflow-text; gives the same tokens.

    Args:
        sentences: a string tensor of shape `(B,)`, or a scalar string.
        language: "zh" or "en".
        lowercase: lowercase English.

    Returns:
        A `tf.RaggedTensor` of shape `(B, None)`, or a `(T,)` tensor for a
        scalar. Unlike `tokenize`, an empty sentence gives an empty row,
        because a graph cannot raise for one element of a batch.
    """
    # See `_tf_normalize` for why the import is here.
    import tensorflow_text as tf_text

    _check_language(language)
    sentences = tf.convert_to_tensor(sentences)
    if sentences.dtype != tf.string:
        raise TypeError(f"sentences must be strings. Received dtype {sentences.dtype}")
    if sentences.shape.rank == 0:
        return tf_tokenize(sentences[tf.newaxis], language, lowercase)[0]
    sentences = _tf_normalize(sentences, language)
    if lowercase and language == "en":
        sentences = tf.strings.lower(sentences, encoding="utf-8")
    token_pattern = _RE2_TOKEN[language]
    return tf_text.regex_split(
        sentences,
        delim_regex_pattern=rf"[{_RE2_SPACE}]+|{token_pattern}",
        keep_delim_regex_pattern=token_pattern,
    )


class Tokenizer(abc.ABC):
    """Turns text of one language into token ids and back.

    This is all that `make_dataset` and `Translator` ask of a tokenizer. Ids run
    from 0 to `vocabulary_size - 1`, and ids 0-3 are always `PAD_ID`, `UNK_ID`,
    `START_ID` and `END_ID` (see `vocabulary.py`); what a token is (a word, a
    character, a subword piece) is the subclass's choice.

    A subclass sets `language` and implements `vocabulary_size`, `tokenize`,
    `detokenize`, `tokens_to_ids`, `ids_to_tokens` and `tf_encode`; `encode` and
    `decode` follow from them.

    Attributes:
        language: `"zh"` or `"en"`, the language of the text.
    """

    language: str

    @property
    @abc.abstractmethod
    def vocabulary_size(self) -> int:
        """The number of ids, reserved ids included: the models' `V`."""

    @abc.abstractmethod
    def tokenize(self, text: str) -> list[str]:
        """The tokens of one sentence, as people read them (e.g. attention labels)."""

    @abc.abstractmethod
    def detokenize(self, tokens) -> str:
        """Tokens back to clean text; special tokens must be removed first."""

    @abc.abstractmethod
    def tokens_to_ids(self, tokens) -> list[int]:
        """The id of every token; a token outside the vocabulary gives `UNK_ID`."""

    @abc.abstractmethod
    def ids_to_tokens(self, ids) -> list[str]:
        """The token of every id, special tokens included.

        Raises:
            ValueError: an id is outside `[0, vocabulary_size)`.
        """

    @abc.abstractmethod
    def tf_encode(self, sentences) -> tf.RaggedTensor:
        """In-graph `encode` for `tf.data`: `(B,)` strings to `(B, None)` int32 ids.

        No `START_ID` or `END_ID` is added; `teacher_forcing_shift` adds them to
        targets. A sentence without tokens gives an empty row.
        """

    def tf_resources(self) -> list:
        """The TensorFlow resources (lookup tables) that `tf_encode` reads.

        A SavedModel whose graph calls `tf_encode` must track them, or saving
        fails on an untracked resource (chapter 6 exports a translator). None by
        default.
        """
        return []

    def encode(self, text: str) -> list[int]:
        """The ids of one sentence, without `START_ID` and `END_ID`."""
        return self.tokens_to_ids(self.tokenize(text))

    def decode(self, ids) -> str:
        """The sentence of generated ids: stops at `END_ID`, drops PAD and START.

        Args:
            ids: a 1-D sequence of integer ids, e.g. one row of a model's output.
        """
        return self.detokenize(self.ids_to_tokens(strip_special_ids(ids)))


def check_tokenizers(source_tokenizer, target_tokenizer) -> None:
    """Raises a `TypeError` naming the first argument that is not a `Tokenizer`."""
    for name, tokenizer in (
        ("source_tokenizer", source_tokenizer),
        ("target_tokenizer", target_tokenizer),
    ):
        if not isinstance(tokenizer, Tokenizer):
            raise TypeError(
                f"{name} must be a chapters.common.tokenizers.Tokenizer (e.g. a "
                f"WordTokenizer). Received: {type(tokenizer).__name__}"
            )


@keras.saving.register_keras_serializable(package="seq2seq_course")
class WordTokenizer(Tokenizer):
    """Characters for Chinese, words for English, with a `Vocabulary` of them.

    Build one from training sentences with `WordTokenizer.build`:

    >>> tokenizer = WordTokenizer.build(["I like tea.", "You like milk."], "en")
    >>> tokenizer.encode("I like coffee.")  # coffee is unknown: UNK_ID 1
    [6, 5, 1, 4]
    >>> tokenizer.decode([2, 6, 5, 4, 3, 0])  # START i like . END PAD
    'i like.'

    Args:
        vocabulary: the `Vocabulary` of this tokenizer's tokens.
        language: `"zh"` or `"en"`.
        lowercase: lowercase English before splitting it, as when the
            vocabulary was built.
    """

    def __init__(self, vocabulary: Vocabulary, language: str, lowercase: bool = True):
        if not isinstance(vocabulary, Vocabulary):
            raise TypeError(
                f"vocabulary must be a Vocabulary. Received: "
                f"{type(vocabulary).__name__}"
            )
        _check_language(language)
        self.vocabulary = vocabulary
        self.language = language
        self.lowercase = bool(lowercase)

    @classmethod
    def build(
        cls, sentences, language, min_count=1, max_size=None, lowercase=True
    ) -> "WordTokenizer":
        """Tokenizes raw training sentences and builds the vocabulary of them.

        Args:
            sentences: an iterable of sentences (strings) in `language`.
            language: `"zh"` or `"en"`.
            min_count, max_size: see `Vocabulary.build`.
            lowercase: lowercase English.
        """
        if isinstance(sentences, str):
            raise TypeError(
                "sentences must be a list of sentences, not one string. "
                f"Received: {sentences!r:.60}"
            )
        vocabulary = Vocabulary.build(
            (tokenize(sentence, language, lowercase) for sentence in sentences),
            min_count=min_count,
            max_size=max_size,
        )
        return cls(vocabulary, language, lowercase)

    def __repr__(self) -> str:
        return (
            f"WordTokenizer(language={self.language!r}, "
            f"vocabulary_size={self.vocabulary_size}, lowercase={self.lowercase})"
        )

    @property
    def vocabulary_size(self) -> int:
        return len(self.vocabulary)

    def tokenize(self, text: str) -> list[str]:
        return tokenize(text, self.language, self.lowercase)

    def detokenize(self, tokens) -> str:
        return detokenize(tokens, self.language)

    def tokens_to_ids(self, tokens) -> list[int]:
        return self.vocabulary.encode(tokens)

    def ids_to_tokens(self, ids) -> list[str]:
        return self.vocabulary.decode(ids, strip_special=False)

    def tf_encode(self, sentences) -> tf.RaggedTensor:
        tokens = tf_tokenize(sentences, self.language, self.lowercase)
        return tf.cast(self.vocabulary.lookup(tokens), tf.int32)

    def tf_resources(self) -> list:
        return [self.vocabulary.tf_table()]

    def get_config(self) -> dict:
        return {
            "vocabulary": keras.saving.serialize_keras_object(self.vocabulary),
            "language": self.language,
            "lowercase": self.lowercase,
        }

    @classmethod
    def from_config(cls, config) -> "WordTokenizer":
        config = dict(config)
        config["vocabulary"] = keras.saving.deserialize_keras_object(
            config["vocabulary"]
        )
        return cls(**config)
