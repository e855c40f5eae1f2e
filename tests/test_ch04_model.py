"""Chapter 4's Luong encoder-decoder: its timing, its steps, the protocol.

The one-step path (`decode_step`) must equal the teacher-forced path (`call`) for
every score, with and without input feeding; without input feeding the decoder
must be Luong's formula on the GRU's outputs (attention with the *current*
state); and `Translator` must return its weights per output token.
"""

import keras
import numpy as np
import pytest

from chapters.ch03_attention import numpy_attention
from chapters.ch04_dot_product_attention.decoder import LuongDecoder
from chapters.ch04_dot_product_attention.model import LuongSeq2Seq
from chapters.common.decoding import ATTENTION_WEIGHTS
from chapters.common.vocabulary import PAD_ID
from tests import reversal_task

tensorflow_only = reversal_task.tensorflow_only
SOURCE = np.array([[4, 5, 6, 7, 8], [9, 10, 11, PAD_ID, PAD_ID], [12, 4, 5, 6, 19]])
DECODER_INPUT = np.array([[2, 5, 6, 7], [2, 9, PAD_ID, PAD_ID], [2, 14, 13, 12]])
SCORES = ("dot", "general", "concat")


def tiny_model(**options):
    model = LuongSeq2Seq(20, 15, embedding_dim=8, hidden_units=6, **options)
    model.build(((None, None), (None, None)))
    return model


@pytest.mark.parametrize("input_feeding", [True, False])
@pytest.mark.parametrize("score", SCORES)
def test_decoding_steps_equal_the_teacher_forced_pass(score, input_feeding):
    keras.utils.set_random_seed(1)
    model = tiny_model(score=score, input_feeding=input_feeding, attention_units=5)
    logits = np.asarray(model((SOURCE, DECODER_INPUT)))
    weights = np.asarray(model.attention_weights((SOURCE, DECODER_INPUT)))
    assert logits.shape == (3, 4, 15) and weights.shape == (3, 4, 5)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    assert np.all(weights[1, :, 3:] == 0.0)
    memory, state = model.encode(SOURCE)
    for position in range(DECODER_INPUT.shape[1]):
        step_logits, state = model.decode_step(
            DECODER_INPUT[:, position], state, memory
        )
        # Padded target steps are never scored; the real ones must agree.
        real = DECODER_INPUT[:, position] != PAD_ID
        np.testing.assert_allclose(
            np.asarray(step_logits)[real], logits[real, position], atol=1e-5
        )
        np.testing.assert_allclose(
            np.asarray(state[ATTENTION_WEIGHTS])[real],
            weights[real, position],
            atol=1e-6,
        )


@pytest.mark.parametrize("input_feeding", [True, False])
def test_a_padded_sentence_gives_what_it_gives_alone(input_feeding):
    keras.utils.set_random_seed(2)
    model = tiny_model(input_feeding=input_feeding)
    logits = np.asarray(model((SOURCE, DECODER_INPUT)))
    alone = np.asarray(model((SOURCE[1:2, :3], DECODER_INPUT[1:2, :2])))
    np.testing.assert_allclose(alone, logits[1:2, :2], atol=1e-5)


def test_without_input_feeding_it_is_luongs_formula_on_the_current_state():
    """`h_t` from the GRU, then `α_t = softmax(h_t · h̄_s)`, `c_t = Σ α_ts h̄_s`,
    `h̃_t = tanh([c_t; h_t] W_c)`, logits `h̃_t W_s + b_s`, in NumPy."""
    keras.utils.set_random_seed(3)
    model = tiny_model(score="dot", input_feeding=False)
    decoder = model.decoder
    encoded = model.encoder(SOURCE)
    values = np.asarray(encoded["outputs"])
    mask = np.asarray(encoded["padding_mask"])
    states, _ = decoder.rnn(
        decoder.embedding(DECODER_INPUT), initial_state=[encoded["context"]]
    )
    states = np.asarray(states)  # h_1 ... h_T, (B, T, H)
    scores = np.einsum("bth,bsh->bts", states, values)
    weights = numpy_attention.masked_softmax(scores, mask[:, None])
    contexts = numpy_attention.attend(weights, values)
    combine = np.asarray(decoder.combine.kernel)
    attentional = np.tanh(np.concatenate([contexts, states], -1) @ combine)
    kernel, bias = (np.asarray(w) for w in decoder.output_projection.weights)
    expected = attentional @ kernel + bias
    logits = np.asarray(model((SOURCE, DECODER_INPUT)))
    real = DECODER_INPUT != PAD_ID
    np.testing.assert_allclose(logits[real], expected[real], atol=1e-5)
    np.testing.assert_allclose(
        np.asarray(model.attention_weights((SOURCE, DECODER_INPUT)))[real],
        weights[real],
        atol=1e-6,
    )


def test_input_feeding_gives_the_rnn_the_previous_attentional_state():
    keras.utils.set_random_seed(4)
    fed = tiny_model(input_feeding=True)
    plain = tiny_model(input_feeding=False)
    assert fed.decoder.rnn.cell.kernel.shape == (8 + 6, 3 * 6)
    assert plain.decoder.rnn.cell.kernel.shape == (8, 3 * 6)
    _, state = fed.encode(SOURCE)
    np.testing.assert_array_equal(state["attentional"], np.zeros((3, 6)))
    assert "attentional" not in plain.encode(SOURCE)[1]


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="score"):
        LuongDecoder(15, 8, 6, score="cosine")
    decoder = LuongDecoder(15, 8, 6)
    with pytest.raises(ValueError, match="needs 6 units. Received: width 4"):
        decoder.initial_state_from(np.ones((1, 4), "float32"), np.ones((1, 3), bool))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"score": "dot", "input_feeding": True},
        {"score": "concat"},
        {"scaled": True, "input_feeding": True},
    ],
)
def test_keras_round_trip_gives_identical_outputs(tmp_path, options):
    keras.utils.set_random_seed(5)
    model = tiny_model(**options)
    expected = np.asarray(model((SOURCE, DECODER_INPUT)))
    path = tmp_path / "luong.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(restored((SOURCE, DECODER_INPUT)), expected)


@pytest.fixture(scope="module")
def translator():
    return reversal_task.trained_translator(LuongSeq2Seq)


@tensorflow_only
def test_the_trained_model_reverses_and_attends_to_the_word_it_writes(translator):
    reversal_task.assert_reverses_and_attends_to_the_mirrored_word(translator)


@tensorflow_only
@pytest.mark.parametrize("method", ["greedy", "beam"])
def test_translations_carry_weights_eager_equals_compiled_alone_equals_batched(
    translator, method
):
    reversal_task.assert_weights_agree_eager_compiled_alone_batched(translator, method)
