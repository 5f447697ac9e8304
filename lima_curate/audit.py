"""``lima-curate audit``: the recipe's filters run over any set of examples, so a set built elsewhere
(LIMA's own GAIR/lima release, a ShareGPT file, a Hugging Face folder) or one of ours can be held
against the rules the paper states, filter by filter.

Unlike a build, where the first drop wins, every filter of a source's chain judges every example, so
each filter's pass rate stands on its own; "every filter" counts the examples no measurable filter
drops. A filter that reads a ``meta`` field the set does not carry (``needs``: an answer's score, a
closed flag, the title, where the prompt came from) is *not measurable* on that example: it neither
passes nor fails it. The examples are read by ``formats.read_examples`` (any format ``stats`` reads);
a multi-turn example is judged by its first exchange, as a build judges it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .extract import opening
from .formats import detect, read_examples
from .recipe import Recipe
from .records import Candidate


@dataclass
class FilterTally:
    """One filter over one source's examples: how many it passed, dropped or could not measure, the
    first failures (id, reason, the words found) and the words found across every failure."""

    name: str
    passed: int = 0
    failed: int = 0
    not_measurable: int = 0
    missing: Counter[str] = field(default_factory=Counter)  # the needed meta fields the set lacked
    failures: list[tuple[str, str, list[str]]] = field(default_factory=list)
    words: Counter[str] = field(default_factory=Counter)  # by lower case, so "My" and "my" count as one
    spellings: Counter[str] = field(default_factory=Counter)  # as written, to show each word its usual way

    def top_words(self, n: int = 10) -> list[tuple[str, int]]:
        """The words found most often, each as it is most often written ("I", not "i")."""
        usual: dict[str, str] = {}
        for spelling, _ in self.spellings.most_common():
            usual.setdefault(spelling.lower(), spelling)
        return [(usual.get(word, word), count) for word, count in self.words.most_common(n)]

    def to_json(self) -> dict[str, Any]:
        """Stable keys for ``--json`` (docs/audit.md)."""
        measured = self.passed + self.failed
        return {
            "filter": self.name,
            "passed": self.passed,
            "failed": self.failed,
            "not_measurable": self.not_measurable,
            "pass_rate": round(self.passed / measured, 4) if measured else None,
            "missing_fields": sorted(self.missing),
            "top_words": [[word, n] for word, n in self.top_words()],
            "failures": [{"id": i, "reason": r, "found": f} for i, r, f in self.failures],
        }


@dataclass
class SourceTally:
    """One source of the set: its examples, how many pass every measurable filter, and each filter."""

    source: str
    chain: tuple[str, ...]
    examples: int = 0
    all_passed: int = 0
    filters: list[FilterTally] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Stable keys for ``--json`` (docs/audit.md)."""
        return {
            "source": self.source,
            "examples": self.examples,
            "chain": list(self.chain),
            "passed_every_filter": self.all_passed if self.chain else None,
            "filters": [f.to_json() for f in self.filters],
        }


@dataclass
class Audit:
    """What ``audit`` reports: the set, the format it was read as, the recipe, and each source."""

    path: Path
    format: str
    recipe: str
    sources: list[SourceTally]

    def to_json(self) -> dict[str, Any]:
        """The whole report as JSON (``lima-curate audit --json``)."""
        return {
            "path": str(self.path),
            "format": self.format,
            "recipe": self.recipe,
            "examples": sum(s.examples for s in self.sources),
            "sources": [s.to_json() for s in self.sources],
        }


def audit(path: Path, recipe: Recipe, as_source: str | None = None, show: int = 5) -> Audit:
    """Judge every example of ``path`` with its source's chain in ``recipe`` (``as_source``: every
    example with that source's chain, for a set whose source is unknown, such as ShareGPT); keep up
    to ``show`` failing ids per filter."""
    path = Path(path)
    if as_source is not None and as_source not in recipe.filters:
        known = ", ".join(sorted(recipe.filters)) or "none"
        raise InputError(recipe.path, f"the recipe has no filter chain for source {as_source!r} (--as); it has: {known}")
    fmt = detect(path)
    tallies: dict[str, SourceTally] = {}
    chains: dict[str, tuple[Any, ...]] = {}
    for example in read_examples(path, fmt):
        source = as_source or str(example["source"])
        if source not in tallies:
            chains[source] = recipe.filters[source].filters if source in recipe.filters else ()
            tallies[source] = SourceTally(source, tuple(f.name for f in chains[source]))
            tallies[source].filters = [FilterTally(name) for name in tallies[source].chain]
        tally = tallies[source]
        tally.examples += 1
        if judge_all(opening(as_candidate(example, source)), chains[source], tally.filters, show):
            tally.all_passed += 1
    if not tallies:
        raise InputError(path, "holds no examples")
    return Audit(path, fmt, str(recipe.path), [tallies[name] for name in sorted(tallies)])


def as_candidate(example: dict[str, Any], source: str) -> Candidate:
    """An example in the manifest's shape as the candidate a filter judges."""
    return Candidate(
        id=str(example["id"]),
        source=source,
        subset=str(example["subset"]),
        group="",
        messages=tuple(example["messages"]),
        meta=example.get("meta") or {},
    )


def judge_all(candidate: Candidate, chain: tuple[Any, ...], tallies: list[FilterTally], show: int) -> bool:
    """Every filter on one candidate, each counted in its tally; True when no measurable one drops it."""
    ok = True
    for check, tally in zip(chain, tallies):
        lacking = [key for key in getattr(type(check), "needs", ()) if key not in candidate.meta]
        if lacking:
            tally.not_measurable += 1
            tally.missing.update(lacking)
            continue
        decision = check(candidate)
        if decision.keep:
            tally.passed += 1
            continue
        ok = False
        tally.failed += 1
        found = [str(w) for w in check.found(candidate)] if hasattr(check, "found") else []
        tally.words.update(dict.fromkeys(w.lower() for w in found).keys())  # each word once per example
        tally.spellings.update(found)
        if len(tally.failures) < show:
            tally.failures.append((candidate.id, decision.reason, list(dict.fromkeys(found))))
    return ok
