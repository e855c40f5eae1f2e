"""Subsets that represent what they are drawn from, and what they contain.

The Tatoeba file lists its pairs from the shortest to the longest, and its splits
keep that order, so "the first N sentences" of a split are its N shortest. Every
subset the course evaluates or trains on is therefore a seeded random sample
(`seeded_sample`), and every table says which lengths it covers
(`length_statistics`).
"""

import random

import numpy as np

from chapters.common.arguments import positive_int
from chapters.common.tokenizers import tokenize


def seeded_sample(items, count=None, seed=0) -> list:
    """`count` items drawn at random without replacement, in random order.

    The order is random too, so any prefix `sample[:n]` of the result is itself a
    random sample; with `count=None` the result is all items, shuffled.

    Args:
        items: a sequence (list, tuple).
        count: how many to draw; `None`, or more than there are, takes all.
        seed: the same seed and items give the same sample.

    Returns:
        A new list; `items` is left as it was.
    """
    items = list(items)
    if count is not None:
        count = min(positive_int(count, "count"), len(items))
    return random.Random(seed).sample(items, len(items) if count is None else count)


def length_statistics(sentences, language) -> dict:
    """How long the sentences are, in tokens (words for "en", characters for "zh").

    Returns:
        A dict with `"sentences"`, `"mean"`, `"median"`, `"min"`, `"max"` tokens.
    """
    lengths = [len(tokenize(sentence, language)) for sentence in sentences]
    if not lengths:
        raise ValueError("length_statistics needs at least one sentence. Received: []")
    return {
        "sentences": len(lengths),
        "mean": float(np.mean(lengths)),
        "median": float(np.median(lengths)),
        "min": int(min(lengths)),
        "max": int(max(lengths)),
    }


def describe_lengths(statistics, unit="tokens") -> str:
    """One line for a table's caption, e.g. `1,000 sentences, 4-20 tokens (mean
    8.6, median 8)`."""
    return (
        f"{statistics['sentences']:,} sentences, {statistics['min']}-"
        f"{statistics['max']} {unit} (mean {statistics['mean']:.1f}, median "
        f"{statistics['median']:g})"
    )


def one_per_length_band(lengths, bands, seed=0) -> list[int]:
    """The index of one item drawn at random in each band of lengths, e.g. one
    short, one medium and one long test sentence to draw a heatmap of.

    Args:
        lengths: the length of every item, in any unit.
        bands: `(low, high)` pairs, both ends included, in the order wanted.
        seed: the same seed, lengths and bands give the same indices.

    Returns:
        One index per band, in the order of `bands`.

    Raises:
        ValueError: no item has a length inside one of the bands.
    """
    random_generator = np.random.default_rng(seed)
    lengths = np.asarray(lengths)
    chosen = []
    for low, high in bands:
        candidates = np.flatnonzero((lengths >= low) & (lengths <= high))
        if candidates.size == 0:
            raise ValueError(
                f"No item has a length in the band {low}-{high}; choose bands "
                f"inside the lengths there are. Received: lengths from "
                f"{lengths.min()} to {lengths.max()}"
            )
        chosen.append(int(random_generator.choice(candidates)))
    return chosen
