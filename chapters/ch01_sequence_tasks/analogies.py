"""Word analogies by embedding arithmetic: king − man + woman ≈ queen.

Mikolov, Yih and Zweig (2013), "Linguistic Regularities in Continuous Space
Word Representations", found that the offset between two word vectors can
carry a relation: if man → woman is "make it female", then the word nearest to
king + (woman − man) should be queen. To answer `a : b :: c : ?`:

1. normalize every embedding to unit length, so that no word counts more for
   being long;
2. compute the target `t = b − a + c` from the unit vectors;
3. return the word whose unit vector has the highest dot product with `t` (the
   highest cosine), leaving out a, b and c themselves (c is often nearest to
   its own shifted vector) and the reserved tokens.

Ties go to the word that comes first in the vocabulary. Levy and Goldberg (2014,
"Linguistic Regularities in Sparse and Explicit Word Representations") call
this rule 3CosAdd. The accuracy of a set of analogies is the fraction answered
with the expected word d.
"""

from typing import NamedTuple

import numpy as np

from chapters.common.vocabulary import RESERVED_TOKENS


class AnalogyScore(NamedTuple):
    """How many analogies of a set were answered right, of how many asked."""

    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        """`correct / total`; NaN when no analogy could be asked."""
        return self.correct / self.total if self.total else float("nan")


def _unit_rows(embeddings) -> np.ndarray:
    embeddings = np.asarray(embeddings, dtype="float64")
    if embeddings.ndim != 2:
        raise ValueError(
            "embeddings must have rank 2 (tokens, dims). Received shape "
            f"{embeddings.shape}"
        )
    lengths = np.linalg.norm(embeddings, axis=1, keepdims=True)
    return embeddings / np.maximum(lengths, 1e-12)  # A new array: input untouched.


def solve_analogies(embeddings, tokens, questions, use_offset: bool = True) -> list:
    """The answer d of each `a : b :: c : ?`, by 3CosAdd (see the module).

    Args:
        embeddings: `(V, E)` matrix, row i the vector of `tokens[i]`.
        tokens: the V tokens of the vocabulary.
        questions: `(a, b, c)` triples (an `Analogy`'s first three fields
            will do), every word in `tokens`.
        use_offset: False ranks the words by their closeness to c alone, a
            baseline that shows what the offset b − a adds.

    Returns:
        A list with one word per question.
    """
    unit = _unit_rows(embeddings)  # (V, E)
    tokens = list(tokens)
    if len(tokens) != unit.shape[0]:
        raise ValueError(
            f"tokens must have one entry per embedding row. Received {len(tokens)} "
            f"tokens and {unit.shape[0]} rows"
        )
    ids = {token: index for index, token in enumerate(tokens)}
    questions = [tuple(question)[:3] for question in questions]
    for question in questions:
        missing = [word for word in question if word not in ids]
        if missing:
            raise ValueError(f"{missing} of the analogy {question} not in tokens")
    if not questions:
        return []
    a, b, c = (np.array([ids[q[k]] for q in questions]) for k in range(3))  # (Q,)
    targets = unit[b] - unit[a] + unit[c] if use_offset else unit[c]  # (Q, E)
    scores = targets @ unit.T  # (Q, V)
    rows = np.arange(len(questions))
    for excluded in (a, b, c):
        scores[rows, excluded] = -np.inf
    reserved = [ids[token] for token in RESERVED_TOKENS if token in ids]
    scores[:, reserved] = -np.inf
    # argmax takes the first of equal scores: ties go to the earlier token.
    return [tokens[index] for index in np.argmax(scores, axis=1)]


def solve_analogy(embeddings, tokens, a: str, b: str, c: str) -> str:
    """The d of `a : b :: c : d`: the word nearest to b − a + c, a, b, c left out.

    >>> solve_analogy(embeddings, vocabulary.tokens, "man", "woman", "king")
    'queen'  # With embeddings that learned gender.
    """
    return solve_analogies(embeddings, tokens, [(a, b, c)])[0]


def analogy_accuracy(
    embeddings, tokens, analogies, use_offset: bool = True
) -> dict[str, AnalogyScore]:
    """The share of `analogies` answered with their d, by relation and in all.

    Analogies with a word outside `tokens` are left out of every count (a
    vocabulary learned from a corpus need not hold them all); the difference
    between `len(analogies)` and the "all" total says how many.

    Args:
        embeddings: `(V, E)` matrix, row i the vector of `tokens[i]`.
        tokens: the V tokens of the vocabulary.
        analogies: `people_sentences.Analogy` items (a, b, c, d, relation).
        use_offset: as in `solve_analogies`.

    Returns:
        A dict from each relation, in order of first appearance, and "all" to
        its `AnalogyScore`.
    """
    known = set(tokens)
    asked = [item for item in analogies if set(item[:4]) <= known]
    answers = solve_analogies(embeddings, tokens, asked, use_offset)
    relations = list(dict.fromkeys(item.relation for item in analogies))
    scores = {}
    for relation in [*relations, "all"]:
        results = [
            answer == item.d
            for item, answer in zip(asked, answers, strict=True)
            if relation in (item.relation, "all")
        ]
        scores[relation] = AnalogyScore(sum(results), len(results))
    return scores
