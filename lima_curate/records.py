"""Candidate: one prompt/response pair with its provenance, as every source reader yields it.

Candidates are what flows from the readers through the filters into sampling; the manifest line is
a chosen candidate serialised canonically. Everything here is plain data so that candidates can be
cached as Parquet per input file and compared byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Any

from . import contract
from .contract import canonical_json


@dataclass(frozen=True)
class Candidate:
    """One example a source could contribute.

    ``group`` is the unit sampling spreads over (a Stack Exchange site, a wikiHow category, a
    Super-NI task); ``rank`` orders candidates inside a group, higher first (a question's score);
    ``meta`` is provenance (url, ids, scores, licence, dump date) and the fields filters read
    (e.g. ``title``, ``answer_score``). ``messages`` alternates user/assistant, user first.
    """

    id: str
    source: str
    subset: str
    group: str
    messages: tuple[dict[str, str], ...]
    rank: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """The first turn: what exact dedup and the contamination check compare ("" with no messages)."""
        return self.messages[0]["content"] if self.messages else ""

    @property
    def response(self) -> str:
        """The (last) assistant turn: what the length and wording filters judge."""
        for message in reversed(self.messages):
            if message["role"] == "assistant":
                return message["content"]
        return ""

    def to_row(self) -> dict[str, Any]:
        """A flat row for Parquet caches and rejects files (nested fields as canonical JSON)."""
        return {
            "id": self.id,
            "source": self.source,
            "subset": self.subset,
            "group": self.group,
            "rank": float(self.rank),
            "messages": canonical_json(list(self.messages)),
            "meta": canonical_json(self.meta),
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Candidate:
        """The inverse of :meth:`to_row` (a shard's row read back whole)."""
        return cls(
            id=row["id"],
            source=row["source"],
            subset=row["subset"],
            group=row["group"],
            rank=row["rank"],
            messages=tuple(json.loads(row["messages"])),
            meta=json.loads(row["meta"]),
        )

    def manifest_line(self) -> str:
        """The example as it appears in manifest.jsonl (without the trailing newline)."""
        return contract.line(self.id, self.source, self.subset, self.messages, self.meta)


def chat(*turns: str) -> tuple[dict[str, str], ...]:
    """Messages from alternating turns, user first: ``chat(question, answer)``."""
    roles = ("user", "assistant")
    return tuple({"role": roles[i % 2], "content": text} for i, text in enumerate(turns))


def rng_for(seed: int, *keys: object) -> random.Random:
    """A generator derived from the seed and a key path, e.g. ``rng_for(seed, "sample", "se_stem")``.

    Deriving a fresh generator per decision keeps every choice independent of the order in which
    inputs are read, of the worker count and of any other subset's draws.
    """
    material = "/".join([str(seed), *map(str, keys)]).encode("utf-8")
    return random.Random(int.from_bytes(hashlib.sha256(material).digest()[:8], "big"))
