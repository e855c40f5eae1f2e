"""The text pipeline: normalization, tokenization, vocabularies and `tf.data` input.

Seed 004's first steps (text -> tokens -> vocabulary ids) live here, for the two
languages of the course:

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

Every step exists twice: in Python (`tokenize`, `Vocabulary.encode`) for reading
and for single sentences, and in the TensorFlow graph with tensorflow-text
(`tf_tokenize`, `Vocabulary.lookup`) for `tf.data` pipelines that scale. The
tests check that both give the same tokens on the whole corpus.
"""

import collections
import itertools
import re
import unicodedata

import keras
import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text

PAD, UNK, START, END = "[PAD]", "[UNK]", "[START]", "[END]"
RESERVED_TOKENS = (PAD, UNK, START, END)
PAD_ID, UNK_ID, START_ID, END_ID = 0, 1, 2, 3
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
# Python's str.isspace() set: separators plus the ASCII and C1 control spaces.
_RE2_SPACE = r"\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}"
_RE2_TOKEN = {
    "en": (
        r"\p{Nd}+(?:[.,:]\p{Nd}+)+|[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*"
        rf"|[^{_RE2_SPACE}]"
    ),
    "zh": (
        r"(?:[^\P{L}\x{2E80}-\x{10FFFF}]|[^\P{N}\x{2E80}-\x{10FFFF}])+"
        rf"|[^{_RE2_SPACE}]"
    ),
}

# Detokenizing English: tokens glued to the word before or after them.
_NO_SPACE_BEFORE = frozenset(".,!?;:%)]}")
_NO_SPACE_AFTER = frozenset("([{$")


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
            glue_before = token in _NO_SPACE_BEFORE
            glue_after = token in _NO_SPACE_AFTER
        text += token if glue_next or glue_before else " " + token
        glue_next = glue_after
    return text


def _is_latin_run(token: str) -> bool:
    return bool(_LATIN_RUN.fullmatch(token))


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
        if tuple(tokens[: len(RESERVED_TOKENS)]) != RESERVED_TOKENS:
            raise ValueError(
                f"A vocabulary must start with {RESERVED_TOKENS}. "
                f"Received: {tokens[: len(RESERVED_TOKENS)]}"
            )
        if not all(isinstance(token, str) for token in tokens):
            raise TypeError("Every token of a vocabulary must be a string.")
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
            max_size: the largest vocabulary, reserved tokens included.
        """
        if not isinstance(min_count, int) or min_count < 1:
            raise ValueError(
                f"min_count must be an integer >= 1. Received: {min_count}"
            )
        if max_size is not None and (
            not isinstance(max_size, int) or max_size < len(RESERVED_TOKENS)
        ):
            raise ValueError(
                f"max_size must be None or an integer >= {len(RESERVED_TOKENS)} "
                f"(the reserved tokens). Received: {max_size}"
            )
        counts = collections.Counter()
        for sentence in tokenized_sentences:
            if isinstance(sentence, str):
                raise TypeError(
                    "Vocabulary.build expects a list of tokens per sentence, e.g. "
                    f"tokenize(text, language). Received a string: {sentence!r:.60}"
                )
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
        """Tokens of `ids`; with `strip_special`, stops at `END` and drops PAD/START."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
            raise ValueError(
                f"decode expects a 1-D sequence of integer ids. Received shape "
                f"{ids.shape} and dtype {ids.dtype}"
            )
        tokens = []
        for token_id in ids.tolist():
            if not 0 <= token_id < len(self):
                raise ValueError(
                    f"Token id out of range [0, {len(self)}). Received: {token_id}"
                )
            if strip_special and token_id == END_ID:
                break
            if strip_special and token_id in (PAD_ID, START_ID):
                continue
            tokens.append(self.tokens[token_id])
        return tokens

    def lookup(self, token_tensor) -> tf.Tensor:
        """In-graph token -> id (int64), for `tf.data`; unknown tokens give `UNK_ID`.

        Works on dense and ragged string tensors, e.g. the output of `tf_tokenize`.
        """
        if self._table is None:
            # init_scope creates the table eagerly even when the first call is
            # traced inside a tf.data map, so that every later call can share it.
            with tf.init_scope():
                initializer = tf.lookup.KeyValueTensorInitializer(
                    tf.constant(self.tokens), tf.range(len(self), dtype=tf.int64)
                )
                self._table = tf.lookup.StaticHashTable(initializer, UNK_ID)
        if not isinstance(token_tensor, tf.RaggedTensor):
            token_tensor = tf.convert_to_tensor(token_tensor, dtype=tf.string)
        return self._table.lookup(token_tensor)

    def get_config(self) -> dict:
        return {"tokens": list(self.tokens)}

    @classmethod
    def from_config(cls, config) -> "Vocabulary":
        return cls(**config)


def _tf_normalize(sentences: tf.Tensor, language: str) -> tf.Tensor:
    """The in-graph twin of `normalize`, except for spaces (tokens ignore them)."""
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


def teacher_forcing_shift(target_ids):
    """Decoder inputs and targets for teacher forcing: `[START] + ids`, `ids + [END]`.

    At step t the decoder reads the true token t-1 and must predict token t.

    Args:
        target_ids: target ids without START/END: a `(T,)` sequence, a ragged
            `(B, None)` batch, or a dense `(B, T)` batch padded at the end
            with `PAD_ID` (END then goes right after each sentence).

    Returns:
        `(decoder_inputs, decoder_targets)`, each one longer than `target_ids`.
    """
    if not isinstance(target_ids, tf.RaggedTensor):
        target_ids = tf.convert_to_tensor(target_ids)
    if target_ids.shape.rank not in (1, 2):
        raise ValueError(
            f"target_ids must have rank 1 or 2. Received shape {target_ids.shape}"
        )

    def column(token_id):
        # A (B, 1) column, or a (1,) sequence for a single sentence.
        if isinstance(target_ids, tf.RaggedTensor):
            shape = tf.stack([target_ids.nrows(out_type=tf.int32), 1])
        else:
            shape = tf.concat([tf.shape(target_ids)[:-1], [1]], axis=0)
        return tf.fill(shape, tf.constant(token_id, target_ids.dtype))

    if isinstance(target_ids, tf.RaggedTensor) or target_ids.shape.rank == 1:
        start = column(START_ID)
        end = column(END_ID)
        return (
            tf.concat([start, target_ids], axis=-1),
            tf.concat([target_ids, end], axis=-1),
        )
    decoder_inputs = tf.concat([column(START_ID), target_ids], axis=-1)
    padded_targets = tf.concat([target_ids, column(PAD_ID)], axis=-1)
    lengths = tf.reduce_sum(tf.cast(target_ids != PAD_ID, tf.int32), axis=-1)
    positions = tf.range(tf.shape(padded_targets)[-1])
    is_end = positions[tf.newaxis, :] == lengths[:, tf.newaxis]  # (B, T + 1)
    decoder_targets = tf.where(
        is_end, tf.constant(END_ID, target_ids.dtype), padded_targets
    )
    return decoder_inputs, decoder_targets


def padding_mask(ids) -> tf.Tensor:
    """Boolean mask, True where `ids` holds a real token (not `PAD_ID`)."""
    return tf.not_equal(tf.convert_to_tensor(ids), PAD_ID)


def _checked_pairs(pairs) -> tuple[list[str], list[str]]:
    pairs = list(pairs)
    if not pairs:
        raise ValueError("make_dataset needs at least one (source, target) pair.")
    sources, targets = [], []
    for index, pair in enumerate(pairs):
        if (
            not isinstance(pair, (tuple, list))
            or len(pair) != 2
            or not all(isinstance(text, str) for text in pair)
        ):
            raise TypeError(
                f"pairs must hold (source_text, target_text) string pairs. "
                f"Received at index {index}: {pair!r:.80}"
            )
        if not pair[0].strip() or not pair[1].strip():
            raise ValueError(
                f"Pair {index} has an empty sentence, which has nothing to "
                f"translate; drop it first. Received: {pair!r:.80}"
            )
        sources.append(pair[0])
        targets.append(pair[1])
    return sources, targets


def make_dataset(
    pairs,
    source_vocabulary: Vocabulary,
    target_vocabulary: Vocabulary,
    source_language: str,
    target_language: str,
    batch_size: int,
    shuffle: bool = False,
    bucket_boundaries=None,
    seed: int = 0,
    lowercase: bool = True,
) -> tf.data.Dataset:
    """A `tf.data` pipeline of padded training batches for a seq2seq model.

    Steps: (1) shuffle the sentence pairs, (2) tokenize and look up ids in the
    graph, a few hundred sentences at a time, (3) drop pairs that give no
    tokens, (4) shift the target for teacher forcing, (5) batch, padding each
    batch only to its own longest sentence; with `bucket_boundaries`, batch
    sentences of similar source length together so that little padding is left.

    Args:
        pairs: a list of `(source_text, target_text)`; an empty or whitespace
            sentence raises `ValueError`.
        source_vocabulary, target_vocabulary: `Vocabulary` of each side.
        source_language, target_language: "zh" or "en".
        batch_size: sentences per batch.
        shuffle: reshuffle the pairs every epoch, seeded by `seed`.
        bucket_boundaries: increasing source lengths that separate the buckets,
            e.g. `[5, 10, 20]`; None batches in order of arrival.
        seed: the shuffle seed.
        lowercase: lowercase English, as the vocabulary was built.

    Returns:
        A dataset of `((source_ids, decoder_input_ids), decoder_target_ids)`,
        int32 tensors of shapes `(B, S)`, `(B, T)`, `(B, T)`.
    """
    for name, vocabulary in (
        ("source_vocabulary", source_vocabulary),
        ("target_vocabulary", target_vocabulary),
    ):
        if not isinstance(vocabulary, Vocabulary):
            raise TypeError(
                f"{name} must be a Vocabulary. Received: {type(vocabulary).__name__}"
            )
    _check_language(source_language)
    _check_language(target_language)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(
            f"batch_size must be a positive integer. Received: {batch_size}"
        )
    if bucket_boundaries is not None:
        bucket_boundaries = list(bucket_boundaries)
        increasing = all(a < b for a, b in itertools.pairwise(bucket_boundaries))
        if not bucket_boundaries or not increasing or bucket_boundaries[0] < 1:
            raise ValueError(
                "bucket_boundaries must be increasing positive lengths. "
                f"Received: {bucket_boundaries}"
            )
    sources, targets = _checked_pairs(pairs)

    # These functions branch only on Python values, never on tensors, so
    # AutoGraph has nothing to convert; skipping it makes tracing faster.
    @tf.autograph.experimental.do_not_convert
    def encode(source_texts, target_texts):
        source_tokens = tf_tokenize(source_texts, source_language, lowercase)
        target_tokens = tf_tokenize(target_texts, target_language, lowercase)
        source_ids = tf.cast(source_vocabulary.lookup(source_tokens), tf.int32)
        target_ids = tf.cast(target_vocabulary.lookup(target_tokens), tf.int32)
        return source_ids, target_ids

    @tf.autograph.experimental.do_not_convert
    def to_model_inputs(source_ids, target_ids):
        decoder_inputs, decoder_targets = teacher_forcing_shift(target_ids)
        return (source_ids, decoder_inputs), decoder_targets

    dataset = tf.data.Dataset.from_tensor_slices((sources, targets))
    if shuffle:
        dataset = dataset.shuffle(
            len(sources), seed=seed, reshuffle_each_iteration=True
        )
    # Tokenizing a few hundred sentences per call is much faster than one by one.
    dataset = dataset.batch(256).map(encode, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.unbatch()
    # Text made only of invisible characters passes the check above but has no
    # tokens; an all-padding sentence would teach the model nothing.
    dataset = dataset.filter(
        lambda source_ids, target_ids: tf.logical_and(
            tf.size(source_ids) > 0, tf.size(target_ids) > 0
        )
    )
    dataset = dataset.map(to_model_inputs, num_parallel_calls=tf.data.AUTOTUNE)
    padding_value = tf.constant(PAD_ID, tf.int32)
    if bucket_boundaries is None:
        dataset = dataset.padded_batch(batch_size, padding_values=padding_value)
    else:
        dataset = dataset.bucket_by_sequence_length(
            element_length_func=lambda inputs, targets: tf.shape(inputs[0])[0],
            bucket_boundaries=bucket_boundaries,
            bucket_batch_sizes=[batch_size] * (len(bucket_boundaries) + 1),
            padding_values=padding_value,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def padding_fraction(dataset) -> float:
    """Share of `PAD_ID` among all ids of a dataset of padded batches.

    Every padded position is computed and thrown away, so this is the share of
    work that batching wastes.
    """
    padded, total = 0, 0
    for element in dataset.as_numpy_iterator():
        for ids in tf.nest.flatten(element):
            padded += int(np.count_nonzero(ids == PAD_ID))
            total += ids.size
    if total == 0:
        raise ValueError("padding_fraction received an empty dataset.")
    return padded / total
