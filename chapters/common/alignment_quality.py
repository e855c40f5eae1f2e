"""How well a model's attention agrees with the gold word alignments of the toy
grammar: arg-max agreement and the alignment error rate (AER).

Bahdanau et al. (2015, "Neural Machine Translation by Jointly Learning to Align
and Translate") drew their attention weights as soft word alignments and saw that
they mostly link the words a bilingual reader would link. The toy grammar knows
that alignment for every pair (see `toy_sentences`), so here it is measured, the
way Luong et al. (2015, "Effective Approaches to Attention-based Neural Machine
Translation", section 5.4) measured theirs: each target token is aligned to the
one source token its attention weights most, and these links are scored against
the gold ones.

1. `teacher_forced_attention`: the model reads the source and the *true* previous
   target tokens, as in training, so every row of weights belongs to a token of
   the reference, whose gold links are known.
2. The predicted links `A`: one per scored target token, to its arg-max source
   token (ties go to the first).
3. **Arg-max agreement**: the share of scored target tokens whose arg-max source
   token is one of its gold-linked ones.
4. **AER** (Och and Ney, 2003, "A Systematic Comparison of Various Statistical
   Alignment Models"), with every gold link sure (`S = P = G`):

       AER = 1 - 2 |A ∩ G| / (|A| + |G|)

   that is, 1 minus the F1 score of the predicted links against the gold ones.
   `A` holds one link per token, while the toy grammar links an English word to
   every character of its Chinese word ("apples" to both 苹 and 果), so even a
   model that always looks at a right character keeps an AER above 0: with `n`
   tokens all right and `g` gold links, `AER = 1 - 2n / (n + g)`.

Scored target tokens are those `alignment_curves.score_target_tokens` scores:
tokens with no gold link ("the", the "and" between two clauses), punctuation and
tokens whose reference is `[UNK]` are left out. Sources are
tokens too: Chinese characters (each inherits its word's links, see
`ToyPair.character_alignment`) or English words. `diagonal_weights` is the
baseline that needs no model: it reads the source at the target's own pace.
"""

import dataclasses

import numpy as np

from chapters.common import alignment_curves
from chapters.common.arguments import positive_int
from chapters.common.pipeline import make_dataset


def gold_links(pair, direction="zh-en"):
    """The gold links of a toy pair between the tokens a model reads and writes.

    Args:
        pair: a `ToyPair`.
        direction: `"zh-en"` (Chinese characters in, English words out) or
            `"en-zh"` (English words in, Chinese characters out).

    Returns:
        `(source_tokens, target_tokens, links)`: the tokens as the course's
        tokenizers write them (English lower-cased, Chinese one character each),
        and for every target token the sorted positions of the source tokens it
        is aligned to (empty when none). `plots.plot_attention` draws them with
        `alignment=[(t, s) for t, sources in enumerate(links) for s in sources]`.
    """
    # Checks both arguments; in en-zh its source words are already source tokens.
    _, target_tokens, links = alignment_curves.aligned_source_words(pair, direction)
    if direction == "en-zh":
        return [word.lower() for word in pair.english_words], target_tokens, links
    by_english_word = [set() for _ in target_tokens]
    for character, english in pair.character_alignment():
        by_english_word[english].add(character)
    links = [sorted(characters) for characters in by_english_word]
    return list(pair.chinese_characters()), target_tokens, links


def _gold_alignments(toy_pairs, data):
    """The direction, the `(source, target)` texts and the `gold_links` of each pair.

    Raises a `ValueError` when a tokenizer splits a sentence differently from the
    toy grammar: weights and links would then belong to different tokens.
    """
    toy_pairs = alignment_curves.check_pairs(toy_pairs)
    direction = f"{data.source_language}-{data.target_language}"
    texts, golds = [], []
    for index, pair in enumerate(toy_pairs):
        golds.append(gold_links(pair, direction))
        pair_texts = (pair.chinese, pair.english)
        texts.append(pair_texts if direction == "zh-en" else pair_texts[::-1])
        sides = (("source", data.source_tokenizer), ("target", data.target_tokenizer))
        for side, (name, tokenizer) in enumerate(sides):
            tokenized = [token.lower() for token in tokenizer.tokenize(texts[-1][side])]
            if tokenized != golds[-1][side]:
                raise ValueError(
                    f"The {name} tokenizer splits pair {index} into {tokenized}, the "
                    f"toy grammar into {golds[-1][side]}; the alignment links need "
                    f"the toy grammar's tokens. Received: {texts[-1][side]!r}"
                )
    return direction, texts, golds


def teacher_forced_attention(model, toy_pairs, data, batch_size=64):
    """The attention weights each reference token is produced with, per pair.

    Args:
        model: has `model.attention_weights((source_ids, decoder_input_ids))`,
            returning the `(B, T, S)` weights (tensor or array) its decoder puts
            on the source at every step of teacher forcing: `source_ids` `(B, S)`
            and `decoder_input_ids` `(B, T)` (`[START] y_1 ... y_{T-1}`, the
            training inputs), both right-padded with 0; row `j` is the step that
            produces target token `y_{j+1}`.
        toy_pairs: `ToyPair`s, e.g. `toy_grammar.toy_splits(...)["test"]`.
        data: the `TranslationData` the model was trained on; its tokenizers
            encode the pairs and its languages give the direction.
        batch_size: sentences per call.

    Returns:
        One `(target tokens, source tokens)` array per pair: row `j` holds the
        weights of the step that produces target token `j`; the `[END]` row and
        the padding are dropped, so the shape is that of `gold_links`' tokens.

    Raises:
        TypeError: the model has no `attention_weights` method, or `toy_pairs`
            holds something other than `ToyPair`s.
        ValueError: the weights are not `(B, T, S)`, or the tokenizers split a
            sentence differently from the toy grammar.
    """
    if not callable(getattr(model, "attention_weights", None)):
        raise TypeError(
            "model must have a method attention_weights((source_ids, "
            "decoder_input_ids)) returning (B, T, S) weights on the source. "
            f"Received: {type(model).__name__} without one"
        )
    batch_size = positive_int(batch_size, "batch_size")
    _, texts, _ = _gold_alignments(toy_pairs, data)
    dataset = make_dataset(
        texts, data.source_tokenizer, data.target_tokenizer, batch_size
    )
    weights_per_pair = []
    for (source_ids, decoder_input_ids), target_ids in dataset:
        weights = np.asarray(model.attention_weights((source_ids, decoder_input_ids)))
        expected = (*decoder_input_ids.shape, source_ids.shape[1])  # (B, T, S)
        if weights.shape != expected:
            raise ValueError(
                "model.attention_weights((source_ids, decoder_input_ids)) must "
                f"return (B, T, S) = {expected} weights for these inputs. "
                f"Received: shape {weights.shape}"
            )
        source_lengths = np.count_nonzero(np.asarray(source_ids), axis=1)  # (B,)
        # Each target row holds its tokens, then [END], then padding.
        target_lengths = np.count_nonzero(np.asarray(target_ids), axis=1) - 1  # (B,)
        for row, source_length, target_length in zip(
            weights, source_lengths, target_lengths, strict=True
        ):
            weights_per_pair.append(row[:target_length, :source_length])
    if len(weights_per_pair) != len(texts):
        raise ValueError(
            f"{len(texts)} pairs gave {len(weights_per_pair)} weight arrays; a "
            "sentence without tokens has no attention to score."
        )
    return weights_per_pair


def diagonal_weights(target_length, source_length):
    """The baseline that reads the source at the target's pace, one-hot per row.

    Target token `j` of `T` covers `[j, j + 1) / T` of its sentence; all its
    weight goes to the source token of `S` whose share of the source holds the
    middle of that span, `floor((j + 0.5) * S / T)` (the later one when the
    middle falls on a border). When `T == S`, that is token `j` itself.

    Args:
        target_length: `T`, the number of target tokens.
        source_length: `S`, the number of source tokens.

    Returns:
        A `(T, S)` float32 array whose rows are one-hot.
    """
    target_length = positive_int(target_length, "target_length")
    source_length = positive_int(source_length, "source_length")
    # Integer arithmetic: (2j + 1) S // 2T is the floor above, without rounding.
    middles = 2 * np.arange(target_length) + 1  # (T,)
    positions = middles * source_length // (2 * target_length)  # (T,)
    return np.eye(source_length, dtype="float32")[positions]  # (T, S)


@dataclasses.dataclass(frozen=True)
class AlignmentScores:
    """The arg-max links of attention against the gold links, as counts.

    Attributes:
        sentences: the pairs measured.
        tokens: the scored target tokens (see the module's docstring); each
            gives one predicted link, so this is also `|A|`.
        gold_links: `|G|`, the gold links of the scored tokens.
        correct: `|A ∩ G|`, the tokens whose arg-max source token is gold-linked.
    """

    sentences: int
    tokens: int
    gold_links: int
    correct: int

    @property
    def predicted_links(self):
        """`|A|`: one link per scored token."""
        return self.tokens

    @property
    def agreement(self):
        """The share of scored tokens whose arg-max is right; `nan` for none."""
        return self.correct / self.tokens if self.tokens else float("nan")

    @property
    def alignment_error_rate(self):
        """`1 - 2 |A ∩ G| / (|A| + |G|)`; `nan` when no token was scored."""
        links = self.predicted_links + self.gold_links
        return 1 - 2 * self.correct / links if links else float("nan")

    @property
    def lowest_alignment_error_rate(self):
        """The AER of full agreement, `1 - 2 |A| / (|A| + |G|)`: no model with
        one link per token scores lower, so read the AER against it."""
        links = self.predicted_links + self.gold_links
        return 1 - 2 * self.predicted_links / links if links else float("nan")


def alignment_scores(weights_per_pair, toy_pairs, data, content_only=False):
    """Arg-max agreement and AER of attention weights against the gold links.

    Args:
        weights_per_pair: one `(target tokens, source tokens)` array per pair,
            from `teacher_forced_attention` (or `diagonal_weights`).
        toy_pairs: the `ToyPair`s the weights belong to, in the same order.
        data: the `TranslationData` of the model: its languages give the
            direction, its target vocabulary says which references are `[UNK]`.
        content_only: score only content words (`alignment_curves.content_flags`):
            function words ("did", "not", "who") are linked to grammatical
            characters such as 了 and 没, which a model may read anywhere.

    Returns:
        An `AlignmentScores`.

    Raises:
        ValueError: the lists differ in length, an array's shape is not that of
            its pair's tokens, or an array holds NaN or infinite weights.
    """
    weights_per_pair = list(weights_per_pair)
    toy_pairs = alignment_curves.check_pairs(toy_pairs)
    if len(weights_per_pair) != len(toy_pairs):
        raise ValueError(
            "weights_per_pair needs one array per pair. Received: "
            f"{len(weights_per_pair)} arrays for {len(toy_pairs)} pairs"
        )
    direction, _, golds = _gold_alignments(toy_pairs, data)
    tokens = gold_count = correct = 0
    pairs = zip(weights_per_pair, toy_pairs, golds, strict=True)
    for index, (weights, pair, gold) in enumerate(pairs):
        source_tokens, target_tokens, links = gold
        weights = np.asarray(weights, dtype="float64")
        expected = (len(target_tokens), len(source_tokens))
        if weights.shape != expected:
            raise ValueError(
                f"The weights of pair {index} must be (target tokens, source "
                f"tokens) = {expected}. Received: shape {weights.shape}"
            )
        if not np.all(np.isfinite(weights)):
            raise ValueError(
                f"The weights of pair {index} must be finite. Received: "
                f"{np.count_nonzero(np.isnan(weights))} NaN and "
                f"{np.count_nonzero(np.isinf(weights))} infinite values"
            )
        reference_ids = data.target_tokenizer.tokens_to_ids(target_tokens)
        content = alignment_curves.content_flags(pair, direction)
        predicted = np.argmax(weights, axis=1)  # (T,)
        for position, (token, sources) in enumerate(
            zip(target_tokens, links, strict=True)
        ):
            scored = alignment_curves.is_scored(token, sources, reference_ids[position])
            if not scored or (content_only and not content[position]):
                continue
            tokens += 1
            gold_count += len(sources)
            correct += int(predicted[position] in sources)
    return AlignmentScores(len(toy_pairs), tokens, gold_count, correct)


def alignment_table(results):
    """Scores of several models (and baselines) side by side.

    Args:
        results: `{name: AlignmentScores}`, all measured on the same sentences.

    Returns:
        The table as text: a title naming the number of sentences, then one row
        per name with agreement and AER in percent and the scored tokens.
    """
    if not results:
        raise ValueError("results must hold at least one AlignmentScores. Received: {}")
    for name, scores in results.items():
        if not isinstance(scores, AlignmentScores):
            raise TypeError(
                f"results must map names to AlignmentScores. Received for {name!r}: "
                f"{type(scores).__name__}"
            )
    sentences = {scores.sentences for scores in results.values()}
    if len(sentences) > 1:
        raise ValueError(
            "All scores must come from the same sentences. Received: "
            + ", ".join(f"{name!r} {s.sentences}" for name, s in results.items())
        )
    width = max(12, *(len(name) for name in results))
    lines = [
        f"Attention against gold word alignments, {sentences.pop()} toy sentences "
        "(teacher forcing)",
        f"{'':{width}s}  {'agreement':>9s}  {'AER':>6s}  {'tokens':>6s}",
    ]
    for name, scores in results.items():
        lines.append(
            f"{name:{width}s}  {scores.agreement:>9.1%}  "
            f"{scores.alignment_error_rate:>6.1%}  {scores.tokens:>6d}"
        )
    return "\n".join(lines)
