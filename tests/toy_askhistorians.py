"""A toy extra source, registered by tests/test_extension.py: the walkthrough of docs/architecture.md.

r/AskHistorians-style answers, one JSON object a line: ``{"id", "title", "answer", "score", "flair"}``.
It is this module, a recipe table and the test; nothing in lima_curate changes for it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from lima_curate.errors import InputError
from lima_curate.records import Candidate, chat

NAME = "askhistorians"
VERSION = 1
SUBSETS = ("askhistorians",)
GROUP_FIELD = "flair"
GAIR_NAMES = ("askhistorians",)


@dataclass(frozen=True)
class Settings:
    """The recipe's ``[askhistorians]`` table."""

    min_score: int = 10


def units(path: Path) -> list[Path]:
    """A ``.jsonl`` file, or every one in a folder."""
    if path.is_file():
        return [path]
    found = sorted(path.glob("*.jsonl"))
    if not found:
        raise InputError(path, "no *.jsonl file of answers here")
    return found


def files(unit: Path, settings: Settings) -> list[Path]:
    """A unit is one file."""
    return [unit]


def read(unit: Path, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    """One candidate per answer at or above ``min_score``; a broken line names the file and line."""
    with open(unit, encoding="utf-8") as handle:
        for number, text in enumerate(handle, 1):
            try:
                row = json.loads(text)
            except json.JSONDecodeError:
                raise InputError(unit, "not a JSON line", number) from None
            if row["score"] < settings.min_score:
                skipped["low score"] += 1
                continue
            yield Candidate(
                id=f"{NAME}/{row['id']}",
                source=NAME,
                subset=NAME,
                group=row["flair"],
                messages=chat(row["title"], row["answer"]),
                rank=float(row["score"]),
                meta={"flair": row["flair"], "score": row["score"], "answer_score": row["score"]},
            )
