"""Chapter 3's attention encoder-decoder: its steps, its weights, the protocol.

The decoder's one-step path (`decode_step`, used by the searches) must equal its
teacher-forced path (`call`, used in training); the SimpleRNN decoder must equal
the lesson's formula written in NumPy; the weights must be a distribution over the
real source tokens; and `Translator` must return them per output token, the same
eager and compiled, alone and in a batch.
"""

import keras
import numpy as np
import pytest

from chapters.ch03_attention import numpy_attention
from chapters.ch03_attention.decoder import AttentionDecoder
from chapters.ch03_attention.model import AttentionSeq2Seq
from chapters.common.decoding import ATTENTION_WEIGHTS
from chapters.common.vocabulary import PAD_ID
from tests import reversal_task

tensorflow_only = reversal_task.tensorflow_only
SOURCE = np.array([[4, 5, 6, 7, 8], [9, 10, 11, PAD_ID, PAD_ID], [12, 4, 5, 6, 19]])
DECODER_INPUT = np.array([[2, 5, 6, 7], [2, 9, PAD_ID, PAD_ID], [2, 14, 13, 12]])


def tiny_model(**options):
    model = AttentionSeq2Seq(20, 15, embedding_dim=8, hidden_units=6, **options)
    model.build(((None, None), (None, None)))
    return model


@pytest.mark.parametrize(
    "options",
    [{}, {"cell_type": "simple_rnn"}, {"initial_state": "projection"}],
)
def test_decoding_steps_equal_the_teacher_forced_pass(options):
    keras.utils.set_random_seed(1)
    model = tiny_model(attention_units=5, **options)
    logits = np.asarray(model((SOURCE, DECODER_INPUT)))
    weights = np.asarray(model.attention_weights((SOURCE, DECODER_INPUT)))
    assert logits.shape == (3, 4, 15) and weights.shape == (3, 4, 5)
    memory, state = model.encode(SOURCE)
    np.testing.assert_array_equal(state[ATTENTION_WEIGHTS], np.zeros((3, 5)))
    for position in range(DECODER_INPUT.shape[1]):
        step_logits, state = model.decode_step(
            DECODER_INPUT[:, position], state, memory
        )
        np.testing.assert_allclose(step_logits, logits[:, position], atol=1e-5)
        np.testing.assert_allclose(
            state[ATTENTION_WEIGHTS], weights[:, position], atol=1e-6
        )


def test_weights_are_a_distribution_over_the_real_source_tokens():
    keras.utils.set_random_seed(2)
    model = tiny_model()
    # Larger weights than the initializer's, so that the weights are far from
    # uniform and differ from step to step.
    rng = np.random.default_rng(0)
    for variable in model.decoder.attention.trainable_variables:
        variable.assign(rng.normal(0, 3, variable.shape).astype("float32"))
    weights = np.asarray(model.attention_weights((SOURCE, DECODER_INPUT)))
    np.testing.assert_allclose(weights.sum(-1), np.ones((3, 4)), atol=1e-6)
    assert np.all(weights[1, :, 3:] == 0.0)  # [PAD] gets exactly nothing
    assert np.ptp(weights[0], axis=-1).min() > 0.05  # not uniform


def test_a_padded_sentence_gives_what_it_gives_alone():
    keras.utils.set_random_seed(3)
    model = tiny_model()
    logits = np.asarray(model((SOURCE, DECODER_INPUT)))
    alone = np.asarray(model((SOURCE[1:2, :3], DECODER_INPUT[1:2, :2])))
    np.testing.assert_allclose(alone, logits[1:2, :2], atol=1e-5)


def test_the_first_state_is_the_encoders_last_by_default():
    keras.utils.set_random_seed(4)
    model = tiny_model()
    encoded = model.encoder(SOURCE)
    _, state = model.encode(SOURCE)
    np.testing.assert_array_equal(state["rnn"], encoded["context"])
    projected = tiny_model(initial_state="projection")
    _, state = projected.encode(SOURCE)
    bridge = projected.decoder.bridge
    kernel, bias = (np.asarray(weight) for weight in bridge.weights)
    context = np.asarray(projected.encoder(SOURCE)["context"])
    np.testing.assert_allclose(
        state["rnn"], np.tanh(context @ kernel + bias), atol=1e-6
    )


def test_the_simple_rnn_decoder_is_the_lessons_formula():
    """`s_t = tanh([x_t; c_t; s_{t-1}] A + b)` with `c_t` the additive attention
    of `s_{t-1}`, then logits `[s_t; c_t] W_o + b_o`, all in NumPy."""
    keras.utils.set_random_seed(5)
    model = tiny_model(cell_type="simple_rnn", attention_units=4)
    decoder = model.decoder
    encoded = model.encoder(SOURCE)
    values = np.asarray(encoded["outputs"])
    mask = np.asarray(encoded["padding_mask"])
    layer = decoder.attention
    query_weights = np.asarray(layer.query_projection.kernel)  # W_a
    key_weights = np.asarray(layer.key_projection.kernel)  # U_a
    score_vector = np.asarray(layer.score_vector)  # v_a
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in decoder.cell.weights)
    stacked = np.concatenate([kernel, recurrent_kernel])  # A = [A_x; A_c; A_s]
    output_kernel, output_bias = (
        np.asarray(w) for w in decoder.output_projection.weights
    )
    embeddings = np.asarray(decoder.embedding.embeddings)[DECODER_INPUT]
    state = np.asarray(encoded["context"])  # s_0 = h_m
    expected = []
    for position in range(DECODER_INPUT.shape[1]):
        scores = numpy_attention.additive_scores(
            state[:, None],
            values,
            query_weights,
            key_weights,
            score_vector,
        )
        weights = numpy_attention.masked_softmax(scores, mask[:, None])
        context = numpy_attention.attend(weights, values)[:, 0]
        joined = np.concatenate([embeddings[:, position], context, state], axis=-1)
        state = np.tanh(joined @ stacked + bias)
        expected.append(
            np.concatenate([state, context], -1) @ output_kernel + output_bias
        )
    np.testing.assert_allclose(
        model((SOURCE, DECODER_INPUT)), np.stack(expected, 1), atol=1e-5
    )


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="cell_type must be one of"):
        AttentionDecoder(15, 8, 6, cell_type="lstm")
    with pytest.raises(ValueError, match="initial_state must be one of"):
        AttentionDecoder(15, 8, 6, initial_state="zeros")
    with pytest.raises(ValueError, match="attention_units"):
        AttentionDecoder(15, 8, 6, attention_units=0)
    decoder = AttentionDecoder(15, 8, 6)
    with pytest.raises(ValueError, match="needs 6 units. Received: width 4"):
        decoder.initial_state_from(np.ones((1, 4), "float32"), np.ones((1, 3), bool))


@pytest.mark.parametrize("options", [{}, {"cell_type": "simple_rnn"}])
def test_keras_round_trip_gives_identical_outputs(tmp_path, options):
    keras.utils.set_random_seed(6)
    model = tiny_model(attention_units=3, **options)
    expected = np.asarray(model((SOURCE, DECODER_INPUT)))
    path = tmp_path / "attention.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(restored((SOURCE, DECODER_INPUT)), expected)
    np.testing.assert_array_equal(
        restored.attention_weights((SOURCE, DECODER_INPUT)),
        model.attention_weights((SOURCE, DECODER_INPUT)),
    )


@pytest.fixture(scope="module")
def translator():
    return reversal_task.trained_translator(AttentionSeq2Seq)


@tensorflow_only
def test_the_trained_model_reverses_and_attends_to_the_word_it_writes(translator):
    reversal_task.assert_reverses_and_attends_to_the_mirrored_word(translator)


@tensorflow_only
@pytest.mark.parametrize("method", ["greedy", "beam"])
def test_translations_carry_weights_eager_equals_compiled_alone_equals_batched(
    translator, method
):
    reversal_task.assert_weights_agree_eager_compiled_alone_batched(translator, method)
