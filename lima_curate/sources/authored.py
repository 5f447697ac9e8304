"""Hand-written examples (JSONL) -> candidates for the authored and dialogue subsets, and dev/test.

One example a line::

    {"id": "budget-basics", "split": "train",
     "messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}],
     "meta": {"category": "advice"}}

LIMA wrote 200 training examples by hand, a 50-prompt dev set and a 300-prompt test set, and later
10 hand-written multi-turn chains. A file of this kind is small and written by people, so the reader
is strict: every problem is an ``InputError`` naming the file and line, never a silent skip, because
an example that quietly disappears is worse than a build that stops. Dev and test examples are
yielded like the others with ``meta["split"]`` set; the build writes them to their own files and
never samples them into the manifest.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import InputError, decode_utf8
from ..records import Candidate
from .guard import guarded, lone_surrogate

NAME = "authored"
VERSION = 2  # 2: numbers no manifest line can hold (1e400, NaN, past 64 bits) are an InputError (they built before)
SUBSETS = ("authored", "dialogue")
GROUP_FIELD = "category"
GAIR_NAMES = ("authors",)

SPLITS = ("train", "dev", "test")
REQUIRED_FIELDS = ("id", "split", "messages")
OPTIONAL_FIELDS = ("meta",)
ROLES = ("user", "assistant")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
DEFAULT_GROUP = "authored"
INT_LIMIT = 1 << 63  # integers in meta must fit 64 bits, as every reader of a manifest line stores them


@dataclass(frozen=True)
class Settings:
    """The recipe's ``[authored]`` table."""

    licence: str = "CC-BY-4.0"  # for examples whose meta names no licence of their own


def units(path: Path) -> list[Path]:
    """A ``.jsonl`` file, or every ``*.jsonl`` file in a folder, sorted by name."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise InputError(path, "no such file or folder")
    found = sorted(p for p in path.glob("*.jsonl") if p.is_file())
    if not found:
        raise InputError(path, "no *.jsonl file of authored examples here")
    return found


def files(unit: Path, settings: Settings) -> list[Path]:
    """A unit is one JSONL file, and its examples depend on it alone."""
    return [unit]


def read(unit: Path, settings: Settings, seed: int, skipped: Counter) -> Iterator[Candidate]:
    """Validate and yield every example; blank lines are allowed, duplicate ids are not. Whatever the
    checks below did not foresee is still one InputError naming the file (``guard``)."""
    return guarded(unit, read_examples(unit, settings))


def read_examples(unit: Path, settings: Settings) -> Iterator[Candidate]:
    """``read`` without the guard: one checked candidate per non-blank line."""
    first_line_of: dict[str, int] = {}
    with open(unit, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            text = decode_line(raw, unit, number)
            if not text.strip():
                continue
            example = parse_example(text, unit, number)
            example_id = example["id"]
            if example_id in first_line_of:
                raise InputError(unit, f"duplicate id {example_id!r} (first on line {first_line_of[example_id]})", number)
            first_line_of[example_id] = number
            yield candidate(example, settings)


def decode_line(raw: bytes, unit: Path, number: int) -> str:
    """A line as UTF-8 text (an error names the line); a byte order mark is allowed on the first only."""
    text = decode_utf8(raw, unit, number)
    return text.removeprefix("\ufeff") if number == 1 else text


def parse_example(text: str, unit: Path, number: int) -> dict[str, Any]:
    """One line -> a checked example; the first problem found is raised with the line number."""

    def fail(message: str) -> InputError:
        return InputError(unit, message, number)

    example = load_json(text, fail)
    if not isinstance(example, dict):
        raise fail("expected a JSON object with id, split and messages")
    if lone_surrogate(text, example):
        raise fail("holds a \\u escape of a lone surrogate, which is not text")
    problem = number_problem(example)
    if problem:
        raise fail(problem)
    for key in REQUIRED_FIELDS:
        if key not in example:
            raise fail(f"missing field {key!r}")
    unknown = sorted(set(example) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise fail(f"unknown field {unknown[0]!r} (fields: id, split, messages, meta)")
    if not isinstance(example["id"], str) or not ID_PATTERN.fullmatch(example["id"]):
        raise fail(f"id {example['id']!r} must be letters, digits, '.', '_' or '-', starting with a letter or digit")
    if example["split"] not in SPLITS:
        raise fail(f"unknown split {example['split']!r} (expected train, dev or test)")
    meta = example.get("meta", {})
    if not isinstance(meta, dict):
        raise fail("field 'meta' must be a JSON object")
    if "category" in meta and not (isinstance(meta["category"], str) and meta["category"].strip()):
        raise fail("meta.category must be a non-empty string")
    problem = messages_problem(example["messages"], example["split"])
    if problem:
        raise fail(problem)
    return example


def load_json(text: str, fail: Callable[[str], InputError]) -> Any:
    """One line's JSON; what Python refuses (nesting past its stack, an integer of more digits than it
    converts) is an InputError like any syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(f"not valid JSON ({error.msg} at column {error.colno})") from None
    except RecursionError:
        raise fail("not valid JSON here (nested too deeply)") from None
    except ValueError:  # the only other ValueError json raises: int(), past sys.get_int_max_str_digits()
        raise fail(f"not valid JSON here (an integer of more than {sys.get_int_max_str_digits()} digits)") from None


def number_problem(value: Any) -> str | None:
    """A number no manifest line can hold (Infinity, NaN, 1e400, an integer outside 64 bits), or None;
    the walk is iterative, so nesting as deep as the parser allowed costs no stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            return f"the number {item} is not one JSON can hold (write it as a string)"
        elif isinstance(item, int) and not isinstance(item, bool) and not -INT_LIMIT <= item < INT_LIMIT:
            return f"the number {str(item)[:30]} is out of range (a 64-bit integer; write it as a string)"
    return None


def messages_problem(messages: Any, split: str) -> str | None:
    """What is wrong with a conversation, or None: user first, roles alternating, no empty turn."""
    if not isinstance(messages, list) or not messages:
        return "field 'messages' must be a non-empty list of turns"
    previous = None
    for index, turn in enumerate(messages, start=1):
        if not isinstance(turn, dict) or set(turn) != {"role", "content"}:
            return f"turn {index} must be an object with exactly 'role' and 'content'"
        role, content = turn["role"], turn["content"]
        if role not in ROLES:
            return f"turn {index} has unknown role {role!r} (expected user or assistant)"
        if not isinstance(content, str) or not content.strip():
            return f"turn {index} is empty"
        if index == 1 and role != "user":
            return "the first turn must be the user's"
        if role == previous:
            return f"two {role} turns in a row (turns {index - 1} and {index})"
        previous = role
    if split == "train" and previous != "assistant":
        return "a train example must end with an assistant turn"
    return None


def candidate(example: dict[str, Any], settings: Settings) -> Candidate:
    """Multi-turn examples are the dialogue subset, single-turn ones the authored subset."""
    meta = dict(example.get("meta", {}))
    meta["split"] = example["split"]
    meta.setdefault("licence", settings.licence)
    messages = tuple({"role": turn["role"], "content": turn["content"]} for turn in example["messages"])
    user_turns = sum(turn["role"] == "user" for turn in messages)
    return Candidate(
        id=f"{NAME}/{example['id']}",
        source=NAME,
        subset="dialogue" if user_turns > 1 else "authored",
        group=meta.get("category", DEFAULT_GROUP),
        messages=messages,
        meta=meta,
    )
