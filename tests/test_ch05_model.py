"""Tests of chapter 5's `Transformer` under teacher forcing: shapes, causality,
padding, the pre-norm stacks' final norms, and saving.

Written for any Keras backend: `make test` runs this file under TensorFlow and
again with `KERAS_BACKEND=jax`.
"""

import dataclasses

import keras
import numpy as np
import pytest

from chapters.ch05_transformer.model import (
    PRESETS,
    Transformer,
    TransformerConfig,
    WithoutCache,
)
from chapters.common import decoding
from tests import reversal_task

to_numpy = keras.ops.convert_to_numpy
SOURCE = np.array([[5, 8, 3, 9, 2], [4, 7, 0, 0, 0]])  # 0 is padding
DECODER_INPUT = np.array([[1, 6, 4, 7], [1, 3, 0, 0]])  # [START] = 1
tensorflow_only = reversal_task.tensorflow_only
TINY = {"num_layers": 2, "d_model": 8, "num_heads": 2, "d_ff": 12, "max_length": 16}


def tiny(**options):
    keras.utils.set_random_seed(3)
    return Transformer(10, 9, **{**TINY, **options})


@pytest.mark.parametrize("norm_first", [False, True])
def test_logits_for_every_position_and_a_final_norm_only_when_pre_norm(norm_first):
    model = tiny(norm_first=norm_first)
    logits = model((SOURCE, DECODER_INPUT))
    assert tuple(logits.shape) == (2, 4, 9)
    assert (model.encoder_norm is not None) == norm_first
    assert len(model.encoder_blocks) == len(model.decoder_blocks) == 2


def test_a_position_does_not_see_later_target_tokens():
    model = tiny()
    before = to_numpy(model((SOURCE, DECODER_INPUT)))
    changed = DECODER_INPUT.copy()
    changed[0, 2:] = [2, 2]
    after = to_numpy(model((SOURCE, changed)))
    np.testing.assert_allclose(after[0, :2], before[0, :2], atol=1e-5)
    assert not np.allclose(after[0, 2], before[0, 2])
    np.testing.assert_allclose(after[1], before[1], atol=1e-5)


def test_a_padded_sentence_gives_what_it_gives_alone():
    model = tiny()
    batched = to_numpy(model((SOURCE, DECODER_INPUT)))
    alone = to_numpy(model((SOURCE[1:, :2], DECODER_INPUT[1:, :2])))
    np.testing.assert_allclose(batched[1, :2], alone[0], atol=1e-5)


def test_dropout_only_in_training():
    model = tiny(dropout=0.5)
    inputs = (SOURCE, DECODER_INPUT)
    np.testing.assert_array_equal(to_numpy(model(inputs)), to_numpy(model(inputs)))
    assert not np.allclose(
        to_numpy(model(inputs, training=True)), to_numpy(model(inputs))
    )


@pytest.mark.parametrize("norm_first", [False, True])
def test_keras_round_trip_gives_identical_logits(tmp_path, norm_first):
    model = tiny(norm_first=norm_first)
    expected = to_numpy(model((SOURCE, DECODER_INPUT)))
    path = tmp_path / "transformer.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(to_numpy(restored((SOURCE, DECODER_INPUT))), expected)


def test_a_dtype_policy_reaches_every_sublayer_and_survives_saving(tmp_path):
    model = tiny(norm_first=True, dtype="mixed_bfloat16")
    logits = model((SOURCE, DECODER_INPUT))
    assert keras.backend.standardize_dtype(logits.dtype) == "bfloat16"

    def compute_dtypes(layer):
        return {sublayer.compute_dtype for sublayer in layer._flatten_layers()}

    assert compute_dtypes(model) == {"bfloat16"}
    assert {weight.dtype for weight in model.weights} == {"float32"}
    model.save(tmp_path / "mixed.keras")
    restored = keras.saving.load_model(tmp_path / "mixed.keras")
    assert compute_dtypes(restored) == {"bfloat16"}
    np.testing.assert_array_equal(
        to_numpy(restored((SOURCE, DECODER_INPUT))), to_numpy(logits)
    )


def test_presets_build_and_bad_sizes_are_refused():
    config = PRESETS["ci"]
    model = Transformer(10, 9, **dataclasses.asdict(config))
    assert tuple(model((SOURCE, DECODER_INPUT)).shape) == (2, 4, 9)
    assert TransformerConfig().d_model == PRESETS["cpu"].d_model
    with pytest.raises(ValueError, match="d_model must split evenly into num_heads"):
        Transformer(10, 9, d_model=10, num_heads=4)
    with pytest.raises(ValueError, match="more than max_length=3"):
        tiny(max_length=3)((SOURCE, DECODER_INPUT))


@pytest.mark.parametrize("norm_first", [False, True])
def test_cached_steps_give_the_teacher_forced_logits(norm_first):
    model = tiny(norm_first=norm_first)
    expected = to_numpy(model((SOURCE, DECODER_INPUT)))  # (B, T, V)
    memory, state = model.encode(SOURCE)
    for position in range(DECODER_INPUT.shape[1]):
        logits, state = model.decode_step(DECODER_INPUT[:, position], state, memory)
        real = DECODER_INPUT[:, position] != 0  # padding is never scored
        np.testing.assert_allclose(
            to_numpy(logits)[real], expected[real, position], atol=1e-5
        )
        np.testing.assert_array_equal(to_numpy(state["positions"]), position + 1)
    weights = to_numpy(state["attention_weights"])  # (B, S)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    assert np.all(weights[SOURCE == 0] == 0)
    # Only the positions stepped through are written in the cache.
    assert np.all(to_numpy(state["keys_0"])[:, DECODER_INPUT.shape[1] :] == 0)


@pytest.mark.parametrize("norm_first", [False, True])
def test_attention_maps_per_block_and_head(norm_first):
    model = tiny(norm_first=norm_first)
    maps = {
        k: [to_numpy(w) for w in v]
        for k, v in model.attention_maps(SOURCE, DECODER_INPUT).items()
    }
    (batch, source_length), target_length = SOURCE.shape, DECODER_INPUT.shape[1]
    shapes = {
        "encoder_self": (batch, 2, source_length, source_length),
        "decoder_self": (batch, 2, target_length, target_length),
        "cross": (batch, 2, target_length, source_length),
    }
    for kind, shape in shapes.items():
        assert len(maps[kind]) == TINY["num_layers"]
        for weights in maps[kind]:
            assert weights.shape == shape
            np.testing.assert_allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    padded_keys = (SOURCE == 0)[:, None, None, :]  # (B, 1, 1, S)
    for weights in maps["encoder_self"] + maps["cross"]:
        assert np.all(weights[np.broadcast_to(padded_keys, weights.shape)] == 0)
    future = np.triu(np.ones((target_length, target_length), bool), k=1)
    for weights in maps["decoder_self"]:
        assert np.all(weights[:, :, future] == 0)
    np.testing.assert_allclose(
        to_numpy(model.attention_weights((SOURCE, DECODER_INPUT))),
        maps["cross"][-1].mean(axis=1),
        atol=1e-6,
    )
    # The last block's cross-attention, averaged over heads, is what a cached
    # decoding step reports at that position.
    memory, state = model.encode(SOURCE)
    for position in range(2):
        _, state = model.decode_step(DECODER_INPUT[:, position], state, memory)
        np.testing.assert_allclose(
            to_numpy(state["attention_weights"]),
            maps["cross"][-1][:, :, position].mean(axis=1),
            atol=1e-5,
        )


def reversal_transformer(source_size, target_size, embedding_dim, hidden_units):
    """A small Transformer with the signature `reversal_task` builds models with."""
    del embedding_dim, hidden_units
    return Transformer(
        source_size,
        target_size,
        num_layers=1,
        d_model=32,
        num_heads=2,
        d_ff=64,
        dropout=0.0,
        max_length=16,
    )


@pytest.fixture(scope="module")
def translator():
    return reversal_task.trained_translator(reversal_transformer, epochs=8)


@tensorflow_only
def test_translator_reverses_and_attends_to_the_mirrored_word(translator):
    reversal_task.assert_reverses_and_attends_to_the_mirrored_word(translator)


@tensorflow_only
@pytest.mark.parametrize("method", ["greedy", "beam"])
def test_translations_carry_weights_eager_equals_compiled_alone_equals_batched(
    translator, method
):
    reversal_task.assert_weights_agree_eager_compiled_alone_batched(translator, method)


@tensorflow_only
def test_beam_of_width_one_is_greedy(translator):
    sources = [source for source, _ in reversal_task.reverse_pairs(12, 5)]
    greedy = translator.translate(sources)
    assert translator.translate(sources, method="beam", beam_width=1) == greedy


@tensorflow_only
def test_without_the_cache_the_search_picks_the_same_tokens(translator):
    source_ids = np.array([[3, 4, 5, 6, 0], [7, 3, 0, 0, 0], [4, 4, 4, 5, 6]])
    cached = decoding.compile_search(
        decoding.greedy_search, translator.model, max_length=9
    )
    uncached = decoding.compile_search(
        decoding.greedy_search, WithoutCache(translator.model, 9), max_length=9
    )
    np.testing.assert_array_equal(
        to_numpy(uncached(source_ids)["tokens"]), to_numpy(cached(source_ids)["tokens"])
    )
    with pytest.raises(ValueError, match="buffer_length must be at most"):
        WithoutCache(translator.model, 17)


def test_decoding_an_unbuilt_model_builds_it_first():
    model = tiny()
    memory, state = model.encode(SOURCE)
    logits, _ = model.decode_step(DECODER_INPUT[:, 0], state, memory)
    assert model.built and tuple(logits.shape) == (2, 9)


def test_translators_refuse_lengths_beyond_the_positional_table():
    from chapters.common import evaluation, translation_data
    from chapters.common.tokenizers import WordTokenizer
    from chapters.common.translator import Translator
    from chapters.common.vocabulary import RESERVED_TOKENS, Vocabulary

    model = tiny()  # max_length 16, vocabularies of 10 and 9
    assert model.max_positions == 16
    source = WordTokenizer(Vocabulary([*RESERVED_TOKENS, *"一二三四五六"]), "zh")
    target = WordTokenizer(Vocabulary([*RESERVED_TOKENS, *"abcde"]), "en")
    Translator(model, source, target, max_source_tokens=16, max_output_tokens=16)
    for name in ("max_source_tokens", "max_output_tokens"):
        lengths = {"max_source_tokens": 16, "max_output_tokens": 16, name: 17}
        with pytest.raises(ValueError, match=f"{name}=17 is more than the model's"):
            Translator(model, source, target, **lengths)
    # The evaluation's default lengths are capped at the table instead.
    data = translation_data.TranslationData(
        "hand-made", {"test": [("一二三四五六" * 3, "a b c d e " * 3)]}, source, target
    )
    translator = evaluation.make_translator(model, data)
    assert translator.max_source_tokens == translator.max_output_tokens == 16
