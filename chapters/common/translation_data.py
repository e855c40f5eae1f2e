"""Translation data for every chapter: sentence pairs of one direction, their
tokenizers, and where they came from.

Two corpora, either direction (`"zh-en"` or `"en-zh"`):

- `tatoeba_data`: the real Tatoeba pairs (or the toy stand-in when Tatoeba cannot be
  found, which `TranslationData.corpus` then says), sized by a scale;
- `toy_data`: toy-grammar pairs of controlled length.

Every split is a seeded random sample in random order (see `sampling`), never the
head of a file ordered by length.
"""

import dataclasses

from chapters.common import sampling, scales
from chapters.common.tokenizers import WordTokenizer, tokenize

DIRECTIONS = ("zh-en", "en-zh")
TOY_CORPUS = "toy grammar"


def _languages(direction):
    if direction not in DIRECTIONS:
        raise ValueError(
            f"direction must be one of {DIRECTIONS}. Received: direction={direction!r}"
        )
    return tuple(direction.split("-"))


@dataclasses.dataclass
class TranslationData:
    """Sentence pairs of one translation direction, with their tokenizers.

    Attributes:
        corpus: what the pairs are, e.g. `"Tatoeba"`, `"toy grammar"`, or
            `"toy-grammar stand-in (Tatoeba not found)"`; results carry it.
        splits: `"train"`, `"validation"`, `"test"` lists of `(source, target)`.
        source_tokenizer, target_tokenizer: `WordTokenizer`s whose vocabularies
            come from the training split.
    """

    corpus: str
    splits: dict
    source_tokenizer: WordTokenizer
    target_tokenizer: WordTokenizer

    @property
    def source_language(self):
        return self.source_tokenizer.language

    @property
    def target_language(self):
        return self.target_tokenizer.language

    @property
    def is_stand_in(self):
        """Whether toy pairs stand in for a corpus that could not be found."""
        return "stand-in" in self.corpus

    def dataset(
        self, split, batch_size, shuffle=False, bucket_boundaries=None, fixed=False
    ):
        """The `tf.data` pipeline of one split: `((source, decoder input), target)`.

        With `fixed`, every batch is padded to the longest sentences of the split
        (see `longest`), not to its own longest (`make_dataset`'s `pad_to`).
        """
        from chapters.common.pipeline import make_dataset

        return make_dataset(
            self.splits[split],
            self.source_tokenizer,
            self.target_tokenizer,
            batch_size,
            shuffle=shuffle,
            bucket_boundaries=bucket_boundaries,
            pad_to=self.longest(split) if fixed else None,
        )

    def longest(self, split):
        """`(source ids, target ids)` of the longest sentences of a split."""
        pairs = self.splits[split]
        return (
            max(len(self.source_tokenizer.encode(source)) for source, _ in pairs),
            max(len(self.target_tokenizer.encode(target)) for _, target in pairs),
        )

    def length_statistics(self, split="test"):
        """Source and target lengths of a split, in tokens (see `sampling`)."""
        pairs = self.splits[split]
        return {
            "source": sampling.length_statistics(
                [source for source, _ in pairs], self.source_language
            ),
            "target": sampling.length_statistics(
                [target for _, target in pairs], self.target_language
            ),
        }

    def describe(self, split="test"):
        """One line naming the corpus, the split and its source lengths."""
        unit = "characters" if self.source_language == "zh" else "words"
        statistics = self.length_statistics(split)["source"]
        return (
            f"{self.corpus} {self.source_language}->{self.target_language}, "
            f"{split} split: {sampling.describe_lengths(statistics, unit)}"
        )


def make_translation_data(
    splits, direction, corpus, max_tokens=None, min_token_count=1
):
    """Filters the training pairs by length; builds both tokenizers from them.

    Only the training and validation splits are filtered: a length cap makes
    training cheaper, but the test split keeps every length, so that scores say how
    the model does on the corpus, long sentences included.

    Args:
        splits: dict of split name to a list of `(source, target)` strings.
        direction: `"zh-en"` or `"en-zh"`.
        corpus: the name results will carry (see `TranslationData.corpus`).
        max_tokens: drop training and validation pairs with more tokens than this
            on either side; `None` keeps all.
        min_token_count: a token enters a vocabulary once seen this often.
    """
    source_language, target_language = _languages(direction)

    def short_enough(pair):
        return max_tokens is None or (
            len(tokenize(pair[0], source_language)) <= max_tokens
            and len(tokenize(pair[1], target_language)) <= max_tokens
        )

    kept = {
        name: pairs if name == "test" else [p for p in pairs if short_enough(p)]
        for name, pairs in splits.items()
    }
    for name, pairs in kept.items():
        if not pairs:
            raise ValueError(
                f"The {name} split of {corpus} has no pairs of at most "
                f"max_tokens={max_tokens} tokens; the corpus is too small to split."
            )
    tokenizers = [
        WordTokenizer.build(
            [pair[side] for pair in kept["train"]], language, min_count=min_token_count
        )
        for side, language in ((0, source_language), (1, target_language))
    ]
    return TranslationData(corpus, kept, *tokenizers)


def tatoeba_data(scale=None, direction="zh-en", seed=0):
    """The Tatoeba corpus in one direction, sized by `scale` (default: current).

    Training pairs are a seeded sample of `scale.tatoeba_train_pairs` (all when
    `None`) of at most `scale.max_tokens` tokens a side; test pairs a seeded sample
    of `scale.eval_sentences` from the whole test split, so they span every length
    the corpus has. Each split is in random order.

    Offline without the corpus, toy-grammar pairs stand in (with a warning), and
    `corpus` says so.
    """
    from chapters.common import tatoeba

    scale = scale or scales.current_scale()
    loaded = tatoeba.load_corpus_or_toy()
    splits = {
        name: tatoeba.translation_pairs(pairs, direction)
        for name, pairs in tatoeba.split_corpus(loaded.pairs).items()
    }
    data = make_translation_data(
        {
            "train": sampling.seeded_sample(
                splits["train"], scale.tatoeba_train_pairs, seed
            ),
            "validation": splits["validation"],
            "test": splits["test"],
        },
        direction,
        loaded.name,
        scale.max_tokens,
        scale.min_token_count,
    )
    for name, count in (("validation", None), ("test", scale.eval_sentences)):
        data.splits[name] = sampling.seeded_sample(data.splits[name], count, seed)
    return data


def toy_data(
    train_pairs, eval_pairs, direction="zh-en", min_words=3, max_words=60, seed=0
):
    """Toy-grammar pairs in one direction, with every length kept.

    Args:
        train_pairs: pairs in the training split.
        eval_pairs: pairs in each of the validation and test splits.
        direction: `"zh-en"` or `"en-zh"`.
        min_words, max_words: English sentence lengths drawn, in words.
        seed: the generator's seed.
    """
    from chapters.common import toy_grammar

    _languages(direction)
    toy = toy_grammar.toy_splits(
        train_pairs,
        eval_pairs,
        eval_pairs,
        seed=seed,
        min_words=min_words,
        max_words=max_words,
    )
    splits = {
        name: [
            (pair.chinese, pair.english)
            if direction == "zh-en"
            else (pair.english, pair.chinese)
            for pair in pairs
        ]
        for name, pairs in toy.items()
    }
    return make_translation_data(splits, direction, TOY_CORPUS)
