"""Data for the chapter's tasks: padding, questions, word-boundary tags, neighbours.

- N→1: is a sentence a question? The label comes from its final "?" or "？",
  which is then removed with all other punctuation, so the model must find the
  question in the words themselves (word order, question words, 吗).
- N→N: Chinese word segmentation as tagging. Each character gets one tag:
  B (begins a word), M (inside), E (ends it) or S (a word on its own); seeing
  segmentation as character tagging goes back to Xue (2003). The tags come
  from the toy grammar's gold words.
- Embeddings: nearest neighbours of a token by cosine similarity.
"""

import dataclasses

import keras
import numpy as np

from chapters.common.arguments import positive_int
from chapters.common.sampling import seeded_sample
from chapters.common.tokenizers import tokenize_english
from chapters.common.vocabulary import PAD_ID, RESERVED_TOKENS, Vocabulary

SEGMENTATION_TAGS = ("B", "M", "E", "S")


def pad_ids(sequences, length: int | None = None) -> np.ndarray:
    """Pads lists of ids at the end with `PAD_ID` into an int32 `(B, S)` array.

    Args:
        sequences: a non-empty list of lists of ids.
        length: S; the longest sequence's length when None. Longer sequences
            are cut at the end.
    """
    if isinstance(sequences, np.ndarray) and sequences.ndim == 2:
        sequences = sequences.tolist()
    if len(sequences) == 0:
        raise ValueError("sequences is empty: give at least one sequence of ids.")
    for index, sequence in enumerate(sequences):
        if np.ndim(sequence) != 1:
            raise ValueError(
                "sequences must be a list of 1-D id sequences. Received "
                f"{sequence!r} at index {index}"
            )
    if length is not None:
        length = positive_int(length, "length")
    return keras.utils.pad_sequences(
        sequences,
        maxlen=length,
        dtype="int32",
        padding="post",
        truncating="post",
        value=PAD_ID,
    )


def is_question(sentence: str) -> bool:
    """Whether a sentence ends with a question mark (ASCII or full-width)."""
    if not isinstance(sentence, str):
        raise TypeError(f"sentence must be a string. Received: {sentence!r}")
    return sentence.rstrip().endswith(("?", "？"))


def without_punctuation(tokens) -> list[str]:
    """The tokens that contain a letter, digit or Chinese character."""
    return [token for token in tokens if any(char.isalnum() for char in token)]


def question_examples(sentences, tokenizer) -> tuple[list[list[str]], np.ndarray]:
    """Tokens without punctuation and is-a-question labels (1 or 0).

    Args:
        sentences: a non-empty list of sentences.
        tokenizer: a function from a sentence to its tokens, e.g.
            `chapters.common.tokenizers.tokenize_english`.

    Returns:
        `(token_lists, labels)`; sentences left with no tokens are dropped.
    """
    if len(sentences) == 0:
        raise ValueError("sentences is empty: give at least one sentence.")
    token_lists, labels = [], []
    for sentence in sentences:
        tokens = without_punctuation(tokenizer(sentence))
        if tokens:
            token_lists.append(tokens)
            labels.append(int(is_question(sentence)))
    return token_lists, np.array(labels, dtype="int32")


@dataclasses.dataclass(frozen=True)
class QuestionData:
    """The N→1 question task, ready to train: ids `(B, S)` and labels `(B,)`."""

    vocabulary: Vocabulary
    train_tokens: list[list[str]]
    train_ids: np.ndarray
    train_labels: np.ndarray
    validation_tokens: list[list[str]]
    validation_ids: np.ndarray
    validation_labels: np.ndarray


def question_data(train_pairs, validation_pairs, max_train=None, min_count=1):
    """English sentences of two corpus splits as the question task.

    Each English sentence is kept once, though the corpus often pairs it with
    several Chinese translations. The vocabulary comes from the training
    sentences only.

    Args:
        train_pairs, validation_pairs: `tatoeba.SentencePair` lists.
        max_train: keep a seeded random sample of this many training sentences,
            drawn across all lengths (None: all).
        min_count: fewest occurrences of a word in the vocabulary.
    """
    if max_train is not None:
        max_train = positive_int(max_train, "max_train")
    splits = {}
    for name, pairs in (("train", train_pairs), ("validation", validation_pairs)):
        sentences = list(dict.fromkeys(pair.english for pair in pairs))
        if name == "train" and max_train is not None:
            # The corpus is sorted by length: a seeded sample, not the shortest.
            sentences = seeded_sample(sentences, max_train, seed=0)
        splits[name] = question_examples(sentences, tokenize_english)
    vocabulary = Vocabulary.build(splits["train"][0], min_count=min_count)

    def encode(tokens):
        return pad_ids([vocabulary.encode(sentence) for sentence in tokens])

    return QuestionData(
        vocabulary,
        splits["train"][0],
        encode(splits["train"][0]),
        splits["train"][1],
        splits["validation"][0],
        encode(splits["validation"][0]),
        splits["validation"][1],
    )


def segmentation_tags(words) -> list[str]:
    """One B/M/E/S tag per character of a segmented Chinese sentence.

    >>> segmentation_tags(["我", "喜欢", "苹果", "。"])
    ['S', 'B', 'E', 'B', 'E', 'S']
    """
    if len(words) == 0:
        raise ValueError("words is empty: give at least one word.")
    tags = []
    for word in words:
        if not isinstance(word, str) or not word:
            raise ValueError(
                f"every word must be a non-empty string. Received {word!r}"
            )
        if len(word) == 1:
            tags.append("S")
        else:
            tags += ["B"] + ["M"] * (len(word) - 2) + ["E"]
    return tags


def words_from_tags(characters, tags) -> list[str]:
    """Joins characters into words by their B/M/E/S tags (the inverse of tagging).

    A malformed tag sequence still gives words: a word ends after every E or S
    and before every B, so the result is always a segmentation of the input.
    """
    if len(characters) != len(tags):
        raise ValueError(
            f"characters and tags must have the same length. Received "
            f"{len(characters)} characters and {len(tags)} tags"
        )
    words, current = [], ""
    for character, tag in zip(characters, tags, strict=True):
        if tag in ("B", "S") and current:
            words.append(current)
            current = ""
        current += character
        if tag in ("E", "S"):
            words.append(current)
            current = ""
    return words + ([current] if current else [])


def nearest_neighbours(embeddings, tokens, query: str, count: int = 5):
    """The `count` tokens whose embeddings are closest to `query`'s by cosine.

    Args:
        embeddings: `(V, E)` matrix, row i the vector of `tokens[i]`.
        tokens: the V tokens of the vocabulary.
        query: a token of the vocabulary.
        count: how many neighbours to return.

    Returns:
        A list of `(token, cosine similarity)`, most similar first, leaving out
        the query itself and the reserved tokens ([PAD], [UNK], ...).
    """
    embeddings = np.asarray(embeddings, dtype="float64")
    if embeddings.ndim != 2:
        raise ValueError(
            f"embeddings must have rank 2 (tokens, dims). Received shape "
            f"{embeddings.shape}"
        )
    if len(tokens) != embeddings.shape[0]:
        raise ValueError(
            f"tokens must have one entry per embedding row. Received {len(tokens)} "
            f"tokens and {embeddings.shape[0]} rows"
        )
    tokens = list(tokens)
    if query not in tokens:
        raise ValueError(f"query {query!r} is not in the vocabulary")
    count = positive_int(count, "count")
    lengths = np.linalg.norm(embeddings, axis=1)
    unit = embeddings / np.maximum(lengths, 1e-12)[:, None]
    query_index = tokens.index(query)
    similarity = unit @ unit[query_index]  # (V,)
    ranked = [
        index
        for index in np.argsort(-similarity, kind="stable")
        if index != query_index and tokens[index] not in RESERVED_TOKENS
    ]
    return [(tokens[index], float(similarity[index])) for index in ranked[:count]]
