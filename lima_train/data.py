"""Manifest lines -> token ids and labels, LIMA style.

Reading: lima_train keeps its own reader of the manifest line contract, so that it never imports
lima_curate. `parse_manifest_line` follows the published line schema (docs/manifest.schema.json:
versioned, a line without "schema" is version 1), and tests/test_train_data.py runs it side by side
with that file. What training needs on top of a valid line (an optional system message first, then
user and assistant turns alternating, user first, ending with the answer) is checked after it, by
`read_manifest` and `read_prompts`.

Encoding: an example is `<s> user <EOT> assistant <EOT> user <EOT> ...`: every turn ends with the EOT
token, the loss falls on assistant turns and their EOT only (labels are -100 elsewhere), and the
whole sequence is trimmed to `max_length` tokens. A system message is written in front of the
first user turn, a blank line between them. The chat template saved with every checkpoint
(chat_template.py) renders the same text, and each turn is tokenised as it falls in that text,
after the special token before it, so `tokenizer.apply_chat_template` gives the same ids. An
example longer than `max_chars` characters (`char_cap`: 32 per token of `max_length`) is cut
before it is tokenised, so that one huge example cannot exhaust memory. Batching lives in batching.py: micro-batches are
packed into rows with positions restarting at every example, so no example attends to another.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .chat_template import SYSTEM_SEPARATOR
from .errors import InputError

IGNORE_INDEX = -100
DEV_NAME = "dev.jsonl"
# The manifest line contract (docs/manifest.schema.json).
SCHEMA_VERSION = 1
LINE_KEYS = ("schema", "id", "source", "subset", "messages", "meta")
MESSAGE_KEYS = ("role", "content")
MESSAGE_ROLES = ("user", "assistant", "system")
# What lima-train trains on: these turns, alternating, user first, after an optional system message.
ROLES = ("user", "assistant")
SYSTEM = "system"
# An example is cut at this many characters per token of max_length before it is tokenised: text
# averages 3-5 characters a token, so a cut example still fills max_length tokens.
CHARS_PER_TOKEN_CAP = 32


@dataclass(frozen=True)
class Example:
    """One manifest line: its id and its conversation."""

    id: str
    messages: tuple[tuple[str, str], ...]


def read_manifest(path: Path) -> list[Example]:
    """Read a manifest whose every conversation alternates user and assistant and ends with the answer.

    A system message may come first.
    """
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
    """Read a prompt file (dev set, test set, any file of prompts) in one of three shapes, told apart per line.

    - a manifest line (`"messages"`, as dev.jsonl and test.jsonl are): "schema" and the messages are
      checked as the contract has them, other keys may be missing; id: its "id", else `line-N`;
    - a GAIR/lima line (`{"conversations": ["user turn", "assistant turn", ...], "source": ...}`,
      their test.jsonl): id: its "id" if it has one, else `test-N`;
    - a plain prompt (`{"prompt": "..."}` or `{"id": ..., "prompt": "..."}`): id: its "id", else `line-N`.

    N is the line number. A trailing assistant turn is a reference answer and is dropped, so that what
    remains ends with the user turn the model is to answer. Ids must be unique: a repeated id is refused
    naming both lines, since answers are matched to prompts by id.
    """
    prompts, first_line = [], {}
    for line_no, line in _lines(path):
        where = f"{path}:{line_no}"
        example = _prompt_line(_json_object(line, where), line_no, where)
        if example.id in first_line:
            raise InputError(f"{where}: duplicate id {example.id!r} (first at line {first_line[example.id]}); ids must be unique")
        first_line[example.id] = line_no
        prompts.append(example)
    if not prompts:
        raise InputError(f"{path}: no prompts in this file")
    return prompts


PROMPT_SHAPES = (
    "expected a manifest line ('messages'), a GAIR/lima line ('conversations': a list of strings) "
    "or a plain prompt ('prompt': a string)"
)


def _prompt_line(record: dict[str, Any], line_no: int, where: str) -> Example:
    """One line of a prompt file as an Example ending with the user turn to answer."""
    if "messages" in record:
        _check_schema(record, where)
        messages = _messages(record["messages"], where)
        default_id = f"line-{line_no}"
    elif "conversations" in record:
        messages = _conversation_turns(record["conversations"], where)
        default_id = f"test-{line_no}"
    elif "prompt" in record:
        if not isinstance(record["prompt"], str) or not record["prompt"].strip():
            raise InputError(f"{where}: 'prompt' must be a non-empty string")
        messages = (("user", record["prompt"]),)
        default_id = f"line-{line_no}"
    else:
        found = ", ".join(map(repr, sorted(record))) or "no keys"
        raise InputError(f"{where}: {PROMPT_SHAPES}; found {found}")
    _check_turns(messages, where)
    if messages[-1][0] == "assistant":
        messages = messages[:-1]
    return Example(_prompt_id(record, default_id, where), messages)


def _conversation_turns(conversations: Any, where: str) -> tuple[tuple[str, str], ...]:
    """GAIR/lima's "conversations": turns as plain strings, user first, alternating."""
    if not isinstance(conversations, list) or not conversations:
        raise InputError(f"{where}: 'conversations' must be a non-empty list of strings (user first, turns alternating)")
    for index, turn in enumerate(conversations):
        if not isinstance(turn, str):
            raise InputError(f"{where}: conversations[{index}] is not a string; GAIR/lima turns are plain strings")
    return tuple((ROLES[index % 2], turn) for index, turn in enumerate(conversations))


def _prompt_id(record: dict[str, Any], default: str, where: str) -> str:
    """A prompt's own id (a non-empty string, or an integer as some prompt sets number them), else `default`."""
    if "id" not in record:
        return default
    value = record["id"]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}: 'id' must be a non-empty string or an integer")
    return value


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
    """What training adds to the contract: an optional system message first, then user and assistant alternating."""
    start = 1 if messages and messages[0][0] == SYSTEM else 0
    for index, (role, _) in enumerate(messages[start:], start=start):
        if role == SYSTEM:
            raise InputError(f"{where}: messages[{index}] has role 'system'; a system message may only come first")
        expected = ROLES[(index - start) % 2]
        if role != expected:
            raise InputError(f"{where}: messages[{index}] should be the {expected}'s turn (turns alternate, user first)")
    if start == len(messages):
        raise InputError(f"{where}: a system message alone; a user turn must follow it")


def char_cap(max_length: int) -> int:
    """The characters an example keeps before tokenising, for a `max_length` in tokens."""
    return max_length * CHARS_PER_TOKEN_CAP


def turns_to_encode(messages) -> tuple[tuple[str, str], ...]:
    """The turns as the template writes them: a leading system message joined to the first user turn."""
    messages = tuple(messages)
    if len(messages) > 1 and messages[0][0] == SYSTEM:
        (_, system), (role, content) = messages[0], messages[1]
        return ((role, system + SYSTEM_SEPARATOR + content), *messages[2:])
    return messages


def cut_turns(messages, max_chars: int, keep_end: bool = False) -> tuple[tuple[tuple[str, str], ...], bool]:
    """The turns within `max_chars` characters in all (the start kept, or the end) and whether any were cut."""
    messages = tuple(messages)
    if sum(len(content) for _, content in messages) <= max_chars:
        return messages, False
    ordered = reversed(messages) if keep_end else messages
    kept, left = [], max_chars
    for role, content in ordered:
        if left <= 0:
            break
        kept.append((role, content[-left:] if keep_end else content[:left]))
        left -= len(content)
    return tuple(reversed(kept)) if keep_end else tuple(kept), True


def encode_turns(
    messages: tuple[tuple[str, str], ...] | list[tuple[str, str]],
    tokenizer: Any,
    eot_id: int,
    max_length: int | None = None,
    max_chars: int | None = None,
) -> tuple[list[int], list[int]]:
    """`<s> turn <EOT> turn <EOT> ...` and labels that keep assistant tokens and their EOT only.

    Each turn is tokenised as it falls in the template's text, after `<s>` or the EOT before it (a
    tokenizer may begin a section after a special token differently from the start of a string).
    A turn holding the text of a special token ("<EOT>" typed in a message) is tokenised with that
    text split, as ordinary text, never the token itself. With `max_chars` (default: `char_cap` of
    `max_length`) a longer example is cut to that many characters first.
    """
    turns = turns_to_encode(messages)
    if max_chars is None and max_length is not None:
        max_chars = char_cap(max_length)
    if max_chars is not None:
        turns, _ = cut_turns(turns, max_chars)
    input_ids: list[int] = []
    labels: list[int] = []
    before = None
    if tokenizer.bos_token_id is not None:
        input_ids.append(tokenizer.bos_token_id)
        labels.append(IGNORE_INDEX)
        before = tokenizer.bos_token
    eot_text = tokenizer.convert_ids_to_tokens(eot_id)
    for role, content in turns:
        ids = _turn_ids(content, tokenizer, before) + [eot_id]
        input_ids.extend(ids)
        labels.extend(ids if role == "assistant" else [IGNORE_INDEX] * len(ids))
        before = eot_text
    if max_length is not None:
        input_ids, labels = input_ids[:max_length], labels[:max_length]
    return input_ids, labels


def _turn_ids(content: str, tokenizer: Any, before: str | None) -> list[int]:
    """A turn's ids as the whole rendered text gives them, after the special token `before`."""
    if before is not None:
        ids = tokenizer(before + content, add_special_tokens=False)["input_ids"]
        special = set(tokenizer.all_special_ids)
        if ids and ids[0] == tokenizer.convert_tokens_to_ids(before) and not special.intersection(ids[1:]):
            return ids[1:]
    return tokenizer(content, add_special_tokens=False, split_special_tokens=True)["input_ids"]


def encode_prompt(
    messages, tokenizer: Any, eot_id: int, max_length: int | None = None, max_chars: int | None = None
) -> list[int]:
    """The ids a model continues from to answer the conversation's last user turn.

    Trimmed from the left when it is too long, so the turn to answer is always kept (a prompt longer
    than `max_chars`, by default `char_cap(max_length)`, is cut from the left before tokenising).
    """
    turns = turns_to_encode(messages)
    if max_chars is None and max_length is not None:
        max_chars = char_cap(max_length)
    if max_chars is not None:
        turns, _ = cut_turns(turns, max_chars, keep_end=True)
    input_ids, _ = encode_turns(turns, tokenizer, eot_id)
    if max_length is not None and len(input_ids) > max_length:
        input_ids = input_ids[-max_length:]
    return input_ids


def encode_manifest(
    examples: list[Example],
    tokenizer: Any,
    eot_id: int,
    max_length: int,
    max_chars: int | None = None,
    cut_ids: list[str] | None = None,
) -> tuple[list[dict], int]:
    """Encode every example; those left with no assistant token after trimming are dropped.

    An example longer than `max_chars` characters (default `char_cap(max_length)`) is cut to it
    before tokenising: its id goes to `cut_ids` when given, and their number is logged (logger
    "lima_train"). Returns the encoded examples and how many were dropped.
    """
    max_chars = char_cap(max_length) if max_chars is None else max_chars
    encoded, dropped, cut = [], 0, []
    for example in examples:
        turns, was_cut = cut_turns(turns_to_encode(example.messages), max_chars)
        if was_cut:
            cut.append(example.id)
        input_ids, labels = encode_turns(turns, tokenizer, eot_id, max_length, max_chars)
        if all(label == IGNORE_INDEX for label in labels):
            dropped += 1
            continue
        encoded.append({"input_ids": input_ids, "labels": labels})
    if cut:
        logging.getLogger("lima_train").warning(
            "%d example(s) longer than %d characters cut to that length before tokenising (first: %s)",
            len(cut),
            max_chars,
            cut[0],
        )
    if cut_ids is not None:
        cut_ids.extend(cut)
    return encoded, dropped


def canonical_json(value: Any) -> str:
    """Sorted keys, UTF-8 text, no insignificant whitespace: the bytes lima_curate's canonical_json makes."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def write_jsonl_atomic(path: Path, records: list[dict]) -> None:
    """Write records as canonical JSON lines via a temporary file and a rename."""
    write_atomic(path, "".join(canonical_json(record) + "\n" for record in records))
