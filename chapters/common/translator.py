"""`Translator`: sentences in, translations out, for any model that follows the
translation model protocol below and any tokenizers with the interface of
`chapters.common.tokenizers.Tokenizer`. Chapter 2 builds it; chapters 3 to 5
(attention RNNs, the Transformer) reuse it unchanged.

The translation model protocol
------------------------------
A model only needs two methods; everything else (tokenizing, batching, padding,
greedy decoding, beam search, detokenizing) lives here.

`encode(source_ids) -> (memory, state)`
    `source_ids` is an int32 tensor `(B, S)` of source vocabulary ids, right-padded
    with `[PAD]` (id 0). `memory` is whatever the decoder reads at every step and
    never changes (the context vector here; all encoder outputs and the source
    padding mask for attention models). `state` is the decoder's initial state
    (RNN states here; a key/value cache for a Transformer).

`decode_step(token_ids, state, memory) -> (logits, state)`
    `token_ids` `(B,)` holds the previous target token of every sentence (`[START]`
    at the first step). Returns logits `(B, V)` over the target vocabulary for the
    next token and the updated state.

Rules that let one search serve every model:
- `memory` and `state` are nested structures (dicts, lists, tuples) of tensors whose
  first axis is the batch: beam search repeats them `K` times along that axis and
  reorders the state with `tf.gather` when hypotheses swap places.
- Every tensor in `state` keeps its shape from step to step (a cache that grows
  must be preallocated to the length cap and indexed by a step counter kept in the
  state), so that the compiled loop is a plain `tf.while_loop`.
- Both methods are deterministic at inference (no dropout) and must give the same
  results for a sentence alone or padded inside a batch.
- Optional: a model whose `state` is a dict may keep under `"attention_weights"`
  the `(B, S)` weights its last `decode_step` put on the source positions (zeros
  from `encode`); the searches then collect them and every `Translation` carries
  its `attention`.
- Optional: a model with the attributes `source_vocabulary_size` and
  `target_vocabulary_size` (chapter 2's `Seq2Seq` has them) gets its tokenizers
  checked against them, so that vocabularies from another run are refused.

One artifact
------------
`Translator.save(path)` writes the model and both tokenizers into one file, and
`Translator.load(path)` gives the same translator back in any later session.
"""

import dataclasses
import importlib
import json
import math
import numbers
import os
import pathlib
import tempfile
import typing
import warnings
import zipfile

import keras
import numpy as np

from chapters.common import decoding
from chapters.common.arguments import check_sentences, positive_int
from chapters.common.tokenizers import check_tokenizers
from chapters.common.vocabulary import END, PAD_ID, UNK_ID

METHODS = ("greedy", "beam")
# What a translator file holds; see `Translator.save`.
ARTIFACT_FORMAT = "seq2seq-course translator"
ARTIFACT_VERSION = 1
MODEL_FILE = "model.keras"
SETTINGS_FILE = "translator.json"
# The options a saved translator keeps: `Translator.__init__` arguments.
SAVED_OPTIONS = ("max_source_tokens", "max_output_tokens", "batch_size")


@typing.runtime_checkable
class TranslationModel(typing.Protocol):
    """What `Translator` needs from a model; see the module docstring."""

    def encode(self, source_ids): ...

    def decode_step(self, token_ids, state, memory): ...


@dataclasses.dataclass(frozen=True)
class Translation:
    """One translated sentence with the model's scores.

    Attributes:
        source: the sentence as given.
        text: the translation, detokenized.
        tokens: the generated target tokens, ending with `[END]` when `finished`.
        token_log_probs: log-probability of each token in `tokens`.
        log_prob: their sum, the model's log-probability of the output.
        score: `log_prob / len(tokens) ** length_penalty`, what beam search ranks by.
        finished: whether `[END]` came before the length cap.
        source_tokens: the source tokens the model read (after any truncation).
        unknown_source_tokens: how many of them are not in the source vocabulary.
        truncated: whether the source was cut to `max_source_tokens`.
        attention: `(len(tokens), len(source_tokens))` float32 array, row `t` the
            weights the model put on each source token when it chose `tokens[t]`;
            `None` for a model that exposes no attention weights.
    """

    source: str
    text: str
    tokens: tuple[str, ...]
    token_log_probs: tuple[float, ...]
    log_prob: float
    score: float
    finished: bool
    source_tokens: tuple[str, ...]
    unknown_source_tokens: int
    truncated: bool
    attention: np.ndarray | None = dataclasses.field(default=None, compare=False)


class Translator:
    """Translates sentences with a trained model, by greedy decoding or beam search.

    Args:
        model: any object with the protocol methods `encode` and `decode_step`.
        source_tokenizer: a `chapters.common.tokenizers.Tokenizer`: source text to
            the ids the model reads.
        target_tokenizer: a `Tokenizer`: the ids the model writes back to text.
        max_source_tokens: longer sources are truncated to this many tokens, with a
            `UserWarning`; `Translation.truncated` tells which.
        max_output_tokens: length cap of every translation, `[END]` included.
        batch_size: sentences decoded together.
        compiled: run searches as compiled `tf.function`s (fast); `False` runs the
            same code eagerly, one Python-level model call per token (reference).

    Bad input raises: a bare string or a non-list `TypeError`, an empty list
    `ValueError`, a non-string item `TypeError`, an empty or blank sentence
    `ValueError`. A sentence made only of unknown characters is still translated
    (the model reads `[UNK]` ids); `unknown_source_tokens` reports it. Tokenizers
    whose vocabulary sizes differ from the model's `source_vocabulary_size` or
    `target_vocabulary_size` (where it has them) raise `ValueError`: they come
    from another run, and the ids would mean other tokens. So do
    `max_source_tokens` or `max_output_tokens` above a model's `max_positions`
    (where it has one, e.g. the Transformer's positional table).

    Saving and loading: a model is only as good as the vocabularies it was
    trained with, so `save` keeps them together in one file, a zip archive:

    - `model.keras`: the Keras model, in Keras' own format (`model.save`);
    - `translator.json`: both tokenizers (`keras.saving.serialize_keras_object`),
      the options `max_source_tokens`, `max_output_tokens` and `batch_size`, and
      the modules that define the model's and tokenizers' classes.

        translator.save("zh_en.translator")
        translator = Translator.load("zh_en.translator")  # in any later session

    `load` imports those modules first (e.g. `chapters.ch02_encoder_decoder.model`,
    which registers `Seq2Seq` with Keras), so a fresh session needs no other
    import, and gives the model back uncompiled: translating needs no loss or
    optimizer. Like any Keras model with custom classes, load only files you trust.
    """

    def __init__(
        self,
        model,
        source_tokenizer,
        target_tokenizer,
        max_source_tokens=50,
        max_output_tokens=50,
        batch_size=64,
        compiled=True,
    ):
        if not isinstance(model, TranslationModel):
            raise TypeError(
                "model must have the methods encode(source_ids) and "
                "decode_step(token_ids, state, memory). "
                f"Received: model of type {type(model).__name__}"
            )
        check_tokenizers(source_tokenizer, target_tokenizer)
        check_vocabulary_sizes(model, source_tokenizer, target_tokenizer)
        self.model = model
        self.source_tokenizer = source_tokenizer
        self.target_tokenizer = target_tokenizer
        self.max_source_tokens = positive_int(max_source_tokens, "max_source_tokens")
        self.max_output_tokens = positive_int(max_output_tokens, "max_output_tokens")
        self.batch_size = positive_int(batch_size, "batch_size")
        # A model with positional encodings has a table of `max_positions` rows:
        # a longer source, or a longer translation, would read past its end.
        limit = getattr(model, "max_positions", None)
        for name in ("max_source_tokens", "max_output_tokens"):
            if limit is not None and getattr(self, name) > limit:
                raise ValueError(
                    f"{name}={getattr(self, name)} is more than the model's "
                    f"max_positions={limit}, the longest sequence it can encode. "
                    f"Pass {name}={limit} or less."
                )
        self.compiled = compiled
        self._searches = {}

    def save(self, path):
        """Writes the model, both tokenizers and the options into one file.

        Args:
            path: the file to write (an existing file is replaced), e.g.
                `"zh_en.translator"`. The model must be a `keras.Model`.
        """
        if not isinstance(self.model, keras.Model):
            raise TypeError(
                "Only a keras.Model can be saved. "
                f"Received: model of type {type(self.model).__name__}"
            )
        path = pathlib.Path(path)
        if path.is_dir():
            raise ValueError(f"path must be a file, not a folder. Received: {path}")
        objects = (self.model, self.source_tokenizer, self.target_tokenizer)
        settings = {
            "format": ARTIFACT_FORMAT,
            "version": ARTIFACT_VERSION,
            "modules": sorted({type(item).__module__ for item in objects}),
            "source_tokenizer": keras.saving.serialize_keras_object(
                self.source_tokenizer
            ),
            "target_tokenizer": keras.saving.serialize_keras_object(
                self.target_tokenizer
            ),
            "options": {name: getattr(self, name) for name in SAVED_OPTIONS},
        }
        with tempfile.TemporaryDirectory() as folder:
            model_path = os.path.join(folder, MODEL_FILE)
            self.model.save(model_path)
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.write(model_path, MODEL_FILE)
                archive.writestr(
                    SETTINGS_FILE, json.dumps(settings, ensure_ascii=False, indent=1)
                )

    @classmethod
    def load(cls, path, compiled=True):
        """The translator that `save` wrote to `path`.

        Args:
            path: a file written by `Translator.save`.
            compiled: as in `Translator` (not saved: a choice of each session).

        Raises:
            FileNotFoundError: nothing is at `path`.
            ValueError: `path` is not a file that `save` wrote, or its tokenizers
                do not fit its model.
        """
        path = pathlib.Path(path)
        if not path.exists():
            raise FileNotFoundError(
                f"No translator file at {path}. Write one with "
                "Translator.save(path) after training."
            )
        if not path.is_file() or not zipfile.is_zipfile(path):
            raise ValueError(
                f"{path} is not a translator file (a zip archive written by "
                "Translator.save)."
            )
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {MODEL_FILE, SETTINGS_FILE} <= names:
                raise ValueError(
                    f"{path} is not a translator file: it should hold "
                    f"{MODEL_FILE} and {SETTINGS_FILE}. Received: {sorted(names)}"
                )
            settings = json.loads(archive.read(SETTINGS_FILE))
            _check_settings(settings, path)
            # The modules register the custom classes that Keras looks up by name.
            for module in settings["modules"]:
                importlib.import_module(module)
            with tempfile.TemporaryDirectory() as folder:
                # Translating needs no loss or optimizer; compile the model again
                # to train it further.
                model = keras.saving.load_model(
                    archive.extract(MODEL_FILE, folder), compile=False
                )
        return cls(
            model,
            keras.saving.deserialize_keras_object(settings["source_tokenizer"]),
            keras.saving.deserialize_keras_object(settings["target_tokenizer"]),
            compiled=compiled,
            **settings["options"],
        )

    @property
    def source_language(self):
        return self.source_tokenizer.language

    @property
    def target_language(self):
        return self.target_tokenizer.language

    def translate(self, sentences, method="greedy", beam_width=4, length_penalty=0.6):
        """Translates a list of sentences; returns a list of strings.

        Arguments as in `translate_with_scores`.
        """
        return [
            translation.text
            for translation in self.translate_with_scores(
                sentences, method, beam_width, length_penalty
            )
        ]

    def translate_with_scores(
        self, sentences, method="greedy", beam_width=4, length_penalty=0.6
    ):
        """Translates a list of sentences; returns a list of `Translation`s.

        Args:
            sentences: list of non-empty strings in the source language.
            method: `"greedy"` or `"beam"`.
            beam_width: hypotheses kept per sentence by beam search.
            length_penalty: `alpha` of the length-normalized score.
        """
        check_sentences(sentences)
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}. Received: {method!r}")
        if method == "beam":
            beam_width = positive_int(beam_width, "beam_width")
        if (
            isinstance(length_penalty, bool)
            or not isinstance(length_penalty, numbers.Real)
            or not math.isfinite(length_penalty)
        ):
            raise ValueError(
                f"length_penalty must be a finite number. Received: {length_penalty!r}"
            )
        encoded = [self._encode_source(sentence) for sentence in sentences]
        truncated = [index for index, item in enumerate(encoded) if item[2]]
        if truncated:
            warnings.warn(
                f"Sentences at positions {truncated} are longer than "
                f"max_source_tokens={self.max_source_tokens} and were truncated.",
                UserWarning,
                stacklevel=2,
            )
        search = self._search(method, beam_width, float(length_penalty))
        # Sorting by length makes batches with little padding; masking makes the
        # result independent of the batch, so any grouping gives the same output.
        order = sorted(range(len(sentences)), key=lambda index: len(encoded[index][0]))
        results = [None] * len(sentences)
        for start in range(0, len(order), self.batch_size):
            indices = order[start : start + self.batch_size]
            source_ids = self._pad([encoded[index][0] for index in indices])
            output = {
                key: np.asarray(value) for key, value in search(source_ids).items()
            }
            if method == "beam":
                output = {key: value[:, 0] for key, value in output.items()}
            for row, index in enumerate(indices):
                ids, source_tokens, was_truncated = encoded[index]
                results[index] = self._translation(
                    sentences[index], output, row, source_tokens, ids, was_truncated
                )
        return results

    def source_ids(self, sentences):
        """The padded `(B, S)` int32 array of source ids the model reads.

        Sentences are checked and truncated as in `translate_with_scores`; use it to
        call `greedy_search` or `beam_search` directly.
        """
        check_sentences(sentences)
        return self._pad([self._encode_source(sentence)[0] for sentence in sentences])

    def _encode_source(self, sentence):
        tokens = self.source_tokenizer.tokenize(sentence)
        truncated = len(tokens) > self.max_source_tokens
        tokens = tokens[: self.max_source_tokens]
        return self.source_tokenizer.tokens_to_ids(tokens), tuple(tokens), truncated

    @staticmethod
    def _pad(id_lists):
        source_ids = np.full(
            (len(id_lists), max(len(ids) for ids in id_lists)), PAD_ID, np.int32
        )
        for row, ids in enumerate(id_lists):
            source_ids[row, : len(ids)] = ids
        return source_ids

    def _search(self, method, beam_width, length_penalty):
        key = (method, beam_width if method == "beam" else None, length_penalty)
        if key not in self._searches:
            if method == "greedy":
                search, options = decoding.greedy_search, {}
            else:
                search, options = decoding.beam_search, {"beam_width": beam_width}
            options.update(
                max_length=self.max_output_tokens, length_penalty=length_penalty
            )
            if self.compiled:
                self._searches[key] = decoding.compile_search(
                    search, self.model, **options
                )
            else:
                self._searches[key] = lambda ids, s=search, o=options: s(
                    self.model, ids, **o
                )
        return self._searches[key]

    def _translation(self, source, output, row, source_tokens, ids, truncated):
        length = int(output["lengths"][row])
        token_ids = output["tokens"][row][:length].tolist()
        tokens = self.target_tokenizer.ids_to_tokens(token_ids)
        words = [token for token in tokens if token != END]
        attention = None
        if decoding.ATTENTION_WEIGHTS in output:
            # Padded source positions lie beyond the sentence's own tokens.
            attention = output[decoding.ATTENTION_WEIGHTS][row][:length]
            attention = attention[..., : len(source_tokens)].astype(np.float32)
        return Translation(
            source=source,
            text=self.target_tokenizer.detokenize(words),
            tokens=tuple(tokens),
            token_log_probs=tuple(
                float(value) for value in output["token_log_probs"][row][:length]
            ),
            log_prob=float(output["scores"][row]),
            score=float(output["normalized_scores"][row]),
            finished=bool(output["finished"][row]),
            source_tokens=source_tokens,
            unknown_source_tokens=sum(1 for token_id in ids if token_id == UNK_ID),
            truncated=truncated,
            attention=attention,
        )


def check_vocabulary_sizes(model, source_tokenizer, target_tokenizer) -> None:
    """Raises a `ValueError` when a tokenizer does not fit the model's vocabulary.

    Only a model with `source_vocabulary_size` or `target_vocabulary_size`
    attributes can be checked; for others this does nothing.
    """
    for side, tokenizer in (("source", source_tokenizer), ("target", target_tokenizer)):
        expected = getattr(model, f"{side}_vocabulary_size", None)
        if expected is not None and expected != tokenizer.vocabulary_size:
            raise ValueError(
                f"The {side} tokenizer has {tokenizer.vocabulary_size} ids but the "
                f"model's {side}_vocabulary_size is {expected}: the vocabularies "
                "come from another run (or scale) than the model. Use the "
                "tokenizers the model was trained with; Translator.save keeps "
                "them together with it."
            )


def _check_settings(settings, path) -> None:
    """Raises a `ValueError` unless `settings` is a `translator.json` we can read."""
    if not isinstance(settings, dict) or settings.get("format") != ARTIFACT_FORMAT:
        raise ValueError(
            f"{path} is not a translator file: its {SETTINGS_FILE} does not say "
            f"format {ARTIFACT_FORMAT!r}."
        )
    if settings.get("version") != ARTIFACT_VERSION:
        raise ValueError(
            f"{path} is a translator file of version {settings.get('version')!r}; "
            f"this course reads version {ARTIFACT_VERSION}."
        )
