"""LIMA's quality filters, registered by name, each with its own settings.

A filter is a frozen dataclass: its fields are its settings (read from the recipe's
``[filters.SOURCE.NAME]`` table, so every threshold and word list lives in ``filters/lima.toml`` and
none here), and calling it on a candidate returns a :class:`Decision`. The decision keeps the
filter's score (a length, a count of matches) apart from keep/drop, so rejects and the card say
both *what* was measured and *why* it was dropped. A chain runs cheap filters first and stops at
the first drop, so no work is spent on a candidate already lost.

Adding a filter is one class here with ``@register``, its entry in a recipe's ``chain`` and its
table, and a test (docs/architecture.md).
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
    """No first person in the response ("I", "my", ...): LIMA wanted the voice of a helpful assistant.

    Whole words only; code blocks and inline code are ignored (``for i in ...``, ``my_var``). The
    single letter "I" only counts in upper case, so a lower-case "i" in prose or maths is not a hit,
    and a word in capitals is an acronym ("US"), not a pronoun.
    """

    name: ClassVar[str] = "first_person"
    words: tuple[str, ...]
    pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    capital_i: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", phrase_pattern(w for w in self.words if w != "I"))
        object.__setattr__(self, "capital_i", re.compile(r"(?<![\w'’])I(?![\w'’])") if "I" in self.words else None)

    def __call__(self, candidate: Candidate) -> Decision:
        """Score: the first-person words found in the response's prose."""
        prose = strip_code(candidate.response)
        found = [w for w in self.pattern.findall(prose) if not (len(w) > 1 and w.isupper())] if self.pattern else []
        if self.capital_i is not None:
            found += self.capital_i.findall(prose)
        if not found:
            return kept(self.name, 0)
        return Decision(False, self.name, len(found), f"first person: {found[0]!r} ({len(found)} times)")


@register
@dataclass(frozen=True)
class OtherAnswers:
    """No references to other answers or to the site ("as mentioned", "stack exchange", ...)."""

    name: ClassVar[str] = "other_answers"
    phrases: tuple[str, ...]
    pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", phrase_pattern(self.phrases))

    def __call__(self, candidate: Candidate) -> Decision:
        """Score: the references found in the response's prose."""
        found = self.pattern.findall(strip_code(candidate.response)) if self.pattern else []
        if not found:
            return kept(self.name, 0)
        return Decision(False, self.name, len(found), f"refers to other answers: {found[0].lower()!r}")


# -- helpers ---------------------------------------------------------------------------------------

_FENCED = re.compile(r"^```.*?^```[ \t]*$", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(r"`+[^`\n]*`+")


def strip_code(markdown: str) -> str:
    """Markdown without fenced blocks and inline code: the prose a reader hears as the writer's voice."""
    return _INLINE.sub(" ", _FENCED.sub(" ", markdown))


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive, whole-word alternation; longer phrases first so they win."""
    ordered = sorted({p for p in phrases if p}, key=lambda p: (-len(p), p))
    if not ordered:
        return None
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)
    return re.compile(rf"(?<![\w'’])(?:{body})(?![\w'’])", re.IGNORECASE)


def settings_of(filter_: Any) -> dict[str, Any]:
    """A filter's settings as the recipe gives them (its init fields), for cache keys and cards."""
    return {f.name: getattr(filter_, f.name) for f in fields(filter_) if f.init}
