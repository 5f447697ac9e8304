"""LIMA's quality filters, registered by name, each with its own settings.

A filter is a frozen dataclass: its fields are its settings (read from the recipe's
``[filters.SOURCE.NAME]`` table, so every threshold and word list lives in ``filters/lima.toml`` and
none here), and calling it on a candidate returns a :class:`Decision`. The decision keeps the
filter's score (a length, a count of matches) apart from keep/drop, so rejects and the card say
both *what* was measured and *why* it was dropped. A chain runs cheap filters first and stops at
the first drop, so no work is spent on a candidate already lost.

Adding a filter is one class here with ``@register``, its entry in a recipe's ``chain`` and its
table, and a test (docs/architecture.md). A filter that judges a ``meta`` field a source records
(an answer's score, a closed flag) names it in ``needs``: ``lima-curate audit`` reports such a filter
as not measurable on a set that lacks the field (GAIR/lima, ShareGPT), rather than as a pass or a drop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Iterable, Protocol, TypeVar

from .records import Candidate


@dataclass(frozen=True)
class Decision:
    """A verdict kept apart from what was measured: ``score`` goes to the card and the rejects either
    way, ``reason`` says in words why a candidate was dropped ("" when kept). Dedup checks give one too."""

    keep: bool
    filter: str
    score: float
    reason: str


class Filter(Protocol):
    """What the chain calls: a named, picklable callable (chains travel to pool workers and Ray)."""

    name: ClassVar[str]

    def __call__(self, candidate: Candidate) -> Decision:
        """Judge one candidate: keep or drop, with the score measured either way."""
        ...


FILTERS: dict[str, type[Filter]] = {}
F = TypeVar("F", bound=type[Filter])


def register(cls: F) -> F:
    """Make a filter class known to recipes under its ``name``."""
    name: str = cls.name
    if name in FILTERS and FILTERS[name] is not cls:
        raise ValueError(f"a filter named {name!r} is already registered")
    FILTERS[name] = cls
    return cls


@dataclass(frozen=True)
class Chain:
    """One source's filters in the recipe's order (the recipe's ``[filters.SOURCE]`` table)."""

    filters: tuple[Any, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The filters' names in the order they run."""
        return tuple(f.name for f in self.filters)

    def get(self, name: str) -> Any | None:
        """The filter called ``name``, or None when this chain does not run it (a reader may need its threshold)."""
        return next((f for f in self.filters if f.name == name), None)


def judge(candidate: Candidate, chain: Iterable[Filter]) -> tuple[Decision | None, dict[str, float]]:
    """Run the chain; return the first drop (or None) and the scores measured on the way."""
    scores: dict[str, float] = {}
    for check in chain:
        decision = check(candidate)
        scores[decision.filter] = decision.score
        if not decision.keep:
            return decision, scores
    return None, scores


def kept(name: str, score: float) -> Decision:
    """A keep that still records the score (it lands in ``meta.filter_scores``)."""
    return Decision(True, name, score, "")


# -- the filters -----------------------------------------------------------------------------------


@register
@dataclass(frozen=True)
class AnswerScore:
    """The top answer must have a strong positive score (LIMA: at least 10)."""

    name: ClassVar[str] = "answer_score"
    needs: ClassVar[tuple[str, ...]] = ("answer_score",)
    min_score: int

    def __call__(self, candidate: Candidate) -> Decision:
        """Score: the answer's votes (0 when the reader recorded none)."""
        score = candidate.meta.get("answer_score", 0)
        if score >= self.min_score:
            return kept(self.name, score)
        return Decision(False, self.name, score, f"answer score {score} < {self.min_score}")


@register
@dataclass(frozen=True)
class OpenQuestion:
    """Closed questions (duplicates, off-topic, unclear) are not prompts worth learning from."""

    name: ClassVar[str] = "open_question"
    needs: ClassVar[tuple[str, ...]] = ("closed",)

    def __call__(self, candidate: Candidate) -> Decision:
        """Score: 1 for a closed question, 0 for an open one."""
        closed = bool(candidate.meta.get("closed"))
        return Decision(not closed, self.name, float(closed), "question was closed" if closed else "")


@register
@dataclass(frozen=True)
class SelfContainedTitle:
    """A title must make sense without the question body.

    Heuristic: a title is *not* self-contained when it is shorter than ``min_words`` words or holds
    a phrase that points into the body ("this code", "the following", "see below", "as in the
    image", ...). The score is the number of such problems found.
    """

    name: ClassVar[str] = "self_contained_title"
    needs: ClassVar[tuple[str, ...]] = ("title",)
    min_words: int
    phrases: tuple[str, ...]
    pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", phrase_pattern(self.phrases))

    def __call__(self, candidate: Candidate) -> Decision:
        """Judges ``meta.title``, or the prompt when a source has no separate title."""
        title = candidate.meta.get("title", candidate.prompt)
        found = self.pattern.findall(title) if self.pattern else []
        words = len(title.split())
        problems = len(found) + (words < self.min_words)
        if not problems:
            return kept(self.name, 0)
        why = f"title needs the body: {found[0].lower()!r}" if found else f"title has {words} words < {self.min_words}"
        return Decision(False, self.name, problems, why)


@register
@dataclass(frozen=True)
class Length:
    """Response length in characters after conversion (LIMA: 1,200 to 4,096 for Stack Exchange)."""

    name: ClassVar[str] = "length"
    min_chars: int
    max_chars: int

    def __call__(self, candidate: Candidate) -> Decision:
        """Score: the response's length in characters; both bounds are inclusive."""
        n = len(candidate.response)
        if n < self.min_chars:
            return Decision(False, self.name, n, f"response has {n} characters < {self.min_chars}")
        if n > self.max_chars:
            return Decision(False, self.name, n, f"response has {n} characters > {self.max_chars}")
        return kept(self.name, n)


@register
@dataclass(frozen=True)
class FirstPerson:
    """No first person in the response: the paper drops answers "written in the first person ("I",
    "my")", so the voice is a helpful assistant's, not one user's story.

    Whole words only (never inside another word or identifier: see :func:`phrase_pattern`); code
    blocks and inline code are ignored (``for i in ...``, ``my_var``). The single letter "I" only
    counts in upper case, so a lower-case "i" in prose or maths is not a hit, and a word in capitals
    is an acronym ("US", "ME"), not a pronoun. The recipe gives the singular forms; the plural
    ("we", "our", ...) is the opt-in ``first_person_plural`` below.
    """

    name: ClassVar[str] = "first_person"
    words: tuple[str, ...]
    pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    capital_i: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", phrase_pattern(w for w in self.words if w != "I"))
        object.__setattr__(self, "capital_i", re.compile(rf"{BEFORE}I{AFTER}") if "I" in self.words else None)

    def found(self, candidate: Candidate) -> list[str]:
        """The first-person words in the response's prose, in order (what ``audit`` lists)."""
        prose = strip_code(candidate.response)
        if self.pattern is None and self.capital_i is None:
            return []
        hits = [] if self.pattern is None else [m for m in self.pattern.finditer(prose) if not _acronym(m.group())]
        if self.capital_i is not None:
            hits += self.capital_i.finditer(prose)
        return [m.group() for m in sorted(hits, key=lambda m: m.start())]

    def __call__(self, candidate: Candidate) -> Decision:
        """Score: the number of first-person words found in the response's prose."""
        found = self.found(candidate)
        if not found:
            return kept(self.name, 0)
        return Decision(False, self.name, len(found), f"first person: {found[0]!r} ({len(found)} times)")


@register
@dataclass(frozen=True)
class FirstPersonPlural(FirstPerson):
    """The first person plural ("we", "us", "our", ...), off in the LIMA recipe: the paper names only
    "I" and "my", and LIMA's own released answers often say "we" (an author explaining, "we get").
    A recipe that wants the stricter rule adds it to its chain; its words are in its own table."""

    name: ClassVar[str] = "first_person_plural"

    def __call__(self, candidate: Candidate) -> Decision:
        """Score: the number of plural first-person words found in the response's prose."""
        found = self.found(candidate)
        if not found:
            return kept(self.name, 0)
        return Decision(False, self.name, len(found), f"first person plural: {found[0]!r} ({len(found)} times)")


@dataclass(frozen=True)
class ProsePhrases:
    """The part two filters share: a phrase list matched as whole words in the response's prose."""

    phrases: tuple[str, ...]
    pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", phrase_pattern(self.phrases))

    def found(self, candidate: Candidate) -> list[str]:
        """The phrases found in the response's prose (code ignored), in order."""
        return self.pattern.findall(strip_code(candidate.response)) if self.pattern else []


@register
@dataclass(frozen=True)
class OtherAnswers(ProsePhrases):
    """No references to other answers or to the site ("as mentioned", "stack exchange", ...)."""

    name: ClassVar[str] = "other_answers"

    def __call__(self, candidate: Candidate) -> Decision:
        """Score: the number of references found in the response's prose."""
        found = self.found(candidate)
        if not found:
            return kept(self.name, 0)
        return Decision(False, self.name, len(found), f"refers to other answers: {found[0].lower()!r}")


@register
@dataclass(frozen=True)
class QuestionReference(ProsePhrases):
    """An answer that points at the question itself ("as you say", "your question", "in your
    example") needs the question's body: with a prompt that is the title only, a model would learn to
    cite what it was never shown. Such an answer is dropped when ``meta.prompt_from`` is "title"; with
    the body in the prompt ("body", "title+body") the reference has something to point at, and the
    example is kept (its score still counts the references)."""

    name: ClassVar[str] = "question_reference"
    needs: ClassVar[tuple[str, ...]] = ("prompt_from",)

    def __call__(self, candidate: Candidate) -> Decision:
        """Score: the number of references found; a drop only when the prompt is the title alone."""
        found = self.found(candidate)
        if not found or candidate.meta.get("prompt_from") != "title":
            return kept(self.name, len(found))
        return Decision(False, self.name, len(found), f"refers to the question, prompt is the title only: {found[0].lower()!r}")


# -- helpers ---------------------------------------------------------------------------------------

_FENCED = re.compile(r"^```.*?^```[ \t]*$", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(r"`+[^`\n]*`+")


def strip_code(markdown: str) -> str:
    """Markdown without fenced blocks and inline code: the prose a reader hears as the writer's voice."""
    return _INLINE.sub(" ", _FENCED.sub(" ", markdown))


# A word ends where no letter, digit, underscore or apostrophe touches it, and where it is not joined
# to another word by a hyphen, slash or dot: "OP" is not in "no-op", "op-amp", "OP_CODE" or "i.e.",
# "I" is not in "I/O" or "I-beam". A possessive ("OP's") is still the word.
BEFORE = r"(?<![\w'’])(?<![\w][-/.])"
AFTER = r"(?![\w]|['’](?![sS]\b)|[-/.][\w])"


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One whole-word alternation (word edges: ``BEFORE``/``AFTER``), longer phrases first so they
    win. Case-insensitive, except that a phrase written in capitals ("OP") matches only in capitals,
    so the abbreviation is not found in "op" or "Op." (a phrase of one capital letter is not one)."""
    ordered = sorted({p for p in phrases if p}, key=lambda p: (-len(p), p))
    if not ordered:
        return None
    body = "|".join(_alternative(p) for p in ordered)
    return re.compile(rf"{BEFORE}(?:{body}){AFTER}", re.IGNORECASE)


def _alternative(phrase: str) -> str:
    """One phrase as a regex: any run of whitespace between its words; capitals kept when it is an acronym."""
    escaped = re.escape(phrase).replace(r"\ ", r"\s+")
    return f"(?-i:{escaped})" if _acronym(phrase) else escaped


def _acronym(word: str) -> bool:
    """Two or more letters, all capitals ("US", "OP"): an abbreviation rather than a word."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)


def settings_of(filter_: Any) -> dict[str, Any]:
    """A filter's settings as the recipe gives them (its init fields), for cache keys and cards."""
    return {f.name: getattr(filter_, f.name) for f in fields(filter_) if f.init}
