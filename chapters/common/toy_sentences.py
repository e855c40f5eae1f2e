"""Sentences of the toy English<->Chinese grammar, rendered with gold alignments.

A `Sentence` is a structure (clauses of a subject, a verb and the phrases around
them) that `render` turns into English words, Chinese words and the links
between them. The two languages differ in word order the way real English and
Chinese do: Chinese puts time and place before the verb (我昨天在学校吃了苹果 / I
ate apples at school yesterday), modifiers before the noun with 的 (我喜欢的书 /
the book that I like), asks yes/no questions with a final 吗 and leaves question
words in place (你吃了什么 / What did you eat). `toy_grammar` draws random
sentences to render.

Alignment convention: `ToyPair.alignment` links Chinese word i to English word j
as `(i, j)`. Words that translate each other are linked; a multi-word entry
(last week / 上周, Li Lei / 李雷, look for / 找) links every word to every word.
Grammatical words are linked to the English words that carry the same meaning:

- a numeral or demonstrative and its measure word to the English determiner
  (一本 / a, 三个 / three, 这本 / this); 我的 to my;
- 的 after a relative clause to who/that, 的 after a long adjective to it;
- 了 to the word that carries past tense (ate, or did in "Did you eat");
- 吗 to the auxiliary English moves to the front (Do, Does, Did, Will, Is);
- 不 and 没 to not and to the do/does/did that exists only to carry it; 会 to
  will; 很 to the copula of an adjective (is in "the tea is hot");
- 在 to at/in/on, 在哪里 to where, 什么/谁 to what/who, 和 to and,
  但是/所以/然后/因为 to but/so/and then/because, punctuation to punctuation.

Words with no counterpart stay unaligned: English "the", "and" between clauses
(Chinese uses only a comma), "be" after will, do/does in a what/where question;
Chinese 所以 and its comma in 因为……，所以…… .
"""

import dataclasses

from chapters.common import toy_lexicon as lexicon
from chapters.common.toy_lexicon import (
    Adjective,
    Name,
    Noun,
    Place,
    Pronoun,
    Time,
    Verb,
)

MOODS = ("statement", "yes-no", "what", "where")
TENSES = ("present", "past", "future")
CONNECTIVES = ("and", "but", "so", "and then", "because")


@dataclasses.dataclass(frozen=True)
class ToyPair:
    """One English sentence, its Chinese translation and their word alignment."""

    english_words: tuple[str, ...]
    chinese_words: tuple[str, ...]
    alignment: tuple[tuple[int, int], ...]  # (chinese_word_index, english_word_index)

    @property
    def english(self) -> str:
        # Punctuation attaches to the word before it: "I like apples."
        words = [word if word in ".,?" else f" {word}" for word in self.english_words]
        return "".join(words).strip()

    @property
    def chinese(self) -> str:
        return "".join(self.chinese_words)

    def chinese_characters(self) -> tuple[str, ...]:
        return tuple(character for word in self.chinese_words for character in word)

    def character_alignment(self) -> tuple[tuple[int, int], ...]:
        """`alignment` per Chinese character: each inherits its word's links."""
        starts = [0]
        for word in self.chinese_words:
            starts.append(starts[-1] + len(word))
        return tuple(
            (starts[chinese] + offset, english)
            for chinese, english in self.alignment
            for offset in range(len(self.chinese_words[chinese]))
        )


@dataclasses.dataclass(frozen=True)
class NounPhrase:
    """A noun, name or pronoun with its determiner, modifiers and conjunct."""

    head: Noun | Pronoun | Name
    plural: bool = False
    # "", or a key of lexicon.DETERMINERS: "the", "a", "three", "this", "my", ...
    determiner: str = ""
    adjective: Adjective | None = None
    relative: "Clause | None" = None  # "the book that I like"
    conjunct: "NounPhrase | None" = None  # "apples and bananas"


@dataclasses.dataclass(frozen=True)
class Clause:
    """A subject, a verb or "to be" adjective, and the phrases around them."""

    # None only in a relative clause whose subject is the noun it modifies.
    subject: NounPhrase | None
    predicate: Verb | Adjective  # An adjective means "to be": the tea is hot.
    # None for an intransitive verb, a what/who question and a relative clause
    # whose object is the noun it modifies.
    object: NounPhrase | None = None
    tense: str = "present"  # One of TENSES.
    time: Time | None = None
    place: Place | None = None
    negated: bool = False


@dataclasses.dataclass(frozen=True)
class Sentence:
    """Clauses joined by connectives, said as a statement or asked."""

    clauses: tuple[Clause, ...]
    connectives: tuple[str, ...] = ()  # One of CONNECTIVES between two clauses.
    mood: str = "statement"  # One of MOODS; a question has a single clause.


# Rendering. A word travels with a link object; an English and a Chinese word
# holding the same link are aligned, so phrases can be reordered freely.
@dataclasses.dataclass
class _Words:
    english: list[tuple[str, object]]
    chinese: list[tuple[str, object]]


def _words(english: str = "", chinese: str = "", link: object = None) -> _Words:
    """Words that translate each other as a block; either side may be empty."""
    link = object() if link is None else link
    return _Words(
        [(word, link) for word in english.split()],
        [(word, link) for word in chinese.split()],
    )


def _concat(*parts: _Words) -> _Words:
    """Parts in the same order in both languages."""
    return _Words(
        [word for part in parts for word in part.english],
        [word for part in parts for word in part.chinese],
    )


def _arrange(parts: dict[str, _Words], english: str, chinese: str) -> _Words:
    """Parts in each language's own order, given as space-separated part names."""
    english_names = [name for name in english.split() if name in parts]
    chinese_names = [name for name in chinese.split() if name in parts]
    return _Words(
        [word for name in english_names for word in parts[name].english],
        [word for name in chinese_names for word in parts[name].chinese],
    )


# The word-order difference itself: English keeps time and place after the
# verb, moves auxiliaries and question words to the front and puts relative
# clauses after their noun; Chinese does none of these.
_ENGLISH = "subject auxiliary verb object place time"
_CHINESE = "subject time auxiliary place verb object"
_ORDERS = {
    "statement": (_ENGLISH, _CHINESE),
    "relative": ("relative " + _ENGLISH, _CHINESE + " relative"),
    "yes-no": ("auxiliary subject verb object place time", _CHINESE + " particle"),
    "what": ("object auxiliary subject verb place time", _CHINESE),
    "where": ("place auxiliary subject verb object time", _CHINESE),
}
_COPULAS = {
    "present": {"1s": "am", "3s": "is", "pl": "are"},
    "past": {"1s": "was", "3s": "was", "pl": "were"},
}


def _agreement(phrase: NounPhrase) -> str:
    if phrase.conjunct is not None:
        return "pl"
    if isinstance(phrase.head, Pronoun):
        return phrase.head.agreement
    return "pl" if phrase.plural else "3s"


def _render_noun_phrase(phrase: NounPhrase, role: str) -> _Words:
    head = phrase.head
    if isinstance(head, Pronoun):
        words = _words(head.subject if role == "subject" else head.object, head.chinese)
    elif isinstance(head, Name):
        words = _words(head.english, head.chinese)
    else:
        english = head.plural if phrase.plural else head.singular
        parts = {"noun": _words(english, head.chinese)}
        if phrase.adjective is not None:
            chinese = phrase.adjective.chinese
            modifier = f"{chinese} 的" if len(chinese) > 1 else chinese
            parts["adjective"] = _words(phrase.adjective.english, modifier)
        if phrase.determiner:
            following = phrase.adjective.english if phrase.adjective else english
            vowel = phrase.determiner == "a" and following[0] in "aeiou"
            chinese = lexicon.DETERMINERS[phrase.determiner].format(
                measure=head.measure
            )
            parts["determiner"] = _words("an" if vowel else phrase.determiner, chinese)
        if phrase.relative is not None:
            pronoun = "who" if head.category == "person" else "that"
            agreement = "pl" if phrase.plural else "3s"
            relative = _render_clause(phrase.relative, "relative", pronoun, agreement)
            parts["relative"] = relative
        words = _arrange(
            parts,
            "determiner adjective noun relative",
            "relative determiner adjective noun",
        )
    if phrase.conjunct is None:
        return words
    return _concat(
        words, _words("and", "和"), _render_noun_phrase(phrase.conjunct, role)
    )


def _render_predicate(clause: Clause, mood: str, agreement: str) -> dict[str, _Words]:
    """The auxiliary, verb and question-particle parts of a clause."""
    predicate, tense, negated = clause.predicate, clause.tense, clause.negated
    is_verb = isinstance(predicate, Verb)
    fronted = mood in ("yes-no", "what", "where")
    auxiliary, negation, meaning = object(), object(), object()
    english_auxiliary, chinese_auxiliary = [], []
    if tense == "future":
        # will -> 会 and not -> 不 cross over: "will not eat" is 不会吃.
        english_auxiliary = [("will", auxiliary)]
        chinese_auxiliary = [("会", auxiliary)]
        if negated:
            english_auxiliary.append(("not", negation))
            chinese_auxiliary.insert(0, ("不", negation))
    else:
        if is_verb and (negated or fronted):
            do = "did" if tense == "past" else "does" if agreement == "3s" else "do"
            english_auxiliary = [(do, auxiliary)]
        elif not is_verb:
            english_auxiliary = [(_COPULAS[tense][agreement], auxiliary)]
        if negated:
            english_auxiliary.append(("not", auxiliary))
            negator = "没" if is_verb and tense == "past" else "不"
            chinese_auxiliary = [(negator, auxiliary)]
        elif not is_verb and not fronted:
            chinese_auxiliary = [("很", auxiliary)]
    if is_verb:
        if english_auxiliary:
            form = predicate.base
        elif tense == "past":
            form = predicate.past
        else:
            form = predicate.third if agreement == "3s" else predicate.base
        verb = _words(form, predicate.chinese, meaning)
        if tense == "past" and not negated and mood != "relative":
            verb.chinese.append(("了", auxiliary if english_auxiliary else meaning))
    else:
        be = _words("be" if tense == "future" else "")
        verb = _concat(be, _words(predicate.english, predicate.chinese, meaning))
    particle = _words(chinese="吗", link=auxiliary) if mood == "yes-no" else _words()
    return {
        "auxiliary": _Words(english_auxiliary, chinese_auxiliary),
        "verb": verb,
        "particle": particle,
    }


def _render_clause(
    clause: Clause, mood: str, relative: str = "", agreement: str = "3s"
) -> _Words:
    """A clause in `mood`; `relative` and `agreement` serve relative clauses."""
    if clause.subject is not None:
        agreement = _agreement(clause.subject)
    parts = _render_predicate(clause, mood, agreement)
    if clause.subject is not None:
        parts["subject"] = _render_noun_phrase(clause.subject, "subject")
    if clause.object is not None:
        parts["object"] = _render_noun_phrase(clause.object, "object")
    elif mood == "what":
        who = clause.predicate.objects == lexicon.PERSON
        parts["object"] = _words("who", "谁") if who else _words("what", "什么")
    if clause.time is not None:
        parts["time"] = _words(clause.time.english, clause.time.chinese)
    place = clause.place
    if place is not None:
        parts["place"] = _concat(
            _words(place.preposition, "在"),
            _words(place.article),
            _words(place.noun, place.chinese),
        )
    elif mood == "where":
        parts["place"] = _words("where", "在 哪里")
    if mood == "relative":
        parts["relative"] = _words(relative, "的")
    return _arrange(parts, *_ORDERS[mood])


def _join(left: _Words, connective: str, right: _Words) -> _Words:
    """Two clauses joined by one of CONNECTIVES."""
    if connective == "because":
        # 因为 B，所以 A: the cause comes first in Chinese.
        parts = {"left": left, "right": right, "so": _words(chinese="， 所以")}
        parts["because"] = _words("because", "因为")
        return _arrange(parts, "left because right", "because right so left")
    comma = _words(",", "，")
    if connective == "and":
        return _concat(left, comma, _words("and"), right)
    chinese = {"but": "但是", "so": "所以", "and then": "然后"}[connective]
    return _concat(left, comma, _words(connective, chinese), right)


def render(sentence: Sentence) -> ToyPair:
    """The English and Chinese words of `sentence` and their alignment.

    For example, `render(Sentence((Clause(NounPhrase(PRONOUNS["I"]),
    VERBS["sleep"], tense="past"),)))` is "I slept." / 我睡觉了。, with the
    lexicon's tables imported from `toy_lexicon`.
    """
    clauses, connectives, mood = sentence.clauses, sentence.connectives, sentence.mood
    if mood not in MOODS or len(connectives) != len(clauses) - 1:
        raise ValueError(
            f"A sentence needs a mood in {MOODS} and one connective between two "
            f"clauses. Received: mood={mood!r}, {len(clauses)} clauses, "
            f"connectives={connectives!r}"
        )
    if mood != "statement" and len(clauses) > 1:
        raise ValueError(f"A question has one clause. Received: {len(clauses)}")
    words = _render_clause(clauses[0], mood)
    for connective, clause in zip(connectives, clauses[1:], strict=True):
        if connective not in CONNECTIVES:
            raise ValueError(
                f"connective must be in {CONNECTIVES}. Received: {connective!r}"
            )
        words = _join(words, connective, _render_clause(clause, "statement"))
    words = _concat(
        words, _words(".", "。") if mood == "statement" else _words("?", "？")
    )
    english = [word for word, _ in words.english]
    english[0] = english[0][0].upper() + english[0][1:]
    positions = {}
    for index, (_, link) in enumerate(words.english):
        positions.setdefault(link, []).append(index)
    alignment = tuple(
        (chinese, english_index)
        for chinese, (_, link) in enumerate(words.chinese)
        for english_index in positions.get(link, ())
    )
    return ToyPair(tuple(english), tuple(word for word, _ in words.chinese), alignment)


def clause_length(clause: Clause, mood: str) -> int:
    """The English words of `clause` said in `mood`, without the final "." or "?".

    `mood` is one of `MOODS`, or "relative" for a relative clause.
    """
    return len(_render_clause(clause, mood, "that").english)
