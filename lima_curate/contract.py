"""The manifest contract, written once: the bytes of a line, what a line may hold, and the card.

``build``, ``import``, ``verify`` and ``stats`` use this module and nothing else for these rules;
``docs/manifest.schema.json`` is :data:`LINE_JSON_SCHEMA` as published (a test keeps them equal),
and lima_train's own reader is tested against that file. A line written by this version carries
``"schema": 1``; a line without the key (sets built before lines were versioned) is read as 1.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import Counter
from functools import cache
from typing import Any, Callable, Iterable

import fastjsonschema
from fastjsonschema import JsonSchemaValueException

from .errors import InputError

LINE_SCHEMA = 1
CARD_SCHEMA = 2  # 2: rejects.parquet, eligible.parquet, and the digest of every file of the set under "files"
ROLES = ("system", "user", "assistant")

LINE_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:lima-curate:manifest-line:1",
    "title": "lima-curate manifest line",
    "description": "One example of manifest.jsonl, dev.jsonl or test.jsonl: one JSON object a line, keys sorted, UTF-8.",
    "type": "object",
    "required": ["id", "source", "subset", "messages", "meta"],
    "additionalProperties": False,
    "properties": {
        "schema": {
            "const": LINE_SCHEMA,
            "description": "this contract's version; absent in lines written before it was versioned",
        },
        "id": {"type": "string", "minLength": 1, "description": "unique in the set, stable across rebuilds"},
        "source": {"type": "string", "minLength": 1, "description": "the reader that produced it (stackexchange, wikihow, ...)"},
        "subset": {"type": "string", "minLength": 1, "description": "the quota it was drawn for (se_stem, wikihow, ...)"},
        "messages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["role", "content"],
                "additionalProperties": False,
                "properties": {"role": {"enum": list(ROLES)}, "content": {"type": "string"}},
            },
        },
        "meta": {
            "type": "object",
            "description": "provenance: url, ids, scores, licence, dump date, filter scores",
            "properties": {
                "edited": {
                    "type": "object",
                    "description": "set when a review edited the example: field (prompt, response) -> sha256 of the patch applied",
                    "additionalProperties": False,
                    "properties": {f: {"type": "string", "pattern": "^[0-9a-f]{64}$"} for f in ("prompt", "response")},
                },
                "review": {
                    "type": "object",
                    "description": "set on a replacement a review brought in: the id it replaces, its rank in its subset's reserve",
                    "required": ["replaces"],
                    "additionalProperties": False,
                    "properties": {
                        "replaces": {"type": "string", "minLength": 1},
                        "reserve_rank": {"type": "integer", "minimum": 1},
                    },
                },
            },
        },
    },
}


def canonical_json(value: Any) -> str:
    """Sorted keys, UTF-8 text, no insignificant whitespace: the same value always gives the same bytes."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def line(id: str, source: str, subset: str, messages: Iterable[dict[str, str]], meta: dict[str, Any]) -> str:
    """An example as it appears in manifest.jsonl (without the trailing newline)."""
    return canonical_json(
        {"schema": LINE_SCHEMA, "id": id, "source": source, "subset": subset, "messages": list(messages), "meta": meta}
    )


def check_line(value: Any, where: Any, number: int) -> dict[str, Any]:
    """A parsed line checked against :data:`LINE_JSON_SCHEMA`; the first problem is an
    ``InputError`` naming ``where`` and the line, e.g. ``messages[1].role: 'bot' must be one of ...``."""
    try:
        _validator()(value)
    except JsonSchemaValueException as problem:
        place = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in problem.path[1:]).lstrip(".")
        rule = problem.message.split(" ", 1)[1] if " " in problem.message else problem.message
        shown = repr(problem.value) if place else ""
        if len(shown) > 80:
            shown = shown[:77] + "..."
        detail = " ".join(part for part in (shown, rule) if part)
        raise InputError(where, f"{place + ': ' if place else ''}{detail} (docs/manifest.schema.json)", number) from None
    return value


@cache
def _validator() -> Callable[[Any], Any]:
    """The schema compiled to Python once (fastjsonschema: ~5 us a line, where an interpreting
    validator takes ~230 us, which a million-line import or ``stats`` would feel)."""
    return fastjsonschema.compile(LINE_JSON_SCHEMA)


# -- the card --------------------------------------------------------------------------------------


def digest(data: bytes) -> str:
    """sha256 in hex: the one form of every digest a card records (the manifest's, and each file's under ``files``)."""
    return hashlib.sha256(data).hexdigest()


def subset_entry(picks: list[Any], quota: Any, eligible: Any) -> dict[str, Any]:
    """A subset's line in the card: quota, eligible and chosen counts, lengths, and groups."""
    return {
        "quota": quota,
        "eligible": eligible,
        "chosen": len(picks),
        **length_stats(picks),
        "groups": dict(sorted(Counter(c.group for c in picks).items())),
    }


def length_stats(picks: list[Any]) -> dict[str, Any]:
    """Prompt and response lengths in characters (mean, median, min, max) of a subset's picks."""
    if not picks:
        return {}

    def summary(values: list[int]) -> dict[str, float]:
        return {
            "mean": round(statistics.fmean(values), 1),
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
        }

    return {
        "prompt_chars": summary([len(c.prompt) for c in picks]),
        "response_chars": summary([len(c.response) for c in picks]),
    }


def card(
    *,
    name: str,
    version: str,
    seed: Any,
    recipe: Any,
    recipe_sha256: str,
    subsets: dict[str, Any],
    manifest: bytes,
    total: int,
    **fields: Any,
) -> dict[str, Any]:
    """The card every set carries, built or imported: what it is, what made it, and its digest."""
    from . import __version__

    return {
        "schema": CARD_SCHEMA,
        "name": name,
        "version": version,
        "tool": {"name": "lima-curate", "version": __version__},
        "seed": seed,
        "recipe": recipe,
        "recipe_sha256": recipe_sha256,
        "subsets": subsets,
        "total": total,
        "digest": digest(manifest),
        **fields,
    }
