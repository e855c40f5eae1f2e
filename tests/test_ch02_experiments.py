"""Chapter 2's experiment helpers: data, buckets, BLEU per bucket, the length curve."""

import math
import warnings

import numpy as np
import pytest

from chapters.ch02_encoder_decoder import experiments
from chapters.ch02_encoder_decoder.translator import Translation
from chapters.common import text


def test_make_translation_data_filters_long_pairs_and_builds_vocabularies():
    splits = {
        "train": [("我爱你。", "I love you."), ("我们" * 10, "We are many.")],
        "validation": [("你好。", "Hello.")],
        "test": [("谢谢。", "Thanks.")],
    }
    data = experiments.make_translation_data(splits, "zh", "en", max_tokens=5)
    assert data.splits["train"] == [("我爱你。", "I love you.")]
    assert data.source_vocabulary.tokens[4:] == sorted(["我", "爱", "你", "。"])
    assert "love" in data.target_vocabulary.tokens
    batch = next(iter(data.dataset("train", 2)))
    (source_ids, decoder_inputs), targets = batch
    assert source_ids.shape == (1, 4) and decoder_inputs.shape == targets.shape


def test_bucket_labels():
    edges = experiments.LENGTH_BUCKET_EDGES
    labels = [experiments.bucket_label(i) for i in range(len(edges) + 1)]
    assert labels[:2] == ["1-10", "11-20"] and labels[-1] == f"{edges[-1] + 1}+"


def _translation(output):
    return Translation("", output, (), (), 0.0, 0.0, True, (), 0, False)


def test_bleu_by_length_scores_each_bucket_apart():
    pairs = [("我" * 3, "a"), ("我" * 10, "b"), ("我" * 11, "c"), ("我" * 70, "d")]
    evaluation = experiments.Evaluation(
        bleu=0.0,
        unknown_rate=0.0,
        mean_log_prob=0.0,
        sentences_per_second=1.0,
        translations=[_translation(t) for t in ("a b c d", "a b c d", "x", "a b c d")],
        references=["a b c d", "a b c d", "a b c d", "a b c d"],
    )
    counts, scores = experiments.bleu_by_length(evaluation, pairs, "zh")
    assert counts == [2, 1, 0, 0, 0, 0, 1]
    assert scores[0] == pytest.approx(100) and scores[6] == pytest.approx(100)
    assert scores[1] == pytest.approx(0) and math.isnan(scores[2])


def test_clean_reference_lowercases_english_like_the_model():
    assert experiments.clean_reference("I  love  Beijing !", "en") == "i love beijing!"


def test_tatoeba_data_at_ci_scale():
    from chapters.common.scales import SCALES

    scale = SCALES["ci"]
    data = experiments.tatoeba_data(scale)
    assert len(data.splits["train"]) <= scale.tatoeba_train_pairs
    assert len(data.splits["test"]) <= scale.eval_sentences
    longest = max(len(text.tokenize(s, "zh")) for s, _ in data.splits["train"])
    assert longest <= scale.max_tokens


def test_length_curve_runs_and_reports_every_size():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        curve = experiments.length_curve(
            hidden_units=(8, 16),
            train_pairs=32,
            eval_pairs=20,
            epochs=1,
            embedding_dim=8,
            min_words=30,
            max_words=45,
        )
    # Sources run past the Translator's default cap of 50 tokens; none is cut.
    assert not [w for w in caught if "truncated" in str(w.message)]
    assert sum(curve.counts[5:]) > 0
    assert sorted(curve.bleu) == [8, 16]
    assert sum(curve.counts) == 20
    assert len(curve.labels) == len(curve.counts) == len(curve.bleu[8])
    assert curve.parameters[16] > curve.parameters[8]
    assert all(np.isnan(b) or 0 <= b <= 100 for b in curve.bleu[16])
    assert "all" in curve.table()
