"""The shared experiment toolkit: translation data, honest subsets, provenance,
evaluation by length, and both experiments run with any chapter's model factory."""

import argparse
import functools
import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest

from chapters.ch02_encoder_decoder import Seq2Seq
from chapters.ch02_encoder_decoder import experiments as chapter2
from chapters.ch02_encoder_decoder.experiments import (
    build_seq2seq,
    length_curve_experiment,
    main,
)
from chapters.ch03_attention import AttentionSeq2Seq
from chapters.ch03_attention import experiments as chapter3
from chapters.ch04_dot_product_attention import LuongSeq2Seq
from chapters.ch04_dot_product_attention import experiments as chapter4
from chapters.common import (
    evaluation,
    experiments,
    sampling,
    scales,
    tatoeba,
    translation_data,
)
from chapters.common.arguments import positive_float_argument, positive_int_argument
from chapters.common.tokenizers import tokenize
from chapters.common.translator import Translation


def test_make_translation_data_filters_long_training_pairs_only():
    splits = {
        "train": [("我爱你。", "I love you."), ("我们" * 10, "We are many.")],
        "validation": [("你好。", "Hello."), ("你好" * 10, "Hello.")],
        "test": [("谢谢。", "Thanks."), ("谢谢" * 10, "Thanks a lot.")],
    }
    data = translation_data.make_translation_data(
        splits, "zh-en", "hand-made", max_tokens=5
    )
    assert data.splits["train"] == [("我爱你。", "I love you.")]
    assert data.splits["validation"] == [("你好。", "Hello.")]
    # The test split keeps every length: scores must cover long sentences too.
    assert data.splits["test"] == splits["test"]
    vocabulary = data.source_tokenizer.vocabulary
    assert vocabulary.tokens[4:] == sorted(["我", "爱", "你", "。"])
    assert data.target_tokenizer.encode("love")[0] != 1  # known, not [UNK]
    (source_ids, decoder_inputs), targets = next(iter(data.dataset("train", 2)))
    assert source_ids.shape == (1, 4) and decoder_inputs.shape == targets.shape


def test_make_translation_data_refuses_a_corpus_too_small_to_split():
    splits = {"train": [("我爱你。", "I love you.")], "validation": [], "test": []}
    with pytest.raises(ValueError, match="validation split .* too small"):
        translation_data.make_translation_data(splits, "zh-en", "tiny")


def test_both_directions_of_the_toy_grammar():
    forward = translation_data.toy_data(20, 5, "zh-en", max_words=8)
    backward = translation_data.toy_data(20, 5, "en-zh", max_words=8)
    assert forward.source_language == "zh" and backward.source_language == "en"
    assert [(t, s) for s, t in forward.splits["test"]] == backward.splits["test"]
    with pytest.raises(ValueError, match="direction"):
        translation_data.toy_data(20, 5, "zh-fr")


def test_one_per_length_band_draws_inside_each_band_in_band_order():
    lengths = [3, 9, 4, 12, 7, 3, 11, 5]
    bands = ((10, 12), (3, 4), (5, 9))
    draws = {
        tuple(sampling.one_per_length_band(lengths, bands, seed)) for seed in range(20)
    }
    for chosen in draws:
        for index, (low, high) in zip(chosen, bands, strict=True):
            assert low <= lengths[index] <= high
    assert len(draws) > 1  # random, not the first of each band
    assert sampling.one_per_length_band(lengths, bands, 4) == (
        sampling.one_per_length_band(lengths, bands, 4)
    )
    with pytest.raises(ValueError, match="band 20-30.*lengths from 3 to 12"):
        sampling.one_per_length_band(lengths, [(20, 30)])


def test_seeded_sample_spans_the_lengths_and_leaves_its_input_alone():
    ordered = [f"w{i}" for i in range(1000)]  # like the corpus: sorted by length
    before = list(ordered)
    sample = sampling.seeded_sample(ordered, 100, seed=3)
    assert ordered == before
    assert len(set(sample)) == 100 and set(sample) <= set(ordered)
    positions = sorted(int(item[1:]) for item in sample)
    # A head slice would be 0..99; a sample reaches the far end and is not sorted.
    assert positions[-1] > 900 and positions[0] < 100
    assert sample != sorted(sample, key=lambda item: int(item[1:]))
    assert sample == sampling.seeded_sample(ordered, 100, seed=3)
    assert sample != sampling.seeded_sample(ordered, 100, seed=4)
    assert sorted(sampling.seeded_sample(ordered, None)) == sorted(ordered)
    with pytest.raises(TypeError, match="count"):
        sampling.seeded_sample(ordered, True)


def test_length_statistics_by_hand():
    statistics = sampling.length_statistics(["我爱你。", "好。", "欢迎来北京！"], "zh")
    assert statistics == {
        "sentences": 3,
        "mean": 4.0,
        "median": 4.0,
        "min": 2,
        "max": 6,
    }
    line = sampling.describe_lengths(statistics, "characters")
    assert line == "3 sentences, 2-6 characters (mean 4.0, median 4)"


def test_tatoeba_test_sentences_are_a_sample_across_all_lengths():
    scale = scales.SCALES["ci"]
    data = translation_data.tatoeba_data(scale)
    if data.is_stand_in:
        pytest.skip("needs the Tatoeba corpus (COURSE_CORPUS_DIR)")
    assert data.corpus == "Tatoeba"
    assert len(data.splits["test"]) == scale.eval_sentences
    assert len(data.splits["train"]) <= scale.tatoeba_train_pairs
    full_test = tatoeba.translation_pairs(
        tatoeba.split_corpus(tatoeba.load_corpus())["test"]
    )
    head = full_test[: scale.eval_sentences]
    words = data.length_statistics("test")["target"]
    head_words = max(len(tokenize(target, "en")) for _, target in head)
    # The head of the file holds only the shortest sentences; the sample does not.
    assert words["max"] > 2 * head_words
    train_longest = max(len(tokenize(s, "zh")) for s, _ in data.splits["train"])
    assert train_longest <= scale.max_tokens
    train_words = [len(tokenize(t, "en")) for _, t in data.splits["train"]]
    assert np.mean(train_words) > np.mean(
        [len(tokenize(t, "en")) for _, t in full_test[: len(train_words)]]
    )


def test_the_toy_stand_in_says_so(monkeypatch, tmp_path):
    monkeypatch.delenv(tatoeba.CORPUS_VARIABLE, raising=False)
    monkeypatch.setenv(tatoeba.CACHE_VARIABLE, str(tmp_path / "cache"))
    monkeypatch.setattr(tatoeba, "download_file", _offline)
    with pytest.warns(UserWarning, match="not Tatoeba's"):
        data = translation_data.tatoeba_data(scales.SCALES["ci"])
    assert data.is_stand_in and "stand-in" in data.corpus
    assert "Tatoeba" not in data.corpus.replace("Tatoeba not found", "")
    assert data.describe().startswith("toy-grammar stand-in")


def _offline(url, destination):
    raise OSError("offline")


def test_clean_reference_lowercases_english_like_the_model():
    assert evaluation.clean_reference("I  love  Beijing !", "en") == "i love beijing!"


def test_bucket_labels():
    edges = evaluation.LENGTH_BUCKET_EDGES
    labels = [evaluation.bucket_label(i) for i in range(len(edges) + 1)]
    assert labels[:2] == ["1-10", "11-20"] and labels[-1] == f"{edges[-1] + 1}+"


def _translation(source, output):
    return Translation(source, output, (), (), 0.0, 0.0, True, (), 0, False)


@pytest.mark.parametrize(
    ("target_language", "outputs", "references"),
    [
        ("en", ["a b c d", "a b c d", "x", "a b c d"], ["a b c d"] * 4),
        ("zh", ["我爱你们", "我爱你们", "好", "我爱你们"], ["我爱你们"] * 4),
    ],
)
def test_bleu_by_length_scores_each_bucket_apart(target_language, outputs, references):
    sources = ["我" * 3, "我" * 10, "我" * 11, "我" * 70]
    result = evaluation.Evaluation(
        bleu=0.0,
        unknown_rate=0.0,
        mean_log_prob=0.0,
        sentences_per_second=1.0,
        translations=[
            _translation(s, o) for s, o in zip(sources, outputs, strict=True)
        ],
        references=references,
    )
    counts, scores = evaluation.bleu_by_length(result, "zh", target_language)
    assert counts == [2, 1, 0, 0, 0, 0, 1]
    assert scores[0] == pytest.approx(100) and scores[6] == pytest.approx(100)
    assert scores[1] == pytest.approx(0) and math.isnan(scores[2])


def test_translation_experiment_reports_provenance_and_test_lengths():
    data = translation_data.toy_data(64, 16, max_words=8)
    factory = functools.partial(build_seq2seq, embedding_dim=8, hidden_units=8)
    results, model = experiments.translation_experiment(
        factory, data, epochs=1, batch_size=32, beam_width=2, verbose=0
    )
    assert results["corpus"] == "toy grammar" and results["direction"] == "zh-en"
    assert results["test_pairs"] == 16 and results["parameters"] == model.count_params()
    statistics = data.length_statistics("test")
    assert results["test_source_tokens_max"] == statistics["source"]["max"]
    assert 0 <= results["bleu_beam"] <= 100 and 0 <= results["unknown_rate_greedy"] <= 1
    # The loss a learning-rate comparison reads: the last epoch's validation loss.
    assert results["final_val_loss"] == model.history.history["val_loss"][-1]


def test_length_curve_takes_model_factories_and_reads_long_sources_whole():
    scale = scales.SCALES["ci"]
    data = translation_data.toy_data(32, 20, min_words=30, max_words=45)
    factories = {
        f"h={units}": functools.partial(
            build_seq2seq, embedding_dim=8, hidden_units=units
        )
        for units in (8, 16)
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        curve = experiments.length_curve(factories, data, 1, scale.batch_size)
    # Sources run past the Translator's default cap of 50 tokens; none is cut.
    assert not [w for w in caught if "truncated" in str(w.message)]
    assert sum(curve.counts[5:]) > 0 and sum(curve.counts) == 20
    assert list(curve.bleu) == ["h=8", "h=16"]
    assert len(curve.labels) == len(curve.counts) == len(curve.bleu["h=8"])
    assert curve.parameters["h=16"] > curve.parameters["h=8"]
    assert all(np.isnan(b) or 0 <= b <= 100 for b in curve.bleu["h=16"])
    table = curve.table()
    assert table.startswith("toy grammar, test sources: 20 sentences")
    assert "all" in table


def test_chapter_two_length_curve_at_ci_scale():
    curve = length_curve_experiment(scales.SCALES["ci"], epochs=1)
    assert list(curve.bleu) == [
        f"context {units}" for units in scales.SCALES["ci"].length_curve_context_units
    ]


def test_the_command_line_refuses_zero_epochs(capsys):
    with pytest.raises(SystemExit):
        main(["tatoeba", "--epochs", "0"])
    assert "positive integer" in capsys.readouterr().err


def test_one_builder_sizes_and_compiles_any_chapters_model():
    data = translation_data.toy_data(32, 8, max_words=6)
    for model_class in (Seq2Seq, AttentionSeq2Seq):
        model = experiments.build_translation_model(model_class, data, 8, 12)
        assert isinstance(model, model_class) and model.built and model.compiled
        assert (
            model.encoder.embedding.input_dim == data.source_tokenizer.vocabulary_size
        )
        assert (
            model.decoder.output_projection.units
            == data.target_tokenizer.vocabulary_size
        )
    attention = chapter3.build_attention_model(data, 8, 12, attention_units=5)
    assert attention.decoder.attention.units == 5


def test_result_and_model_lines_print_what_was_measured():
    lines = experiments.results_lines(
        {"corpus": "toy grammar", "bleu_greedy": 12.3456, "epsilon": 1e-9, "x": 0.0}
    )
    assert lines == [
        "corpus: toy grammar",
        "bleu_greedy: 12.346",
        "epsilon: 1e-09",
        "x: 0.000",
    ]
    curve = experiments.LengthCurve(
        corpus="toy grammar",
        source_unit="words",
        labels=["1-5"],
        counts=[3],
        bleu={"a": [1.0], "b": [2.0]},
        parameters={"a": 1234, "b": 56},
        seconds={"a": 1.4, "b": 20.6},
    )
    assert curve.model_lines() == [
        "a: 1,234 parameters, trained in 1 s",
        "b: 56 parameters, trained in 21 s",
    ]


def test_chapter_three_length_curve_trains_both_models_on_the_same_data():
    scale = scales.SCALES["ci"]
    data = chapter2.length_curve_data(scale, train_pairs=64)
    curve = chapter3.length_curve_experiment(scale, epochs=1, data=data)
    assert list(curve.models) == [chapter3.NO_ATTENTION, chapter3.ATTENTION]
    assert isinstance(curve.models[chapter3.NO_ATTENTION], Seq2Seq)
    assert isinstance(curve.models[chapter3.ATTENTION], AttentionSeq2Seq)
    assert curve.source_unit == "English words"
    assert sum(curve.counts) == len(data.splits["test"])
    toy_pairs = chapter2.length_curve_toy_pairs(scale, data)
    scores = chapter3.alignment_results(
        curve.models[chapter3.ATTENTION], data, toy_pairs
    )
    assert list(scores) == [chapter3.ATTENTION, "diagonal baseline"]
    assert scores[chapter3.ATTENTION].tokens == scores["diagonal baseline"].tokens > 0


def test_the_aligned_word_curves_plot_draws_every_model_on_three_panels():
    curve = {"labels": ["1-10", "11+"], "accuracy": [0.5, 0.25], "counts": [4, 4]}
    groups = {name: {"m1": curve, "m2": curve} for name in ("a", "b", "c")}
    figure = chapter2.plot_aligned_word_curves(groups)
    assert len(figure.axes) == 3
    assert all(len(ax.get_lines()) == 2 for ax in figure.axes)
    assert figure.axes[0].get_ylim() == (0.0, 1.0)
    plt.close(figure)


@pytest.mark.parametrize("text", ["0", "-3", "x", "2.5"])
def test_command_line_sizes_must_be_positive_integers(text):
    with pytest.raises(argparse.ArgumentTypeError, match="positive integer"):
        positive_int_argument(text)
    assert positive_int_argument("7") == 7


@pytest.mark.parametrize("text", ["0", "-3e-3", "x", "inf", "nan", ""])
def test_command_line_learning_rates_must_be_positive_numbers(text):
    with pytest.raises(argparse.ArgumentTypeError, match="positive number"):
        positive_float_argument(text)
    assert positive_float_argument("3e-3") == 3e-3


@pytest.mark.parametrize("chapter", [chapter3, chapter4])
def test_the_tatoeba_commands_refuse_a_zero_learning_rate(chapter, capsys):
    with pytest.raises(SystemExit):
        chapter.main(["tatoeba", "--learning-rate", "0"])
    assert "positive number" in capsys.readouterr().err


def test_luong_builder_passes_the_learning_rate_and_leaves_input_feeding_off():
    data = translation_data.toy_data(32, 8, max_words=6)
    model = chapter4.build_luong_model(data, 8, 12, learning_rate=0.01, score="dot")
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    assert model.decoder.score == "dot" and not model.decoder.input_feeding
    fed = chapter4.build_luong_model(data, 8, 12, input_feeding=True)
    assert fed.decoder.input_feeding


def test_chapter_four_compares_additive_and_luong_on_the_same_data():
    scale = scales.SCALES["ci"]
    curve, alignments, peaks = chapter4.length_curve_comparison(
        scale, train_pairs=64, epochs=1
    )
    assert list(curve.models) == ["additive (ch. 3)", *chapter4.LUONG_VARIANTS]
    assert isinstance(curve.models["Luong dot"], LuongSeq2Seq)
    assert curve.models["Luong dot"].decoder.score == "dot"
    scaled = curve.models["Luong general /√H"].decoder
    assert scaled.score == "general" and scaled.attention.scaled
    assert list(alignments) == [*curve.models, "diagonal baseline"]
    tokens = {scores.tokens for scores in alignments.values()}
    assert len(tokens) == 1 and tokens.pop() > 0
    assert list(peaks) == list(curve.models)
    assert all(0 < peak <= 1 for peak in peaks.values())
    lines = chapter4.comparison_table(curve, alignments, peaks).splitlines()
    assert len(lines) == 1 + len(curve.models)
    assert lines[2].startswith("Luong dot")
