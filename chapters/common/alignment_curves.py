"""Where a translation model loses the source: the accuracy of each target word by
where the source word it translates lies.

Bahdanau et al. (2015, "Neural Machine Translation by Jointly Learning to Align
and Translate") trace the encoder-decoder's trouble with long sentences to its one
fixed-size context vector: the encoder folds the whole source into it, reading
word after word into the same state, and the decoder gets that same summary at
every output step. A BLEU-by-length curve shows the joint effect; this module
takes it apart per target word, using the gold word alignments of the toy grammar
(see `toy_sentences`), so that chapter 3 can show what attention changes.

For every target token of a pair, the model reads the source and the *true*
previous target tokens (teacher forcing) and predicts the token; the prediction is
right or wrong. Teacher forcing keeps every prediction at its reference position,
so one early mistake cannot shift the rest of the sentence as it can in free
decoding. Each outcome is then filed under the source word its token translates
(the last one, when it translates several: the most recent the encoder read,
which favours the model):

- `"relative_position"`: where that word sits in the source, from 0 (start) to 1
  (end): are early words forgotten?
- `"position_from_end"`: how many source words the encoder read from it to the
  end, itself included (1 = the last word): does a word's chance depend on how
  long ago the one summary took it in?
- `"english_words"`: the sentence's length in English words, for grouping the
  above by length.

Target tokens with no source counterpart ("the", the "and" between clauses),
punctuation and `[UNK]` references are left out: none tests the memory of a source
word. The curves keep only *content words*, those that translate a noun, verb,
adjective, name, pronoun, place or time of the toy lexicon (`CONTENT_WORDS`): a
model can only get them right by reading the source, whereas function words
("not" after "did", "will", "who") follow largely from the target words before
them. `accuracy_by` groups the outcomes; `plot_accuracy_curves` draws them for
several models.
"""

import itertools

import numpy as np

from chapters.common import evaluation, plots
from chapters.common import toy_lexicon as lexicon
from chapters.common.arguments import positive_int
from chapters.common.pipeline import make_dataset
from chapters.common.toy_sentences import ToyPair
from chapters.common.vocabulary import UNK_ID

# The source position of a target word, in fifths of the source.
RELATIVE_POSITION_EDGES = (0.2, 0.4, 0.6, 0.8)
RELATIVE_POSITION_LABELS = ("0-20%", "20-40%", "40-60%", "60-80%", "80-100%")
PUNCTUATION = frozenset(".,?!。，？！")
# The Chinese words of the lexicon's content entries; a target token is a content
# word when it is aligned to one (zh-en) or is part of one (en-zh).
CONTENT_WORDS = frozenset(
    piece
    for table in (
        lexicon.PRONOUNS,
        lexicon.NAMES,
        lexicon.NOUNS,
        lexicon.VERBS,
        lexicon.ADJECTIVES,
        lexicon.PLACES,
        lexicon.TIMES,
    )
    for entry in table.values()
    for piece in entry.chinese.split()
)


def aligned_source_words(pair, direction="zh-en"):
    """The source words each target token of a toy pair translates.

    Args:
        pair: a `ToyPair`.
        direction: `"zh-en"` (Chinese characters in, English words out) or
            `"en-zh"` (English words in, Chinese characters out).

    Returns:
        `(source_words, target_tokens, links)`: the source's length in words,
        the target's tokens as the course's tokenizers write them (English
        lower-cased, Chinese one character each), and for every target token the
        sorted indices of the source words it is aligned to (empty when none).
    """
    if not isinstance(pair, ToyPair):
        raise TypeError(
            "pair must be a ToyPair of the toy grammar (it carries the gold "
            f"alignment). Received: {type(pair).__name__}"
        )
    if direction == "zh-en":
        links = [set() for _ in pair.english_words]
        for chinese, english in pair.alignment:
            links[english].add(chinese)
        targets = [word.lower() for word in pair.english_words]
        return len(pair.chinese_words), targets, [sorted(s) for s in links]
    if direction == "en-zh":
        by_word = [set() for _ in pair.chinese_words]
        for chinese, english in pair.alignment:
            by_word[chinese].add(english)
        targets, links = [], []
        for word, english in zip(pair.chinese_words, by_word, strict=True):
            for character in word:  # Each character inherits its word's links.
                targets.append(character)
                links.append(sorted(english))
        return len(pair.english_words), targets, links
    raise ValueError(
        f"direction must be 'zh-en' or 'en-zh'. Received: direction={direction!r}"
    )


def content_flags(pair, direction="zh-en"):
    """Whether each target token of a toy pair is a content word.

    Args:
        pair: a `ToyPair`.
        direction: `"zh-en"` or `"en-zh"`, as in `aligned_source_words`.

    Returns:
        One bool per target token: `True` when the Chinese side of the token (the
        Chinese words an English word is aligned to, or the word a Chinese
        character belongs to) holds a word of `CONTENT_WORDS`.
    """
    aligned_source_words(pair, direction)  # Checks both arguments.
    if direction == "zh-en":
        content = [False] * len(pair.english_words)
        for chinese, english in pair.alignment:
            content[english] |= pair.chinese_words[chinese] in CONTENT_WORDS
        return content
    return [word in CONTENT_WORDS for word in pair.chinese_words for _ in word]


def is_scored(token, sources, reference_id):
    """Whether a target token tests the memory of a source word: it has a source
    counterpart (`sources`, its aligned positions), is no punctuation mark, and
    its reference id is not `[UNK]`."""
    return bool(sources) and token not in PUNCTUATION and reference_id != UNK_ID


def check_pairs(toy_pairs):
    toy_pairs = list(toy_pairs)
    if not toy_pairs:
        raise ValueError("toy_pairs must hold at least one ToyPair. Received: []")
    for index, pair in enumerate(toy_pairs):
        if not isinstance(pair, ToyPair):
            raise TypeError(
                "toy_pairs must hold ToyPairs (toy_grammar.toy_splits or "
                f"generate_pairs make them). Received at index {index}: "
                f"{type(pair).__name__}"
            )
    return toy_pairs


def teacher_forced_hits(
    model, text_pairs, source_tokenizer, target_tokenizer, batch_size=64
):
    """Whether the model predicts each reference token when fed the true prefix.

    Args:
        model: called as `model((source_ids, decoder_input_ids), training=False)`,
            returning logits `(B, T, V)`: every translation model of the course.
        text_pairs: `(source, target)` strings.
        source_tokenizer, target_tokenizer: the model's `Tokenizer`s.
        batch_size: sentences per forward pass.

    Returns:
        `(hits, target_ids)`: per pair, a bool array with one entry per target token
        (`[END]` left out), and that pair's reference ids.
    """
    batch_size = positive_int(batch_size, "batch_size")
    dataset = make_dataset(text_pairs, source_tokenizer, target_tokenizer, batch_size)
    hits, references = [], []
    for (source_ids, decoder_input_ids), target_ids in dataset:
        logits = np.asarray(model((source_ids, decoder_input_ids), training=False))
        if logits.shape[:2] != tuple(decoder_input_ids.shape) or logits.ndim != 3:
            raise ValueError(
                "model((source_ids, decoder_input_ids)) must return logits (B, T, "
                f"V) for decoder inputs {tuple(decoder_input_ids.shape)}. "
                f"Received: shape {logits.shape}"
            )
        predicted = np.argmax(logits, axis=-1)  # (B, T)
        target_ids = np.asarray(target_ids)  # (B, T): ids, [END], padding
        for row_predicted, row_target in zip(predicted, target_ids, strict=True):
            # The last real position holds [END]; the ones after it, padding.
            length = int(np.count_nonzero(row_target)) - 1
            hits.append(row_predicted[:length] == row_target[:length])
            references.append(row_target[:length])
    if len(hits) != len(text_pairs):
        raise ValueError(
            f"{len(text_pairs)} pairs gave {len(hits)} token rows; a sentence "
            "without tokens cannot be scored."
        )
    return hits, references


def score_target_tokens(model, toy_pairs, data, batch_size=64):
    """One record per aligned target word: predicted right or not, and where its
    source word lies.

    Args:
        model: a trained translation model, called with teacher forcing as
            `model((source_ids, decoder_input_ids), training=False)`.
        toy_pairs: `ToyPair`s, e.g. `toy_grammar.toy_splits(...)["test"]`.
        data: the `TranslationData` the model was trained on; its tokenizers
            encode the pairs and its languages give the direction.
        batch_size: sentences per forward pass.

    Returns:
        A list of dicts, one per target token with a source counterpart, holding
        `"sentence"` (index in `toy_pairs`), `"target_index"`, `"token"`,
        `"correct"`, `"content"` (see `content_flags`), `"english_words"`,
        `"source_words"`,
        `"position_from_start"` (1 = the first source word),
        `"position_from_end"` (1 = the last) and `"relative_position"`
        (`(index + 0.5) / source_words`, in `(0, 1)`), all about the last source
        word the token is aligned to.

    Raises:
        TypeError: `toy_pairs` holds something other than `ToyPair`s.
        ValueError: the tokenizers split a sentence differently from the toy
            grammar, so tokens and alignment links would not match.
    """
    toy_pairs = check_pairs(toy_pairs)
    direction = f"{data.source_language}-{data.target_language}"
    text_pairs, alignments = [], []
    for index, pair in enumerate(toy_pairs):
        texts = (pair.chinese, pair.english)
        text_pairs.append(texts if direction == "zh-en" else texts[::-1])
        alignments.append(aligned_source_words(pair, direction))
        tokens = alignments[-1][1]
        target = text_pairs[-1][1]
        tokenized = [t.lower() for t in data.target_tokenizer.tokenize(target)]
        if tokenized != tokens:
            raise ValueError(
                f"The target tokenizer splits pair {index} into {tokenized}, the "
                f"toy grammar into {tokens}; the alignment links need the toy "
                f"grammar's tokens. Received: {target!r}"
            )
    hits, references = teacher_forced_hits(
        model, text_pairs, data.source_tokenizer, data.target_tokenizer, batch_size
    )
    records = []
    for index, pair in enumerate(toy_pairs):
        source_words, tokens, links = alignments[index]
        content = content_flags(pair, direction)
        for position, (token, sources) in enumerate(zip(tokens, links, strict=True)):
            if not is_scored(token, sources, references[index][position]):
                continue
            last = sources[-1]
            records.append(
                {
                    "sentence": index,
                    "target_index": position,
                    "target_tokens": len(tokens),
                    "token": token,
                    "correct": bool(hits[index][position]),
                    "content": content[position],
                    "english_words": len(pair.english_words),
                    "source_words": source_words,
                    "position_from_start": last + 1,
                    "position_from_end": source_words - last,
                    "relative_position": (last + 0.5) / source_words,
                }
            )
    return records


def accuracy_by(records, key, edges, labels=None, where=None):
    """The share of correct records in each bucket of `key`.

    Bucket `i` holds the values in `(edges[i - 1], edges[i]]`, as the course's
    length buckets do (the first holds values up to `edges[0]`, the last those
    above `edges[-1]`).

    Args:
        records: dicts from `score_target_tokens`.
        key: the record field to bucket, e.g. `"position_from_end"`.
        edges: increasing bucket edges.
        labels: one name per bucket (`len(edges) + 1`); default `"1-5"`,
            `"6-10"`, ..., `"31+"`, for whole numbers from 1.
        where: keep only the records for which `where(record)` is true.

    Returns:
        A dict with `"labels"`, `"counts"`, `"correct"` and `"accuracy"` (a share
        in `[0, 1]`, `nan` for an empty bucket), one entry per bucket.
    """
    edges = tuple(edges)
    if not edges or any(low >= high for low, high in itertools.pairwise(edges)):
        raise ValueError(f"edges must be increasing. Received: edges={edges}")
    if labels is None:
        labels = [evaluation.bucket_label(i, edges) for i in range(len(edges) + 1)]
    labels = list(labels)
    if len(labels) != len(edges) + 1:
        raise ValueError(
            f"{len(edges)} edges make {len(edges) + 1} buckets, so labels needs "
            f"{len(edges) + 1} names. Received: {len(labels)} labels"
        )
    kept = [r for r in records if where is None or where(r)]
    if kept and key not in kept[0]:
        raise ValueError(f"The records have no {key!r}. They have: {sorted(kept[0])}")
    buckets = np.searchsorted(edges, [r[key] for r in kept], side="left")
    counts = np.bincount(buckets, minlength=len(labels)).astype(int)
    right = [bool(r["correct"]) for r in kept]
    correct = np.bincount(buckets, weights=right, minlength=len(labels)).astype(int)
    accuracy = [
        c / n if n else float("nan") for c, n in zip(correct, counts, strict=True)
    ]
    return {
        "labels": labels,
        "counts": counts.tolist(),
        "correct": correct.tolist(),
        "accuracy": accuracy,
    }


def position_curves(records, long_after=20, content_only=True):
    """Accuracy by where the aligned source word sits, for short and long sentences.

    If the encoder forgets what it read first, target words that translate the
    start of a long source do worse than those that translate its end.

    Args:
        records: dicts from `score_target_tokens`.
        long_after: sentences of more English words than this count as long.
        content_only: keep only content words (see the module's docstring).

    Returns:
        `{"at most N English words": curve, "more than N English words": curve}`,
        each curve an `accuracy_by` dict over fifths of the source.
    """
    long_after = positive_int(long_after, "long_after")
    curves = {}
    for name, long in (("at most", False), ("more than", True)):

        def kept(record, long=long):
            is_long = record["english_words"] > long_after
            return is_long == long and (record["content"] or not content_only)

        curves[f"{name} {long_after} English words"] = accuracy_by(
            records,
            "relative_position",
            RELATIVE_POSITION_EDGES,
            RELATIVE_POSITION_LABELS,
            where=kept,
        )
    return curves


def last_words_curve(records, last_words=5, edges=(10, 20, 30, 40), content_only=True):
    """Accuracy of target words that translate one of the last source words read,
    by sentence length.

    The encoder read these words last, so forgetting costs them least; if their
    accuracy still falls as the sentence grows, what costs them is the number of
    other words sharing the one context vector, which the decoder gets whole, at
    every step, whichever word it needs.

    Args:
        records: dicts from `score_target_tokens`.
        last_words: how many source words, counted from the end, the curve keeps.
        edges: the sentence-length buckets, in English words.
        content_only: keep only content words (see the module's docstring).

    Returns:
        An `accuracy_by` dict over sentence length.
    """
    last_words = positive_int(last_words, "last_words")

    def kept(record):
        near_end = record["position_from_end"] <= last_words
        return near_end and (record["content"] or not content_only)

    return accuracy_by(records, "english_words", edges, where=kept)


def curves_table(curves, title, value_width=8):
    """Curves of the same buckets side by side, accuracy in percent.

    Args:
        curves: `{name: accuracy_by dict}`; all with the same labels.
        title: the first line, e.g. what the buckets count.
        value_width: width of each column.

    Returns:
        The table as text: one row per bucket, with the number of target words
        of each curve in parentheses.
    """
    if not curves:
        raise ValueError("curves must hold at least one curve. Received: {}")
    names = list(curves)
    labels = curves[names[0]]["labels"]
    for name in names:
        if curves[name]["labels"] != labels:
            raise ValueError(
                f"All curves need the buckets of {names[0]!r}, {labels}. Received: "
                f"{name!r} with {curves[name]['labels']}"
            )
    width = max(value_width + 8, *(len(name) for name in names))
    first = max(10, *(len(label) for label in labels))
    lines = [title, " " * first + "".join(f"  {name:>{width}s}" for name in names)]
    for index, label in enumerate(labels):
        cells = "".join(
            "  " + _cell(curves[n], index, value_width).rjust(width) for n in names
        )
        lines.append(f"{label:>{first}s}{cells}")
    return "\n".join(lines)


def _cell(curve, index, value_width):
    """`" 48.6% (  625)"`: accuracy and target words; `"-"` for an empty bucket."""
    count = curve["counts"][index]
    if not count:
        return "-"
    return f"{curve['accuracy'][index]:>{value_width}.1%} ({count:5d})"


def plot_accuracy_curves(curves, ax=None, xlabel="", title=None):
    """Accuracy curves of several models (or groups) on one plot.

    Args:
        curves: `{name: accuracy_by dict}`, all with the same labels.
        ax: the matplotlib `Axes` to draw on; a new figure when None.
        xlabel, title: the axis label and the title.

    Returns:
        The `Axes` drawn on.
    """
    if not curves:
        raise ValueError("curves must hold at least one curve. Received: {}")
    labels = next(iter(curves.values()))["labels"]
    return plots.plot_length_curve(
        labels,
        {name: curve["accuracy"] for name, curve in curves.items()},
        ax=ax,
        xlabel=xlabel,
        ylabel="next-word accuracy (teacher forcing)",
        title=title,
    )
