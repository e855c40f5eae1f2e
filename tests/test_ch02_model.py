"""Chapter 2's encoder, decoder and Seq2Seq: shapes, masking, steps, saving."""

import keras
import numpy as np
import pytest

from chapters.ch02_encoder_decoder import Decoder, Encoder, Seq2Seq
from chapters.common.vocabulary import PAD_ID

SOURCE = np.array([[5, 6, 7, 0, 0], [8, 9, 10, 11, 12]], "int32")
DECODER_INPUT = np.array([[2, 5, 6, 0], [2, 7, 8, 9]], "int32")


@pytest.mark.parametrize("cell_type", ["gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_shapes_and_context(cell_type, bidirectional):
    keras.utils.set_random_seed(0)
    encoder = Encoder(20, 8, 6, cell_type=cell_type, bidirectional=bidirectional)
    encoded = encoder(SOURCE)
    size = 12 if bidirectional else 6
    assert encoder.context_size == size
    assert tuple(encoded["outputs"].shape) == (2, 5, size)
    assert tuple(encoded["context"].shape) == (2, size)
    assert len(encoded["states"]) == (1 if cell_type == "gru" else 2)
    np.testing.assert_array_equal(encoded["padding_mask"], SOURCE != PAD_ID)
    outputs = np.asarray(encoded["outputs"])
    # Padded steps give zero outputs; the forward context is the last real output.
    np.testing.assert_array_equal(outputs[0, 3:], 0.0)
    np.testing.assert_allclose(encoded["context"][1, :6], outputs[1, -1, :6], atol=1e-6)
    np.testing.assert_allclose(encoded["context"][0, :6], outputs[0, 2, :6], atol=1e-6)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_never_changes_the_encoding(bidirectional):
    keras.utils.set_random_seed(1)
    encoder = Encoder(20, 8, 6, bidirectional=bidirectional)
    alone = encoder(SOURCE[:1, :3])
    padded = encoder(np.pad(SOURCE[:1, :3], ((0, 0), (0, 7))))
    np.testing.assert_allclose(padded["context"], alone["context"], atol=1e-6)
    np.testing.assert_allclose(padded["outputs"][:, :3], alone["outputs"], atol=1e-6)


def test_encoder_rejects_bad_arguments():
    with pytest.raises(ValueError, match="cell_type"):
        Encoder(10, 4, 4, cell_type="rnn")
    with pytest.raises(ValueError, match="hidden_units=0"):
        Encoder(10, 4, 0)
    with pytest.raises(TypeError, match="vocabulary_size=2.5"):
        Decoder(2.5, 4, 4)
    with pytest.raises(ValueError, match="cell_type"):
        Seq2Seq(10, 10, cell_type="transformer")


@pytest.mark.parametrize("cell_type", ["gru", "lstm"])
@pytest.mark.parametrize("concat_context", [True, False])
def test_decoder_steps_equal_the_teacher_forced_pass(cell_type, concat_context):
    keras.utils.set_random_seed(2)
    decoder = Decoder(15, 8, 6, cell_type=cell_type, concat_context=concat_context)
    context = np.random.default_rng(0).normal(size=(2, 10)).astype("float32")
    states = decoder.initial_states(context)
    logits, _ = decoder(DECODER_INPUT[1:], [s[1:] for s in states], context[1:])
    step_states = [s[1:] for s in states]
    for position in range(DECODER_INPUT.shape[1]):
        step_logits, step_states = decoder.step(
            DECODER_INPUT[1:, position], step_states, context[1:]
        )
        np.testing.assert_allclose(step_logits, logits[:, position], atol=1e-5)
    # The context widens the RNN input only when it is concatenated.
    kernel_rows = decoder.rnn.cell.kernel.shape[0]
    assert kernel_rows == (8 + 10 if concat_context else 8)


def test_decoder_initial_state_is_tanh_of_a_projection_of_the_context():
    keras.utils.set_random_seed(3)
    decoder = Decoder(15, 8, 6)
    context = np.ones((1, 4), "float32")
    decoder(DECODER_INPUT[:1], decoder.initial_states(context), context)
    bridge = decoder.bridges[0]
    expected = np.tanh(context @ np.asarray(bridge.kernel) + np.asarray(bridge.bias))
    np.testing.assert_allclose(decoder.initial_states(context)[0], expected, atol=1e-6)


@pytest.mark.parametrize("cell_type", ["gru", "lstm"])
def test_initial_state_encoder_copies_the_encoders_last_states(cell_type):
    keras.utils.set_random_seed(5)
    model = Seq2Seq(
        20, 15, embedding_dim=8, hidden_units=6, cell_type=cell_type,
        initial_state="encoder",
    )  # fmt: skip
    model((SOURCE, DECODER_INPUT))
    memory, states = model.encode(SOURCE)
    encoded = model.encoder(SOURCE)
    # s_0 = h_m (and c_m for an LSTM): no projection, no weights of its own.
    assert len(states) == len(encoded["states"]) and not model.decoder.bridges
    for state, encoder_state in zip(states, encoded["states"], strict=True):
        np.testing.assert_array_equal(state, encoder_state)
    np.testing.assert_array_equal(states[0], memory["context"])
    restored = Seq2Seq.from_config(model.get_config())
    assert restored.initial_state == "encoder"


def test_initial_state_is_checked():
    with pytest.raises(ValueError, match="initial_state must be one of"):
        Decoder(15, 8, 6, initial_state="zeros")
    with pytest.raises(ValueError, match="bidirectional=True"):
        Seq2Seq(20, 15, 8, 6, bidirectional=True, initial_state="encoder")
    with pytest.raises(ValueError, match="encoder_units=4, hidden_units=6"):
        Seq2Seq(20, 15, 8, 6, encoder_units=4, initial_state="encoder")
    decoder = Decoder(15, 8, 6, initial_state="encoder")
    with pytest.raises(ValueError, match="context width 4, hidden_units=6"):
        decoder.initial_states(np.ones((1, 4), "float32"))


def test_seq2seq_logits_ignore_padding():
    keras.utils.set_random_seed(4)
    model = Seq2Seq(20, 15, embedding_dim=8, hidden_units=6)
    logits = model((SOURCE, DECODER_INPUT))
    assert tuple(logits.shape) == (2, 4, 15)
    alone = model((SOURCE[:1, :3], DECODER_INPUT[:1, :3]))
    np.testing.assert_allclose(logits[:1, :3], alone, atol=1e-5)


def test_encoder_units_size_the_context_and_only_what_reads_it():
    keras.utils.set_random_seed(6)
    small = Seq2Seq(20, 15, embedding_dim=8, hidden_units=6, encoder_units=3)
    large = Seq2Seq(20, 15, embedding_dim=8, hidden_units=6, encoder_units=5)
    for model, units in ((small, 3), (large, 5)):
        memory, state = model.encode(SOURCE)
        assert tuple(memory["context"].shape) == (2, units)
        assert tuple(state[0].shape) == (2, 6)  # the decoder keeps its width
        assert tuple(model((SOURCE, DECODER_INPUT)).shape) == (2, 4, 15)
    # Only the encoder RNN, the bridge W_s and the decoder's input weights for
    # the context grow; the decoder's recurrent and output weights do not.
    assert small.decoder.rnn.cell.units == large.decoder.rnn.cell.units == 6
    assert small.decoder.output_projection.count_params() == (
        large.decoder.output_projection.count_params()
    )
    kernel = {model: model.decoder.rnn.cell.kernel.shape for model in (small, large)}
    assert kernel[small] == (8 + 3, 3 * 6) and kernel[large] == (8 + 5, 3 * 6)
    assert Seq2Seq(20, 15, 8, 6).encoder_units == 6


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"cell_type": "lstm", "bidirectional": True},
        {"concat_context": False},
        {"encoder_units": 4},
    ],
)
def test_keras_round_trip_gives_identical_outputs(tmp_path, options):
    keras.utils.set_random_seed(5)
    model = Seq2Seq(20, 15, embedding_dim=8, hidden_units=6, **options)
    expected = model((SOURCE, DECODER_INPUT))
    path = tmp_path / "seq2seq.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(restored((SOURCE, DECODER_INPUT)), expected)
    memory, state = restored.encode(SOURCE)
    expected_memory, expected_state = model.encode(SOURCE)
    np.testing.assert_array_equal(memory["context"], expected_memory["context"])
    np.testing.assert_array_equal(state[0], expected_state[0])
