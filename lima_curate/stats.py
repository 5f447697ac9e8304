"""What a curated set looks like: composition, lengths, diversity, and how it compares with another set.

One streaming pass over the examples (any format ``formats`` reads) keeps only numbers: per subset,
four integer arrays (prompt and response characters and tokens, for the percentiles), a counter of
diversity units and three counters. Texts are held one batch at a time, so memory stays flat in
the number of examples apart from those arrays (64 bytes an example, counting the total's).

Definitions (docs/stats.md says more):

- prompt = every user (and system) turn of an example, response = every assistant turn, summed;
  for LIMA's single-turn examples that is the question and the answer.
- percentiles are numpy's linear interpolation; means and percentiles are rounded to 0.1.
- diversity unit: ``meta.site`` / ``category`` / ``task`` / ``prompt_type``, else the source; entropy is the
  Shannon entropy of the examples' spread over those units, in bits (log2 of the number of units
  when the spread is even).
- an example "has code" when any turn holds a ``` fence, and "has a list" when any line starts
  with ``-``, ``*``, ``+`` or ``1.`` / ``1)`` followed by text.
- tokens come from a Hugging Face tokenizer when one is given, else from the estimate
  (``stats_tokens``); the paper's Table 1 and the side-by-side rows are in ``stats_compare``, the
  PNG in ``stats_plot``.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from .errors import InputError
from .formats import detect, diversity_unit, read_examples
from .stats_compare import Side, comparison, lima_side, row_order
from .stats_tokens import ESTIMATE, TokenCounter

LENGTHS = ("prompt_chars", "response_chars", "prompt_tokens", "response_tokens")
CODE_FENCE = "```"
LIST_LINE = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+\S", re.MULTILINE)
BATCH = 64  # examples per batch: 128 texts keep the estimate's arrays in cache


# -- accumulating ----------------------------------------------------------------------------------


@dataclass
class Tally:
    """Numbers for one subset (or the total), added to one example at a time."""

    lengths: dict[str, array] = field(default_factory=lambda: {name: array("q") for name in LENGTHS})
    units: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    multi_turn: int = 0
    with_code: int = 0
    with_list: int = 0

    @property
    def examples(self) -> int:
        """How many examples were added."""
        return len(self.lengths["prompt_chars"])

    def add(self, unit: tuple[str, str], numbers: tuple[int, int, int, int], multi_turn: bool, code: bool, listed: bool) -> None:
        """Count one example: its diversity unit, its four lengths (``LENGTHS``) and its form."""
        for name, value in zip(LENGTHS, numbers):
            self.lengths[name].append(value)
        self.units[unit] += 1
        self.kinds[unit[0]] += 1
        self.multi_turn += multi_turn
        self.with_code += code
        self.with_list += listed

    def summary(self) -> dict[str, Any]:
        """The numbers as the report's JSON has them (docs/stats.md)."""
        n = self.examples
        tokens = int(sum(self.lengths["prompt_tokens"]) + sum(self.lengths["response_tokens"]))
        return {
            "examples": n,
            "multi_turn": self.multi_turn,
            **{name: spread(self.lengths[name]) for name in LENGTHS},
            "tokens": tokens,
            "diversity": {
                "unit": "+".join(sorted(self.kinds)) if self.kinds else "",
                "distinct": len(self.units),
                "entropy_bits": round(entropy_bits(self.units.values()), 3),
            },
            "code_share": round(self.with_code / n, 4) if n else 0.0,
            "list_share": round(self.with_list / n, 4) if n else 0.0,
        }


def spread(values: array) -> dict[str, float]:
    """Mean, median, p10, p90 (rounded to 0.1) and max of some lengths; zeros when there are none."""
    if not values:
        return {"mean": 0.0, "median": 0.0, "p10": 0.0, "p90": 0.0, "max": 0}
    data = np.frombuffer(values, dtype=np.int64)
    p10, median, p90 = np.percentile(data, [10, 50, 90])
    return {
        "mean": round(float(data.mean()), 1),
        "median": round(float(median), 1),
        "p10": round(float(p10), 1),
        "p90": round(float(p90), 1),
        "max": int(data.max()),
    }


def entropy_bits(counts: Iterable[int]) -> float:
    """Shannon entropy in bits of a spread over units (log2 of their number when it is even)."""
    counts = [c for c in counts if c > 0]
    total = sum(counts)
    if total == 0:
        return 0.0
    return max(0.0, -sum(c / total * math.log2(c / total) for c in counts))


def split_turns(messages: list[dict[str, str]]) -> tuple[str, str]:
    """(prompt, response): user and system turns, and assistant turns, each joined by a blank line."""
    prompt = "\n\n".join(m["content"] for m in messages if m["role"] != "assistant")
    response = "\n\n".join(m["content"] for m in messages if m["role"] == "assistant")
    return prompt, response


@dataclass
class Stats:
    """A set's numbers per subset and in total, with how its tokens were counted."""

    path: Path
    format: str
    tokens: TokenCounter
    subsets: dict[str, Tally]
    total: Tally

    def ordered_subsets(self) -> list[str]:
        """The subsets in manifest order (``stats_compare.row_order``), unknown ones after."""
        return sorted(self.subsets, key=row_order)

    def to_json(self, compared: dict[str, Any] | None = None) -> dict[str, Any]:
        """The machine-readable report; keys are stable (docs/stats.md lists them)."""
        return {
            "input": {"path": str(self.path), "format": self.format},
            "tokens": {
                "method": "estimate" if self.tokens.estimated else "tokenizer",
                "name": self.tokens.name,
                "estimated": self.tokens.estimated,
            },
            "subsets": {name: self.subsets[name].summary() for name in self.ordered_subsets()},
            "total": self.total.summary(),
            "compare": compared,
        }


def compute_stats(path: Path, tokens: TokenCounter = ESTIMATE, fmt: str | None = None) -> Stats:
    """One streaming pass over a manifest, GAIR/lima file, or any format ``formats`` reads."""
    path = Path(path)
    fmt = fmt or detect(path)
    stats = Stats(path, fmt, tokens, {}, Tally())
    for batch in batches(read_examples(path, fmt), BATCH):
        texts = [text for example in batch for text in split_turns(example["messages"])]
        counts = tokens.count(texts)
        for index, example in enumerate(batch):
            prompt, response = texts[2 * index], texts[2 * index + 1]
            numbers = (len(prompt), len(response), counts[2 * index], counts[2 * index + 1])
            contents = [m["content"] for m in example["messages"]]
            code = any(CODE_FENCE in text for text in contents)
            listed = any(LIST_LINE.search(text) for text in contents)
            multi_turn = sum(m["role"] == "assistant" for m in example["messages"]) > 1
            unit = diversity_unit(example)
            tally = stats.subsets.setdefault(str(example["subset"]), Tally())
            tally.add(unit, numbers, multi_turn, code, listed)
            stats.total.add(unit, numbers, multi_turn, code, listed)
    if not stats.total.examples:
        raise InputError(path, "holds no examples")
    return stats


def batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    """Items in lists of ``size`` (the last may be shorter): a tokenizer counts a batch at a time."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- comparing -------------------------------------------------------------------------------------


def side_of(stats: Stats, name: str) -> Side:
    """A report as one side of a comparison: per subset its examples and mean prompt / response tokens."""
    rows = {}
    for subset in stats.ordered_subsets():
        summary = stats.subsets[subset].summary()
        rows[subset] = (summary["examples"], summary["prompt_tokens"]["mean"], summary["response_tokens"]["mean"])
    return Side(name, rows, stats.total.summary()["tokens"], stats.tokens.describe())


def display_name(path: Path) -> str:
    """The file with its folder: ``sample/manifest.jsonl`` says more than ``manifest.jsonl``."""
    return "/".join(Path(path).parts[-2:])


def compare_with(stats: Stats, other: str, tokens: TokenCounter = ESTIMATE) -> dict[str, Any]:
    """``other`` is ``lima`` (the paper's Table 1) or the path of another set in any readable format."""
    if other.strip().lower() == "lima":
        right = lima_side()
    else:
        right = side_of(compute_stats(Path(other), tokens), display_name(Path(other)))
    return comparison(side_of(stats, display_name(stats.path)), right)
