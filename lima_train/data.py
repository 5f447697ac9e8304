"""Manifest lines -> token ids and labels, LIMA style.

Reading: lima_train keeps its own reader of the manifest line contract, so that it never imports
lima_curate. `parse_manifest_line` follows the published line schema (docs/manifest.schema.json:
versioned, a line without "schema" is version 1), and tests/test_train_data.py runs it side by side
with that file. What training needs on top of a valid line (user and assistant turns alternating,
user first, ending with the answer) is checked after it, by `read_manifest` and `read_prompts`.

Encoding: an example is `<s> user <EOT> assistant <EOT> user <EOT> ...`: every turn ends with the EOT
token, the loss falls on assistant turns and their EOT only (labels are -100 elsewhere), and the
whole sequence is trimmed to `max_length` tokens. Batching lives in trainer.py: micro-batches are
packed into one row with positions restarting at every example, so no padding is computed and no
example attends to another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .errors import InputError

IGNORE_INDEX = -100
DEV_NAME = "dev.jsonl"
# The manifest line contract (docs/manifest.schema.json).
SCHEMA_VERSION = 1
LINE_KEYS = ("schema", "id", "source", "subset", "messages", "meta")
MESSAGE_KEYS = ("role", "content")
MESSAGE_ROLES = ("user", "assistant", "system")
# What lima-train trains on: these turns, alternating, user first (a system message is refused).
ROLES = ("user", "assistant")


@dataclass(frozen=True)
class Example:
    """One manifest line: its id and its conversation."""

    id: str
    messages: tuple[tuple[str, str], ...]


def read_manifest(path: Path) -> list[Example]:
    """Read a manifest whose every conversation alternates user and assistant and ends with the answer."""
    examples = []
    for line_no, line in _lines(path):
        where = f"{path}:{line_no}"
        example = parse_manifest_line(line, where)
        _check_turns(example.messages, where)
        examples.append((where, example))
    if not examples:
        raise InputError(f"{path}: manifest holds no examples")
    for where, example in examples:
        if example.messages[-1][0] != "assistant":
            raise InputError(f"{where}: the last message must be the assistant's")
    return [example for _, example in examples]


def read_prompts(path: Path) -> list[Example]:
    """Read prompts (dev set, test set, generations, any file of lines with "messages").

    Only what answering needs is checked: "schema" if present, and the messages as the manifest
    contract has them (other keys may be missing). A line may carry a reference answer as its last
    assistant message; it is dropped, so that what remains ends with the user turn the model is to
    answer. A line may also be `{"prompt": "..."}`.
    """
    prompts = []
    for line_no, line in _lines(path):
        where = f"{path}:{line_no}"
        record = _json_object(line, where)
        _check_schema(record, where)
        example_id = str(record.get("id", f"line-{line_no}"))
        if "messages" not in record and isinstance(record.get("prompt"), str):
            messages: tuple[tuple[str, str], ...] = (("user", record["prompt"]),)
        else:
            messages = _messages(record.get("messages"), where)
            _check_turns(messages, where)
        if messages[-1][0] == "assistant":
            messages = messages[:-1]
        if not messages:
            raise InputError(f"{where}: no user message to answer")
        prompts.append(Example(example_id, messages))
    if not prompts:
        raise InputError(f"{path}: no prompts in this file")
    return prompts


def parse_manifest_line(line: str, where: str) -> Example:
    """One manifest line checked against the line contract; `InputError` naming `where` when it breaks it.

    A line is an object of exactly "schema" (1, or absent in lines written before it was versioned),
    "id", "source" and "subset" (non-empty strings), "messages" (a non-empty list of
    {"role": user|assistant|system, "content": string}) and "meta" (an object).
    """
    record = _json_object(line, where)
    _check_schema(record, where)
    missing = [key for key in LINE_KEYS[1:] if key not in record]
    if missing:
        raise InputError(f"{where}: missing {', '.join(map(repr, missing))}; a manifest line holds {', '.join(LINE_KEYS)}")
    unknown = sorted(set(record) - set(LINE_KEYS))
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; a manifest line holds {', '.join(LINE_KEYS)}")
    if not isinstance(record["id"], str) or not record["id"]:
        raise InputError(f"{where}: 'id' must be a non-empty string")
    for key in ("source", "subset"):
        if not isinstance(record[key], str) or not record[key]:
            raise InputError(f"{where}: {key!r} must be a non-empty string")
    if not isinstance(record["meta"], dict):
        raise InputError(f"{where}: 'meta' must be an object")
    return Example(record["id"], _messages(record["messages"], where))


def dev_set_path(manifest: Path, dev: str | None) -> Path | None:
    """The dev set: `--dev FILE` if given, else dev.jsonl beside the manifest if it is there."""
    if dev:
        path = Path(dev)
        if not path.is_file():
            raise InputError(f"{path}: dev set not found")
        return path
    beside = manifest.parent / DEV_NAME
    return beside if beside.is_file() else None


def file_sha256(path: Path) -> str:
    """The manifest's digest, saved with the run: a resume refuses a manifest that changed."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Every non-blank line of a UTF-8 file with its line number."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with path.open("r", encoding="utf-8") as handle:
        try:
            for line_no, line in enumerate(handle, start=1):
                if line.strip():
                    yield line_no, line
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None


def _json_object(line: str, where: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except ValueError as error:
        raise InputError(f"{where}: not valid JSON: {error}") from None
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object")
    return record


def _check_schema(record: dict[str, Any], where: str) -> None:
    version = record.get("schema", SCHEMA_VERSION)
    # a JSON number, compared by value as JSON Schema's "const" does (1.0 is 1); true is no number
    if isinstance(version, bool) or not isinstance(version, (int, float)) or version != SCHEMA_VERSION:
        raise InputError(
            f"{where}: 'schema' is {version!r}; this lima-train reads manifest lines of schema "
            f"{SCHEMA_VERSION} (or without 'schema', written before lines were versioned)"
        )


def _messages(messages: Any, where: str) -> tuple[tuple[str, str], ...]:
    """The contract's messages: a non-empty list of {"role", "content"} objects, nothing else in them."""
    if not isinstance(messages, list) or not messages:
        raise InputError(f"{where}: 'messages' must be a non-empty list")
    turns = []
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise InputError(f"{where}: messages[{index}] is not an object")
        if sorted(message) != sorted(MESSAGE_KEYS):
            raise InputError(
                f"{where}: messages[{index}] has keys {', '.join(map(repr, sorted(message))) or 'none'}; "
                "expected exactly 'role' and 'content'"
            )
        role, content = message["role"], message["content"]
        if role not in MESSAGE_ROLES:
            raise InputError(f"{where}: messages[{index}] has role {role!r}; expected 'user', 'assistant' or 'system'")
        if not isinstance(content, str):
            raise InputError(f"{where}: messages[{index}] content must be a string")
        turns.append((role, content))
    return tuple(turns)


def _check_turns(messages: tuple[tuple[str, str], ...], where: str) -> None:
    """What training adds to the contract: user and assistant turns only, alternating, user first."""
    for index, (role, _) in enumerate(messages):
        if role not in ROLES:
            raise InputError(f"{where}: messages[{index}] has role {role!r}; expected 'user' or 'assistant'")
        expected = ROLES[index % 2]
        if role != expected:
            raise InputError(f"{where}: messages[{index}] should be the {expected}'s turn (turns alternate, user first)")


def encode_turns(
    messages: tuple[tuple[str, str], ...] | list[tuple[str, str]],
    tokenizer: Any,
    eot_id: int,
    max_length: int | None = None,
) -> tuple[list[int], list[int]]:
    """`<s> turn <EOT> turn <EOT> ...` and labels that keep assistant tokens and their EOT only.

    Each turn is tokenised on its own with special-token text split, so a literal "<EOT>" typed in
    a message is ordinary text, never the EOT token.
    """
    input_ids: list[int] = []
    labels: list[int] = []
    if tokenizer.bos_token_id is not None:
        input_ids.append(tokenizer.bos_token_id)
        labels.append(IGNORE_INDEX)
    for role, content in messages:
        ids = tokenizer(content, add_special_tokens=False, split_special_tokens=True)["input_ids"] + [eot_id]
        input_ids.extend(ids)
        labels.extend(ids if role == "assistant" else [IGNORE_INDEX] * len(ids))
    if max_length is not None:
        input_ids, labels = input_ids[:max_length], labels[:max_length]
    return input_ids, labels


def encode_prompt(messages, tokenizer: Any, eot_id: int, max_length: int | None = None) -> list[int]:
    """The ids a model continues from to answer the conversation's last user turn.

    Trimmed from the left when it is too long, so the turn to answer is always kept.
    """
    input_ids, _ = encode_turns(messages, tokenizer, eot_id)
    if max_length is not None and len(input_ids) > max_length:
        input_ids = input_ids[-max_length:]
    return input_ids


def encode_manifest(examples: list[Example], tokenizer: Any, eot_id: int, max_length: int) -> tuple[list[dict], int]:
    """Encode every example; those left with no assistant token after trimming are dropped.

    Returns the encoded examples and how many were dropped.
    """
    encoded, dropped = [], 0
    for example in examples:
        input_ids, labels = encode_turns(example.messages, tokenizer, eot_id, max_length)
        if all(label == IGNORE_INDEX for label in labels):
            dropped += 1
            continue
        encoded.append({"input_ids": input_ids, "labels": labels})
    return encoded, dropped


def canonical_json(value: Any) -> str:
    """Sorted keys, UTF-8 text, no insignificant whitespace: the bytes lima_curate's canonical_json makes."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def write_jsonl_atomic(path: Path, records: list[dict]) -> None:
    """Write records as canonical JSON lines via a temporary file and a rename."""
    write_atomic(path, "".join(canonical_json(record) + "\n" for record in records))
