"""People sentences, the analogy set, skip-gram embeddings and 3CosAdd analogies."""

import math

import keras
import numpy as np
import pytest

from chapters.ch01_sequence_tasks import (
    PEOPLE,
    RELATIONS,
    Analogy,
    analogy_accuracy,
    analogy_set,
    build_skipgram,
    people_sentences,
    person_sentence,
    skipgram_examples,
    solve_analogies,
    solve_analogy,
    train_skipgram,
)
from chapters.common.vocabulary import RESERVED_TOKENS, Vocabulary

PEOPLE_BY_WORD = {
    word: (person, number)
    for person in PEOPLE
    for word, number in ((person.singular, "singular"), (person.plural, "plural"))
}


def test_people_sentences_repeat_with_their_seed():
    assert people_sentences(20, seed=3) == people_sentences(20, seed=3)
    assert people_sentences(20, seed=3) != people_sentences(20, seed=4)
    assert len(people_sentences(7)) == 7


def test_each_sentence_shows_its_person_honestly():
    for sentence in people_sentences(300, seed=1):
        nouns = [word for word in sentence if word in PEOPLE_BY_WORD]
        assert len(nouns) == 1, sentence
        person, number = PEOPLE_BY_WORD[nouns[0]]
        pronoun, possessive = (
            ("he", "his") if person.gender == "male" else ("she", "her")
        )
        other_gender = {"he", "his", "she", "her"} - {pronoun, possessive}
        assert not other_gender & set(sentence), sentence
        has_pronoun = pronoun in sentence or possessive in sentence
        if number == "plural" and has_pronoun:
            # Each of them is he or she; "the kings" alone would be they.
            assert sentence[:3] == ["each", "of", "the"], sentence
        if "in" in sentence:
            verb = sentence[sentence.index("in") - 1]
            assert verb.endswith("s") == (number == "singular"), sentence
        assert sentence[-1] == "."


def test_person_sentence_agreement_by_hand():
    king = PEOPLE[4]
    assert king.singular == "king"
    rng = np.random.default_rng(0)
    sentences = [person_sentence(king, "plural", rng) for _ in range(50)]
    located = [s for s in sentences if "in" in s]
    assert located and all(s[2] in ("work", "drive", "vote") for s in located)
    assert all(s[-2] in ("palace", "castle", "hall") for s in located)
    with pytest.raises(ValueError, match="number"):
        person_sentence(king, "dual", rng)
    with pytest.raises(ValueError, match="count=0"):
        people_sentences(0)


def test_analogy_set_changes_one_property_at_a_time():
    analogies = analogy_set()
    assert len(analogies) == 3 * 12 * 11
    assert Analogy("man", "woman", "king", "queen", "gender") in analogies
    assert Analogy("king", "kings", "queen", "queens", "number") in analogies
    assert Analogy("king", "prince", "mothers", "daughters", "age") in analogies
    for analogy in analogies:
        assert (analogy.a, analogy.b) != (analogy.c, analogy.d)
        for first, second in ((analogy.a, analogy.b), (analogy.c, analogy.d)):
            (person, number), (partner, partner_number) = (
                PEOPLE_BY_WORD[first],
                PEOPLE_BY_WORD[second],
            )
            changed = {
                field
                for field in ("gender", "age", "setting")
                if getattr(person, field) != getattr(partner, field)
            } | ({"number"} if number != partner_number else set())
            assert changed == {analogy.relation}, analogy
    assert len(analogy_set(["number"])) == 132
    with pytest.raises(ValueError, match="relations"):
        analogy_set("gender")
    with pytest.raises(ValueError, match="relations"):
        analogy_set(["colour"])


def test_skipgram_examples_by_hand():
    words, candidates, labels = skipgram_examples(
        [[5, 6, 7]], vocabulary_size=9, window=1, negatives=2, seed=0
    )
    assert words.tolist() == [5, 6, 6, 7]
    assert candidates[:, 0].tolist() == [6, 5, 7, 6]
    assert candidates.shape == labels.shape == (4, 3)
    assert labels.tolist() == [[1.0, 0.0, 0.0]] * 4
    # Noise comes only from words seen in the text.
    assert set(candidates[:, 1:].ravel()) <= {5, 6, 7}
    with pytest.raises(ValueError, match="two words"):
        skipgram_examples([[5]], vocabulary_size=9, window=1, negatives=2)
    with pytest.raises(ValueError, match="window=0"):
        skipgram_examples([[5, 6]], vocabulary_size=9, window=0, negatives=2)


def test_skipgram_scores_are_dot_products():
    keras.utils.set_random_seed(0)
    model = build_skipgram(vocabulary_size=10, embedding_dim=4)
    words = np.array([1, 7], dtype="int32")
    candidates = np.array([[2, 3, 4], [7, 0, 9]], dtype="int32")
    logits = keras.ops.convert_to_numpy(model((words, candidates)))
    word_table = model.get_layer("word_embedding").get_weights()[0]
    context_table = model.get_layer("context_embedding").get_weights()[0]
    expected = np.einsum("bce,be->bc", context_table[candidates], word_table[words])
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)


def test_skipgram_learns_analogies_far_above_random():
    sentences = people_sentences(1_500, seed=0)
    vocabulary = Vocabulary.build(sentences)
    embeddings = train_skipgram(sentences, vocabulary, epochs=3, seed=0)
    assert embeddings.shape == (len(vocabulary), 16)
    analogies = analogy_set()
    learned = analogy_accuracy(embeddings, vocabulary.tokens, analogies)["all"]
    noise = np.random.default_rng(0).normal(size=embeddings.shape)
    chance = analogy_accuracy(noise, vocabulary.tokens, analogies)["all"]
    assert learned.total == chance.total == len(analogies)
    assert learned.accuracy > 0.3 > 0.1 > chance.accuracy


def _brute_force(embeddings, tokens, a, b, c):
    """3CosAdd one word at a time, with plain Python arithmetic."""

    def unit(word):
        vector = [float(x) for x in embeddings[tokens.index(word)]]
        length = math.sqrt(sum(x * x for x in vector))
        return [x / length for x in vector]

    target = [y - x + z for x, y, z in zip(unit(a), unit(b), unit(c), strict=True)]
    best, best_score = None, -math.inf
    for word in tokens:
        if word in (a, b, c) or word in RESERVED_TOKENS:
            continue
        score = sum(x * y for x, y in zip(unit(word), target, strict=True))
        if score > best_score:
            best, best_score = word, score
    return best


def test_solve_analogy_by_hand():
    # b − a + c = (0, 1) − (1, 0) + (1, 1)/√2 = (−0.29, 1.71). By cosine, the
    # nearest are [PAD] (1.00, reserved) and b (0.99), both left out; then "up"
    # (0.96).
    tokens = ["a", "b", "c", "up", "right", "[PAD]"]
    embeddings = np.array([[1, 0], [0, 1], [1, 1], [-1, 2], [3, 0], [-0.3, 1.7]])
    assert solve_analogy(embeddings, tokens, "a", "b", "c") == "up"
    # Closeness to c alone: "right" (0.71; a ties with it but is left out) beats
    # [PAD] (0.57, reserved anyway) and "up" (0.32).
    assert solve_analogies(embeddings, tokens, [("a", "b", "c")], False) == ["right"]


def test_solve_analogies_matches_brute_force_and_leaves_input_alone():
    rng = np.random.default_rng(5)
    tokens = [*RESERVED_TOKENS, *(f"w{i}" for i in range(30))]
    embeddings = rng.normal(size=(len(tokens), 6))
    kept = embeddings.copy()
    questions = [tuple(rng.choice(tokens[4:], 3, replace=False)) for _ in range(40)]
    answers = solve_analogies(embeddings, tokens, questions)
    assert answers == [_brute_force(embeddings, tokens, *q) for q in questions]
    np.testing.assert_array_equal(embeddings, kept)
    assert solve_analogies(embeddings, tokens, []) == []


def test_solve_analogy_breaks_ties_by_vocabulary_order():
    tokens = ["a", "b", "c", "first", "second"]
    embeddings = np.array([[1.0, 0], [0, 1], [1, 0], [0, 2], [0, 2]])
    assert solve_analogy(embeddings, tokens, "a", "b", "c") == "first"


def test_solve_analogies_refuses_bad_input():
    embeddings = np.eye(4)
    with pytest.raises(ValueError, match="not in tokens"):
        solve_analogy(embeddings, ["a", "b", "c", "d"], "a", "b", "queen")
    with pytest.raises(ValueError, match="one entry per embedding row"):
        solve_analogy(embeddings, ["a", "b", "c"], "a", "b", "c")
    with pytest.raises(ValueError, match="rank 2"):
        solve_analogy(np.ones(4), ["a", "b", "c", "d"], "a", "b", "c")


def test_analogy_accuracy_counts_by_relation_and_skips_unknown_words():
    tokens = ["man", "woman", "king", "queen", "boy"]
    # Gender is the second axis, royalty the third.
    embeddings = np.array(
        [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [1, 0, -0.2]], dtype="float64"
    )
    analogies = [
        Analogy("man", "woman", "king", "queen", "gender"),
        Analogy("king", "queen", "man", "woman", "gender"),
        Analogy("man", "king", "woman", "boy", "royalty"),  # Wrong on purpose.
        Analogy("man", "woman", "prince", "princess", "gender"),  # Unknown words.
    ]
    scores = analogy_accuracy(embeddings, tokens, analogies)
    assert list(scores) == ["gender", "royalty", "all"]
    assert scores["gender"] == (2, 2) and scores["gender"].accuracy == 1.0
    assert scores["royalty"] == (0, 1)
    assert scores["all"] == (2, 3)
    nothing = analogy_accuracy(embeddings, tokens, analogies[3:])["all"]
    assert nothing.total == 0 and math.isnan(nothing.accuracy)


def test_relations_are_the_analogy_sets_order():
    assert [a.relation for a in analogy_set()][::132] == list(RELATIONS)
