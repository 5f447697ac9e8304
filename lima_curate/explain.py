"""``why ID DIR``: what became of one candidate in a published set.

Answers from the set's own files, without rebuilding: ``rejects.parquet`` says which filter or
check dropped it, with its score and reason; ``eligible.parquet`` says where an eligible candidate
stood in its group's order and whether it was drawn; dev and test hold the held-out prompts.
Parquet lookups read only the row groups whose statistics can hold the id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .manifest import CARD, DEV, ELIGIBLE, MANIFEST, REJECTS, TEST


@dataclass(frozen=True)
class Answer:
    """The verdict (for scripts and tests) and the sentence shown to the user."""

    verdict: str  # chosen, not drawn, rejected, held out, unknown
    text: str


def explain(example_id: str, folder: Path) -> Answer:
    """What became of ``example_id`` in the set at ``folder`` (or its manifest): rejects first, then
    the eligible table, then the held-out files."""
    folder = Path(folder)
    if folder.name == MANIFEST:
        folder = folder.parent
    if not (folder / MANIFEST).is_file():
        raise InputError(folder, f"no {MANIFEST} here (a folder written by `lima-curate build`)")
    rejected = lookup(folder / REJECTS, example_id)
    if rejected:
        row = rejected[0]
        return Answer(
            "rejected",
            f"{example_id}: rejected by {row['filter']} (score {row['score']:g}): {row['reason']}"
            + (f"\n  {row['url']}" if row["url"] else ""),
        )
    placed = lookup(folder / ELIGIBLE, example_id)
    if placed:
        row = placed[0]
        verdict = "chosen" if row["chosen"] else "not drawn"
        return Answer(
            verdict,
            f"{example_id}: {verdict}: subset {row['subset']}, group {row['group']}, "
            f"place {row['position']} of {row['group_size']} in its group's order (rank {row['rank']:g})",
        )
    for name in (DEV, TEST):
        if held_out(folder / name, example_id):
            return Answer("held out", f"{example_id}: held out in {name} (never a training example)")
    site = unset_site(folder, example_id)
    if site:
        return Answer("unknown", f"{example_id}: not a candidate of this set: {site}")
    return Answer(
        "unknown",
        f"{example_id}: not a candidate of this set (no reader yielded it, or its site or "
        "source was not part of the build; see the card's unknown_sites and excluded_sites)",
    )


def unset_site(folder: Path, example_id: str) -> str:
    """Why an id's site gave no candidate, from the card's ``unknown_sites`` and ``excluded_sites``
    (``stackexchange/SITE/...``), or ``""``: the build warned about it, and ``why`` says it again."""
    parts = example_id.split("/")
    try:
        card = json.loads((folder / CARD).read_bytes())
    except (OSError, ValueError):
        return ""
    if len(parts) < 3 or not isinstance(card, dict):
        return ""
    unknown, excluded = card.get("unknown_sites") or {}, card.get("excluded_sites") or {}
    if isinstance(unknown, dict) and parts[1] in unknown:
        return (
            f"its input's name {parts[1]!r} is no known site ({candidates(unknown[parts[1]])} unused): rename the folder "
            "to the site's host, or name it on the input (--input stackexchange:HOST=PATH), and build again"
        )
    if isinstance(excluded, dict) and parts[1] in excluded:
        return f"its site {parts[1]} is excluded by the recipe ({candidates(excluded[parts[1]])}; docs/stackexchange_sites.md)"
    return ""


def candidates(n: object) -> str:
    """``1 candidate``, ``12 candidates`` (a count as a card holds it)."""
    return f"{n} candidate" + ("" if n == 1 else "s")


def lookup(path: Path, example_id: str) -> list[dict]:
    """The rows of a set's Parquet table with this id; a missing or damaged table is an ``InputError``."""
    if not path.is_file():
        raise InputError(path, "missing: the set is incomplete or was written by an older lima-curate")
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, filters=[("id", "==", example_id)]).to_pylist()
    except Exception as error:  # pyarrow raises its own types for damaged files
        raise InputError(path, f"not a readable Parquet file ({error})") from None


def held_out(path: Path, example_id: str) -> bool:
    """Whether a dev or test file holds the id (a set without that file holds none)."""
    if not path.is_file():
        return False
    with open(path, encoding="utf-8") as handle:
        return any(json.loads(line).get("id") == example_id for line in handle if example_id in line)
