"""Sentences about people in which gender, age, setting and number show.

Embedding arithmetic (king − man + woman ≈ queen; Mikolov, Yih and Zweig, 2013,
"Linguistic Regularities in Continuous Space Word Representations") works only
when the text shows what the analogy needs. The course's toy grammar has man,
woman, boy and girl, but nothing in its sentences depends on a person's gender:
every person noun takes the same verbs, adjectives and pronouns. So this module
writes its own small English text about twelve people nouns, each with a gender
(king, queen), an age (king, prince), a setting (man, king, father) and a
singular and plural form (king, kings), and lets each property show in the words
around the noun:

- gender in the pronouns that refer back to it: "the queen lost her crown",
  "each of the kings said that he worked";
- age in what the person does: adults work, drive and vote; children play,
  learn and nap;
- setting in where it happens and what is lost: a palace and a crown at court,
  a street and a bag in town, a kitchen and a photo in the family;
- number in the determiners and the verb's agreement: "a boy plays",
  "these boys play", "each of the boys".

`analogy_set` lists the analogies this text supports, one relation at a time.
"""

import itertools
from typing import NamedTuple

import numpy as np

from chapters.common.arguments import positive_int

GENDERS = ("male", "female")
AGES = ("adult", "child")
SETTINGS = ("town", "court", "family")
NUMBERS = ("singular", "plural")
# The relations `analogy_set` tests: each changes one property of a noun.
RELATIONS = ("gender", "age", "number")


class Person(NamedTuple):
    """A people noun and the properties its contexts show."""

    singular: str
    plural: str
    gender: str  # One of GENDERS.
    age: str  # One of AGES.
    setting: str  # One of SETTINGS.

    def form(self, number: str) -> str:
        """The word for `number`: "singular" (king) or "plural" (kings)."""
        return self.singular if number == "singular" else self.plural


PEOPLE = (
    Person("man", "men", "male", "adult", "town"),
    Person("woman", "women", "female", "adult", "town"),
    Person("boy", "boys", "male", "child", "town"),
    Person("girl", "girls", "female", "child", "town"),
    Person("king", "kings", "male", "adult", "court"),
    Person("queen", "queens", "female", "adult", "court"),
    Person("prince", "princes", "male", "child", "court"),
    Person("princess", "princesses", "female", "child", "court"),
    Person("father", "fathers", "male", "adult", "family"),
    Person("mother", "mothers", "female", "adult", "family"),
    Person("son", "sons", "male", "child", "family"),
    Person("daughter", "daughters", "female", "child", "family"),
)
# Subject and possessive pronoun of each gender.
PRONOUNS = {"male": ("he", "his"), "female": ("she", "her")}
# Each verb as (base, third person singular, past).
AGE_VERBS = {
    "adult": (("work", "works", "worked"), ("drive", "drives", "drove"),
              ("vote", "votes", "voted")),
    "child": (("play", "plays", "played"), ("learn", "learns", "learned"),
              ("nap", "naps", "napped")),
}  # fmt: skip
SETTING_PLACES = {
    "town": ("street", "market", "square"),
    "court": ("palace", "castle", "hall"),
    "family": ("kitchen", "garden", "bedroom"),
}
SETTING_THINGS = {
    "town": ("bag", "coat", "ticket"),
    "court": ("crown", "sword", "ring"),
    "family": ("photo", "recipe", "key"),
}
DETERMINERS = {
    "singular": ("a", "the", "this", "that"),
    "plural": ("the", "these", "those", "two", "some"),
}


class Analogy(NamedTuple):
    """`a` is to `b` as `c` is to `d`: man : woman :: king : queen."""

    a: str
    b: str
    c: str
    d: str
    relation: str  # One of RELATIONS: what changes from a to b and from c to d.


def person_sentence(person: Person, number: str, rng: np.random.Generator) -> list[str]:
    """One random sentence about `person` in `number`, as a list of words.

    Three patterns, each showing two of gender, age and setting; number shows
    in all three:

    - "the prince plays in the palace ." (age, setting);
    - "a queen lost her crown ." (gender, setting);
    - "this boy said that he napped ." (gender, age).

    In the plural, the two patterns with a pronoun say "each of the queens"
    (each one is she; "the queens" would be they, which has no gender).
    """
    if number not in NUMBERS:
        raise ValueError(f"number must be one of {NUMBERS}. Received: {number!r}")

    def pick(options):
        return options[rng.integers(len(options))]

    base, third, past = pick(AGE_VERBS[person.age])
    subject_pronoun, possessive = PRONOUNS[person.gender]
    pattern = rng.integers(3)
    if pattern == 0:
        verb = third if number == "singular" else base
        subject = [pick(DETERMINERS[number]), person.form(number)]
        place = pick(SETTING_PLACES[person.setting])
        return [*subject, verb, "in", "the", place, "."]
    if number == "singular":
        subject = [pick(DETERMINERS[number]), person.singular]
    else:
        subject = ["each", "of", "the", person.plural]
    if pattern == 1:
        return [*subject, "lost", possessive, pick(SETTING_THINGS[person.setting]), "."]
    return [*subject, "said", "that", subject_pronoun, past, "."]


def people_sentences(count: int, seed: int = 0) -> list[list[str]]:
    """`count` random sentences, each about one person of `PEOPLE`.

    Every person and number is equally likely, so each of the 24 nouns is the
    subject of about `count / 24` sentences.

    Args:
        count: how many sentences.
        seed: the seed of the random choices; the same seed gives the same text.

    Returns:
        A list of sentences, each a list of lowercase words ending with ".".
    """
    count = positive_int(count, "count")
    rng = np.random.default_rng(seed)
    sentences = []
    for _ in range(count):
        person = PEOPLE[rng.integers(len(PEOPLE))]
        number = NUMBERS[rng.integers(len(NUMBERS))]
        sentences.append(person_sentence(person, number, rng))
    return sentences


def _relation_pairs(relation: str) -> list[tuple[str, str]]:
    """The (a, b) word pairs that differ by `relation` alone, e.g. (man, woman)."""
    if relation == "number":
        return [(person.singular, person.plural) for person in PEOPLE]
    first, second = GENDERS if relation == "gender" else AGES
    by_properties = {person[2:]: person for person in PEOPLE}  # (gender, age, setting)
    pairs = []
    for person in PEOPLE:
        if getattr(person, relation) == first:
            partner = by_properties[person._replace(**{relation: second})[2:]]
            pairs += [(person.form(n), partner.form(n)) for n in NUMBERS]
    return pairs


def analogy_set(relations=RELATIONS) -> list[Analogy]:
    """Every analogy `a : b :: c : d` that the people sentences support.

    For each relation, (a, b) and (c, d) are two different pairs of words that
    differ by that relation alone: male to female (man : woman :: kings :
    queens), adult to child (king : prince :: mothers : daughters), singular
    to plural (girl : girls :: father : fathers). Twelve pairs per relation
    give 12 × 11 = 132 ordered analogies each.

    Args:
        relations: which of `RELATIONS` to include.

    Returns:
        A list of `Analogy`, relation by relation.
    """
    unknown = [relation for relation in relations if relation not in RELATIONS]
    if unknown or isinstance(relations, str):
        raise ValueError(
            f"relations must be a sequence of {RELATIONS}. Received: {relations!r}"
        )
    return [
        Analogy(a, b, c, d, relation)
        for relation in relations
        for (a, b), (c, d) in itertools.permutations(_relation_pairs(relation), 2)
    ]
