"""Chapter 6's export: the graph twins of detokenizing, and a SavedModel that,
reloaded in a fresh process without the course's code, translates exactly as
`Translator` does.

Two small trained translators: chapter 5's Transformer with WordPiece English
(zh -> en) and chapter 3's attention model writing Chinese (en -> zh), so both
languages' detokenizers run in the graph.
"""

import random
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from chapters.ch03_attention.experiments import build_attention_model
from chapters.ch05_transformer.experiments import build_transformer, with_subwords
from chapters.ch05_transformer.model import PRESETS
from chapters.ch05_transformer.subwords import join_pieces
from chapters.ch06_beyond_the_notebook import export, graph_text
from chapters.common import scales, training, translation_data
from chapters.common.tokenizers import detokenize, tokenize
from chapters.common.translator import Translator

OPTIONS = {"max_source_tokens": 12, "max_output_tokens": 16, "batch_size": 8}


def ragged(rows):
    return tf.ragged.constant(rows, dtype=tf.string, ragged_rank=1)


def random_rows(pool, count, seed):
    generator = random.Random(seed)
    return [
        [generator.choice(pool) for _ in range(generator.randint(0, 9))]
        for _ in range(count)
    ]


def texts(tensor):
    return [value.decode("utf-8") for value in tensor.numpy()]


# Tokens that exercise every rule: glued punctuation, quotes opening and
# closing, brackets, currency, pieces, a piece first in its row, [UNK].
ENGLISH_POOL = ['"', ".", ",", "(", ")", "$", "%", "?", "!", "[", "]", "}", "i",
                "don't", "tom", "3.5", "a", "##s", "##ing", "[UNK]"]  # fmt: skip
CHINESE_POOL = ["我", "你", "。", "，", "？", "Tom", "2013", "a", "é", '"', "[UNK]"]


@pytest.mark.parametrize(
    ("language", "pool"), [("en", ENGLISH_POOL), ("zh", CHINESE_POOL)]
)
def test_detokenizing_in_the_graph_writes_what_python_writes(language, pool):
    rows = random_rows(pool, 500, seed=0) + [[]]
    expected = [detokenize(row, language) for row in rows]
    assert texts(graph_text.tf_detokenize(ragged(rows), language)) == expected


def test_the_graph_twins_on_corpus_sentences(corpus):
    pairs = random.Random(0).sample(corpus.pairs, 300)
    for language, side in (("en", "english"), ("zh", "chinese")):
        rows = [tokenize(getattr(pair, side), language) for pair in pairs]
        expected = [detokenize(row, language) for row in rows]
        assert texts(graph_text.tf_detokenize(ragged(rows), language)) == expected


def test_a_hand_written_english_case():
    rows = [["he", "said", '"', "hi", "(", "twice", ")", '"', "for", "$", "5", "."]]
    assert texts(graph_text.tf_detokenize(ragged(rows), "en")) == [
        'he said "hi (twice)" for $5.'
    ]


def test_joining_pieces_in_the_graph_gives_the_python_words():
    rows = random_rows(ENGLISH_POOL, 500, seed=1) + [[], ["##s", "##s"]]
    got = graph_text.tf_join_pieces(ragged(rows)).to_list()
    assert [[word.decode() for word in row] for row in got] == [
        join_pieces(row) for row in rows
    ]
    assert got[-1] == [b"##ss"]  # a first piece stays a word, `##` and all


def test_bad_languages_and_tokenizers_are_refused():
    with pytest.raises(ValueError, match="language"):
        graph_text.tf_detokenize(ragged([["a"]]), "fr")
    with pytest.raises(TypeError, match="WordTokenizer"):
        graph_text.tf_decode_outputs(object(), tf.zeros([1, 2], tf.int32), [1])


@pytest.fixture(scope="module")
def transformer_translator():
    """A ci-sized Transformer, WordPiece English, trained a little on zh -> en."""
    scales.set_seed(0)
    data = with_subwords(translation_data.toy_data(256, 64, max_words=8), 120)
    model = build_transformer(data, PRESETS["ci"])
    training.train(model, data, epochs=3, batch_size=32, validation=False, verbose=0)
    return Translator(model, data.source_tokenizer, data.target_tokenizer, **OPTIONS)


@pytest.fixture(scope="module")
def attention_translator():
    """Chapter 3's GRU with additive attention, trained a little on en -> zh."""
    scales.set_seed(0)
    data = translation_data.toy_data(256, 64, direction="en-zh", max_words=8)
    model = build_attention_model(data, embedding_dim=32, hidden_units=32)
    training.train(model, data, epochs=10, batch_size=16, validation=False, verbose=0)
    return Translator(model, data.source_tokenizer, data.target_tokenizer, **OPTIONS)


@pytest.fixture(scope="module")
def toy_sources():
    """60 test sentences of each direction; a few longer than max_source_tokens."""
    pairs = translation_data.toy_data(8, 60, min_words=3, max_words=14, seed=5)
    test = pairs.splits["test"]
    return {"zh-en": [zh for zh, _ in test], "en-zh": [en for _, en in test]}


@pytest.mark.parametrize(
    ("name", "direction"),
    [("transformer_translator", "zh-en"), ("attention_translator", "en-zh")],
)
def test_the_reloaded_savedmodel_translates_as_the_translator_does(
    name, direction, request, toy_sources, tmp_path
):
    translator = request.getfixturevalue(name)
    sentences = toy_sources[direction]
    assert len(sentences) >= 50
    assert any(
        len(translator.source_tokenizer.tokenize(sentence))
        > OPTIONS["max_source_tokens"]
        for sentence in sentences
    ), "some sentence should be truncated"
    folder = export.export_translator(translator, tmp_path / "export")
    reloaded = export.translate_in_fresh_process(
        folder, sentences, ("serving_default", "greedy", "beam")
    )
    assert reloaded["course_modules"] == []
    with pytest.warns(UserWarning, match="truncated"):
        greedy = translator.translate_with_scores(sentences, "greedy")
    with pytest.warns(UserWarning, match="truncated"):
        beam = translator.translate_with_scores(sentences, "beam", beam_width=4)
    for signature, expected in (
        ("serving_default", greedy),
        ("greedy", greedy),
        ("beam", beam),
    ):
        signature_output = reloaded["signatures"][signature]
        assert signature_output["translations"] == [t.text for t in expected]
        np.testing.assert_allclose(
            signature_output["scores"], [t.score for t in expected], atol=1e-4
        )
    # The test has teeth: the outputs vary from sentence to sentence.
    assert len(set(reloaded["signatures"]["greedy"]["translations"])) > 10
    assert "visible character" in reloaded["blank_sentence"]


def test_the_keras_file_and_vocabularies_round_trip(transformer_translator, tmp_path):
    transformer_translator.save(tmp_path / "zh_en.translator")
    loaded = Translator.load(tmp_path / "zh_en.translator")
    assert loaded.target_tokenizer.vocabulary.tokens == (
        transformer_translator.target_tokenizer.vocabulary.tokens
    )
    assert type(loaded.target_tokenizer).__name__ == "SubwordTokenizer"
    sentences = ["我爱你。", "欢迎来北京。", "他们在家里吃饭吗？"]
    for method in ("greedy", "beam"):
        assert loaded.translate(sentences, method) == transformer_translator.translate(
            sentences, method
        )


def test_export_refuses_what_it_cannot_export(tmp_path):
    with pytest.raises(TypeError, match="Translator"):
        export.export_translator(object(), tmp_path / "export")
    with pytest.raises(ValueError, match="method"):
        export.translation_function(None, "sampling")


def test_the_export_command_names_a_missing_translator(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "chapters.ch06_beyond_the_notebook.export",
         "--translator", str(tmp_path / "missing.translator"),
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 2
    assert "No translator file" in completed.stderr
    assert "Traceback" not in completed.stderr
