"""Two sets side by side, and the LIMA paper's own numbers as one of them.

A side is what a comparison needs of a set: per row label its examples and mean prompt and
response tokens. ``stats.compare_with`` makes a side from a report; the paper's Table 1 is a side
here. Rows follow the manifest's subset order (``sources.subsets()``), with Stack Exchange also
as one row: a GAIR/lima file does not split it into STEM and Other, so when one side has a single
Stack Exchange row the other side's two are folded into one, weighted by examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import sources

# Zhou et al. 2023, Table 1: examples, mean input tokens and mean output tokens per source, counted
# with the LLaMA tokenizer; the 1,000 examples hold about 750k tokens in all.
LIMA_TABLE1 = {
    "se_stem": (200, 117, 523),
    "se_other": (200, 119, 530),
    "wikihow": (200, 12, 1811),
    "writingprompts": (150, 34, 274),
    "superni": (50, 236, 92),
    "authored": (200, 40, 334),
}
LIMA_TOTAL_TOKENS = 750_000
LIMA_TOKENIZER_NOTE = "LIMA's figures: Zhou et al. 2023, Table 1, LLaMA tokenizer; total about 750k tokens"

SE_SPLIT = ("se_stem", "se_other")
MERGED_SE = "stackexchange"  # what a GAIR/lima file holds instead of STEM / Other


def row_order(label: str) -> tuple[int, str]:
    """Sort key: the manifest's subset order (Stack Exchange as one row beside its two halves), others after."""
    order = (*SE_SPLIT, MERGED_SE, *(subset for subset in sources.subsets() if subset not in SE_SPLIT))
    return (order.index(label) if label in order else len(order), label)


@dataclass(frozen=True)
class Side:
    """What a comparison needs of one set, per row label: examples and mean prompt / response tokens."""

    name: str
    rows: dict[str, tuple[int, float, float]]
    total_tokens: int
    note: str = ""


def lima_side() -> Side:
    """The paper's Table 1 as a side (its tokens are LLaMA's, as its note says)."""
    return Side(
        "LIMA (paper)",
        {k: (n, float(i), float(o)) for k, (n, i, o) in LIMA_TABLE1.items()},
        LIMA_TOTAL_TOKENS,
        LIMA_TOKENIZER_NOTE,
    )


def merge_se(side: Side) -> Side:
    """STEM and Other folded into one Stack Exchange row (means weighted by examples)."""
    parts = [side.rows[s] for s in SE_SPLIT if s in side.rows]
    if not parts:
        return side
    n = sum(p[0] for p in parts)
    merged = (n, round(sum(p[0] * p[1] for p in parts) / n, 1), round(sum(p[0] * p[2] for p in parts) / n, 1))
    rows = {}
    for label, row in side.rows.items():
        if label in SE_SPLIT:
            rows.setdefault(MERGED_SE, merged)
        else:
            rows[label] = row
    return Side(side.name, rows, side.total_tokens, side.note)


def comparison(left: Side, right: Side) -> dict[str, Any]:
    """Row by row, both sides; where one side has Stack Exchange as one row, the other is folded too."""
    if MERGED_SE in left.rows and MERGED_SE not in right.rows:
        right = merge_se(right)
    elif MERGED_SE in right.rows and MERGED_SE not in left.rows:
        left = merge_se(left)
    labels = sorted({*left.rows, *right.rows}, key=row_order)

    def cell(side: Side, label: str) -> dict[str, Any] | None:
        row = side.rows.get(label)
        return None if row is None else {"examples": row[0], "prompt_tokens_mean": row[1], "response_tokens_mean": row[2]}

    def totals(side: Side) -> dict[str, Any]:
        return {"examples": sum(r[0] for r in side.rows.values()), "tokens": side.total_tokens}

    return {
        "left": {"name": left.name, "note": left.note},
        "right": {"name": right.name, "note": right.note},
        "rows": [{"label": label, "left": cell(left, label), "right": cell(right, label)} for label in labels],
        "total": {"left": totals(left), "right": totals(right)},
    }
