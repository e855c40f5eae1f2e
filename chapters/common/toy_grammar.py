"""Random sentence pairs of the toy English<->Chinese grammar, of any length.

The course's offline data set, each pair with its gold word alignment.
`generate_pairs` and `toy_splits` draw random sentences from the lexicon in
`toy_lexicon` and render them with `toy_sentences`, which holds the sentence
structures, the word-order differences between the two languages and the
alignment convention. A clause grows one expansion at a time (a time or place
phrase, a negation, a determiner, an adjective, a relative clause, a conjunct)
while its English stays within a budget of words, and clauses are coordinated
until a sentence reaches the length asked for, so one generator serves short
sentences and the 50-word ones that break an encoder-decoder without attention.
The same seed always gives the same pairs.
"""

import dataclasses
import functools
import random

from chapters.common import toy_lexicon as lexicon
from chapters.common.arguments import positive_int
from chapters.common.toy_lexicon import Name, Noun, Pronoun, Verb
from chapters.common.toy_sentences import (
    CONNECTIVES,
    MOODS,
    TENSES,
    Clause,
    NounPhrase,
    Sentence,
    ToyPair,
    clause_length,
    render,
)

SHORTEST_SENTENCE = 3  # "I slept." / 我睡觉了。
_MAX_DEPTH = 2  # A relative clause may hold one more, not deeper.
_PRONOUNS = tuple(lexicon.PRONOUNS.values())
_NAMES = tuple(lexicon.NAMES.values())
_VERBS = tuple(lexicon.VERBS.values())
_ADJECTIVES = tuple(lexicon.ADJECTIVES.values())
_PLACES = tuple(lexicon.PLACES.values())


@functools.cache
def _nouns(categories: tuple[str, ...]) -> tuple[Noun, ...]:
    return tuple(noun for noun in lexicon.NOUNS.values() if noun.category in categories)


def _noun_phrase(rng, categories, exclude=None, pronouns=True) -> NounPhrase:
    """A short noun phrase whose head fits `categories` and is not `exclude`."""
    head = exclude
    while head == exclude:
        draw = rng.random() if "person" in categories else 1.0
        if draw < 0.25 and pronouns:
            head = rng.choice(_PRONOUNS)
        elif draw < 0.45:
            head = rng.choice(_NAMES)
        else:
            head = rng.choice(_nouns(categories))
    if not isinstance(head, Noun):
        return NounPhrase(head)
    plural = head.plural is not None and rng.random() < 0.5
    # A singular countable noun needs a determiner in English: "the book".
    return NounPhrase(head, plural, "" if plural or head.plural is None else "the")


def _relative_clause(rng, noun: Noun, room: int, depth: int) -> Clause | None:
    """A relative clause about `noun` of at most `room` words, or None."""
    if noun.category in lexicon.ANIMATE and rng.random() < 0.5:
        verb = rng.choice([verb for verb in _VERBS if noun.category in verb.subjects])
        objects = _noun_phrase(rng, verb.objects, noun) if verb.objects else None
        clause = Clause(None, verb, objects)
    else:
        verb = rng.choice([verb for verb in _VERBS if noun.category in verb.objects])
        clause = Clause(_noun_phrase(rng, verb.subjects, noun), verb)
    if not verb.stative:
        clause = dataclasses.replace(clause, tense=rng.choice(("present", "past")))
    length = clause_length(clause, "relative")
    if length > room:
        return None
    return _grow(rng, clause, rng.randint(length, min(room, 14)), "relative", depth)


def _expand_noun_phrase(rng, phrase, room, depth, conjunct=True) -> NounPhrase | None:
    """`phrase` with one more determiner, modifier or conjunct, or None."""
    head, options = phrase.head, []
    if conjunct and not isinstance(head, Pronoun):
        options.append("conjunct" if phrase.conjunct is None else "inside conjunct")
    if isinstance(head, Noun):
        options.append("determiner")
        options += ["adjective"] if phrase.adjective is None else []
        # "my book that I like" reads oddly: possessives take no relative clause.
        if phrase.relative is None and phrase.determiner not in lexicon.POSSESSIVES:
            options += ["relative"] if depth < _MAX_DEPTH else []
    option = rng.choice(options) if options else None
    if option == "conjunct":
        other = _noun_phrase(rng, (_category(head),), head, pronouns=False)
        return dataclasses.replace(phrase, conjunct=other)
    if option == "inside conjunct":
        other = _expand_noun_phrase(rng, phrase.conjunct, room, depth, conjunct=False)
        return other and dataclasses.replace(phrase, conjunct=other)
    if option == "determiner":
        if head.plural is None:
            determiners = lexicon.UNCOUNTABLE_DETERMINERS
        elif phrase.plural:
            determiners = lexicon.PLURAL_DETERMINERS
        else:
            determiners = lexicon.SINGULAR_DETERMINERS
        determiner = rng.choice(determiners)
        if phrase.relative is not None and determiner in lexicon.POSSESSIVES:
            return None
        return dataclasses.replace(phrase, determiner=determiner)
    if option == "adjective":
        adjectives = [adj for adj in _ADJECTIVES if head.category in adj.categories]
        return dataclasses.replace(phrase, adjective=rng.choice(adjectives))
    if option == "relative":
        relative = _relative_clause(rng, head, room, depth + 1)
        return relative and dataclasses.replace(phrase, relative=relative)
    return None


def _category(head: Noun | Pronoun | Name) -> str:
    return head.category if isinstance(head, Noun) else "person"


def _random_clause(rng, mood: str) -> Clause:
    """A minimal clause that can be asked in `mood`."""
    if mood in ("statement", "yes-no") and rng.random() < 0.15:
        adjective = rng.choice(_ADJECTIVES)
        subject = _noun_phrase(rng, adjective.categories)
        # Only people and animals change over time: "he was busy yesterday".
        animate = _category(subject.head) in lexicon.ANIMATE
        return Clause(
            subject, adjective, tense=rng.choice(TENSES) if animate else "present"
        )
    verbs = [verb for verb in _VERBS if verb.objects or mood != "what"]
    if mood == "where":  # States take no place phrase.
        verbs = [verb for verb in verbs if not verb.stative]
    verb = rng.choice(verbs)
    subject = _noun_phrase(rng, verb.subjects)
    has_object = verb.objects and mood != "what"
    objects = _noun_phrase(rng, verb.objects, subject.head) if has_object else None
    tense = "present" if verb.stative else rng.choice(TENSES)
    return Clause(subject, verb, objects, tense)


def _expand_clause(rng, clause, room, mood, depth) -> Clause | None:
    """`clause` with one more phrase, a negation or a modifier, or None."""
    options = [role for role in ("subject", "object") if getattr(clause, role)]
    predicate, subject = clause.predicate, clause.subject
    acts = isinstance(predicate, Verb) and not predicate.stative
    # People and animals change over time ("he was busy yesterday"); things do not.
    changes = subject is not None and _category(subject.head) in lexicon.ANIMATE
    if clause.time is None and (acts or (changes and not isinstance(predicate, Verb))):
        options.append("time")
    if clause.place is None and acts and mood != "where":
        options.append("place")
    if mood == "statement" and not clause.negated:
        options.append("negation")
    option = rng.choice(options) if options else None
    if option == "time":
        times = [time for time in lexicon.TIMES.values() if time.tense == clause.tense]
        return dataclasses.replace(clause, time=rng.choice(times))
    if option == "place":
        return dataclasses.replace(clause, place=rng.choice(_PLACES))
    if option == "negation":
        return dataclasses.replace(clause, negated=True)
    if option in ("subject", "object"):
        phrase = _expand_noun_phrase(rng, getattr(clause, option), room, depth)
        return phrase and dataclasses.replace(clause, **{option: phrase})
    return None


def _grow(rng, clause: Clause, budget: int, mood: str, depth: int) -> Clause:
    """Expands `clause` at random while its English stays within `budget` words."""
    length, failures = clause_length(clause, mood), 0
    while length < budget and failures < 5:
        candidate = _expand_clause(rng, clause, budget - length, mood, depth)
        if candidate is None:
            failures += 1
            continue
        new_length = clause_length(candidate, mood)
        if new_length <= budget:
            clause = candidate
        # A swapped determiner fits but adds nothing: no progress either.
        if length < new_length <= budget:
            length = new_length
        else:
            failures += 1
    return clause


def _random_sentence(rng, target: int) -> Sentence | None:
    """A sentence of at most `target` English words, often exactly, or None."""
    # A question is a single clause, which rarely grows past 25 words naturally.
    mood = rng.choices(MOODS, weights=(8, 2, 1, 1))[0] if target <= 25 else "statement"
    room = target - 1  # The final "." or "?".
    if mood != "statement":
        clause = _random_clause(rng, mood)
        if clause_length(clause, mood) > room:
            return None
        return Sentence((_grow(rng, clause, room, mood, 0),), (), mood)
    clauses, connectives, connective = [], [], ""
    while room >= 2:  # The shortest clause: "I slept".
        # Short clauses are rarer than long ones: look a few times for one that fits.
        for _ in range(4):
            clause = _random_clause(rng, mood)
            length = clause_length(clause, mood)
            if length <= room:
                break
        if length > room:
            break
        budget = max(length, min(room, rng.randint(4, 22)))
        if room - budget < 8:  # Too little would be left for another clause.
            budget = room
        clauses.append(_grow(rng, clause, budget, mood, 0))
        connectives.append(connective)
        # "because" swaps the clauses in Chinese, so only the first pair gets it.
        connective = rng.choice(CONNECTIVES if len(clauses) == 1 else CONNECTIVES[:4])
        comma = connective != "because"  # ", and then" is three words.
        room -= clause_length(clauses[-1], mood) + len(connective.split()) + comma
    return Sentence(tuple(clauses), tuple(connectives[1:])) if clauses else None


def _pairs(rng: random.Random, min_words: int, max_words: int):
    """An endless stream of pairs of `min_words` to `max_words` English words."""
    while True:
        target = rng.randint(min_words, max_words)
        sentence = _random_sentence(rng, target)
        # Keeping only sentences within two words of the target spreads the
        # lengths evenly over the range.
        if sentence is not None:
            pair = render(sentence)
            if len(pair.english_words) >= max(min_words, target - 2):
                yield pair


def _check_lengths(min_words, max_words) -> tuple[int, int]:
    min_words = positive_int(min_words, "min_words", minimum=SHORTEST_SENTENCE)
    return min_words, positive_int(max_words, "max_words", minimum=min_words)


def generate_pairs(
    count: int, seed: int = 0, min_words: int = 3, max_words: int = 60
) -> list[ToyPair]:
    """`count` random pairs whose English has `min_words` to `max_words` words.

    Lengths count English tokens, punctuation included, and spread evenly over
    the range. Pairs may repeat; `toy_splits` gives distinct ones.

    Args:
        count: how many pairs, at least 0.
        seed: the seed of the random stream; the same seed gives the same pairs.
        min_words: the fewest English words, at least 3 (`SHORTEST_SENTENCE`,
            "I slept.").
        max_words: the most English words, at least `min_words`.

    Returns:
        A list of `count` `ToyPair`s.

    Raises:
        TypeError: an argument is not an integer.
        ValueError: an argument is below its minimum.
    """
    count = positive_int(count, "count", minimum=0)
    min_words, max_words = _check_lengths(min_words, max_words)
    stream = _pairs(random.Random(seed), min_words, max_words)
    return [next(stream) for _ in range(count)]


def toy_splits(
    train: int,
    validation: int,
    test: int,
    seed: int = 0,
    min_words: int = 3,
    max_words: int = 60,
) -> dict[str, list[ToyPair]]:
    """Distinct pairs in "train", "validation" and "test"; none is in two splits.

    Each split draws from its own seeded stream, test first, so the held-out
    splits stay the same when a larger scale asks for more training pairs.

    Args:
        train: pairs in the training split, at least 0.
        validation: pairs in the validation split, at least 0.
        test: pairs in the test split, at least 0.
        seed: the seed of the three streams.
        min_words: the fewest English words, at least 3 (`SHORTEST_SENTENCE`).
        max_words: the most English words, at least `min_words`.

    Returns:
        A dict from "train", "validation" and "test" to lists of `ToyPair`s.

    Raises:
        TypeError: an argument is not an integer.
        ValueError: an argument is below its minimum, or the range of lengths
            holds too few distinct sentences for the sizes asked.
    """
    sizes = {"test": test, "validation": validation, "train": train}
    sizes = {name: positive_int(size, name, minimum=0) for name, size in sizes.items()}
    min_words, max_words = _check_lengths(min_words, max_words)
    seen, splits = set(), {}
    for name, size in sizes.items():
        stream = _pairs(random.Random(f"{seed}/{name}"), min_words, max_words)
        splits[name], misses = [], 0
        while len(splits[name]) < size:
            pair = next(stream)
            if (pair.english, pair.chinese) in seen:
                misses += 1
                if misses > 200:  # The range holds too few distinct sentences.
                    raise ValueError(
                        f"Found only {len(seen)} distinct pairs of {min_words} to "
                        f"{max_words} words; widen the range or ask for fewer. "
                        f"Received: {name}={size}"
                    )
            else:
                seen.add((pair.english, pair.chinese))
                splits[name].append(pair)
                misses = 0
    return {name: splits[name] for name in ("train", "validation", "test")}
