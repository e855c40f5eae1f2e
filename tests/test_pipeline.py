"""Tests of the tf.data pipeline: teacher forcing, padded batches, buckets."""

import numpy as np
import pytest
import tensorflow as tf

from chapters.common import tatoeba
from chapters.common.masks import padding_mask
from chapters.common.pipeline import (
    make_dataset,
    padding_fraction,
    teacher_forcing_shift,
)
from chapters.common.tokenizers import (
    Tokenizer,
    WordTokenizer,
    tokenize_chinese,
    tokenize_english,
)
from chapters.common.vocabulary import END_ID, START_ID, Vocabulary


def test_teacher_forcing_shift_by_hand():
    inputs, targets = teacher_forcing_shift([5, 6, 7])
    assert inputs.numpy().tolist() == [START_ID, 5, 6, 7]
    assert targets.numpy().tolist() == [5, 6, 7, END_ID]
    # A padded batch: END goes right after each sentence, padding after it.
    inputs, targets = teacher_forcing_shift(np.array([[5, 6, 0], [7, 0, 0]]))
    assert inputs.numpy().tolist() == [[2, 5, 6, 0], [2, 7, 0, 0]]
    assert targets.numpy().tolist() == [[5, 6, 3, 0], [7, 3, 0, 0]]
    inputs, targets = teacher_forcing_shift(tf.ragged.constant([[5, 6], [7]]))
    assert inputs.to_list() == [[2, 5, 6], [2, 7]]
    assert targets.to_list() == [[5, 6, 3], [7, 3]]


def small_pairs():
    # (Chinese, English) pairs of 1 to 7 Chinese tokens.
    chinese = [
        "好。",
        "猫爱鱼。",
        "猫在画画。",
        "你今天有空吗？",
        "我们跑吧！",
        "猫睡了。",
    ]
    english = [
        "Good.",
        "The cat adores fish.",
        "The cat is painting.",
        "Are you free today?",
    ]
    english += ["Let us run now!", "The cat slept."]
    return list(zip(chinese, english, strict=True))


def small_tokenizers(pairs):
    source = WordTokenizer.build([zh for zh, _ in pairs], "zh")
    target = WordTokenizer.build([en for _, en in pairs], "en")
    return source, target


def test_make_dataset_pads_each_batch_to_its_longest_sentence():
    pairs = small_pairs()
    source_tokenizer, target_tokenizer = small_tokenizers(pairs)
    dataset = make_dataset(pairs, source_tokenizer, target_tokenizer, batch_size=2)
    batches = list(dataset.as_numpy_iterator())
    assert len(batches) == 3
    for index, ((source, decoder_inputs), decoder_targets) in enumerate(batches):
        batch_pairs = pairs[2 * index : 2 * index + 2]
        source_lengths = [len(tokenize_chinese(zh)) for zh, _ in batch_pairs]
        target_lengths = [len(tokenize_english(en)) + 1 for _, en in batch_pairs]
        assert source.dtype == np.int32
        assert source.shape == (2, max(source_lengths))
        assert decoder_inputs.shape == decoder_targets.shape == (2, max(target_lengths))
        assert np.sum(padding_mask(source), axis=1).tolist() == source_lengths
        assert (decoder_inputs[:, 0] == START_ID).all()
        for row, (_, english) in enumerate(batch_pairs):
            length = target_lengths[row]
            assert decoder_targets[row, length - 1] == END_ID
            assert target_tokenizer.decode(decoder_targets[row]) == (
                target_tokenizer.detokenize(tokenize_english(english))
            )
            np.testing.assert_array_equal(
                decoder_inputs[row, 1:length], decoder_targets[row, : length - 1]
            )


def test_make_dataset_shuffles_repeatably_and_buckets():
    pairs = small_pairs()
    source_tokenizer, target_tokenizer = small_tokenizers(pairs)

    def epochs(dataset, count):
        return [
            [batch[0][0].tolist() for batch in dataset.as_numpy_iterator()]
            for _ in range(count)
        ]

    def shuffled(seed):
        return make_dataset(
            pairs, source_tokenizer, target_tokenizer, 6, shuffle=True, seed=seed
        )

    first, second = epochs(shuffled(3), 2)
    # A new order every epoch, and the same orders again from the same seed.
    assert first != second
    assert epochs(shuffled(3), 1) == [first]
    # Bucket boundary 4: sentences of 1-3 source tokens and of 4 or more apart.
    dataset = make_dataset(
        pairs,
        source_tokenizer,
        target_tokenizer,
        batch_size=np.int64(6),
        bucket_boundaries=[4],
    )
    widths = sorted(batch[0][0].shape[1] for batch in dataset)
    assert widths == [2, 7]


def test_make_dataset_pads_every_batch_to_fixed_lengths():
    pairs = small_pairs()
    source_tokenizer, target_tokenizer = small_tokenizers(pairs)
    per_batch = make_dataset(pairs, source_tokenizer, target_tokenizer, 2)
    fixed = make_dataset(pairs, source_tokenizer, target_tokenizer, 2, pad_to=(9, 6))
    for ((source, inputs), targets), ((short, short_inputs), short_targets) in zip(
        fixed.as_numpy_iterator(), per_batch.as_numpy_iterator(), strict=True
    ):
        assert source.shape == (2, 9)
        assert inputs.shape == targets.shape == (2, 7)
        # The same ids, then only padding.
        width = short.shape[1]
        np.testing.assert_array_equal(source[:, :width], short)
        assert (source[:, width:] == 0).all()
        width = short_targets.shape[1]
        np.testing.assert_array_equal(inputs[:, :width], short_inputs)
        np.testing.assert_array_equal(targets[:, :width], short_targets)
        assert (targets[:, width:] == 0).all() and (inputs[:, width:] == 0).all()
    too_short = make_dataset(
        pairs, source_tokenizer, target_tokenizer, 2, pad_to=(9, 3)
    )
    with pytest.raises(tf.errors.OpError, match="pad to a smaller size"):
        list(too_short.as_numpy_iterator())


def test_make_dataset_refuses_bad_pairs_and_arguments():
    pairs = small_pairs()
    source_tokenizer, target_tokenizer = small_tokenizers(pairs)

    def build(bad_pairs, **options):
        options.setdefault("batch_size", 2)
        return make_dataset(bad_pairs, source_tokenizer, target_tokenizer, **options)

    with pytest.raises(ValueError, match="Pair 1 has an empty sentence"):
        build([pairs[0], ("我。", "  ")])
    with pytest.raises(ValueError, match="not both"):
        build(pairs, bucket_boundaries=[4], pad_to=(9, 6))
    with pytest.raises(ValueError, match="source_length, target_length"):
        build(pairs, pad_to=(9,))
    with pytest.raises(ValueError, match="pad_to"):
        build(pairs, pad_to=(9, 0))
    with pytest.raises(TypeError, match="index 0"):
        build([("我。",)])
    with pytest.raises(ValueError, match="at least one"):
        build([])
    with pytest.raises(ValueError, match="bucket_boundaries"):
        build(pairs, bucket_boundaries=[5, 3])
    with pytest.raises(ValueError, match="batch_size=0"):
        build(pairs, batch_size=0)
    with pytest.raises(TypeError, match="batch_size=True"):
        build(pairs, batch_size=True)
    with pytest.raises(
        TypeError,
        match="source_tokenizer must be a chapters.common.tokenizers.Tokenizer",
    ):
        make_dataset(pairs, source_tokenizer.vocabulary, target_tokenizer, 2)
    # A sentence of invisible characters alone gives no tokens and is dropped.
    assert sum(1 for _ in build([pairs[0], ("\u200b", "Robot.")]).unbatch()) == 1


class SpaceTokenizer(Tokenizer):
    """The smallest tokenizer: tokens are what spaces separate, ids a fixed list."""

    def __init__(self, tokens):
        self.language = "en"
        self.vocabulary = Vocabulary(tokens)

    @property
    def vocabulary_size(self):
        return len(self.vocabulary)

    def tokenize(self, text):
        return text.split()

    def detokenize(self, tokens):
        return " ".join(tokens)

    def tokens_to_ids(self, tokens):
        return self.vocabulary.encode(tokens)

    def ids_to_tokens(self, ids):
        return self.vocabulary.decode(ids, strip_special=False)

    def tf_encode(self, sentences):
        tokens = tf.strings.split(sentences)
        return tf.cast(self.vocabulary.lookup(tokens), tf.int32)


def test_any_tokenizer_of_the_interface_feeds_make_dataset():
    tokenizer = SpaceTokenizer(
        ["[PAD]", "[UNK]", "[START]", "[END]", "one", "two", "three", "un", "deux"]
    )
    assert tokenizer.encode("one two four") == [4, 5, 1]
    assert tokenizer.decode([2, 4, 5, 3, 0]) == "one two"
    pairs = [("one two three", "un deux"), ("three", "deux deux deux")]
    dataset = make_dataset(pairs, tokenizer, tokenizer, batch_size=2)
    (source, decoder_inputs), decoder_targets = next(iter(dataset))
    assert source.numpy().tolist() == [[4, 5, 6], [6, 0, 0]]
    assert decoder_inputs.numpy().tolist() == [[2, 7, 8, 0], [2, 8, 8, 8]]
    assert decoder_targets.numpy().tolist() == [[7, 8, 3, 0], [8, 8, 8, 3]]


def test_padding_fraction_by_hand():
    dataset = tf.data.Dataset.from_tensors(
        (tf.constant([[4, 0], [5, 6]]), tf.constant([[7, 0, 0]]))
    )
    assert padding_fraction(dataset) == pytest.approx(3 / 7)


def length_mixed_pairs(corpus):
    """Real training pairs when the corpus is there, else a synthetic length mix."""
    if corpus is not None:
        # Every fourth pair: the file is sorted by length, its head is all short.
        train = tatoeba.split_corpus(corpus)["train"][::4]
        return tatoeba.translation_pairs(train, "zh-en")
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 30, size=3000)
    return [("好" * n, " ".join(["go"] * (n // 2 + 1))) for n in lengths]


def test_bucketing_cuts_padding(corpus_or_none):
    pairs = length_mixed_pairs(corpus_or_none)
    source_tokenizer, target_tokenizer = small_tokenizers(pairs)
    options = dict(batch_size=64, shuffle=True)
    plain = make_dataset(pairs, source_tokenizer, target_tokenizer, **options)
    bucketed = make_dataset(
        pairs,
        source_tokenizer,
        target_tokenizer,
        bucket_boundaries=[6, 8, 10, 12, 15, 20, 30],
        **options,
    )
    without, with_buckets = padding_fraction(plain), padding_fraction(bucketed)
    print(
        f"padding fraction: {without:.3f} without buckets, {with_buckets:.3f} with "
        f"(ratio {with_buckets / without:.2f}) on {len(pairs)} pairs"
    )
    assert with_buckets < 0.75 * without
