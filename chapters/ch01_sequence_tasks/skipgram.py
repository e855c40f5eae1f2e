"""Skip-gram word embeddings with negative sampling, as a small Keras model.

The objective of word2vec (Mikolov et al., 2013, "Efficient Estimation of Word
Representations in Vector Space" and "Distributed Representations of Words and
Phrases and their Compositionality"): a word's embedding must tell the words
that really occur near it from words drawn at random. For each (word, context)
pair seen in the text, with `negatives` random "noise" words:

    score(word, other) = e_word · f_other
    loss = −log σ(score(word, context)) − Σ_noise log σ(−score(word, noise))

where `e` is the word table (the embeddings we keep) and `f` a second table for
words seen as contexts. Noise words are drawn in proportion to count^0.75, the
choice of the second paper. Unlike the question classifier of lesson 1d, this
objective asks every word to predict its neighbours, so words used in the same
way end up with similar vectors, whatever task comes later.
"""

import keras
import numpy as np

from chapters.common.arguments import positive_int
from chapters.common.vocabulary import Vocabulary

# Noise words are drawn in proportion to count ** NOISE_POWER.
NOISE_POWER = 0.75


def skipgram_examples(
    sentence_ids, vocabulary_size: int, window: int, negatives: int, seed: int = 0
):
    """(word, context) pairs within `window` words, each with `negatives` noise words.

    Args:
        sentence_ids: a list of sentences, each a list of token ids.
        vocabulary_size: V; ids run from 0 to V − 1.
        window: how many words on each side count as context.
        negatives: K, noise words drawn for each pair.
        seed: the seed of the noise draws.

    Returns:
        `(words, candidates, labels)`: `words` `(N,)` int32; `candidates`
        `(N, 1 + K)` int32, the true context first and then the noise words;
        `labels` `(N, 1 + K)` float32, 1 for the true context and 0 for noise.
    """
    vocabulary_size = positive_int(vocabulary_size, "vocabulary_size")
    window = positive_int(window, "window")
    negatives = positive_int(negatives, "negatives")
    words, contexts = [], []
    for ids in sentence_ids:
        for position, word in enumerate(ids):
            start, stop = max(0, position - window), position + window + 1
            for other in range(start, min(stop, len(ids))):
                if other != position:
                    words.append(word)
                    contexts.append(ids[other])
    if not words:
        raise ValueError(
            "sentence_ids gives no (word, context) pair: give sentences of at "
            f"least two words. Received {len(sentence_ids)} sentences"
        )
    words = np.array(words, dtype="int32")
    counts = np.bincount(words, minlength=vocabulary_size).astype("float64")
    noise = counts**NOISE_POWER / np.sum(counts**NOISE_POWER)
    rng = np.random.default_rng(seed)
    noise_ids = rng.choice(vocabulary_size, size=(len(words), negatives), p=noise)
    candidates = np.concatenate(
        [np.array(contexts, dtype="int32")[:, None], noise_ids.astype("int32")], axis=1
    )  # (N, 1 + K)
    labels = np.zeros(candidates.shape, dtype="float32")
    labels[:, 0] = 1.0
    return words, candidates, labels


def build_skipgram(vocabulary_size: int, embedding_dim: int) -> keras.Model:
    """The skip-gram scorer: `(words (B,), candidates (B, C)) -> logits (B, C)`.

    The word table is the layer named "word_embedding"; its weights are the
    embeddings to keep.
    """
    vocabulary_size = positive_int(vocabulary_size, "vocabulary_size")
    embedding_dim = positive_int(embedding_dim, "embedding_dim")
    words = keras.Input(shape=(), dtype="int32", name="words")
    candidates = keras.Input(shape=(None,), dtype="int32", name="candidates")
    word_vectors = keras.layers.Embedding(
        vocabulary_size, embedding_dim, name="word_embedding"
    )(words)  # (B, E)
    candidate_vectors = keras.layers.Embedding(
        vocabulary_size, embedding_dim, name="context_embedding"
    )(candidates)  # (B, C, E)
    # One dot product per candidate: (B, C, E) · (B, E) -> (B, C).
    logits = keras.layers.Dot(axes=(2, 1))([candidate_vectors, word_vectors])
    return keras.Model([words, candidates], logits, name="skipgram")


def train_skipgram(
    sentences,
    vocabulary: Vocabulary,
    embedding_dim: int = 16,
    window: int = 4,
    negatives: int = 5,
    epochs: int = 5,
    batch_size: int = 256,
    seed: int = 0,
) -> np.ndarray:
    """Trains skip-gram embeddings on tokenized sentences.

    Args:
        sentences: a list of sentences, each a list of tokens.
        vocabulary: the `Vocabulary` that gives each token its row.
        embedding_dim: E, the width of each embedding.
        window: how many words on each side count as context.
        negatives: noise words per (word, context) pair.
        epochs: passes over the pairs.
        batch_size: pairs per step.
        seed: the seed of the initial weights, the noise and the batch order;
            it reseeds Python, NumPy and Keras, as `keras.utils.set_random_seed`.

    Returns:
        The word table, `(V, E)` float32: row i is the embedding of token i.
    """
    keras.utils.set_random_seed(seed)
    sentence_ids = [vocabulary.encode(sentence) for sentence in sentences]
    words, candidates, labels = skipgram_examples(
        sentence_ids, len(vocabulary), window, negatives, seed
    )
    model = build_skipgram(len(vocabulary), embedding_dim)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    model.fit(
        (words, candidates),
        labels,
        epochs=positive_int(epochs, "epochs"),
        batch_size=positive_int(batch_size, "batch_size"),
        verbose=0,
    )
    return model.get_layer("word_embedding").get_weights()[0]
